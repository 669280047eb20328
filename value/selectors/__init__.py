"""Reads of the value ladder: the framework, the ladder's inputs, account panels and coverage."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from accounts.models import Account
from csos.links import link_sender
from csos.search import forgiving_trigrams
from framework.models import UseCase
from value.models import (
    AccountUseCase,
    ConfirmationRequest,
    EventMapping,
    Evidence,
    EvidenceStatus,
    Level,
    RetentionArtifact,
    Threshold,
    UsageMetric,
    ValueSettings,
)

LEVEL_CHOICES = [(0, "None proven"), *Level.choices]
# The coverage group of the accounts no CSM owns.
UNASSIGNED = "none"


def value_settings() -> ValueSettings:
    """The workspace's value settings, or the defaults when none were saved."""
    return ValueSettings.objects.first() or ValueSettings()


def use_case_list() -> QuerySet[UseCase]:
    return UseCase.objects.prefetch_related(
        Prefetch("thresholds", queryset=Threshold.objects.select_related("metric"))
    )


def metric_list() -> QuerySet[UsageMetric]:
    return UsageMetric.objects.all()


def event_mapping_list() -> QuerySet[EventMapping]:
    return EventMapping.objects.select_related("metric")


# ----------------------------------------------------------------------------- account pages


def account_pursuits(*, account: Account) -> list[AccountUseCase]:
    return list(AccountUseCase.objects.filter(account=account).select_related("use_case"))


def account_evidence(*, account: Account) -> QuerySet[Evidence]:
    return Evidence.objects.filter(account=account).select_related("use_case")


def evidence_confirmations(*, evidence: Evidence) -> QuerySet[ConfirmationRequest]:
    return evidence.confirmations.select_related("link", "sent_by", "stakeholder")


def confirmation_asker(*, confirmation: ConfirmationRequest) -> str:
    """Who asks the customer: the CSM who sent the link, and their company (the workspace)."""
    return link_sender(workspace=confirmation.workspace, sender=confirmation.sent_by)


@dataclass
class LadderRow:
    """One pursued use case on the account page: its stored level and a line per level."""

    pursuit: AccountUseCase
    level: int
    steps: list[dict] = field(default_factory=list)


def account_ladder(*, account: Account) -> list[LadderRow]:
    """The account's pursued use cases, each with the stored level and the reason each level is
    or is not reached, as ``ladder_refresh`` last wrote them. One query."""
    rows = []
    for pursuit in account_pursuits(account=account):
        reasons = pursuit.reasons or []
        steps = [
            {
                "level": number,
                "name": label,
                "reached": pursuit.level >= number,
                "reason": reasons[number - 1].split(": ", 1)[1]
                if len(reasons) >= number
                else "not computed yet",
            }
            for number, label in Level.choices
        ]
        rows.append(LadderRow(pursuit=pursuit, level=pursuit.level, steps=steps))
    return rows


def ladder_freshness(*, pursuits: list[AccountUseCase]) -> dict:
    """Whether a background refresh of these pursuits is queued (``recomputing``) and the moment
    their stored levels are as of: the oldest computation among them, None before any."""
    computed = [p.computed_at for p in pursuits if p.computed_at is not None]
    return {
        "recomputing": any(p.refresh_pending for p in pursuits),
        "as_of": min(computed, default=None),
    }


def account_value_delta(*, pursuits: list[AccountUseCase]) -> Decimal:
    """Unrealised assisted value: the assisted value of use cases not proven at level 3 or more."""
    return sum(
        (p.use_case.assisted_value for p in pursuits if p.level < Level.USE_CASE_VALUE),
        Decimal("0"),
    )


def unrealised_value_subquery() -> Coalesce:
    """``account_value_delta`` as an expression over an account queryset: the assisted value of
    its use cases not proven at level 3 or more, 0 without any."""
    pending = (
        AccountUseCase.objects.filter(account=OuterRef("pk"), level__lt=Level.USE_CASE_VALUE)
        .order_by()
        .values("account")
        .annotate(total=Sum("use_case__assisted_value"))
        .values("total")
    )
    return Coalesce(Subquery(pending), Value(Decimal("0")), output_field=DecimalField())


def unproven_claims_subquery() -> Coalesce:
    """The number of the account's claims still unproven or disputed, as an expression."""
    claims = (
        Evidence.objects.filter(
            account=OuterRef("pk"),
            status__in=[EvidenceStatus.UNPROVEN, EvidenceStatus.DISPUTED],
        )
        .order_by()
        .values("account")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(claims, output_field=IntegerField()), Value(0))


SEARCH_LIMIT = 10  # matches a search shows of each kind


def evidence_search(*, text: str) -> list[dict]:
    """Claims whose text or metric matches ``text``, typos allowed, best match first."""
    similarity = Greatest(
        TrigramWordSimilarity(text, "claim"), TrigramWordSimilarity(text, "metric_name")
    )
    with forgiving_trigrams():
        return list(
            Evidence.objects.filter(
                Q(claim__icontains=text)
                | Q(claim__trigram_word_similar=text)
                | Q(metric_name__trigram_word_similar=text)
            )
            .annotate(similarity=similarity)
            .order_by("-similarity", "pk")
            .values("pk", "claim", "status", "account_id", "account__name")[:SEARCH_LIMIT]
        )


def retention_artifact(*, account: Account) -> dict:
    """What the account has proven, what not yet, and the next action to close the gap.

    "Proven" is exactly the claims the stored ladder counted at the levels it reached, so the
    artifact and the ladder panel never disagree; an unproven claim carries the stored reason
    its level is not reached. Three queries: pursuits, evidence, the stored next action.
    """
    pursuits = account_pursuits(account=account)
    counted = {claim for p in pursuits for claim in (p.proof_ids or [])}
    reasons = {p.use_case_id: p.reasons or [] for p in pursuits}
    proven, unproven = [], []
    for claim in account_evidence(account=account):
        if claim.pk in counted:
            proven.append({"evidence": claim})
            continue
        why = reasons.get(claim.use_case_id, [])
        unproven.append(
            {
                "evidence": claim,
                "reason": why[claim.level - 1]
                if len(why) >= claim.level
                else "Not counted: the account does not pursue this use case",
            }
        )
    return {
        "proven": proven,
        "unproven": unproven,
        "gaps": [p for p in pursuits if p.level < Level.ROI],
        "artifact": RetentionArtifact.objects.filter(account=account)
        .select_related("owner")
        .first(),
        "value_delta": account_value_delta(pursuits=pursuits),
        "freshness": ladder_freshness(pursuits=pursuits),
    }


# ----------------------------------------------------------------------------- coverage


def highest_level_subquery() -> Coalesce:
    """An account's highest reached level over its use cases, 0 when it has none."""
    best = (
        AccountUseCase.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(best=Max("level"))
        .values("best")
    )
    return Coalesce(Subquery(best, output_field=IntegerField()), Value(0))


def accounts_with_level() -> QuerySet[Account]:
    return Account.objects.annotate(highest_level=highest_level_subquery())


def disputed_claims_subquery() -> Coalesce:
    """How many of the account's claims stand disputed now, 0 when none."""
    disputed = (
        Evidence.objects.filter(account=OuterRef("pk"), status=EvidenceStatus.DISPUTED)
        .order_by()
        .values("account")
        .annotate(count=Count("id"))
        .values("count")
    )
    return Coalesce(Subquery(disputed, output_field=IntegerField()), Value(0))
