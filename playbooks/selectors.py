"""Reads of playbooks for pages."""

from django.db.models import QuerySet

from playbooks.models import Task, TaskStatus


def open_tasks(*, assignee_id: int | None = None) -> QuerySet[Task]:
    """Open tasks, soonest due first; one person's when ``assignee_id`` is given."""
    tasks = Task.objects.filter(status=TaskStatus.OPEN).select_related("account", "assignee")
    if assignee_id is not None:
        tasks = tasks.filter(assignee_id=assignee_id)
    return tasks.order_by("due_on", "pk")
