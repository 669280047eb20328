from django.conf import settings
from django.db import models

from csos.models import TenantModel
from csos.tenancy import TenantForeignKey


class TaskPriority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DISMISSED = "dismissed", "Dismissed"


class Task(TenantModel):
    """A piece of work a playbook created for an account, with the reason that fired it.

    ``cause`` names what fired it (the trigger, the account and the occasion); it is unique, so
    a trigger fires once per cause however often the triggers run.
    """

    account = TenantForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="tasks")
    playbook = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    reason = models.CharField(max_length=300)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField()
    priority = models.CharField(max_length=8, choices=TaskPriority.choices)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    cause = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "cause"], name="task_once_per_cause"),
        ]
        # Ends with the id so lists ordered by due date then id (My tasks, the portfolio's
        # panel) read their first rows off the index, however many tasks share a due date.
        indexes = [models.Index(fields=["workspace", "assignee", "status", "due_on", "id"])]

    def __str__(self) -> str:
        return self.title
