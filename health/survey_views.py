"""Pages of the surveys CSOS sends: sending from the account's signals page, and the public
answer page a stakeholder reaches by their link (no login)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.services import account_can_edit
from csos.decorators import member_required
from csos.links import LinkRefused, client_ip, link_scope
from health import surveys
from health.forms import SurveyAnswerForm, SurveySendForm
from health.models import SurveyInvitation


@member_required
@require_POST
def survey_send(request, account_id: int):
    account = get_object_or_404(Account, pk=account_id)
    if not account_can_edit(membership=request.membership, account=account):
        raise PermissionDenied
    form = SurveySendForm(request.POST, account=account)
    if form.is_valid():
        try:
            invitations = surveys.survey_send(
                account=account,
                stakeholders=form.cleaned_data["stakeholders"],
                kind=form.cleaned_data["kind"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            names = ", ".join(invitation.recipient_name for invitation in invitations)
            messages.success(request, f"Survey sent to {names}.")
            return redirect("account_signals", account_id=account.pk)
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}".lstrip(": "))
    return redirect("account_signals", account_id=account.pk)


def _refused(request, refused: LinkRefused):
    return render(request, "value/confirm_refused.html", {"reason": refused.reason}, status=410)


def survey_answer(request, token: str):
    """The stakeholder's page: who asks, the question, the scale and a comment. No login."""
    try:
        with link_scope(token=token, purpose=surveys.SURVEY_PURPOSE) as link:
            return _survey_page(request, link)
    except LinkRefused as refused:
        return _refused(request, refused)


def _survey_page(request, link):
    invitation = get_object_or_404(
        SurveyInvitation.objects.select_related("link", "sent_by", "workspace", "account"),
        link=link,
    )
    scale = surveys.survey_scale(invitation.kind)
    form = SurveyAnswerForm(request.POST or None, scale=scale)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_answer(
                invitation=invitation,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                ip=client_ip(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(request, "health/survey_done.html", {"invitation": invitation})
    return render(
        request,
        "health/survey_answer.html",
        {
            "invitation": invitation,
            "asker": surveys.survey_asker(invitation=invitation),
            "question": surveys.survey_question(
                kind=invitation.kind, company=invitation.workspace.name
            ),
            "low": scale[0],
            "high": scale[-1],
            "form": form,
        },
        status=400 if form.is_bound and form.errors else 200,
    )
