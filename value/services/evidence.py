"""Writes of evidence: a claim recorded or changed, its history, and the ladder re-derived in
the same transaction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.event_bodies import account_ref
from accounts.models import Account
from csos.events import publish
from csos.models import Workspace
from csos.services import audit_record
from value.models import (
    Evidence,
    EvidenceChange,
    EvidenceSource,
    EvidenceStatus,
    Level,
)
from value.services.levels import ladder_refresh

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
    evidence_status_announce(evidence, before="")
    ladder_refresh(account_ids=[account.pk])
    return evidence


# The statuses announced when a claim takes them, by event type.
STATUS_EVENTS = {
    EvidenceStatus.PROVEN: "evidence.proven",
    EvidenceStatus.DISPUTED: "evidence.disputed",
}


def evidence_status_announce(evidence: Evidence, *, before: str) -> None:
    """Publish evidence.proven or evidence.disputed when the claim has just taken that status."""
    event_type = STATUS_EVENTS.get(evidence.status)
    if event_type and evidence.status != before:
        publish(
            workspace=evidence.workspace, event_type=event_type, body=evidence_event_body(evidence)
        )


def evidence_event_body(evidence: Evidence) -> dict[str, Any]:
    """The body of an evidence event: the claim and its account."""
    return {
        "account": account_ref(evidence.account),
        "evidence": {
            "id": evidence.pk,
            "claim": evidence.claim,
            "level": evidence.level,
            "use_case": evidence.use_case.name,
            "status": evidence.status,
            "url": django_settings.SITE_URL + reverse("value_evidence", args=[evidence.pk]),
        },
    }


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
    evidence_status_announce(evidence, before=before["status"])
    ladder_refresh(account_ids=[evidence.account_id])
    return evidence


def _label(name: str) -> str:
    return str(Evidence._meta.get_field(name).verbose_name)
