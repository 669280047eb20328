"""The demo's playbook step: the tasks the triggers give the demo book on the build's day."""

from __future__ import annotations

import random

from accounts.demo import DemoOptions, Progress, demo_accounts
from csos.models import Workspace
from health.scoring import iso_week
from playbooks import services
from playbooks.models import Task


def demo_playbooks_run(
    *, workspace: Workspace, rng: random.Random, options: DemoOptions, progress: Progress
) -> None:
    """Replace the demo accounts' tasks with what the band triggers of this week and the daily
    triggers of ``options.today`` fire, as the scheduled jobs would on the day (in the
    workspace's scope, which the demo pipeline sets)."""
    Task.objects.filter(account__in=demo_accounts(workspace=workspace)).delete()
    services.band_triggers_run(
        workspace=workspace, week=iso_week(options.today), today=options.today
    )
    services.daily_triggers_run(workspace=workspace, today=options.today)
