from rest_framework import serializers

from stakeholders.models import Stakeholder


class StakeholderOutputSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
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
