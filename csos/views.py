from dataclasses import asdict
from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from csos import selectors, services
from csos.api.problems import UNAVAILABLE_RETRY_AFTER_SECONDS
from csos.decorators import admin_required
from csos.demo_build import demo_build_running
from csos.forms import (
    ApiTokenForm,
    EmailAuthenticationForm,
    ExchangeRateForm,
    InvitationAcceptForm,
    MemberInviteForm,
    MemberRoleForm,
    WorkspaceSettingsForm,
    invitation_send,
)
from csos.middleware import SESSION_WORKSPACE_KEY
from csos.models import (
    LEADER_ROLES,
    ApiToken,
    ExchangeRate,
    Invitation,
    Membership,
    Role,
    Workspace,
)
from csos.readiness import readiness_report
from csos.services import exchange_rates, invitations
from csos.tenancy import workspace_scope


class SignInView(auth_views.LoginView):
    """Sign-in by e-mail. While the demo workspace is first being built its logins do not work
    yet, so the page says so and checks again until the build is done."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # A rebuild keeps the last demo's logins working until it commits: nothing to say then.
        building = demo_build_running() and not Workspace.objects.filter(is_demo=True).exists()
        # Only the page's own check (htmx) can have seen the build before it finished.
        finished = not building and self.request.headers.get("HX-Request") == "true"
        return super().get_context_data(**kwargs, demo_building=building, demo_finished=finished)


@never_cache
def healthz(request):
    """Liveness: the process answers requests. It asks nothing else, so an outage of the
    database or Redis does not get healthy web processes restarted; ``readyz`` reports those."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness: the database, Redis and the worker heartbeat, each with what was found;
    503 with Retry-After while any of them is down."""
    report = readiness_report()
    ready = all(part.ok for part in report.values())
    response = JsonResponse(
        {
            "status": "ready" if ready else "unavailable",
            "checks": {name: asdict(part) for name, part in report.items()},
        },
        status=200 if ready else 503,
    )
    if not ready:
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    return response


@login_required
def home(request):
    """A CSM starts the week from their attention queue, a leader or an admin from the
    cockpit, a viewer from the portfolio."""
    membership = getattr(request, "membership", None)
    if membership is not None and membership.role == Role.CSM:
        return redirect("attention_queue")
    if membership is not None and membership.role in LEADER_ROLES:
        return redirect("cockpit")
    return redirect("portfolio")


@login_required
@require_POST
def workspace_switch(request):
    try:
        workspace_id = int(request.POST.get("workspace", ""))
    except ValueError:
        raise Http404 from None
    chosen = selectors.membership_pick(memberships=request.memberships, workspace_id=workspace_id)
    if chosen is None or chosen.workspace_id != workspace_id:
        raise Http404
    request.session[SESSION_WORKSPACE_KEY] = workspace_id
    messages.success(request, f"Switched to {chosen.workspace.name}.")
    return redirect("home")


@admin_required
def member_list(request):
    form = MemberInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invitation_create(
                workspace=request.workspace, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            invitation_send(request=request, invitation=invitation)
            messages.success(request, f"Invitation e-mailed to {invitation.email}.")
            return redirect("member_list")
    return render(
        request,
        "csos/member_list.html",
        {
            "form": form,
            "members": selectors.membership_list(),
            "invitations": selectors.invitation_pending_list(),
            "role_form": MemberRoleForm(),
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def invitation_revoke(request, invitation_id: int):
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    invitations.invitation_revoke(invitation=invitation, by=request.user)
    messages.success(request, f"The invitation of {invitation.email} is revoked.")
    return redirect("member_list")


def invitation_accept(request, token: str):
    """The page an invitation e-mail links to. The signed token names the workspace, which is
    held in scope for the rest of the request; anything but an open invitation is "not valid"."""
    found = invitations.invitation_token_read(token)
    workspace = Workspace.objects.filter(pk=found[0]).first() if found else None
    with workspace_scope(workspace):
        invitation = (
            Invitation.objects.filter(pk=found[1], accepted_at=None, revoked_at=None).first()
            if workspace
            else None
        )
        if invitation is None:
            return render(request, "csos/invitation_accept.html", {"invalid": True}, status=404)
        return _invitation_answer(request, invitation)


def _invitation_answer(request, invitation: Invitation):
    known = invitations.user_with_email_exists(email=invitation.email)
    signed_in_as_invited = (
        request.user.is_authenticated and request.user.email.lower() == invitation.email
    )
    form, problems = None, []
    if not known:
        form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and (signed_in_as_invited or (form and form.is_valid())):
        try:
            if signed_in_as_invited:
                membership = invitations.invitation_accept(invitation=invitation, user=request.user)
            else:
                membership = invitations.invitation_accept_as_new_user(
                    invitation=invitation,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["new_password1"],
                )
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        except ValidationError as error:
            problems = error.messages
        else:
            request.session[SESSION_WORKSPACE_KEY] = membership.workspace_id
            messages.success(request, f"Welcome to {membership.workspace.name}.")
            return redirect("home")
    return render(
        request,
        "csos/invitation_accept.html",
        {
            "invitation": invitation,
            "known": known,
            "signed_in_as_invited": signed_in_as_invited,
            "form": form,
            "problems": problems,
        },
        status=400 if problems or (form is not None and form.errors) else 200,
    )


@admin_required
@require_POST
def member_role(request, membership_id: int):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                membership=membership, by=request.user, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"{membership.user.email} is now {membership.get_role_display()}."
            )
    else:
        messages.error(request, "Choose one of the listed roles.")
    return redirect("member_list")


@admin_required
@require_POST
def member_remove(request, membership_id: int):
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id)
    try:
        services.membership_remove(membership=membership, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{membership.user.email} no longer has access.")
    return redirect("member_list")


@admin_required
def workspace_settings(request):
    current = {
        "name": request.workspace.name,
        "default_currency": request.workspace.default_currency,
        "time_zone": request.workspace.time_zone,
    }
    form = WorkspaceSettingsForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        services.workspace_update(workspace=request.workspace, by=request.user, **form.cleaned_data)
        messages.success(request, "Workspace settings saved.")
        return redirect("workspace_settings")
    return render(
        request, "csos/workspace_settings.html", {"form": form}, status=400 if form.errors else 200
    )


@admin_required
def audit_log(request):
    page = Paginator(selectors.audit_event_list(), 50).get_page(request.GET.get("page"))
    return render(request, "csos/audit_log.html", {"page": page})


@admin_required
@never_cache
def api_token_list(request):
    """Tokens of the workspace; a new token's secret is shown in this response only."""
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        try:
            token, raw = services.api_token_create(
                workspace=request.workspace,
                by=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=expires_on and datetime.combine(expires_on, time.min, tzinfo=UTC),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            created = {"token": token, "raw": raw}
            form = ApiTokenForm()
    return render(
        request,
        "csos/api_token_list.html",
        {
            "form": form,
            "tokens": selectors.api_token_list(),
            "created": created,
            "rates": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        },
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def api_token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, f"The token {token.name} no longer works.")
    return redirect("api_token_list")


@admin_required
def exchange_rate_list(request):
    """The workspace's dated exchange rates, and the form that adds one."""
    form = ExchangeRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = exchange_rates.exchange_rate_save(
                workspace=request.workspace,
                by=request.user,
                exchange_rate=None,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added the {added.currency} rate from {added.valid_from}.")
            return redirect("exchange_rate_list")
    return render(
        request,
        "csos/exchange_rate_list.html",
        {"form": form, "rates": selectors.exchange_rate_list()},
        status=400 if form.errors else 200,
    )


@admin_required
def exchange_rate_edit(request, rate_id: int):
    exchange_rate = get_object_or_404(ExchangeRate, pk=rate_id)
    initial = {
        "currency": exchange_rate.currency,
        "rate": exchange_rate.rate_text,
        "valid_from": exchange_rate.valid_from,
    }
    form = ExchangeRateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            exchange_rates.exchange_rate_save(
                workspace=request.workspace,
                by=request.user,
                exchange_rate=exchange_rate,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Exchange rate saved.")
            return redirect("exchange_rate_list")
    return render(
        request,
        "csos/exchange_rate_form.html",
        {"form": form, "exchange_rate": exchange_rate},
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def exchange_rate_delete(request, rate_id: int):
    exchange_rate = get_object_or_404(ExchangeRate, pk=rate_id)
    exchange_rates.exchange_rate_delete(exchange_rate=exchange_rate, by=request.user)
    messages.success(request, f"Deleted the {exchange_rate.currency} rate.")
    return redirect("exchange_rate_list")
