"""Pages of segmentation (admins) and the writes of allocation (leaders)."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import Motion
from accounts.selectors import OWNER_ROLES
from csos.decorators import admin_required, member_required
from csos.exports import csv_download, started_rows
from csos.models import LEADER_ROLES, Membership
from playbooks.segments import selectors, services
from playbooks.segments.allocation import Move
from playbooks.segments.forms import CapacityForm, SegmentRuleForm, SegmentSettingsForm
from playbooks.segments.models import RunTrigger, SegmentRule
from playbooks.segments.tasks import segmentation_run_task

CHANGES_PER_PAGE = 50
CHANGE_HEADERS = [
    "When",
    "Account",
    "From motion",
    "From value problem",
    "To motion",
    "To value problem",
    "Rule",
    "Why",
]


def _changes(request):
    changes = selectors.change_list()
    motion = request.GET.get("motion", "")
    if motion in Motion.values:
        changes = changes.filter(to_motion=motion)
    return changes, motion if motion in Motion.values else ""


@admin_required
def segment_rules(request):
    """The ordered rules, the default, the load weights, runs and the changes they made."""
    settings = selectors.segment_settings()
    form = SegmentSettingsForm(request.POST or None, instance=settings)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = selectors.dry_run(
                rules=selectors.ruleset(settings=form.instance), today=timezone.localdate()
            )
        else:
            services.segment_settings_save(
                workspace=request.workspace, by=request.user, data=form.cleaned_data
            )
            _run_queue(request, trigger=RunTrigger.RULES)
            messages.success(request, "Segment settings saved; re-segmenting the accounts.")
            return redirect("segment_rules")
    changes, motion = _changes(request)
    return render(
        request,
        "playbooks/segments/rules.html",
        {
            "rules": [(rule, selectors.rule_texts(rule)) for rule in selectors.rule_list()],
            "settings": settings,
            "form": form,
            "preview": preview,
            "runs": selectors.run_list()[:5],
            "page": Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get("page")),
            "motion": motion,
            "motions": Motion.choices,
        },
        status=400 if form.errors else 200,
    )


@admin_required
def segment_changes_export(request):
    changes, _motion = _changes(request)
    return csv_download(
        filename="segment-changes.csv",
        headers=CHANGE_HEADERS,
        rows=(
            (
                change.at.isoformat(),
                change.account.name,
                change.get_from_motion_display(),
                change.get_from_value_problem_display(),
                change.get_to_motion_display(),
                change.get_to_value_problem_display(),
                change.rule_name,
                change.reason,
            )
            for change in started_rows(changes)
        ),
    )


@admin_required
def segment_rule_edit(request, rule_id: int | None = None):
    """A rule's form; "Preview" shows what saving would move, "Save" saves and re-segments."""
    rule = get_object_or_404(SegmentRule, pk=rule_id) if rule_id else None
    form = SegmentRuleForm(request.POST or None, instance=rule)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            candidate = form.candidate()
            others = [r for r in selectors.rule_list() if r.pk != candidate.pk]
            if candidate.priority in {r.priority for r in others}:
                form.add_error(
                    "priority", f"Another rule already has priority {candidate.priority}."
                )
            else:
                preview = selectors.dry_run(
                    rules=selectors.ruleset(rules=[*others, candidate]), today=timezone.localdate()
                )
        else:
            try:
                services.rule_save(
                    workspace=request.workspace, by=request.user, rule=rule, data=form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                _run_queue(request, trigger=RunTrigger.RULES)
                messages.success(request, "Rule saved; re-segmenting the accounts.")
                return redirect("segment_rules")
    return render(
        request,
        "playbooks/segments/rule_form.html",
        {"form": form, "rule": rule, "preview": preview, "fields": selectors.FIELDS.values()},
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def segment_rule_delete(request, rule_id: int):
    rule = get_object_or_404(SegmentRule, pk=rule_id)
    services.rule_delete(workspace=request.workspace, by=request.user, rule=rule)
    _run_queue(request, trigger=RunTrigger.RULES)
    messages.success(request, f"Rule {rule.name!r} deleted; re-segmenting the accounts.")
    return redirect("segment_rules")


def _run_queue(request, *, trigger: str):
    run = services.run_start(workspace=request.workspace, by=request.user, trigger=trigger)
    transaction.on_commit(partial(segmentation_run_task.delay, request.workspace.pk, run.pk))
    return run


@admin_required
@require_POST
def segmentation_run(request):
    run = _run_queue(request, trigger=RunTrigger.ON_DEMAND)
    return redirect("segmentation_run_detail", run_id=run.pk)


@admin_required
def segmentation_run_detail(request, run_id: int):
    run = get_object_or_404(selectors.run_list(), pk=run_id)
    return render(
        request,
        "playbooks/segments/run_detail.html",
        {"run": run, "progress": selectors.run_progress(run=run)},
    )


@admin_required
@never_cache
def segmentation_run_progress(request, run_id: int):
    """The status block a running re-segmentation's page polls."""
    run = get_object_or_404(selectors.run_list(), pk=run_id)
    return render(
        request,
        "playbooks/segments/_run_progress.html",
        {
            "run": run,
            "progress": selectors.run_progress(run=run),
            "announce": request.GET.get("shown") != run.status,
        },
    )


@member_required(roles=LEADER_ROLES)
def csm_capacity_edit(request, membership_id: int):
    """A member's capacity in points and the motions they may own."""
    membership = get_object_or_404(
        Membership.objects.filter(role__in=OWNER_ROLES).select_related("user"), pk=membership_id
    )
    current = getattr(membership, "capacity", None)
    form = CapacityForm(
        request.POST or None,
        instance=current,
        initial=None
        if current
        else {
            "capacity": selectors.segment_settings().default_capacity,
            "motions": Motion.values,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.capacity_save(
                workspace=request.workspace,
                by=request.user,
                membership=membership,
                data=form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Capacity saved.")
            return redirect("csm_load")
    return render(
        request,
        "playbooks/segments/capacity_form.html",
        {"form": form, "membership": membership},
        status=400 if form.errors else 200,
    )


def _moves(values: list[str]) -> list[Move]:
    """Moves posted as "account:from:to" (from blank for an unowned account)."""
    moves = []
    for value in values:
        try:
            account, from_id, to_id = value.split(":")
            moves.append(
                Move(
                    account_id=int(account),
                    from_id=int(from_id) if from_id else None,
                    to_id=int(to_id),
                )
            )
        except ValueError:
            raise ValidationError(f"{value!r} is not a move.") from None
    return moves


@member_required(roles=LEADER_ROLES)
@require_POST
def rebalancing_apply(request):
    """Apply the suggested moves, all at once or the one posted; audited."""
    try:
        moves = _moves(request.POST.getlist("move"))
        if not moves:
            raise ValidationError("No move was chosen.")
        count = services.rebalancing_apply(
            workspace=request.workspace, by=request.user, moves=moves
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"{count} account{'s' if count != 1 else ''} moved.")
    return redirect(reverse("csm_load") + "?suggest=1#rebalancing")
