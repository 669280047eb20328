from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.services import account_can_edit
from csos.decorators import admin_required, member_required
from csos.links import LinkRefused, client_ip, link_scope
from csos.models import SharedLink
from framework.models import UseCase
from value import selectors, services
from value.forms import (
    AccountUseCasesForm,
    ConfirmationAnswerForm,
    ConfirmationSendForm,
    EventMappingForm,
    EvidenceForm,
    RetentionArtifactForm,
    ThresholdFormSet,
    UsageMetricForm,
    UseCaseForm,
    ValueSettingsForm,
    threshold_rows,
)
from value.history import evidence_history
from value.models import ConfirmationRequest, EventMapping, Evidence, UsageMetric
from value.panels import prep_value_panel as prep_value_panel
from value.panels import retention_artifact_panel
from value.panels import value_ladder_panel as value_ladder_panel


def _form_status(*forms) -> int:
    return 400 if any(form.errors for form in forms) else 200


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _apply_errors(form, error: ValidationError) -> None:
    """Put a service's field errors on the form's fields, and the rest above it."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


# ----------------------------------------------------------------------------- framework


@member_required
def framework(request):
    """The framework library: everyone reads it, admins change it."""
    return render(
        request,
        "value/framework.html",
        {
            "use_cases": selectors.use_case_list(),
            "metrics": selectors.metric_list(),
            "event_mappings": selectors.event_mapping_list(),
            "settings": selectors.value_settings(),
            "can_configure": request.membership.is_admin,
            "can_import": request.membership.sees_all_portfolios,
        },
    )


@admin_required
def use_case_edit(request, use_case_id: int | None = None):
    use_case = get_object_or_404(UseCase, pk=use_case_id) if use_case_id else None
    form = UseCaseForm(request.POST or None, instance=use_case)
    initial = [
        {"level": t.level, "metric": t.metric_id, "minimum": t.minimum, "per_seat": t.per_seat}
        for t in (use_case.thresholds.all() if use_case else [])
    ]
    thresholds = ThresholdFormSet(request.POST or None, initial=initial, prefix="thresholds")
    if request.method == "POST" and form.is_valid() and thresholds.is_valid():
        try:
            saved = services.use_case_save(
                workspace=request.workspace,
                use_case=use_case,
                data=form.cleaned_data,
                thresholds=threshold_rows(thresholds),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{saved.name} saved.")
            return redirect("value_framework")
    return render(
        request,
        "value/use_case_form.html",
        {"form": form, "thresholds": thresholds, "use_case": use_case},
        status=_form_status(form, *thresholds.forms),
    )


@admin_required
def metric_edit(request, metric_id: int | None = None):
    metric = get_object_or_404(UsageMetric, pk=metric_id) if metric_id else None
    form = UsageMetricForm(request.POST or None, instance=metric)
    if request.method == "POST" and form.is_valid():
        try:
            services.metric_save(workspace=request.workspace, metric=metric, data=form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Metric saved.")
            return redirect("value_framework")
    return render(
        request,
        "value/simple_form.html",
        {"form": form, "title": f"Edit {metric.name}" if metric else "New usage metric"},
        status=_form_status(form),
    )


@admin_required
def event_mapping_edit(request, mapping_id: int | None = None):
    mapping = get_object_or_404(EventMapping, pk=mapping_id) if mapping_id else None
    form = EventMappingForm(request.POST or None, instance=mapping)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_mapping_save(
                workspace=request.workspace, mapping=mapping, data=form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Event mapping saved; the metric was recomputed.")
            return redirect("value_framework")
    return render(
        request,
        "value/simple_form.html",
        {"form": form, "title": "Edit event mapping" if mapping else "New event mapping"},
        status=_form_status(form),
    )


@admin_required
@require_POST
def event_mapping_delete(request, mapping_id: int):
    mapping = get_object_or_404(EventMapping, pk=mapping_id)
    services.event_mapping_delete(mapping=mapping)
    messages.success(request, f"{mapping.event} no longer counts into {mapping.metric.name}.")
    return redirect("value_framework")


@admin_required
def value_settings_edit(request):
    form = ValueSettingsForm(request.POST or None, instance=selectors.value_settings())
    if request.method == "POST" and form.is_valid():
        services.value_settings_update(workspace=request.workspace, data=form.cleaned_data)
        messages.success(request, "Value settings saved; every ladder was recomputed.")
        return redirect("value_framework")
    return render(
        request,
        "value/simple_form.html",
        {"form": form, "title": "Value settings"},
        status=_form_status(form),
    )


# ----------------------------------------------------------------------------- account side


def _editable_account(request, account_id: int) -> Account:
    account = get_object_or_404(Account, pk=account_id)
    if not account_can_edit(membership=request.membership, account=account):
        raise PermissionDenied
    return account


def _editable_evidence(request, evidence_id: int) -> Evidence:
    evidence = get_object_or_404(Evidence.objects.select_related("account"), pk=evidence_id)
    if not account_can_edit(membership=request.membership, account=evidence.account):
        raise PermissionDenied
    return evidence


@member_required
@require_POST
def account_use_cases(request, account_id: int):
    account = _editable_account(request, account_id)
    form = AccountUseCasesForm(request.POST)
    if form.is_valid():
        services.account_use_cases_set(
            workspace=request.workspace, account=account, use_cases=form.cleaned_data["use_cases"]
        )
        messages.success(request, "Use cases saved; the ladder was recomputed.")
    else:
        messages.error(request, "Choose use cases from the framework.")
    return redirect("account_detail", account_id=account.pk)


def _may_attest(request) -> bool:
    """Leaders and admins may record a customer's in-person confirmation as attested."""
    return request.membership.sees_all_portfolios


@member_required
def evidence_create(request, account_id: int):
    account = _editable_account(request, account_id)
    form = EvidenceForm(
        request.POST or None,
        account=account,
        may_attest=_may_attest(request),
        initial={"use_case": request.GET.get("use_case"), "level": 3},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_record(
                workspace=request.workspace,
                account=account,
                by=request.user,
                data=form.cleaned_data,
                may_attest=_may_attest(request),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Evidence recorded.")
            return redirect("account_detail", account_id=account.pk)
    return render(
        request,
        "value/evidence_form.html",
        {"form": form, "account": account, "title": f"New evidence for {account.name}"},
        status=_form_status(form),
    )


@member_required
def evidence_detail(request, evidence_id: int):
    """The claim, its history and confirmations; its editors change it here."""
    evidence = get_object_or_404(
        Evidence.objects.select_related(
            "account", "use_case", "created_by", "confirmed_by_stakeholder", "confirmation"
        ),
        pk=evidence_id,
    )
    can_edit = account_can_edit(membership=request.membership, account=evidence.account)
    form = EvidenceForm(
        request.POST or None,
        account=evidence.account,
        instance=evidence,
        may_attest=_may_attest(request),
    )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                # The form wrote its data onto ``evidence``: the service compares with the stored
                # claim, to keep what changed and unbind a customer's answer to what it changed.
                services.evidence_update(
                    evidence=Evidence.objects.get(pk=evidence.pk),
                    by=request.user,
                    data=form.cleaned_data,
                    may_attest=_may_attest(request),
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "Evidence saved.")
                return redirect("value_evidence", evidence_id=evidence.pk)
        evidence.refresh_from_db()
    return render(
        request,
        "value/evidence_detail.html",
        {
            "evidence": evidence,
            "form": form,
            "send_form": ConfirmationSendForm(account=evidence.account),
            "history": evidence_history(evidence=evidence),
            "confirmations": selectors.evidence_confirmations(evidence=evidence),
            "can_edit": can_edit,
        },
        status=_form_status(form),
    )


@member_required
@require_POST
def evidence_confirmation_send(request, evidence_id: int):
    evidence = _editable_evidence(request, evidence_id)
    form = ConfirmationSendForm(request.POST, account=evidence.account)
    if form.is_valid():
        try:
            confirmation, url = services.evidence_confirmation_send(
                evidence=evidence,
                by=request.user,
                stakeholder=form.cleaned_data["stakeholder"],
                url_for_token=lambda token: request.build_absolute_uri(
                    reverse("value_confirm", kwargs={"token": token})
                ),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                f"Sent to {confirmation.confirmer_name} <{confirmation.confirmer_email}>. The link "
                f"works once and expires in {services.CONFIRMATION_LIFETIME.days} days: {url}",
            )
            return redirect("value_evidence", evidence_id=evidence.pk)
    for errors in form.errors.values():
        messages.error(request, " ".join(errors))
    return redirect("value_evidence", evidence_id=evidence.pk)


@member_required
def retention_artifact_edit(request, account_id: int):
    """Edit the next action in place (htmx swaps the panel) or, without JavaScript, as a page."""
    account = _editable_account(request, account_id)
    artifact = account.retention_artifact if hasattr(account, "retention_artifact") else None
    form = RetentionArtifactForm(request.POST or None, instance=artifact)
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_artifact_update(
                workspace=request.workspace, account=account, data=form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            if not _is_htmx(request):
                messages.success(request, "Next action saved.")
                return redirect("account_detail", account_id=account.pk)
            return render(
                request,
                "value/panels/retention_artifact.html",
                retention_artifact_panel(request=request, account=account),
            )
    template = "value/panels/_artifact_form.html" if _is_htmx(request) else "value/simple_form.html"
    return render(
        request,
        template,
        {"form": form, "account": account, "title": f"Next action for {account.name}"},
        status=_form_status(form),
    )


# ----------------------------------------------------------------------------- customer link


def confirm(request, token: str):
    """The customer's page: exactly the claim, and a confirm-or-dispute form. No login."""
    try:
        with link_scope(token=token, purpose=services.CONFIRMATION_PURPOSE) as link:
            return _confirm_page(request, link)
    except LinkRefused as refused:
        return render(request, "value/confirm_refused.html", {"reason": refused.reason}, status=410)


def _confirm_page(request, link: SharedLink):
    confirmation = get_object_or_404(
        ConfirmationRequest.objects.select_related(
            "evidence__account", "evidence__use_case", "link", "sent_by", "workspace"
        ),
        link=link,
    )
    form = ConfirmationAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # A link used meanwhile (single use) raises LinkRefused, answered by confirm().
        services.evidence_confirmation_respond(
            confirmation=confirmation,
            confirmed=form.cleaned_data["answer"] == "confirm",
            comment=form.cleaned_data["comment"],
            ip=client_ip(request),
        )
        return render(request, "value/confirm_done.html", {"confirmation": confirmation})
    return render(
        request,
        "value/confirm.html",
        {
            "evidence": confirmation.evidence,
            "confirmation": confirmation,
            "asker": selectors.confirmation_asker(confirmation=confirmation),
            "form": form,
        },
        status=_form_status(form),
    )
