import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from csos.models import Workspace
from csos.tenancy import workspace_scope
from health.services import health_recompute


class Command(BaseCommand):
    help = "Recompute a workspace's weekly health snapshots here, without Celery."

    def add_arguments(self, parser):
        parser.add_argument("workspace", help="The workspace's slug.")
        parser.add_argument(
            "--week", type=dt.date.fromisoformat, help="A day of the week (ISO date)."
        )

    def handle(self, *args, workspace, week, **options):
        found = Workspace.objects.filter(slug=workspace).first()
        if found is None:
            raise CommandError(f"No workspace with the slug {workspace!r}.")
        with workspace_scope(found):
            recompute = health_recompute(workspace=found, week=week or dt.date.today())
        self.stdout.write(
            f"Scored {recompute.account_count} accounts for the week of {recompute.week}."
        )
