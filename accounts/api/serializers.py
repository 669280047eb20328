from rest_framework import serializers

from accounts.models import Account
from csos.api.annotations import AnnotatedFieldsMixin


class AccountOutputSerializer(AnnotatedFieldsMixin, serializers.ModelSerializer):
    """An account with what other apps register about it (health, proven level)."""

    owner_email = serializers.EmailField(
        source="owner.email", default=None, allow_null=True, read_only=True
    )
    owner_name = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = [
            "id",
            "external_id",
            "name",
            "owner_email",
            "owner_name",
            "arr",
            "currency",
            "contract_start",
            "renewal_date",
            "licensed_seats",
            "lifecycle_stage",
            "status",
            "segment",
            "industry",
            "complexity",
            "strategic_potential",
            "product_maturity",
            "implementation_difficulty",
            "executive_visibility",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_owner_name(self, account: Account) -> str | None:
        if account.owner is None:
            return None
        return account.owner.get_full_name() or account.owner.email
