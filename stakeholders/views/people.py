import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from csos.decorators import admin_required, member_required
from stakeholders import selectors, services
from stakeholders.forms import (
    FlagThresholdsForm,
    RoleGuideForm,
    StakeholderDeleteForm,
    StakeholderForm,
)
from stakeholders.models import FlagThresholds, RoleGuide, Stakeholder, StakeholderRole
from stakeholders.views.access import (
    account_for_reading,
    account_for_work,
    can_work,
    check_can_work,
)


def _stakeholder_for_work(request, stakeholder_id: int) -> Stakeholder:
    stakeholder = get_object_or_404(
        Stakeholder.objects.select_related("account"), pk=stakeholder_id
    )
    check_can_work(request, stakeholder.account)
    return stakeholder


@member_required
def stakeholder_map(request, account_id: int):
    account = account_for_reading(request, account_id)
    today = timezone.localdate()
    return render(
        request,
        "stakeholders/stakeholder_map.html",
        {
            "account": account,
            "map": selectors.stakeholder_map(account=account, today=today),
            "can_work": can_work(request, account),
            "can_import": request.membership.sees_all_portfolios,
            "today": today,
        },
    )


@member_required
def stakeholder_create(request, account_id: int):
    account = account_for_work(request, account_id)
    form = StakeholderForm(request.POST or None, initial={"added_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            stakeholder = services.stakeholder_create(
                account=account, by=request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{stakeholder.display_name} added.")
            return redirect("stakeholder_map", account_id=account.pk)
    return render(
        request,
        "stakeholders/stakeholder_form.html",
        {"form": form, "account": account, "title": "Add a stakeholder"},
        status=400 if form.errors else 200,
    )


@member_required
def stakeholder_edit(request, stakeholder_id: int):
    stakeholder = _stakeholder_for_work(request, stakeholder_id)
    form = StakeholderForm(request.POST or None, instance=stakeholder)
    if stakeholder.erased_at:
        form = None
    elif request.method == "POST" and form.is_valid():
        try:
            services.stakeholder_update(
                stakeholder=stakeholder, by=request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Stakeholder saved.")
            return redirect("stakeholder_map", account_id=stakeholder.account_id)
    return render(
        request,
        "stakeholders/stakeholder_form.html",
        {
            "form": form,
            "account": stakeholder.account,
            "stakeholder": stakeholder,
            "title": f"Edit {stakeholder.display_name}",
        },
        status=400 if form is not None and form.errors else 200,
    )


@member_required
def stakeholder_delete(request, stakeholder_id: int):
    """Delete a person; if they own objectives, the page asks who takes them over."""
    stakeholder = _stakeholder_for_work(request, stakeholder_id)
    form = StakeholderDeleteForm(request.POST or None, stakeholder=stakeholder)
    owned = stakeholder.objectives.count()
    if request.method == "POST" and form.is_valid():
        try:
            services.stakeholder_delete(
                stakeholder=stakeholder,
                by=request.user,
                reassign_to=form.cleaned_data["reassign_to"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Stakeholder deleted.")
            return redirect("stakeholder_map", account_id=stakeholder.account_id)
    return render(
        request,
        "stakeholders/stakeholder_delete.html",
        {"form": form, "stakeholder": stakeholder, "account": stakeholder.account, "owned": owned},
        status=400 if form.errors else 200,
    )


@member_required
def stakeholder_export(request, stakeholder_id: int):
    """A person's data, for a subject access request: JSON, or CSV with ``?as=csv``."""
    stakeholder = _stakeholder_for_work(request, stakeholder_id)
    filename = f"stakeholder-{stakeholder.pk}"
    if request.GET.get("as") == "csv":
        response = HttpResponse(
            selectors.stakeholder_export_csv(stakeholder=stakeholder), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    response = HttpResponse(
        json.dumps(selectors.stakeholder_export(stakeholder=stakeholder), indent=2),
        content_type="application/json",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response


@member_required
@require_POST
def stakeholder_erase(request, stakeholder_id: int):
    stakeholder = _stakeholder_for_work(request, stakeholder_id)
    services.stakeholder_erase(stakeholder=stakeholder, by=request.user)
    messages.success(request, "The person's identifying data was erased; their history stays.")
    return redirect("stakeholder_map", account_id=stakeholder.account_id)


@admin_required
def stakeholder_model_settings(request):
    """The framework's stakeholder model (per role) and the workspace's flag thresholds."""
    guides = {guide.role: guide for guide in RoleGuide.objects.all()}
    data = request.POST if request.method == "POST" else None
    guide_forms = [
        (role, RoleGuideForm(data, instance=guides.get(role), prefix=role))
        for role in StakeholderRole
    ]
    thresholds_form = FlagThresholdsForm(
        data, instance=FlagThresholds.objects.first(), prefix="thresholds"
    )
    every_form = [form for _, form in guide_forms] + [thresholds_form]
    if data is not None and all(form.is_valid() for form in every_form):
        with transaction.atomic():
            for role, form in guide_forms:
                services.role_guide_save(
                    workspace=request.workspace, by=request.user, role=role, data=form.cleaned_data
                )
            services.flag_thresholds_save(
                workspace=request.workspace, by=request.user, data=thresholds_form.cleaned_data
            )
        messages.success(request, "Stakeholder model saved.")
        return redirect("stakeholder_model_settings")
    return render(
        request,
        "stakeholders/model_settings.html",
        {"guide_forms": guide_forms, "thresholds_form": thresholds_form},
        status=400 if data is not None else 200,
    )
