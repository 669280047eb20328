from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from csos.decorators import member_required
from csos.panels import page_panels
from stakeholders import selectors, services
from stakeholders.forms import InteractionForm, TimelineFilterForm
from stakeholders.models import Interaction
from stakeholders.views.access import (
    account_for_reading,
    account_for_work,
    can_work,
    check_can_work,
)

TIMELINE_PAGE_SIZE = 30


@member_required
def timeline(request, account_id: int):
    account = account_for_reading(request, account_id)
    filter_form = TimelineFilterForm(request.GET or None, account=account)
    interactions = filter_form.filter(selectors.interaction_list(account=account))
    page = Paginator(interactions, TIMELINE_PAGE_SIZE).get_page(request.GET.get("page"))
    paging_query = request.GET.copy()
    paging_query.pop("page", None)
    return render(
        request,
        "stakeholders/timeline.html",
        {
            "account": account,
            "filter_form": filter_form,
            "page": page,
            "paging_query": paging_query.urlencode(),
            "can_work": can_work(request, account),
        },
        status=400 if filter_form.errors else 200,
    )


def _interaction_page(request, *, account, form, interaction=None):
    return render(
        request,
        "stakeholders/interaction_form.html",
        {
            "form": form,
            "account": account,
            "interaction": interaction,
            "title": "Edit the interaction" if interaction else "Record an interaction",
        },
        status=400 if form.errors else 200,
    )


def _save(request, *, account, form, interaction=None):
    data = dict(form.cleaned_data)
    participants = list(data.pop("participants"))
    return services.interaction_save(
        account=account,
        by=request.user,
        data=data,
        participants=participants,
        interaction=interaction,
    )


@member_required
def interaction_create(request, account_id: int):
    account = account_for_work(request, account_id)
    form = InteractionForm(
        request.POST or None,
        account=account,
        initial={"occurred_on": timezone.localdate(), "kind": request.GET.get("kind", "meeting")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, account=account, form=form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Interaction recorded.")
            return redirect("timeline", account_id=account.pk)
    return _interaction_page(request, account=account, form=form)


@member_required
def interaction_edit(request, interaction_id: int):
    interaction = get_object_or_404(
        Interaction.objects.select_related("account"), pk=interaction_id
    )
    account = interaction.account
    check_can_work(request, account)
    form = InteractionForm(request.POST or None, instance=interaction, account=account)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, account=account, form=form, interaction=interaction)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Interaction saved.")
            return redirect("timeline", account_id=account.pk)
    return _interaction_page(request, account=account, form=form, interaction=interaction)


@member_required
def interaction_prep(request, interaction_id: int):
    """The meeting prep sheet: one printable page to take into the room."""
    interaction = get_object_or_404(
        Interaction.objects.select_related("account"), pk=interaction_id
    )
    account = interaction.account
    today = timezone.localdate()
    return render(
        request,
        "stakeholders/prep_sheet.html",
        {
            "interaction": interaction,
            "participants": interaction.participants.order_by("name"),
            "account": account,
            "gaps": [
                gap
                for column in selectors.stakeholder_map(account=account, today=today)["columns"]
                for gap in column["gaps"]
            ],
            "plan": selectors.active_plan(account=account),
            "flags": selectors.account_flag_list(account=account, today=today),
            "promises": selectors.promise_list(account=account),
            "today": today,
            "panels": page_panels(page="prep", request=request, obj=account, obj_name="account"),
        },
    )
