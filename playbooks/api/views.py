import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.response import Response

from accounts.api.base import AccountWorkViewSet
from csos.api.base import StableOrderingFilter
from playbooks import services
from playbooks.api.serializers import TaskOutputSerializer, TaskUpdateSerializer
from playbooks.models import Task, TaskPriority, TaskStatus


class TaskApiFilter(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account_id")
    account_external_id = django_filters.CharFilter(field_name="account__external_id")
    assignee_email = django_filters.CharFilter(field_name="assignee__email", lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.ChoiceFilter(choices=TaskPriority.choices)
    playbook = django_filters.CharFilter()
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_on", lookup_expr="gte")

    class Meta:
        model = Task
        fields = []


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
    list=extend_schema(
        summary="List tasks",
        examples=[OpenApiExample("A page of tasks", response_only=True, value=[TASK_EXAMPLE])],
    ),
    retrieve=extend_schema(
        summary="Get one task",
        examples=[OpenApiExample("A task", response_only=True, value=TASK_EXAMPLE)],
    ),
    partial_update=extend_schema(
        summary="Change a task's status or assignee",
        description=(
            "Marks a task done, dismissed or open again, or hands it to another CSM, leader or "
            "admin; audited. A member may change only the tasks of accounts they may edit."
        ),
        request=TaskUpdateSerializer,
        responses={200: TaskOutputSerializer},
        examples=[
            OpenApiExample("Done", request_only=True, value={"status": "done"}),
            OpenApiExample(
                "Changed",
                response_only=True,
                status_codes=["200"],
                value={**TASK_EXAMPLE, "status": "done"},
            ),
            OpenApiExample(
                "Unknown assignee",
                status_codes=["400"],
                response_only=True,
                value={
                    "type": "urn:csos:problem:invalid-input",
                    "title": "The request has invalid input",
                    "status": 400,
                    "detail": "Fix the fields listed in `errors` and send the request again.",
                    "errors": [
                        {
                            "index": None,
                            "field": "assignee",
                            "code": "does_not_exist",
                            "message": 'Invalid pk "99" - object does not exist.',
                        }
                    ],
                },
            ),
        ],
    ),
)
class TaskViewSet(AccountWorkViewSet):
    """Tasks the playbooks created, soonest due first unless ``ordering`` says otherwise."""

    model = Task
    serializer_class = TaskOutputSerializer
    filterset_class = TaskApiFilter
    filter_backends = [DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["id", "due_on", "created_at"]
    ordering = ["due_on"]

    def scope_queryset(self, queryset):
        return queryset.select_related("account", "assignee")

    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        self.check_may_write(task.account)
        data = TaskUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.task_update(
            workspace=self.workspace, task=task, by=self.actor, data=data.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=task.pk)).data)
