"""Confirmation of a claim by the customer's stakeholder, through a signed single-use link."""

from __future__ import annotations

import json
from datetime import timedelta

from django.conf import settings as django_settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from csos.events import publish
from csos.links import IssuedLink, link_issue, link_use, recipient_refusal
from stakeholders.models import Stakeholder
from value.models import (
    ConfirmationOutcome,
    ConfirmationRequest,
    Evidence,
    EvidenceChange,
    EvidenceStatus,
)
from value.selectors import confirmation_asker
from value.services.evidence import (
    EVIDENCE_FIELDS,
    _history,
    _plain,
    _snapshot,
    evidence_event_body,
    evidence_status_announce,
)
from value.services.levels import ladder_refresh

CONFIRMATION_PURPOSE = "value.evidence-confirmation"
CONFIRMATION_LIFETIME = timedelta(days=14)


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
    stakeholder: Stakeholder,
    url_for_token,
) -> tuple[ConfirmationRequest, str]:
    """Send the claim to one stakeholder of the account's map with a signed, expiring,
    single-use link, to their recorded name and e-mail.

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
    _evidence_answer(evidence, confirmation=confirmation, confirmed=confirmed)
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
    publish(
        workspace=evidence.workspace,
        event_type="confirmation.answered",
        body={**evidence_event_body(evidence), "confirmed": confirmed},
    )
    evidence_status_announce(evidence, before=before["status"])
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


def _evidence_answer(
    evidence: Evidence, *, confirmation: ConfirmationRequest, confirmed: bool
) -> None:
    """The claim after the answer: proven by it, naming who confirmed and when, or disputed."""
    if confirmed:
        evidence.status = EvidenceStatus.PROVEN
        evidence.confirmation = confirmation
        evidence.confirmed_by_stakeholder = confirmation.stakeholder
        evidence.confirmed_by_name = confirmation.confirmer_name
        evidence.confirmed_on = timezone.localdate(confirmation.responded_at)
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


def _scrub(text: str, needles: list[str], replacement: str) -> str:
    for needle in needles:
        text = text.replace(needle, replacement)
    return text
