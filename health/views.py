"""Pages of the health engine: account signals, ticket and survey imports, overrides and
judgements, models, recomputes."""

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, Segment
from accounts.services import account_can_edit
from csos.decorators import admin_required, member_required
from csos.exports import csv_download
from csos.models import LEADER_ROLES
from health import quality, selectors, services, surveys
from health.backtests import health_model_preview
from health.forms import (
    BacktestDrillForm,
    HealthModelForm,
    JudgementForm,
    OverrideForm,
    ProposedWeightsForm,
    RecomputeForm,
    SurveySendForm,
)
from health.models import Band, HealthBacktest, HealthModel
from health.scoring import CALCULATORS
from health.selectors import backtests as backtest_selectors
from health.tasks import backtest_enqueue, health_recompute_enqueue

RECOMPUTE_ROLES = LEADER_ROLES
# As for accounts, only leaders and admins import.
IMPORT_ROLES = LEADER_ROLES


@member_required
def account_signals(request, account_id: int):
    account = get_object_or_404(Account, pk=account_id)
    can_send = account_can_edit(membership=request.membership, account=account)
    return render(
        request,
        "health/account_signals.html",
        {
            "account": account,
            "can_import": request.membership.role in IMPORT_ROLES,
            **selectors.account_signals(account=account),
            "invitations": surveys.account_invitations(account=account),
            "response_rate": surveys.survey_response_rate(account=account),
            "survey_form": SurveySendForm(account=account) if can_send else None,
            "now": timezone.now(),
        },
    )


def _panel_url(account: Account) -> str:
    return reverse("account_detail", args=[account.pk]) + "#panel-health"


def _refusal(form) -> str:
    return " ".join(
        f"{form[name].label if name in form.fields else ''}: {' '.join(errors)}".lstrip(": ")
        for name, errors in form.errors.items()
    )


def _editable(request, account_id: int) -> Account:
    account = get_object_or_404(Account, pk=account_id)
    if not account_can_edit(membership=request.membership, account=account):
        raise PermissionDenied
    return account


@member_required
@require_POST
def health_override(request, account_id: int):
    account = _editable(request, account_id)
    form = OverrideForm(request.POST)
    if form.is_valid():
        try:
            services.health_override_set(
                workspace=request.workspace,
                account=account,
                by=request.user,
                today=timezone.localdate(),
                **form.cleaned_data,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field, problems)
    if form.errors:
        messages.error(request, f"The override was not saved. {_refusal(form)}")
    else:
        messages.success(request, "Override recorded beside the computed score.")
    return redirect(_panel_url(account))


@member_required
@require_POST
def health_judgement(request, account_id: int):
    account = _editable(request, account_id)
    form = JudgementForm(request.POST)
    if form.is_valid():
        services.health_judgement_record(
            workspace=request.workspace, account=account, by=request.user, **form.cleaned_data
        )
        messages.success(request, "Judgement recorded.")
    else:
        messages.error(request, f"The judgement was not saved. {_refusal(form)}")
    return redirect(_panel_url(account))


@member_required(roles=RECOMPUTE_ROLES)
def health_models(request):
    return render(
        request,
        "health/model_list.html",
        {
            "models": selectors.health_model_list(),
            "can_edit": request.membership.is_admin,
            "dimension_labels": {name: c.label for name, c in CALCULATORS.items()},
            "segment_labels": dict(Segment.choices),
        },
    )


@admin_required
@require_http_methods(["GET", "POST"])
def health_model_edit(request, model_id: int | None = None):
    """A model's editor: "Preview" backtests the draft beside the published version, "Publish"
    saves it as a new version."""
    if model_id is None:
        model = HealthModel(dimensions=services.default_dimensions(), workspace=request.workspace)
    else:
        model = get_object_or_404(HealthModel, pk=model_id)
    form = HealthModelForm(request.POST or None, model=model)
    preview = None
    if request.method == "POST" and form.is_valid():
        fields, dimensions = form.model_fields(), form.model_dimensions()
        if request.POST.get("action") == "preview":
            preview = health_model_preview(
                model=model,
                draft=services.scoring_model_of(HealthModel(**fields, dimensions=dimensions)),
                segments=fields["segments"],
                today=timezone.localdate(),
            )
        else:
            try:
                services.health_model_save(
                    workspace=request.workspace,
                    model=model,
                    by=request.user,
                    dimensions=dimensions,
                    **fields,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                backtest_enqueue(workspace=request.workspace, today=timezone.localdate())
                messages.success(request, f"Published {model}.")
                return redirect("health_models")
    return render(
        request,
        "health/model_form.html",
        {
            "model": model,
            "form": form,
            "preview": preview,
            "confidence": quality.CONFIDENCE,
            "min_churns": quality.MIN_CHURNS,
        },
        status=400 if form.errors else 200,
    )


@member_required(roles=RECOMPUTE_ROLES)
@require_http_methods(["GET", "POST"])
def health_recompute(request):
    form = RecomputeForm(request.POST or None, initial={"week": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            recompute, chunks = services.health_recompute_start(
                workspace=request.workspace, week=form.cleaned_data["week"], by=request.user
            )
            health_recompute_enqueue(chunks=chunks)
        return redirect("health_recompute_detail", recompute_id=recompute.pk)
    return render(
        request,
        "health/recompute.html",
        {"form": form, "recomputes": selectors.recompute_list()[:10]},
        status=400 if form.errors else 200,
    )


@member_required(roles=RECOMPUTE_ROLES)
def health_recompute_detail(request, recompute_id: int):
    recompute = get_object_or_404(selectors.recompute_list(), pk=recompute_id)
    return render(
        request,
        "health/recompute_detail.html",
        {"recompute": recompute, "progress": selectors.recompute_progress(recompute=recompute)},
    )


@member_required(roles=RECOMPUTE_ROLES)
@never_cache
def health_recompute_progress(request, recompute_id: int):
    """The status block a running recompute's page polls."""
    recompute = get_object_or_404(selectors.recompute_list(), pk=recompute_id)
    return render(
        request,
        "health/_recompute_progress.html",
        {
            "recompute": recompute,
            "progress": selectors.recompute_progress(recompute=recompute),
            "announce": request.GET.get("shown") != recompute.status,
        },
    )


@member_required(roles=RECOMPUTE_ROLES)
def health_quality(request):
    """Each model's stored backtest: renewal outcomes against the band 90 and 180 days before,
    judged on the later renewals; proposed weights for the default model are compared on the
    earlier ones. A model without a backtest yet gets one requested."""
    today = timezone.localdate()
    models = backtest_selectors.backtest_overview()
    if not models or any(m.backtest is None and m.computing_since is None for m in models):
        backtest_enqueue(workspace=request.workspace, today=today)
        models = backtest_selectors.backtest_overview()
    default = next(model for model in models if model.is_default)
    form = ProposedWeightsForm(request.GET or None, dimensions=default.dimensions)
    comparison = None
    if form.is_bound and form.is_valid() and default.backtest:
        published = services.scoring_model_of(default)
        proposed = replace(
            published,
            dimensions=tuple(
                replace(d, weight=form.cleaned_data[d.key]) for d in published.dimensions
            ),
        )
        comparison = quality.compare(
            backtest_selectors.backtest_renewals(backtest_id=default.backtest.pk),
            keys=default.backtest.figures["keys"],
            split=default.backtest.figures["split"],
            models={"published": published, "proposed": proposed},
        )
    return render(
        request,
        "health/quality.html",
        {
            "models": models,
            "default": default,
            "comparison": comparison,
            "form": form,
            "min_churns": quality.MIN_CHURNS,
            "confidence": quality.CONFIDENCE,
        },
        status=400 if form.errors else 200,
    )


@member_required(roles=RECOMPUTE_ROLES)
def health_quality_renewals(request, backtest_id: int):
    """The renewals behind one count of a stored backtest."""
    backtest = get_object_or_404(
        HealthBacktest.objects.select_related("model"), pk=backtest_id, computed_at__isnull=False
    )
    form = BacktestDrillForm(request.GET)
    renewals = (
        backtest_selectors.backtest_drill(backtest=backtest, **form.cleaned_data)
        if form.is_valid()
        else []
    )
    return render(
        request,
        "health/quality_renewals.html",
        {"backtest": backtest, "form": form, "renewals": renewals},
        status=400 if form.errors else 200,
    )


@member_required
def account_children_csv(request, account_id: int):
    """The group panel's table of child accounts as CSV."""
    account = get_object_or_404(Account, pk=account_id)
    bands = dict(Band.choices)
    return csv_download(
        filename=f"child-accounts-{account.pk}.csv",
        headers=[
            "Account",
            "Page",
            "Parent account",
            "ARR",
            "Currency",
            "Renewal date",
            "Highest level",
            "Health band",
            "Health score",
        ],
        rows=[
            (
                child.name,
                request.build_absolute_uri(reverse("account_detail", args=[child.account_id])),
                child.parent_name,
                child.arr,
                child.currency,
                child.renewal_date,
                child.level,
                bands.get(child.band, ""),
                child.total,
            )
            for child in selectors.account_children(account=account)
        ],
    )
