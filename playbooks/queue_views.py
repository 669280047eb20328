"""Pages of the attention queue and of working tasks: thin, rights first, then one selector."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Account
from accounts.services import account_can_edit
from csos.decorators import member_required
from csos.models import LEADER_ROLES
from playbooks import queue, task_work
from playbooks.attention import FACTORS
from playbooks.models import Task, TaskStatus
from playbooks.queue_forms import (
    AttentionSettingsForm,
    TaskCompleteForm,
    TaskCreateForm,
    TaskReassignForm,
    TaskSnoozeForm,
)


def _queue_owner(request):
    """The member whose queue is asked for: oneself, or for a leader anyone given by ?csm=."""
    asked = request.GET.get("csm", "")
    if not asked or asked == str(request.user.pk):
        return request.membership
    if not request.membership.sees_all_portfolios:
        raise PermissionDenied
    if not asked.isdigit():
        raise Http404
    owners = {member.user_id: member for member in queue.queue_owners()}
    if int(asked) not in owners:
        raise Http404
    return owners[int(asked)]


def _documented_weights(weights) -> list[dict]:
    return [
        {"key": key, "label": label, "rule": rule, "weight": weights.weight(key)}
        for key, (label, rule) in FACTORS.items()
    ]


@member_required
def attention_queue(request):
    """The CSM's home: this week's accounts that need them, each with its reasons."""
    owner = _queue_owner(request)
    today = timezone.localdate()
    ranked, weights = queue.attention_ranking(
        accounts=queue.csm_queue_accounts(owner_id=owner.user_id), today=today
    )
    if request.GET.get("format") == "csv":
        return _queue_csv(ranked, weights, filename=f"attention-{today}.csv")
    entries = queue.attention_entries(ranked.head(queue.QUEUE_SIZE), weights)
    return render(
        request,
        "playbooks/attention_queue.html",
        {
            "owner": owner,
            "own": owner.user_id == request.user.pk,
            "entries": entries,
            "total": len(ranked),
            "factors": _documented_weights(weights),
            "weights": weights,
            "owners": queue.queue_owners() if request.membership.sees_all_portfolios else [],
            "opens_pooled": queue.opens_pooled_queue(membership=request.membership),
        },
    )


@member_required
def pooled_queue(request):
    """Digital-motion accounts, ranked alike, each with the automated nudge it gets."""
    if not queue.opens_pooled_queue(membership=request.membership):
        raise PermissionDenied
    today = timezone.localdate()
    ranked, weights = queue.attention_ranking(accounts=queue.pooled_queue_accounts(), today=today)
    if request.GET.get("format") == "csv":
        return _queue_csv(ranked, weights, filename=f"pooled-queue-{today}.csv")
    return render(
        request,
        "playbooks/pooled_queue.html",
        {
            "entries": queue.attention_entries(ranked.head(queue.QUEUE_SIZE), weights),
            "total": len(ranked),
            "factors": _documented_weights(weights),
            "weights": weights,
        },
    )


def _queue_csv(ranked, weights, *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(["Rank", "Account", "Score", *(label for label, _ in FACTORS.values())])
    for entry in queue.attention_entries(ranked, weights):
        points = {reason["key"]: reason["points"] for reason in entry["reasons"]}
        writer.writerow(
            [entry["position"], entry["name"], entry["score"], *(points.get(k, 0) for k in FACTORS)]
        )
    return response


@member_required(roles=LEADER_ROLES)
def attention_settings(request):
    """The weights of the attention ranking, shown with the formula they feed."""
    form = AttentionSettingsForm(request.POST or None, instance=queue.attention_settings())
    if request.method == "POST" and form.is_valid():
        task_work.attention_settings_save(
            workspace=request.workspace, by=request.user, data=form.cleaned_data
        )
        messages.success(request, "Attention weights saved.")
        return redirect("attention_settings")
    return render(
        request,
        "playbooks/attention_settings.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _workable_task(request, task_id: int) -> Task:
    task = get_object_or_404(Task.objects.select_related("account", "assignee"), pk=task_id)
    if not account_can_edit(membership=request.membership, account=task.account):
        raise PermissionDenied
    return task


def _task_page(request, task: Task, *, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    context = {
        "task": task,
        "snooze_form": forms.get("snooze") or TaskSnoozeForm(),
        "reassign_form": forms.get("reassign")
        or TaskReassignForm(initial={"assignee": task.assignee_id}),
        "complete_form": forms.get("complete") or TaskCompleteForm(),
        "today": timezone.localdate(),
    }
    return render(request, "playbooks/task_detail.html", context, status=status)


@member_required
def task_detail(request, task_id: int):
    return _task_page(request, _workable_task(request, task_id))


@member_required
@require_POST
def task_snooze(request, task_id: int):
    task = _workable_task(request, task_id)
    form = TaskSnoozeForm(request.POST)
    if form.is_valid():
        try:
            task_work.task_snooze(
                workspace=request.workspace,
                task=task,
                by=request.user,
                until=form.cleaned_data["until"],
                today=timezone.localdate(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Snoozed until {task.snoozed_until:%b %-d, %Y}.")
            return redirect("task_detail", task.pk)
    return _task_page(request, task, forms={"snooze": form}, status=400)


@member_required
@require_POST
def task_reassign(request, task_id: int):
    task = _workable_task(request, task_id)
    form = TaskReassignForm(request.POST)
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        task_work.tasks_reassign(
            workspace=request.workspace, tasks=[task], by=request.user, assignee=assignee
        )
        messages.success(request, f"Reassigned to {assignee.get_full_name() or assignee.email}.")
        return redirect("task_detail", task.pk)
    return _task_page(request, task, forms={"reassign": form}, status=400)


@member_required
@require_POST
def task_complete(request, task_id: int):
    task = _workable_task(request, task_id)
    form = TaskCompleteForm(request.POST)
    if form.is_valid():
        if task.status != TaskStatus.OPEN:
            form.add_error(None, "This task is already closed.")
        else:
            task_work.tasks_complete(
                workspace=request.workspace, tasks=[task], by=request.user, **form.cleaned_data
            )
            messages.success(request, "Task closed.")
            return redirect("account_detail", task.account_id)
    return _task_page(request, task, forms={"complete": form}, status=400)


@member_required
def task_create(request, account_id: int):
    account = get_object_or_404(Account, pk=account_id)
    if not account_can_edit(membership=request.membership, account=account):
        raise PermissionDenied
    form = TaskCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        task = task_work.task_create(
            workspace=request.workspace, account=account, by=request.user, **form.cleaned_data
        )
        messages.success(request, f"Task “{task.title}” created.")
        return redirect("account_detail", account.pk)
    return render(
        request,
        "playbooks/task_form.html",
        {"form": form, "account": account},
        status=400 if form.errors else 200,
    )
