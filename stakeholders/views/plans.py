from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from csos.decorators import member_required
from csos.models import SharedLink
from stakeholders import selectors, services, sharing
from stakeholders.forms import (
    HandoffForm,
    MilestoneForm,
    MilestoneStatusForm,
    ObjectiveForm,
    PersonFormSet,
    PlanCreateForm,
    PlanReviewForm,
    PromiseFormSet,
    PromiseStatusForm,
    formset_rows,
)
from stakeholders.models import (
    HandoffPerson,
    HandoffPromise,
    Milestone,
    Objective,
    PlanStatus,
    SuccessPlan,
)
from stakeholders.views.access import (
    account_for_reading,
    account_for_work,
    can_work,
    check_can_work,
    is_htmx,
)


def _plan_for_work(request, plan_id: int) -> SuccessPlan:
    plan = get_object_or_404(
        SuccessPlan.objects.select_related("account"), pk=plan_id, status=PlanStatus.ACTIVE
    )
    check_can_work(request, plan.account)
    return plan


def _plan_page(request, account, *, status: int = 200, **bound_forms):
    """The plan editor, with any sub-form that failed shown with its errors."""
    today = timezone.localdate()
    plan = selectors.active_plan(account=account)
    handoff = selectors.account_handoff(account=account)
    forms = {
        "create_form": PlanCreateForm(
            initial={"starts_on": today, "from_handoff": handoff is not None}
        ),
        "objective_form": ObjectiveForm(account=account, prefix="objective"),
        "milestone_form": MilestoneForm(prefix="milestone"),
        "review_form": PlanReviewForm(initial={"reviewed_on": today}, prefix="review"),
        **bound_forms,
    }
    return render(
        request,
        "stakeholders/plan.html",
        {
            "account": account,
            "plan": plan,
            "handoff": handoff,
            "archived": selectors.archived_plans(account=account),
            "reviews": plan.reviews.all() if plan else [],
            "share_links": selectors.share_link_list(plan=plan) if plan else [],
            "flags": selectors.account_flag_list(account=account, today=today),
            "can_work": can_work(request, account),
            "milestone_statuses": MilestoneStatusForm.base_fields["status"].choices,
            "now": timezone.now(),
            **forms,
        },
        status=status,
    )


@member_required
def plan_editor(request, account_id: int):
    return _plan_page(request, account_for_reading(request, account_id))


@member_required
@require_POST
def plan_create(request, account_id: int):
    account = account_for_work(request, account_id)
    form = PlanCreateForm(request.POST)
    if form.is_valid():
        try:
            services.plan_create(account=account, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Success plan started.")
            return redirect("plan_editor", account_id=account.pk)
    return _plan_page(request, account, create_form=form, status=400)


@member_required
@require_POST
def objective_add(request, plan_id: int):
    plan = _plan_for_work(request, plan_id)
    form = ObjectiveForm(request.POST, account=plan.account, prefix="objective")
    if form.is_valid():
        services.objective_save(plan=plan, data=form.cleaned_data)
        messages.success(request, "Objective added.")
        return redirect("plan_editor", account_id=plan.account_id)
    return _plan_page(request, plan.account, objective_form=form, status=400)


@member_required
def objective_edit(request, objective_id: int):
    objective = get_object_or_404(
        Objective.objects.select_related("plan__account"), pk=objective_id
    )
    plan = objective.plan
    check_can_work(request, plan.account)
    form = ObjectiveForm(request.POST or None, instance=objective, account=plan.account)
    if request.method == "POST" and form.is_valid():
        services.objective_save(plan=plan, objective=objective, data=form.cleaned_data)
        messages.success(request, "Objective saved.")
        return redirect("plan_editor", account_id=plan.account_id)
    return render(
        request,
        "stakeholders/objective_form.html",
        {"form": form, "objective": objective, "account": plan.account},
        status=400 if form.errors else 200,
    )


@member_required
@require_POST
def milestone_add(request, plan_id: int):
    plan = _plan_for_work(request, plan_id)
    form = MilestoneForm(request.POST, prefix="milestone")
    if form.is_valid():
        try:
            services.milestone_save(plan=plan, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Milestone added.")
            return redirect("plan_editor", account_id=plan.account_id)
    return _plan_page(request, plan.account, milestone_form=form, status=400)


@member_required
@require_POST
def milestone_status(request, milestone_id: int):
    """Change a milestone's status in place (htmx), or by a plain form post."""
    milestone = get_object_or_404(
        Milestone.objects.select_related("plan__account"), pk=milestone_id
    )
    check_can_work(request, milestone.plan.account)
    form = MilestoneStatusForm(request.POST)
    if form.is_valid():
        services.milestone_save(
            plan=milestone.plan,
            milestone=milestone,
            data={"due_on": milestone.due_on, "status": form.cleaned_data["status"]},
        )
    if is_htmx(request):
        return render(
            request,
            "stakeholders/_milestone_row.html",
            {
                "milestone": milestone,
                "can_work": True,
                "milestone_statuses": MilestoneStatusForm.base_fields["status"].choices,
                "error": form.errors.get("status"),
            },
            status=200 if form.is_valid() else 400,
        )
    return redirect("plan_editor", account_id=milestone.plan.account_id)


@member_required
@require_POST
def plan_review_add(request, plan_id: int):
    plan = _plan_for_work(request, plan_id)
    form = PlanReviewForm(request.POST, prefix="review")
    if form.is_valid():
        try:
            services.plan_review_record(plan=plan, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Review logged.")
            return redirect("plan_editor", account_id=plan.account_id)
    return _plan_page(request, plan.account, review_form=form, status=400)


@member_required
@require_POST
def plan_share(request, plan_id: int):
    plan = _plan_for_work(request, plan_id)
    services.plan_share_link_create(plan=plan, by=request.user)
    messages.success(request, "Share link created. Copy it from the list below.")
    return redirect("plan_editor", account_id=plan.account_id)


@member_required
@require_POST
def plan_share_revoke(request, link_id: int):
    link = get_object_or_404(
        SharedLink.objects.filter(purpose=sharing.PLAN_SHARE_PURPOSE), pk=link_id
    )
    plan = get_object_or_404(SuccessPlan.objects.select_related("account"), pk=link.target_id)
    check_can_work(request, plan.account)
    services.plan_share_link_revoke(link=link, by=request.user)
    messages.success(request, "Share link revoked: it no longer opens the plan.")
    return redirect("plan_editor", account_id=plan.account_id)


def plan_shared(request, token: str):
    """The customer's read-only view of a plan: objectives, milestones, owners; nothing internal."""
    with sharing.shared_plan(token) as plan:
        if plan is None:
            return render(request, "stakeholders/shared_plan_invalid.html", status=403)
        return render(request, "stakeholders/shared_plan.html", {"plan": plan})


@member_required
def handoff_edit(request, account_id: int):
    account = account_for_reading(request, account_id)
    handoff = selectors.account_handoff(account=account)
    if request.method == "POST":
        check_can_work(request, account)
    elif not can_work(request, account):
        return render(
            request,
            "stakeholders/handoff_detail.html",
            {"handoff": handoff, "account": account},
        )
    data = request.POST if request.method == "POST" else None
    form = HandoffForm(data, instance=handoff)
    promises = PromiseFormSet(
        data,
        queryset=handoff.promises.all() if handoff else HandoffPromise.objects.none(),
        prefix="promise",
    )
    people = PersonFormSet(
        data,
        queryset=handoff.people.all() if handoff else HandoffPerson.objects.none(),
        prefix="person",
    )
    if data is not None and form.is_valid() and promises.is_valid() and people.is_valid():
        services.handoff_save(
            account=account,
            by=request.user,
            data=form.cleaned_data,
            promises=formset_rows(promises),
            people=formset_rows(people),
        )
        messages.success(request, "Sales handoff saved.")
        return redirect("plan_editor", account_id=account.pk)
    return render(
        request,
        "stakeholders/handoff_form.html",
        {
            "form": form,
            "promises": promises,
            "people": people,
            "account": account,
        },
        status=400 if data is not None else 200,
    )


@member_required
@require_POST
def promise_status(request, promise_id: int):
    """Set a promise's evidence status in place (htmx), or by a plain form post."""
    promise = get_object_or_404(
        HandoffPromise.objects.select_related("handoff__account"), pk=promise_id
    )
    check_can_work(request, promise.handoff.account)
    form = PromiseStatusForm(request.POST)
    if form.is_valid():
        services.promise_status_set(promise=promise, status=form.cleaned_data["status"])
    if is_htmx(request):
        return render(
            request,
            "stakeholders/_promise_row.html",
            {
                "promise": promise,
                "can_edit": True,
                "promise_statuses": PromiseStatusForm.base_fields["status"].choices,
            },
            status=200 if form.is_valid() else 400,
        )
    return redirect("account_detail", account_id=promise.handoff.account_id)
