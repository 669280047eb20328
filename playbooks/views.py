from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.services import account_can_edit
from csos.decorators import admin_required, member_required
from playbooks import selectors, services
from playbooks.forms import PlaybookSettingsForm
from playbooks.models import Task, TaskStatus
from playbooks.playbooks import PLAYBOOKS

PAGE_SIZE = 50


@member_required
def my_tasks(request):
    """A person's open tasks; leaders can widen it to everyone's with ?all=1."""
    everyone = request.GET.get("all") == "1" and request.membership.sees_all_portfolios
    tasks = selectors.open_tasks(assignee_id=None if everyone else request.user.pk)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "playbooks/my_tasks.html",
        {"page": page, "everyone": everyone, "playbooks": PLAYBOOKS},
    )


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
