"""Use cases move from value to the framework app; their table ``value_usecase`` stays."""

import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('csos', '0010_outbox_events_webhooks'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table, its rows and its constraints stay; only the model's app changes.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='UseCase',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120)),
                        ('description', models.TextField(blank=True)),
                        ('outcome', models.CharField(help_text='The business outcome it serves.', max_length=200)),
                        ('presence_meaning', models.TextField(blank=True, verbose_name='level 1, presence: what it means')),
                        ('engagement_meaning', models.TextField(blank=True, verbose_name='level 2, engagement: what it means')),
                        ('value_meaning', models.TextField(blank=True, verbose_name='level 3, use-case value: what it means and how it is proved')),
                        ('roi_meaning', models.TextField(blank=True, verbose_name='level 4, ROI: what it means and how it is proved')),
                        ('implicit_value', models.DecimalField(decimal_places=2, default=Decimal('0'), help_text="What a customer reaches alone, in the workspace's value unit.", max_digits=14, validators=[django.core.validators.MinValueValidator(0)])),
                        ('assisted_value', models.DecimalField(decimal_places=2, default=Decimal('0'), help_text='What a customer reaches with CS help, in the same unit.', max_digits=14, validators=[django.core.validators.MinValueValidator(0)])),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='csos.workspace')),
                    ],
                    options={
                        'db_table': 'value_usecase',
                        'ordering': ['name', 'id'],
                        'constraints': [models.UniqueConstraint(fields=('workspace', 'name'), name='use_case_unique_name'), models.UniqueConstraint(fields=('workspace', 'id'), name='value_usecase_workspace_id_key')],
                    },
                ),
            ],
        ),
    ]
