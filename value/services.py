"""Writes of the value ladder: framework, pursued use cases, evidence, confirmations, the artifact.

Every write that can move a level re-derives the ladder of the accounts it touches in the same
transaction, so the stored levels the coverage page groups by are never behind the evidence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from csos.links import IssuedLink, link_issue, link_use, recipient_refusal
from csos.models import Workspace
from csos.services import audit_record
from csos.tenancy import current_workspace
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
from value.selectors import confirmation_asker, ladder_frame, value_settings

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
    """Recompute the stored ladder of every pursuit of some accounts (None: all of them).

    This is the one place a level is decided and stored, with its reasons and the claims that
    count; every surface reads what it writes. Every pursuit is stamped as computed now and no
    longer pending; only those whose level, reasons or claims moved are rewritten, in chunks.
    Returns how many pursuits were rewritten.
    """
    as_of = as_of or timezone.localdate()
    if account_ids is not None:
        account_ids = list(account_ids)
    result = ladder_frame(account_ids=account_ids, as_of=as_of)
    computed = {
        (account, use_case): (level, reasons, proofs)
        for account, use_case, level, reasons, proofs in result[
            [ladder.ACCOUNT, ladder.USE_CASE, ladder.LEVEL, ladder.REASONS, ladder.PROOFS]
        ].itertuples(index=False)
    }
    pursuits = AccountUseCase.objects.all()
    if account_ids is not None:
        pursuits = pursuits.filter(account_id__in=account_ids)
    moved = [
        (pursuit_id, *computed[(account_id, use_case_id)])
        for pursuit_id, account_id, use_case_id, *stored in pursuits.values_list(
            "id", "account_id", "use_case_id", "level", "reasons", "proof_ids"
        )
        if list(computed[(account_id, use_case_id)]) != stored
    ]
    pursuits.update(computed_at=timezone.now(), refresh_pending=False)
    for start in range(0, len(moved), UPDATE_CHUNK):
        _ladder_rows_write(moved[start : start + UPDATE_CHUNK])
    return len(moved)


def _ladder_rows_write(rows: list[tuple[int, int, list[str], list[int]]]) -> None:
    """Write (id, level, reasons, proofs) of pursuits of the workspace in scope in one UPDATE
    from arrays: each row its own values, without a CASE per row as ``bulk_update`` builds."""
    ids, levels, reasons, proofs = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {AccountUseCase._meta.db_table} AS pursuit
            SET level = row.level, reasons = row.reasons::jsonb, proof_ids = row.proofs::jsonb
            FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::text[])
                AS row(id, level, reasons, proofs)
            WHERE pursuit.id = row.id AND pursuit.workspace_id = %s""",
            [
                list(ids),
                [int(level) for level in levels],
                [json.dumps(lines) for lines in reasons],
                [json.dumps(claims) for claims in proofs],
                current_workspace().pk,
            ],
        )


def ladder_refresh_pending_mark(*, account_ids: Iterable[int]) -> None:
    """Say the stored ladder of these accounts is being recomputed in the background: the pages
    show "recomputing, as of …" until ``ladder_refresh`` has run."""
    AccountUseCase.objects.filter(account_id__in=list(account_ids)).update(refresh_pending=True)


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


class ProofRefused(ValidationError):
    """A write that would make a fact true that its writer may not make true (see
    ``evidence_validate``); field errors like any ValidationError, which the API answers 422."""


# What the customer reads and confirms: changing one of these by hand unbinds their answer.
SIGNED_FIELDS = ("use_case", "level", "claim", "metric_name", "baseline", "current", "unit")


def evidence_validate(evidence: Evidence, *, today: date, may_attest: bool) -> None:
    """Field errors for a claim the ladder could not trust; nothing is saved when one is raised.

    Who may make a fact true: no one in the workspace proves ROI by hand (only the customer's
    answer through a link does, see ``evidence_confirmation_respond``); only a leader or admin
    (``may_attest``) records an in-person confirmation of ROI as attested; proven use-case value
    needs its figures unless the customer confirmed it. Breaking one of these raises
    ``ProofRefused``.
    """
    errors: dict[str, str] = {}
    refused: dict[str, str] = {}
    if evidence.current is not None and evidence.baseline is None:
        errors["baseline"] = "A current value needs the baseline it is compared with."
    customer_confirmed = evidence.confirmation_id is not None
    if evidence.status == EvidenceStatus.PROVEN and not customer_confirmed:
        if evidence.level == Level.ROI:
            refused["status"] = (
                "Only the customer's Owner proves ROI, by answering a confirmation link addressed "
                "to them: send the claim for confirmation instead."
            )
        elif evidence.baseline is None or evidence.current is None:
            refused["baseline" if evidence.baseline is None else "current"] = (
                "Proven use-case value needs a baseline and a current value, or the customer's "
                "confirmation through a link."
            )
    if evidence.status == EvidenceStatus.ATTESTED:
        if evidence.level != Level.ROI:
            refused["status"] = "Only an ROI claim is attested; prove use-case value by figures."
        elif not may_attest:
            refused["status"] = "Only a leader or admin records an in-person confirmation."
    stakeholder = evidence.confirmed_by_stakeholder
    if stakeholder is not None and stakeholder.account_id != evidence.account_id:
        errors["confirmed_by_stakeholder"] = (
            "The confirming stakeholder belongs to another account."
        )
    attested = evidence.status == EvidenceStatus.ATTESTED
    if attested and stakeholder is None and not evidence.confirmed_by_name.strip():
        errors["confirmed_by_name"] = "Say who at the customer confirmed it in person."
    if evidence.confirmed_on is not None and evidence.confirmed_on > today:
        errors["confirmed_on"] = "A confirmation cannot be in the future."
    if evidence.status == EvidenceStatus.PROVEN and evidence.confirmed_on is None:
        errors["confirmed_on"] = "Proven evidence needs the date it was confirmed."
    if attested and evidence.confirmed_on is None:
        errors["confirmed_on"] = "An attested claim needs the day it was confirmed in person."
    if evidence.source == EvidenceSource.DOCUMENT and not evidence.document_url:
        errors["document_url"] = "A document source needs the link to the document."
    if refused:
        raise ProofRefused(errors | refused)
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
    *,
    workspace: Workspace,
    account: Account,
    by: AbstractBaseUser | None,
    data: dict[str, Any],
    may_attest: bool = False,
) -> Evidence:
    """Store a value claim and re-derive the account's ladder in the same transaction.

    ``may_attest``: the writer is a leader or admin, who may record an in-person confirmation.
    """
    evidence = Evidence(workspace=workspace, account=account, created_by=by)
    for name in EVIDENCE_FIELDS:
        if name in data:
            setattr(evidence, name, data[name])
    evidence_validate(evidence, today=timezone.localdate(), may_attest=may_attest)
    evidence.save()
    _history(
        evidence, by=by, summary=_recorded_summary(evidence), before={}, after=_snapshot(evidence)
    )
    _audit_attestation(evidence, by=by, before="")
    ladder_refresh(account_ids=[account.pk])
    return evidence


def _recorded_summary(evidence: Evidence) -> str:
    if evidence.status == EvidenceStatus.ATTESTED:
        return "Recorded as attested in person"
    return "Recorded"


def _audit_attestation(evidence: Evidence, *, by: AbstractBaseUser | None, before: str) -> None:
    """A leader's in-person attestation goes to the workspace's audit log as well."""
    if evidence.status == EvidenceStatus.ATTESTED and before != EvidenceStatus.ATTESTED:
        audit_record(
            workspace=evidence.workspace,
            actor=by,
            action="evidence.attest",
            obj=evidence,
            before={"status": before},
            after={"status": evidence.status, "confirmed_on": _plain(evidence.confirmed_on)},
        )


@transaction.atomic
def evidence_update(
    *,
    evidence: Evidence,
    by: AbstractBaseUser | None,
    data: dict[str, Any],
    may_attest: bool = False,
) -> Evidence:
    """Change a claim, keeping what changed (before and after) in its history.

    Changing what the customer confirmed (the claim, its figures, level or use case) unbinds
    their answer: the claim is unproven again until it is confirmed anew.
    """
    before = _snapshot(evidence)
    for name in EVIDENCE_FIELDS:
        if name in data:
            setattr(evidence, name, data[name])
    signed_changed = any(_snapshot(evidence)[name] != before[name] for name in SIGNED_FIELDS)
    unbound = evidence.confirmation_id is not None and signed_changed
    if unbound:
        evidence.confirmation = None
        if evidence.status == EvidenceStatus.PROVEN:
            evidence.status = EvidenceStatus.UNPROVEN
    # An editor may keep a leader's attestation while the attested claim itself stays as it was.
    kept = before["status"] == EvidenceStatus.ATTESTED and not signed_changed
    evidence_validate(evidence, today=timezone.localdate(), may_attest=may_attest or kept)
    after = _snapshot(evidence)
    changed = [name for name in EVIDENCE_FIELDS if before[name] != after[name]]
    if not changed:
        return evidence
    evidence.save()
    summary = "Changed " + ", ".join(_label(name) for name in changed)
    if unbound:
        summary += "; the customer's confirmation no longer applies"
    _history(
        evidence,
        by=by,
        summary=summary,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    _audit_attestation(evidence, by=by, before=before["status"])
    ladder_refresh(account_ids=[evidence.account_id])
    return evidence


def _label(name: str) -> str:
    return str(Evidence._meta.get_field(name).verbose_name)


# ----------------------------------------------------------------------------- confirmation


def _confirmation_mail(
    *, evidence: Evidence, confirmation: ConfirmationRequest, url: str, expires_at
) -> str:
    """The e-mail's text: who asks, what claim with its figures, and what answering does."""
    asker = confirmation_asker(confirmation=confirmation)
    figures = _figures(evidence)
    return (
        f"Hello {confirmation.confirmer_name},\n\n"
        f"{asker} asks you to confirm or dispute a result recorded with you "
        f"({evidence.use_case.name}, {evidence.get_level_display()}):\n\n"
        f"{evidence.claim}\n"
        + (f"{figures}\n" if figures else "")
        + f"\nYour answer is recorded as yours, with your role and the time.\n\n{url}\n\n"
        f"The link works once and expires on {expires_at:%B %d, %Y}.\n"
    )


def _figures(evidence: Evidence) -> str:
    if evidence.baseline is None and evidence.current is None:
        return ""
    measure = evidence.metric_name or "Measure"
    unit = f" {evidence.unit}" if evidence.unit else ""
    before, now = _plain(evidence.baseline), _plain(evidence.current)
    return f"{measure}: {before}{unit} before, {now}{unit} now"


@transaction.atomic
def evidence_confirmation_send(
    *,
    evidence: Evidence,
    by: AbstractBaseUser | None,
    stakeholder,
    url_for_token,
) -> tuple[ConfirmationRequest, str]:
    """Send the claim to one stakeholder of the account's map with a signed, expiring,
    single-use link, to their recorded name and e-mail. (``stakeholder`` is a
    ``stakeholders.Stakeholder``, untyped here as value does not import that app.)

    ``url_for_token`` turns the token into the absolute URL the e-mail carries. Returns the
    request and that URL, which the sender may also pass on by hand.
    """
    refusal = recipient_refusal(person=stakeholder, account_id=evidence.account_id)
    if refusal:
        raise ValidationError({"stakeholder": refusal})
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
        stakeholder=stakeholder,
        confirmer_name=stakeholder.name,
        confirmer_email=stakeholder.email,
        sent_by=by if by is not None and by.is_authenticated else None,
    )
    url = url_for_token(issued.token)
    _history(
        evidence,
        by=by,
        summary=f"Sent to {stakeholder.name} ({stakeholder.get_role_display()}) "
        f"<{stakeholder.email}> for confirmation",
        before={},
        after={},
    )
    message = _confirmation_mail(
        evidence=evidence, confirmation=request, url=url, expires_at=issued.link.expires_at
    )
    transaction.on_commit(
        lambda: send_mail(
            subject=f"{confirmation_asker(confirmation=request)} asks you to confirm a result",
            message=message,
            from_email=django_settings.DEFAULT_FROM_EMAIL,
            recipient_list=[request.confirmer_email],
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
    """Record the stakeholder's answer, bound to them and to their role and standing now:
    confirmed makes the claim proven by this answer, disputed disputes it.

    The link is spent first, so a second answer through the same link is refused.
    """
    used = link_use(link=confirmation.link, ip=ip)
    evidence = confirmation.evidence
    stakeholder = confirmation.stakeholder
    before = _snapshot(evidence)
    confirmation.outcome = (
        ConfirmationOutcome.CONFIRMED if confirmed else ConfirmationOutcome.DISPUTED
    )
    confirmation.comment = comment
    confirmation.responded_at = used.used_at
    confirmation.responded_from = ip
    confirmation.answered_role = stakeholder.role if stakeholder is not None else ""
    confirmation.answered_active = stakeholder is not None and not stakeholder.has_left
    confirmation.save(
        update_fields=[
            "outcome",
            "comment",
            "responded_at",
            "responded_from",
            "answered_role",
            "answered_active",
        ]
    )
    if confirmed:
        evidence.status = EvidenceStatus.PROVEN
        evidence.confirmation = confirmation
        evidence.confirmed_by_stakeholder = stakeholder
        evidence.confirmed_by_name = confirmation.confirmer_name
        evidence.confirmed_on = timezone.localdate(used.used_at)
    else:
        evidence.status = EvidenceStatus.DISPUTED
        evidence.confirmation = None
    evidence.save(
        update_fields=[
            "status",
            "confirmation",
            "confirmed_by_stakeholder",
            "confirmed_by_name",
            "confirmed_on",
            "updated_at",
        ]
    )
    after = _snapshot(evidence)
    changed = [name for name in EVIDENCE_FIELDS if before[name] != after[name]]
    verb = "Confirmed" if confirmed else "Disputed"
    role = f" ({stakeholder.get_role_display()})" if stakeholder is not None else ""
    _history(
        evidence,
        by=None,
        by_name=confirmation.confirmer_name,
        summary=f"{verb} by {confirmation.confirmer_name}{role} through the customer link"
        + (f" from {ip}" if ip else ""),
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed} | ({"comment": comment} if comment else {}),
    )
    ladder_refresh(account_ids=[evidence.account_id])
    return confirmation


@transaction.atomic
def confirmer_erase(*, stakeholder_id: int, needles: list[str], replacement: str) -> None:
    """Scrub an erased person's name and e-mail from the confirmations sent to them, the claims
    naming them as confirmer and those claims' history; their answers still count as given."""
    requests = ConfirmationRequest.objects.filter(stakeholder_id=stakeholder_id)
    claims = Evidence.objects.filter(confirmed_by_stakeholder_id=stakeholder_id)
    evidence_ids = {
        *requests.values_list("evidence_id", flat=True),
        *claims.values_list("pk", flat=True),
    }
    requests.update(confirmer_name=replacement, confirmer_email="")
    claims.update(confirmed_by_name=replacement)
    for change in EvidenceChange.objects.filter(evidence_id__in=evidence_ids):
        fields = {
            "by_name": _scrub(change.by_name, needles, replacement),
            "summary": _scrub(change.summary, needles, replacement),
            "before": json.loads(_scrub(json.dumps(change.before), needles, replacement)),
            "after": json.loads(_scrub(json.dumps(change.after), needles, replacement)),
        }
        if any(getattr(change, name) != value for name, value in fields.items()):
            EvidenceChange.objects.filter(pk=change.pk).update(**fields)


def _scrub(text: str, needles: list[str], replacement: str) -> str:
    for needle in needles:
        text = text.replace(needle, replacement)
    return text


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
