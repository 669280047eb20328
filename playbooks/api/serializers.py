from rest_framework import serializers

from accounts.selectors import csm_choices
from playbooks.models import Task, TaskStatus


class TaskOutputSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    assignee_email = serializers.EmailField(
        source="assignee.email", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "account",
            "account_external_id",
            "playbook",
            "title",
            "reason",
            "assignee",
            "assignee_email",
            "due_on",
            "priority",
            "status",
            "created_at",
        ]
        read_only_fields = fields


class TaskUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(TaskStatus.choices, required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=csm_choices(),
        allow_null=True,
        required=False,
        help_text="A CSM, leader or admin of the workspace (user id); null for nobody.",
    )
