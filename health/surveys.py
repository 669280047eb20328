"""Surveys CSOS sends: an NPS or CSAT question to chosen stakeholders of an account through the
signed, expiring, single-use links of ``csos.links`` (as value confirmations are sent), the
answer stored as a survey response of that stakeholder, which the weekly score reads; one
reminder for an unanswered invitation; the account's response rate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from csos.links import link_issue, link_sender, link_token, link_use, recipient_refusal
from health.models import SURVEY_RANGE, SurveyInvitation, SurveyKind, SurveyResponse

SURVEY_PURPOSE = "health.survey"
SURVEY_LIFETIME = timedelta(days=14)
# An invitation still unanswered this long after it was sent gets its one reminder.
REMINDER_AFTER = timedelta(days=5)
# The response rate counts the invitations sent within this window.
RATE_WINDOW = timedelta(days=180)


def survey_question(*, kind: str, company: str) -> str:
    if kind == SurveyKind.NPS:
        return f"How likely are you to recommend {company} to a friend or colleague?"
    return f"How satisfied are you with {company}?"


def survey_scale(kind: str) -> range:
    low, high = SURVEY_RANGE[kind]
    return range(low, high + 1)


def survey_url(token: str) -> str:
    """The absolute address of the answer page, for mails sent with or without a request."""
    return settings.SITE_URL + reverse("survey_answer", kwargs={"token": token})


@transaction.atomic
def survey_send(
    *,
    account: Account,
    stakeholders: Iterable,
    kind: str,
    by: AbstractBaseUser | None,
    url_for_token: Callable[[str], str] = survey_url,
) -> list[SurveyInvitation]:
    """Send the question to each of ``stakeholders`` (of ``account``'s map, still there, with
    an e-mail address) with their own link; all or none."""
    people = list(stakeholders)
    if not people:
        raise ValidationError({"stakeholders": "Choose at least one stakeholder."})
    if kind not in SurveyKind.values:
        raise ValidationError({"kind": f"One of: {', '.join(SurveyKind.values)}."})
    refusals = [r for p in people if (r := recipient_refusal(person=p, account_id=account.pk))]
    if refusals:
        raise ValidationError({"stakeholders": refusals})
    invitations = []
    for person in people:
        issued = link_issue(
            workspace=account.workspace,
            purpose=SURVEY_PURPOSE,
            target_id=account.pk,
            by=by,
            lifetime=SURVEY_LIFETIME,
        )
        invitation = SurveyInvitation.objects.create(
            workspace=account.workspace,
            account=account,
            stakeholder=person,
            kind=kind,
            link=issued.link,
            recipient_name=person.name,
            recipient_email=person.email,
            sent_by=by if by is not None and by.is_authenticated else None,
        )
        _mail_on_commit(invitation, url=url_for_token(issued.token), reminder=False)
        invitations.append(invitation)
    return invitations


def _mail_on_commit(invitation: SurveyInvitation, *, url: str, reminder: bool) -> None:
    asker = survey_asker(invitation=invitation)
    question = survey_question(kind=invitation.kind, company=invitation.workspace.name)
    opening = "A reminder: " if reminder else ""
    message = (
        f"Hello {invitation.recipient_name},\n\n"
        f"{opening}{asker} asks you one question:\n\n{question}\n\n"
        f"Answer here (one click, then an optional comment):\n{url}\n\n"
        f"The link works once and expires on {invitation.link.expires_at:%B %d, %Y}.\n"
    )
    subject = f"{asker} asks for your opinion"
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Reminder: {subject}" if reminder else subject,
            message=message,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invitation.recipient_email],
        )
    )


def survey_asker(*, invitation: SurveyInvitation) -> str:
    return link_sender(workspace=invitation.workspace, sender=invitation.sent_by)


@transaction.atomic
def survey_answer(
    *, invitation: SurveyInvitation, score: int, comment: str, ip: str | None
) -> SurveyResponse:
    """Store the stakeholder's answer as their survey response; the link is spent with it, so
    a second answer through it is refused."""
    if score not in survey_scale(invitation.kind):
        scale = survey_scale(invitation.kind)
        raise ValidationError({"score": f"A whole number from {scale[0]} to {scale[-1]}."})
    used = link_use(link=invitation.link, ip=ip)
    response = SurveyResponse.objects.create(
        workspace=invitation.workspace,
        account=invitation.account,
        kind=invitation.kind,
        score=score,
        comment=comment,
        respondent=invitation.stakeholder,
        respondent_name=invitation.recipient_name,
        respondent_email=invitation.recipient_email,
        answered_on=timezone.localdate(used.used_at),
    )
    invitation.response = response
    invitation.save(update_fields=["response"])
    return response


def survey_reminders_send(*, now: datetime | None = None) -> int:
    """Remind, once, each unanswered invitation of the workspace in scope sent at least
    ``REMINDER_AFTER`` ago whose link still opens; returns how many were reminded.

    Each reminder is claimed by a conditional update first, so a task run twice (or two
    workers at once) never sends one twice.
    """
    now = now or timezone.now()
    due = SurveyInvitation.objects.filter(
        response__isnull=True,
        reminded_at__isnull=True,
        sent_at__lte=now - REMINDER_AFTER,
        link__used_at__isnull=True,
        link__revoked_at__isnull=True,
        link__expires_at__gt=now,
    ).select_related("link", "sent_by", "workspace")
    sent = 0
    for invitation in due:
        with transaction.atomic():
            claimed = SurveyInvitation.objects.filter(
                pk=invitation.pk, reminded_at__isnull=True
            ).update(reminded_at=now)
            if claimed:
                _mail_on_commit(
                    invitation, url=survey_url(link_token(invitation.link)), reminder=True
                )
                sent += 1
    return sent


def survey_response_rate(*, account: Account, now: datetime | None = None) -> dict:
    """Of the invitations sent to the account in the last ``RATE_WINDOW``, how many were
    answered, and the share in percent (None when none was sent). One query."""
    since = (now or timezone.now()) - RATE_WINDOW
    counts = SurveyInvitation.objects.filter(account=account, sent_at__gte=since).aggregate(
        sent=Count("pk"), answered=Count("pk", filter=Q(response__isnull=False))
    )
    sent, answered = counts["sent"], counts["answered"]
    return {
        "sent": sent,
        "answered": answered,
        "rate": round(100 * answered / sent, 1) if sent else None,
        "window_days": RATE_WINDOW.days,
    }


def account_invitations(*, account: Account) -> list[SurveyInvitation]:
    return list(
        SurveyInvitation.objects.filter(account=account)
        .select_related("link", "response", "sent_by")
        .order_by("-sent_at", "-pk")[:100]
    )
