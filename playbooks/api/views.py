import django_filters
from drf_spectacular.utils import extend_schema_view

from accounts.api.base import AccountRowFilter, AccountWorkViewSet
from csos.api.base import ServiceUpdateMixin
from csos.api.schema import invalid_fields_example, read_schemas, write_schema
from playbooks import services
from playbooks.api.serializers import TaskOutputSerializer, TaskUpdateSerializer
from playbooks.models import Task, TaskPriority, TaskStatus


class TaskApiFilter(AccountRowFilter):
    assignee_email = django_filters.CharFilter(field_name="assignee__email", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.ChoiceFilter(choices=TaskPriority.choices)
    playbook = django_filters.CharFilter()
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")


TASK_EXAMPLE = {
    "id": 908,
    "account": 42,
    "account_external_id": "CRM-1001",
    "playbook": "save",
    "title": "Run the save play",
    "reason": "Health turned red in the week of 2026-11-16.",
    "assignee": 3,
    "assignee_email": "bob@example.com",
    "due_on": "2026-11-18",
    "priority": "urgent",
    "status": "open",
    "created_at": "2026-11-16T06:00:04Z",
}


@extend_schema_view(
    **read_schemas(
        list_summary="List tasks",
        page="A page of tasks",
        retrieve_summary="Get one task",
        item="A task",
        example=TASK_EXAMPLE,
    ),
    partial_update=write_schema(
        summary="Change a task's status or assignee",
        description=(
            "Marks a task done, dismissed or open again (while its account holds no other open "
            "task of the same cause), or hands it to another CSM, leader or admin; audited. A "
            "member may change only the tasks of accounts they may edit."
        ),
        request=TaskUpdateSerializer,
        response=TaskOutputSerializer,
        example=("Done", {"status": "done"}),
        written=("Changed", {**TASK_EXAMPLE, "status": "done"}),
        invalid=invalid_fields_example(
            "Unknown assignee",
            field="assignee",
            code="does_not_exist",
            message='Invalid pk "99" - object does not exist.',
        ),
    ),
)
class TaskViewSet(ServiceUpdateMixin, AccountWorkViewSet):
    """Tasks the playbooks created, soonest due first unless ``ordering`` says otherwise."""

    model = Task
    serializer_class = TaskOutputSerializer
    update_serializer_class = TaskUpdateSerializer
    filterset_class = TaskApiFilter
    ordering_fields = ["id", "due_on", "created_at"]
    ordering = ["due_on"]

    def scope_queryset(self, queryset):
        return queryset.select_related("account", "assignee")

    def update_row(self, row: Task, fields: dict) -> None:
        services.task_update(workspace=self.workspace, task=row, by=self.actor, data=fields)
