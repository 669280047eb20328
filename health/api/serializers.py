from rest_framework import serializers

from health.models import HealthSnapshot


class HealthSnapshotOutputSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Dimension key -> 0-10, null when the dimension had no data.",
    )
    drivers = serializers.DictField(help_text="Dimension key -> the facts behind its score.")

    class Meta:
        model = HealthSnapshot
        fields = [
            "id",
            "account",
            "account_external_id",
            "week",
            "total",
            "band",
            "change",
            "scores",
            "drivers",
            "proven_evidence",
            "theatre",
            "model_name",
            "model_version",
            "computed_at",
        ]
        read_only_fields = fields
