from rest_framework import serializers

from accounts.models import Account
from csos.api.output_fields import OptionalEmailField
from stakeholders.models import Objective, Stakeholder, SuccessPlan


class StakeholderOutputSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    email = OptionalEmailField()
    erased = serializers.SerializerMethodField()

    class Meta:
        model = Stakeholder
        fields = [
            "id",
            "account",
            "account_external_id",
            "name",
            "email",
            "title",
            "role",
            "influence",
            "sentiment",
            "status",
            "added_on",
            "left_on",
            "erased",
        ]

    def get_erased(self, stakeholder: Stakeholder) -> bool:
        return stakeholder.erased_at is not None


class ObjectiveSerializer(serializers.ModelSerializer):
    """An objective; on a plan's change, one with an ``id`` is changed, one without is added."""

    # use_case and owner name rows through their models' scoped default managers.
    id = serializers.IntegerField(required=False)
    target_level = serializers.IntegerField(min_value=1, max_value=4, required=False)

    class Meta:
        model = Objective
        fields = ["id", "title", "use_case", "use_case_name", "target_level", "owner"]
        extra_kwargs = {"title": {"required": False}}

    def validate(self, attrs):
        if "id" not in attrs and not attrs.get("title"):
            raise serializers.ValidationError({"title": "A new objective needs a title."})
        return attrs


class PlanOutputSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    objectives = ObjectiveSerializer(many=True, read_only=True)

    class Meta:
        model = SuccessPlan
        fields = [
            "id",
            "account",
            "account_external_id",
            "title",
            "status",
            "starts_on",
            "last_reviewed_on",
            "created_at",
            "archived_at",
            "objectives",
        ]
        read_only_fields = fields


class PlanCreateSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    title = serializers.CharField(max_length=200)
    starts_on = serializers.DateField()
    from_handoff = serializers.BooleanField(
        default=False,
        help_text="Pre-fill stakeholders and objectives from the account's sales handoff.",
    )
    objectives = ObjectiveSerializer(many=True, required=False, default=list)


class PlanUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    objectives = ObjectiveSerializer(many=True, required=False, default=list)
