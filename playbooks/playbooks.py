"""The built-in playbooks: a named trigger and the task its step creates.

A trigger finds *firings*: an account, the cause (an account holds one open task per cause), the
occasion (each fires once) and the reason in words. The step turns a firing into a task with a
title, due date and priority, for the account's owner unless the firing names another
assignee (an interaction's next-action owner, the leader of an escalation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from playbooks.models import TaskPriority


@dataclass(frozen=True)
class Playbook:
    key: str
    name: str
    trigger: str
    title: str
    due_days: int
    priority: str


@dataclass(frozen=True)
class Firing:
    playbook: str
    account_id: int
    cause: str
    occasion: str
    reason: str
    due: dt.date | None = None  # the playbook's due days from today when not given
    assignee_id: int | None = None  # the account's owner when not given

    def due_on(self, today: dt.date) -> dt.date:
        return self.due or today + dt.timedelta(days=PLAYBOOKS[self.playbook].due_days)


PLAYBOOKS = {
    playbook.key: playbook
    for playbook in (
        Playbook(
            "save",
            "Save play",
            "The health band worsened to Red",
            "Save play: escalate and agree a recovery plan",
            due_days=0,
            priority=TaskPriority.URGENT,
        ),
        Playbook(
            "outreach",
            "Proactive outreach",
            "The health band worsened from Green to Yellow",
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
            "The account entered one of the workspace's renewal windows",
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
            "No success plan by the workspace's plan deadline after contract start",
            "Write the success plan",
            due_days=7,
            priority=TaskPriority.HIGH,
        ),
        Playbook(
            "next_action",
            "Next action",
            "An interaction recorded a next action with a due date",
            "Next action agreed with the customer",
            due_days=0,
            priority=TaskPriority.NORMAL,
        ),
        Playbook(
            "escalation",
            "Overdue escalation",
            "A task stayed overdue past the workspace's escalation time",
            "Escalation: an overdue task needs a leader",
            due_days=0,
            priority=TaskPriority.URGENT,
        ),
    )
}
