"""An objective's use case is the framework's; the column and its constraint stay."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('framework', '0001_initial'),
        ('stakeholders', '0005_stakeholder_search_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table, its rows and its constraints stay; only the model's app changes.
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='objective',
                    name='use_case',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='framework.usecase', verbose_name='use case'),
                ),
            ],
        ),
    ]
