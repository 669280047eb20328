"""Use cases now live in the framework app: value's keys point there, the table stays."""

import django.db.models.deletion
from django.db import migrations, models


def _move_content_type(apps, source: str, target: str) -> None:
    """Permissions and admin history of use cases follow the model to its new app."""
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label=target, model="usecase").exists():
        content_type.objects.filter(app_label=source, model="usecase").update(app_label=target)


def _content_type_follows(apps, schema_editor):
    _move_content_type(apps, "value", "framework")


def _content_type_returns(apps, schema_editor):
    _move_content_type(apps, "framework", "value")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('framework', '0001_initial'),
        ('stakeholders', '0006_objective_use_case_from_framework'),
        ('value', '0006_evidence_search_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The table, its rows and its constraints stay; only the model's app changes.
            database_operations=[migrations.RunPython(_content_type_follows, _content_type_returns)],
            state_operations=[
                migrations.AlterField(
                    model_name='accountusecase',
                    name='use_case',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='framework.usecase'),
                ),
                migrations.AlterField(
                    model_name='evidence',
                    name='use_case',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='framework.usecase'),
                ),
                migrations.AlterField(
                    model_name='threshold',
                    name='use_case',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='thresholds', to='framework.usecase'),
                ),
                migrations.DeleteModel(
                    name='UseCase',
                ),
            ],
        ),
    ]
