from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.selectors import account_list
from accounts.services import account_can_edit
from csos.decorators import admin_required, member_required
from playbooks import brief, selectors, services, task_work
from playbooks.forms import PlaybookSettingsForm
from playbooks.models import Task, TaskStatus
from playbooks.playbooks import PLAYBOOKS
from playbooks.queue_forms import TaskBulkForm, TaskFilterForm
from playbooks.task_work import MANUAL_PLAYBOOK

PAGE_SIZE = 50


def _task_causes() -> list[tuple[str, str]]:
    return [(key, playbook.name) for key, playbook in PLAYBOOKS.items()] + [
        (MANUAL_PLAYBOOK, "Created by hand")
    ]


@member_required
def my_tasks(request):
    """Open tasks, filtered in the URL: a person's own (leaders can widen it to everyone's),
    overdue ones, one cause, one account; ticked tasks close or change hands at once."""
    filters = TaskFilterForm(request.GET, causes=_task_causes())
    if not filters.is_valid():
        return HttpResponseBadRequest(filters.errors.as_text())
    chosen = filters.cleaned_data
    everyone = chosen["everyone"] and request.membership.sees_all_portfolios
    bulk = TaskBulkForm(request.POST or None)
    if request.method == "POST" and bulk.is_valid():
        return _tasks_bulk(request, bulk)
    tasks = selectors.task_list(
        assignee_id=None if everyone else request.user.pk,
        overdue_on=timezone.localdate() if chosen["overdue"] else None,
        playbook=chosen["cause"] or None,
        account_id=chosen["account"],
    )
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "playbooks/my_tasks.html",
        {
            "page": page,
            "everyone": everyone,
            "filters": filters,
            "bulk": bulk,
            "playbooks": PLAYBOOKS,
            "today": timezone.localdate(),
            "query": request.GET.urlencode(),
        },
        status=400 if bulk.errors else 200,
    )


def _tasks_bulk(request, bulk: TaskBulkForm):
    tasks = list(bulk.cleaned_data["tasks"].select_related("account", "assignee"))
    if any(
        not account_can_edit(membership=request.membership, account=task.account) for task in tasks
    ):
        raise PermissionDenied
    if bulk.cleaned_data["action"] == "reassign":
        count = task_work.tasks_reassign(
            workspace=request.workspace,
            tasks=tasks,
            by=request.user,
            assignee=bulk.cleaned_data["assignee"],
        )
        messages.success(request, f"{count} tasks reassigned.")
    else:
        count = task_work.tasks_complete(
            workspace=request.workspace,
            tasks=tasks,
            by=request.user,
            status=TaskStatus.DONE,
            outcome=bulk.cleaned_data["outcome"],
        )
        messages.success(request, f"{count} tasks closed.")
    return redirect(f"{request.path}?{request.GET.urlencode()}")


@member_required
@require_POST
def task_close(request, task_id: int):
    task = get_object_or_404(Task, pk=task_id)
    if not account_can_edit(membership=request.membership, account=task.account):
        raise PermissionDenied
    status = request.POST.get("status")
    if status not in {TaskStatus.DONE, TaskStatus.DISMISSED}:
        return HttpResponseBadRequest("status: choose done or dismissed.")
    services.task_close(workspace=request.workspace, task=task, by=request.user, status=status)
    return redirect("my_tasks")


@admin_required
def playbook_settings(request):
    """The thresholds the playbook triggers and escalations read."""
    current = selectors.playbook_settings()
    form = PlaybookSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.playbook_settings_save(
            workspace=request.workspace, by=request.user, data=form.cleaned_data
        )
        messages.success(request, "Playbook settings saved.")
        return redirect("playbook_settings")
    return render(
        request, "playbooks/settings.html", {"form": form}, status=400 if form.errors else 200
    )


def _brief(account) -> tuple[brief.BriefFacts, list[brief.Line]]:
    facts = selectors.account_brief_facts(account=account, today=timezone.localdate())
    return facts, brief.brief_lines(facts)


@member_required
def account_brief(request, account_id: int):
    """The account brief: one printable page of facts, each citing its record."""
    account = get_object_or_404(account_list(), pk=account_id)
    facts, lines = _brief(account)
    return render(
        request,
        "playbooks/account_brief.html",
        {"account": account, "facts": facts, "lines": lines, "tones": brief.TONE_ORDER},
    )


@member_required
def account_brief_export(request, account_id: int):
    """The brief as a Markdown file, its citations as absolute links."""
    account = get_object_or_404(account_list(), pk=account_id)
    facts, lines = _brief(account)
    text = brief.brief_markdown(facts, lines, base_url=request.build_absolute_uri("/")[:-1])
    return HttpResponse(
        text,
        content_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="brief-{account.pk}.md"'},
    )
