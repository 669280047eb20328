from rest_framework import serializers

from accounts.models import Account
from csos.api.output_fields import OptionalURLField
from value.models import Evidence
from value.services import EVIDENCE_FIELDS


class EvidenceOutputSerializer(serializers.ModelSerializer):
    account_external_id = serializers.CharField(source="account.external_id", read_only=True)
    use_case_name = serializers.CharField(source="use_case.name", read_only=True)
    document_url = OptionalURLField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "account",
            "account_external_id",
            "use_case_name",
            *EVIDENCE_FIELDS,
            "confirmation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class EvidenceUpdateSerializer(serializers.ModelSerializer):
    """The claim's fields; the related ones name rows through their models' scoped default
    managers, so only rows of the workspace in scope."""

    class Meta:
        model = Evidence
        fields = list(EVIDENCE_FIELDS)


class EvidenceCreateSerializer(EvidenceUpdateSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())

    class Meta(EvidenceUpdateSerializer.Meta):
        fields = ["account", *EVIDENCE_FIELDS]


class CoverageLevelSchema(serializers.Serializer):
    level = serializers.IntegerField(help_text="0 none proven, 1 presence ... 4 ROI.")
    name = serializers.CharField()
    accounts = serializers.IntegerField()
    account_share = serializers.FloatField(
        allow_null=True, help_text="Percent of the group's accounts whose highest level this is."
    )


class CoverageArrSchema(serializers.Serializer):
    currency = serializers.CharField()
    level = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    arr_share = serializers.FloatField(allow_null=True)


class CoverageConvertedSchema(serializers.Serializer):
    level = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=18, decimal_places=2)
    arr_share = serializers.FloatField(allow_null=True)


class CoverageUnconvertedSchema(serializers.Serializer):
    currency = serializers.CharField()
    accounts = serializers.IntegerField()
    arr = serializers.DecimalField(max_digits=16, decimal_places=2)


class CoverageAtLeastArrSchema(serializers.Serializer):
    currency = serializers.CharField()
    arr = serializers.DecimalField(max_digits=16, decimal_places=2)
    arr_share = serializers.FloatField(allow_null=True)


class CoverageAtLeastSchema(serializers.Serializer):
    level = serializers.IntegerField(help_text="1 presence ... 4 ROI.")
    name = serializers.CharField()
    accounts = serializers.IntegerField(help_text="Accounts whose highest level is this or above.")
    account_share = serializers.FloatField(allow_null=True)
    arr = CoverageAtLeastArrSchema(many=True, help_text="Per currency, as booked.")
    converted_arr = serializers.DecimalField(max_digits=18, decimal_places=2)
    converted_arr_share = serializers.FloatField(allow_null=True)


class CoverageGroupSchema(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="The segment, or the CSM's user id.")
    name = serializers.CharField()
    accounts = serializers.IntegerField()
    levels = CoverageLevelSchema(many=True)
    arr = CoverageArrSchema(many=True, help_text="Per currency: ARR is never summed across.")
    converted = CoverageConvertedSchema(
        many=True, help_text="ARR converted to `currency` at the rates valid on `as_of`."
    )
    unconverted = CoverageUnconvertedSchema(
        many=True, help_text="Currencies with no rate on `as_of`: left out of `converted`."
    )
    at_least = CoverageAtLeastSchema(
        many=True,
        help_text="Cumulative: per proven level, the accounts and ARR at that level or above.",
    )


class CoverageSchema(serializers.Serializer):
    by = serializers.ChoiceField(["segment", "csm"])
    currency = serializers.CharField(help_text="The workspace's currency.")
    as_of = serializers.DateField()
    groups = CoverageGroupSchema(many=True)


def coverage_document(coverage: dict) -> dict:
    """The coverage selector's table as the API shows it: lists, not dicts keyed by level."""
    names = dict(coverage["levels"])
    return {
        "by": coverage["by"],
        "currency": coverage["currency"],
        "as_of": coverage["as_of"].isoformat(),
        "groups": [
            {
                "key": None if group["key"] is None else str(group["key"]),
                "name": group["name"],
                "accounts": group["count"],
                "levels": [
                    {
                        "level": level,
                        "name": names[level],
                        "accounts": count,
                        "account_share": group["count_shares"][level],
                    }
                    for level, count in group["counts"].items()
                ],
                "arr": [
                    {
                        "currency": currency,
                        "level": level,
                        "arr": f"{amount:.2f}",
                        "arr_share": group["arr_shares"][currency][level],
                    }
                    for currency, levels in sorted(group["arr"].items())
                    for level, amount in levels.items()
                ],
                "converted": [
                    {
                        "level": level,
                        "arr": f"{amount:.2f}",
                        "arr_share": group["converted_shares"][level],
                    }
                    for level, amount in group["converted"].items()
                ],
                "unconverted": [
                    {"currency": currency, "accounts": part["count"], "arr": f"{part['arr']:.2f}"}
                    for currency, part in group["unconverted"].items()
                ],
                "at_least": _at_least_document(group["at_least"], names),
            }
            for group in coverage["groups"]
        ],
    }


def _at_least_document(at_least: dict, names: dict) -> list[dict]:
    return [
        {
            "level": level,
            "name": names[level],
            "accounts": count,
            "account_share": at_least["count_shares"][level],
            "arr": [
                {
                    "currency": currency,
                    "arr": f"{levels[level]:.2f}",
                    "arr_share": at_least["arr_shares"][currency][level],
                }
                for currency, levels in at_least["arr"].items()
            ],
            "converted_arr": f"{at_least['converted'][level]:.2f}",
            "converted_arr_share": at_least["converted_shares"][level],
        }
        for level, count in at_least["counts"].items()
    ]
