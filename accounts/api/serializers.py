from rest_framework import serializers

from accounts.models import Account


class AccountOutputSerializer(serializers.ModelSerializer):
    owner_email = serializers.EmailField(source="owner.email", default=None, read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "external_id",
            "name",
            "owner_email",
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
