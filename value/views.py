import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.services import account_can_edit
from csos.currencies import plain_decimal
from csos.decorators import admin_required, member_required
from csos.imports.views import csv_batch_import
from csos.links import LinkRefused, client_ip, link_resolve
from csos.models import Role
from csos.tenancy import workspace_scope
from value import selectors, services
from value.forms import (
    AccountUseCasesForm,
    ConfirmationAnswerForm,
    ConfirmationSendForm,
    CoverageDrillDownForm,
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
from value.models import (
    ConfirmationRequest,
    EventMapping,
    Evidence,
    EvidenceStatus,
    UsageMetric,
    UseCase,
)
from value.usage_import import USAGE_CSV

LEADERS = {Role.ADMIN, Role.LEADER}
COVERAGE_PAGE_SIZE = 50


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


@member_required(roles=LEADERS)
def usage_import(request):
    """Daily usage as a CSV, for leaders and admins, as accounts are imported."""
    return csv_batch_import(request, importer=USAGE_CSV)


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


def retention_artifact_panel(*, request, account: Account) -> dict:
    """The account page's first panel: three queries (pursuits, evidence, action)."""
    return {
        **selectors.retention_artifact(account=account),
        "account": account,
        "can_edit": account_can_edit(membership=request.membership, account=account),
    }


def prep_value_panel(*, request, account: Account) -> dict:
    """The prep sheet's proven value and disputed claims, read as the retention artifact reads
    them: four queries."""
    artifact = selectors.retention_artifact(account=account)
    disputed = [
        item for item in artifact["unproven"] if item["evidence"].status == EvidenceStatus.DISPUTED
    ]
    return {"proven": artifact["proven"], "disputed": disputed}


def value_ladder_panel(*, request, account: Account) -> dict:
    """The account's stored ladder per pursued use case, and the choice of use cases."""
    rows = selectors.account_ladder(account=account)
    return {
        "account": account,
        "rows": rows,
        "freshness": selectors.ladder_freshness(pursuits=[row.pursuit for row in rows]),
        "use_cases_form": AccountUseCasesForm(
            initial={"use_cases": [row.pursuit.use_case_id for row in rows]}
        ),
        "can_edit": account_can_edit(membership=request.membership, account=account),
    }


# ----------------------------------------------------------------------------- coverage


def _coverage_by(request) -> str:
    by = request.GET.get("by", "segment")
    return by if by in selectors.COVERAGE_DIMENSIONS else "segment"


@member_required(roles=LEADERS)
def coverage(request):
    return render(
        request,
        "value/coverage.html",
        {
            "coverage": selectors.value_coverage(
                by=_coverage_by(request), as_of=timezone.localdate()
            )
        },
    )


def _drill_down(request):
    """The drill-down's form and accounts; junk parameters leave the form invalid."""
    form = CoverageDrillDownForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, selectors.coverage_accounts(**form.cleaned_data, as_of=timezone.localdate())


@member_required(roles=LEADERS)
def coverage_accounts(request):
    form, accounts = _drill_down(request)
    if accounts is None:
        return HttpResponseBadRequest("Unknown coverage group or level.")
    page = Paginator(accounts, COVERAGE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "value/coverage_accounts.html",
        {
            "page": page,
            "level_name": dict(selectors.LEVEL_CHOICES).get(form.cleaned_data["level"]),
            "at_least": form.cleaned_data["at_least"],
            "by": form.cleaned_data["by"],
            "query": query.urlencode(),
            "currency": request.workspace.default_currency,
        },
    )


@member_required(roles=LEADERS)
def coverage_csv(request):
    _form, accounts = _drill_down(request)
    if accounts is None:
        return HttpResponseBadRequest("Unknown coverage group or level.")
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="value-coverage.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "external_id",
            "account",
            "segment",
            "csm",
            "arr",
            "currency",
            "rate",
            "converted_arr",
            "converted_currency",
            "level",
        ]
    )
    names = dict(selectors.LEVEL_CHOICES)
    converted_currency = request.workspace.default_currency
    for account in accounts.iterator(chunk_size=2_000):
        # Without a rate the ARR stays as booked and the converted cells stay empty.
        converted = account.converted_arr is not None
        writer.writerow(
            [
                account.external_id,
                account.name,
                account.get_segment_display(),
                account.owner.get_full_name() if account.owner else "",
                account.arr,
                account.currency,
                plain_decimal(account.rate) if converted else "",
                f"{account.converted_arr:.2f}" if converted else "",
                converted_currency if converted else "",
                names[account.highest_level],
            ]
        )
    return response


# ----------------------------------------------------------------------------- customer link


def confirm(request, token: str):
    """The customer's page: exactly the claim, and a confirm-or-dispute form. No login."""
    try:
        link = link_resolve(token=token, purpose=services.CONFIRMATION_PURPOSE)
    except LinkRefused as refused:
        return render(request, "value/confirm_refused.html", {"reason": refused.reason}, status=410)
    with workspace_scope(link.workspace):
        confirmation = get_object_or_404(
            ConfirmationRequest.objects.select_related(
                "evidence__account", "evidence__use_case", "link", "sent_by", "workspace"
            ),
            link=link,
        )
        form = ConfirmationAnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.evidence_confirmation_respond(
                    confirmation=confirmation,
                    confirmed=form.cleaned_data["answer"] == "confirm",
                    comment=form.cleaned_data["comment"],
                    ip=client_ip(request),
                )
            except LinkRefused as refused:
                return render(
                    request, "value/confirm_refused.html", {"reason": refused.reason}, status=410
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
