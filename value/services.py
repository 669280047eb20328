"""Writes of the value ladder: framework, pursued use cases, evidence, confirmations, the artifact.

Every write that can move a level re-derives the ladder of the accounts it touches in the same
transaction, so the stored levels the coverage page groups by are never behind the evidence.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from csos.links import IssuedLink, link_issue, link_use
from csos.models import Workspace
from value import ladder
from value.events import usage_rollup
from value.models import (
    AccountUseCase,
    ConfirmationOutcome,
    ConfirmationRequest,
    EventMapping,
    Evidence,
    EvidenceChange,
    EvidenceSource,
    EvidenceStatus,
    Level,
    RetentionArtifact,
    Threshold,
    UsageMetric,
    UseCase,
    ValueSettings,
    validate_property_filter,
)
from value.selectors import ladder_frame, value_settings

CONFIRMATION_PURPOSE = "value.evidence-confirmation"
CONFIRMATION_LIFETIME = timedelta(days=14)

USE_CASE_FIELDS = (
    "name",
    "description",
    "outcome",
    "presence_meaning",
    "engagement_meaning",
    "value_meaning",
    "roi_meaning",
    "implicit_value",
    "assisted_value",
)
EVIDENCE_FIELDS = (
    "use_case",
    "level",
    "claim",
    "metric_name",
    "baseline",
    "current",
    "unit",
    "source",
    "document_url",
    "confirmed_by_name",
    "confirmed_by_stakeholder",
    "confirmed_on",
    "status",
)


# ----------------------------------------------------------------------------- the ladder


UPDATE_CHUNK = 5_000


@transaction.atomic
def ladder_refresh(*, account_ids: Iterable[int] | None = None, as_of: date | None = None) -> int:
    """Recompute the level of every pursuit of some accounts (None: all of them).

    Only pursuits whose level moved are written, one UPDATE per level and chunk of ids.
    Returns how many pursuits were written.
    """
    as_of = as_of or timezone.localdate()
    if account_ids is not None:
        account_ids = list(account_ids)
    result = ladder_frame(account_ids=account_ids, as_of=as_of)
    computed = {
        (account, use_case): level
        for account, use_case, level in result[
            [ladder.ACCOUNT, ladder.USE_CASE, ladder.LEVEL]
        ].itertuples(index=False)
    }
    pursuits = AccountUseCase.objects.all()
    if account_ids is not None:
        pursuits = pursuits.filter(account_id__in=account_ids)
    moved: dict[int, list[int]] = {}
    for pursuit_id, account_id, use_case_id, level in pursuits.values_list(
        "id", "account_id", "use_case_id", "level"
    ):
        new_level = computed[(account_id, use_case_id)]
        if new_level != level:
            moved.setdefault(new_level, []).append(pursuit_id)
    now = timezone.now()
    for level, ids in moved.items():
        for start in range(0, len(ids), UPDATE_CHUNK):
            AccountUseCase.objects.filter(pk__in=ids[start : start + UPDATE_CHUNK]).update(
                level=level, computed_at=now
            )
    return sum(len(ids) for ids in moved.values())


# ----------------------------------------------------------------------------- the framework


@transaction.atomic
def value_settings_update(*, workspace: Workspace, data: dict[str, Any]) -> ValueSettings:
    current = value_settings()
    current.workspace = workspace
    for name, value in data.items():
        setattr(current, name, value)
    current.full_clean(exclude=["workspace"])
    current.save()
    ladder_refresh()
    return current


@transaction.atomic
def metric_save(*, workspace: Workspace, metric: UsageMetric | None, data: dict) -> UsageMetric:
    existing = metric is not None
    metric = metric or UsageMetric(workspace=workspace)
    for name in ("key", "name", "unit", "aggregation"):
        setattr(metric, name, data[name])
    if UsageMetric.objects.filter(key=metric.key).exclude(pk=metric.pk).exists():
        raise ValidationError({"key": f"Another metric already uses the key {metric.key!r}."})
    metric.save()
    if existing:
        # A changed aggregation changes every figure the thresholds compare.
        ladder_refresh()
    return metric


@transaction.atomic
def event_mapping_save(
    *, workspace: Workspace, mapping: EventMapping | None, data: dict
) -> EventMapping:
    """Map an event name to a usage metric and recompute the metric from the stored events.

    A metric is measured one way: its mappings all count events or all count distinct users.
    """
    mapping = mapping or EventMapping(workspace=workspace)
    for name in ("event", "metric", "measure", "property_filter"):
        setattr(mapping, name, data[name])
    try:
        validate_property_filter(mapping.property_filter)
    except ValidationError as error:
        raise ValidationError({"property_filter": error}) from None
    siblings = EventMapping.objects.filter(metric=mapping.metric).exclude(pk=mapping.pk)
    if siblings.filter(event=mapping.event).exists():
        raise ValidationError({"event": "This event already counts into this metric."})
    other = siblings.exclude(measure=mapping.measure).first()
    if other is not None:
        raise ValidationError(
            {
                "measure": f"{mapping.metric.name} counts {other.get_measure_display().lower()} "
                f"of {other.event!r}; all events of one metric are measured the same way."
            }
        )
    mapping.save()
    usage_rollup(workspace=workspace, metric_id=mapping.metric_id)
    return mapping


def event_mapping_delete(*, mapping: EventMapping) -> None:
    """Stop counting the event; the daily records already written stay as they are."""
    mapping.delete()


@transaction.atomic
def use_case_save(
    *,
    workspace: Workspace,
    use_case: UseCase | None,
    data: dict[str, Any],
    thresholds: list[dict[str, Any]],
) -> UseCase:
    """Create or update a use case and replace its usage thresholds.

    ``thresholds`` are dicts of level, metric, minimum and per_seat.
    """
    use_case = use_case or UseCase(workspace=workspace)
    for name in USE_CASE_FIELDS:
        setattr(use_case, name, data[name])
    errors = {}
    if UseCase.objects.filter(name=use_case.name).exclude(pk=use_case.pk).exists():
        errors["name"] = f"Another use case is already called {use_case.name!r}."
    if use_case.assisted_value < use_case.implicit_value:
        errors["assisted_value"] = "Assisted value cannot be below what a customer reaches alone."
    if errors:
        raise ValidationError(errors)
    use_case.save()
    use_case.thresholds.all().delete()
    Threshold.objects.bulk_create(
        [Threshold(workspace=workspace, use_case=use_case, **row) for row in thresholds]
    )
    ladder_refresh(
        account_ids=AccountUseCase.objects.filter(use_case=use_case).values_list(
            "account_id", flat=True
        )
    )
    return use_case


@transaction.atomic
def account_use_cases_set(
    *, workspace: Workspace, account: Account, use_cases: Iterable[UseCase]
) -> None:
    """Make ``use_cases`` exactly the ones the account pursues, keeping those it already had."""
    wanted = {use_case.pk for use_case in use_cases}
    AccountUseCase.objects.filter(account=account).exclude(use_case_id__in=wanted).delete()
    have = set(AccountUseCase.objects.filter(account=account).values_list("use_case_id", flat=True))
    AccountUseCase.objects.bulk_create(
        [
            AccountUseCase(workspace=workspace, account=account, use_case_id=use_case_id)
            for use_case_id in sorted(wanted - have)
        ]
    )
    ladder_refresh(account_ids=[account.pk])


# ----------------------------------------------------------------------------- evidence


def evidence_validate(evidence: Evidence, *, today: date) -> None:
    """Field errors for a claim the ladder could not trust; nothing is saved when one is raised."""
    errors: dict[str, str] = {}
    if evidence.current is not None and evidence.baseline is None:
        errors["baseline"] = "A current value needs the baseline it is compared with."
    if evidence.level == Level.USE_CASE_VALUE and evidence.status == EvidenceStatus.PROVEN:
        if evidence.baseline is None:
            errors.setdefault("baseline", "Proven use-case value needs a baseline.")
        if evidence.current is None:
            errors["current"] = "Proven use-case value needs a current value."
    stakeholder = evidence.confirmed_by_stakeholder
    if (
        evidence.level == Level.ROI
        and stakeholder is None
        and not evidence.confirmed_by_name.strip()
    ):
        errors["confirmed_by_name"] = "An ROI claim needs the person who confirms it."
    if stakeholder is not None and stakeholder.account_id != evidence.account_id:
        errors["confirmed_by_stakeholder"] = (
            "The confirming stakeholder belongs to another account."
        )
    if evidence.confirmed_on is not None and evidence.confirmed_on > today:
        errors["confirmed_on"] = "A confirmation cannot be in the future."
    if evidence.status == EvidenceStatus.PROVEN and evidence.confirmed_on is None:
        errors["confirmed_on"] = "Proven evidence needs the date it was confirmed."
    if evidence.source == EvidenceSource.DOCUMENT and not evidence.document_url:
        errors["document_url"] = "A document source needs the link to the document."
    if errors:
        raise ValidationError(errors)


def _snapshot(evidence: Evidence) -> dict[str, Any]:
    return {
        name: _plain(getattr(evidence, Evidence._meta.get_field(name).attname))
        for name in EVIDENCE_FIELDS
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _history(
    evidence: Evidence,
    *,
    by: AbstractBaseUser | None,
    summary: str,
    before: dict,
    after: dict,
    by_name: str = "",
) -> None:
    EvidenceChange.objects.create(
        workspace=evidence.workspace,
        evidence=evidence,
        by=by if by is not None and by.is_authenticated else None,
        by_name=by_name,
        summary=summary,
        before=before,
        after=after,
    )


@transaction.atomic
def evidence_record(
    *, workspace: Workspace, account: Account, by: AbstractBaseUser | None, data: dict[str, Any]
) -> Evidence:
    """Store a value claim and re-derive the account's ladder in the same transaction."""
    evidence = Evidence(workspace=workspace, account=account, created_by=by)
    for name in EVIDENCE_FIELDS:
        if name in data:
            setattr(evidence, name, data[name])
    evidence_validate(evidence, today=timezone.localdate())
    evidence.save()
    _history(evidence, by=by, summary="Recorded", before={}, after=_snapshot(evidence))
    ladder_refresh(account_ids=[account.pk])
    return evidence


@transaction.atomic
def evidence_update(
    *, evidence: Evidence, by: AbstractBaseUser | None, data: dict[str, Any]
) -> Evidence:
    """Change a claim, keeping what changed (before and after) in its history."""
    before = _snapshot(evidence)
    for name in EVIDENCE_FIELDS:
        if name in data:
            setattr(evidence, name, data[name])
    evidence_validate(evidence, today=timezone.localdate())
    after = _snapshot(evidence)
    changed = [name for name in EVIDENCE_FIELDS if before[name] != after[name]]
    if not changed:
        return evidence
    evidence.save()
    _history(
        evidence,
        by=by,
        summary="Changed " + ", ".join(_label(name) for name in changed),
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    ladder_refresh(account_ids=[evidence.account_id])
    return evidence


def _label(name: str) -> str:
    return str(Evidence._meta.get_field(name).verbose_name)


# ----------------------------------------------------------------------------- confirmation


@transaction.atomic
def evidence_confirmation_send(
    *,
    evidence: Evidence,
    by: AbstractBaseUser | None,
    confirmer_name: str,
    confirmer_email: str,
    url_for_token,
) -> tuple[ConfirmationRequest, str]:
    """Send the claim to a customer stakeholder with a signed, expiring, single-use link.

    ``url_for_token`` turns the token into the absolute URL the e-mail carries. Returns the
    request and that URL, which the sender may also pass on by hand.
    """
    issued: IssuedLink = link_issue(
        workspace=evidence.workspace,
        purpose=CONFIRMATION_PURPOSE,
        target_id=evidence.pk,
        by=by,
        lifetime=CONFIRMATION_LIFETIME,
    )
    request = ConfirmationRequest.objects.create(
        workspace=evidence.workspace,
        evidence=evidence,
        link=issued.link,
        confirmer_name=confirmer_name,
        confirmer_email=confirmer_email,
        sent_by=by,
    )
    url = url_for_token(issued.token)
    _history(
        evidence,
        by=by,
        summary=f"Sent to {confirmer_name} <{confirmer_email}> for confirmation",
        before={},
        after={},
    )
    transaction.on_commit(
        lambda: send_mail(
            subject="Please confirm a result we recorded with you",
            message=(
                f"Hello {confirmer_name},\n\nPlease confirm or dispute this result:\n\n"
                f"{evidence.claim}\n\n{url}\n\n"
                f"The link works once and expires on "
                f"{issued.link.expires_at:%B %d, %Y}.\n"
            ),
            from_email=django_settings.DEFAULT_FROM_EMAIL,
            recipient_list=[confirmer_email],
        )
    )
    return request, url


@transaction.atomic
def evidence_confirmation_respond(
    *,
    confirmation: ConfirmationRequest,
    confirmed: bool,
    comment: str,
    ip: str | None,
) -> ConfirmationRequest:
    """Record the stakeholder's answer: confirmed makes the claim proven, disputed disputes it.

    The link is spent first, so a second answer through the same link is refused.
    """
    used = link_use(link=confirmation.link, ip=ip)
    evidence = confirmation.evidence
    before = _snapshot(evidence)
    confirmation.outcome = (
        ConfirmationOutcome.CONFIRMED if confirmed else ConfirmationOutcome.DISPUTED
    )
    confirmation.comment = comment
    confirmation.responded_at = used.used_at
    confirmation.responded_from = ip
    confirmation.save(update_fields=["outcome", "comment", "responded_at", "responded_from"])
    if confirmed:
        evidence.status = EvidenceStatus.PROVEN
        evidence.confirmed_by_name = confirmation.confirmer_name
        evidence.confirmed_on = timezone.localdate(used.used_at)
    else:
        evidence.status = EvidenceStatus.DISPUTED
    evidence.save(update_fields=["status", "confirmed_by_name", "confirmed_on", "updated_at"])
    after = _snapshot(evidence)
    changed = [name for name in EVIDENCE_FIELDS if before[name] != after[name]]
    verb = "Confirmed" if confirmed else "Disputed"
    _history(
        evidence,
        by=None,
        by_name=confirmation.confirmer_name,
        summary=f"{verb} by {confirmation.confirmer_name} through the customer link"
        + (f" from {ip}" if ip else ""),
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed} | ({"comment": comment} if comment else {}),
    )
    ladder_refresh(account_ids=[evidence.account_id])
    return confirmation


# ----------------------------------------------------------------------------- the artifact


@transaction.atomic
def retention_artifact_update(
    *, workspace: Workspace, account: Account, data: dict[str, Any]
) -> RetentionArtifact:
    """Set the account's next action to close its value gap, its owner and due date."""
    artifact = RetentionArtifact.objects.filter(account=account).first() or RetentionArtifact(
        workspace=workspace, account=account
    )
    artifact.next_action = data["next_action"]
    artifact.owner = data["owner"]
    artifact.due_on = data["due_on"]
    if artifact.due_on and not artifact.next_action.strip():
        raise ValidationError({"next_action": "Say what is due."})
    artifact.save()
    return artifact
