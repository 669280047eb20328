"""evidence.expired: a proven claim whose proof grew too old to count, announced once per proof."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from csos.events import publish_many
from csos.models import DomainEvent, Workspace
from value.models import Evidence, EvidenceStatus
from value.selectors import value_settings
from value.services.evidence import evidence_event_body

# A daily run missed is caught up within this many days; older expiries (such as those
# before events existed) are history, not news.
CATCH_UP = timedelta(days=7)


@transaction.atomic
def evidence_expiries_announce(*, workspace: Workspace, today: date) -> int:
    """Publish evidence.expired for each proven claim whose confirmation stopped counting
    (older than the workspace's stale days, as the ladder reads it) in the last CATCH_UP and
    was not announced since it expired; returns how many it published."""
    stale = timedelta(days=value_settings().evidence_stale_days)
    fresh_since = today - stale
    expired = list(
        Evidence.objects.filter(
            status=EvidenceStatus.PROVEN,
            confirmed_on__lt=fresh_since,
            confirmed_on__gte=fresh_since - CATCH_UP,
        )
        .select_related("account__owner", "use_case")
        .order_by("pk")
    )
    announced: dict[int, date] = {}
    for evidence_id, at in DomainEvent.objects.filter(
        event_type="evidence.expired", occurred_at__date__gte=fresh_since - CATCH_UP
    ).values_list("body__evidence__id", "occurred_at"):
        announced[evidence_id] = max(announced.get(evidence_id, at.date()), at.date())
    # A claim confirmed again since its last announcement expires anew.
    due = [
        evidence
        for evidence in expired
        if announced.get(evidence.pk, date.min) <= evidence.confirmed_on + stale
    ]
    publish_many(
        workspace=workspace,
        event_type="evidence.expired",
        bodies=[evidence_event_body(evidence) for evidence in due],
    )
    return len(due)
