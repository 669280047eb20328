"""The built-in playbooks: a named trigger and the task its step creates.

A trigger finds *firings*: an account, the cause (unique: a trigger fires once per cause) and the
reason in words. The step turns a firing into a task with a title, due date, priority and
assignee rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from playbooks.models import TaskPriority


class Assignee:
    CSM = "csm"  # the account's owner
    LEADER = "leader"  # escalated: the workspace's longest-standing CS leader


@dataclass(frozen=True)
class Playbook:
    key: str
    name: str
    trigger: str
    title: str
    due_days: int
    priority: str
    assignee: str = Assignee.CSM


@dataclass(frozen=True)
class Firing:
    playbook: str
    account_id: int
    cause: str
    reason: str

    def due_on(self, today: dt.date) -> dt.date:
        return today + dt.timedelta(days=PLAYBOOKS[self.playbook].due_days)


RENEWAL_CHECKPOINTS = (120, 90, 60, 30)  # days before the renewal date

PLAYBOOKS = {
    playbook.key: playbook
    for playbook in (
        Playbook(
            "save",
            "Save play",
            "The health band turned Red",
            "Save play: escalate and agree a recovery plan",
            due_days=0,
            priority=TaskPriority.URGENT,
            assignee=Assignee.LEADER,
        ),
        Playbook(
            "outreach",
            "Proactive outreach",
            "The health band turned Yellow",
            "Reach out: find what is slipping",
            due_days=7,
            priority=TaskPriority.HIGH,
        ),
        Playbook(
            "expansion",
            "Expansion play",
            "Green with usage near the licensed seats",
            "Expansion: propose more seats or the next use case",
            due_days=14,
            priority=TaskPriority.NORMAL,
        ),
        Playbook(
            "renewal",
            "Renewal checkpoint",
            "120, 90, 60 and 30 days before the renewal date",
            "Renewal checkpoint",
            due_days=7,
            priority=TaskPriority.HIGH,
        ),
        Playbook(
            "remap",
            "Re-map stakeholders",
            "An Owner or Champion left",
            "Re-map stakeholders: find a new sponsor",
            due_days=7,
            priority=TaskPriority.HIGH,
        ),
        Playbook(
            "success_plan",
            "Write the success plan",
            "No success plan 30 days after contract start",
            "Write the success plan",
            due_days=7,
            priority=TaskPriority.HIGH,
        ),
    )
}
