"""Value capture records on the account page: renewals' outcomes, expansions, advocacy.

Whoever may edit the account records them: its owner CSM, leaders and admins.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.models import CAPTURE_OUTCOMES, Account, CaptureKind, CaptureOutcome, ValueCapture
from accounts.selectors import account_captures
from accounts.services import account_can_edit
from csos.decorators import member_required
from csos.forms import ServiceErrorsMixin
from csos.models import Workspace
from csos.services import audit_record
from csos.widgets import DateInput


class ValueCaptureForm(ServiceErrorsMixin, forms.Form):
    prefix = "capture"  # the account page holds other forms with a date field
    kind = forms.ChoiceField(choices=CaptureKind.choices)
    outcome = forms.ChoiceField(choices=CaptureOutcome.choices)
    date = forms.DateField(widget=DateInput)
    amount = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text="ARR gained or lost, in the account's currency, where there is one.",
    )
    note = forms.CharField(max_length=300, required=False)


@transaction.atomic
def value_capture_record(
    *, workspace: Workspace, account: Account, by, data: dict, today
) -> ValueCapture:
    """Store one value capture of ``account``, audited; its outcome must fit its kind and its
    date may not lie in the future."""
    if data["outcome"] not in CAPTURE_OUTCOMES[CaptureKind(data["kind"])]:
        raise ValidationError(
            {"outcome": f"Not an outcome of a {CaptureKind(data['kind']).label.lower()}."}
        )
    if data["date"] > today:
        raise ValidationError({"date": "Record what has happened: choose today or earlier."})
    capture = ValueCapture.objects.create(
        workspace=workspace, account=account, recorded_by=by, **data
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="value_capture.record",
        obj=capture,
        before={},
        after={
            "kind": capture.kind,
            "outcome": capture.outcome,
            "date": str(capture.date),
            "amount": str(capture.amount) if capture.amount is not None else None,
        },
    )
    return capture


def captures_panel(*, request, account: Account) -> dict:
    """The account page's panel: the account's value captures, newest first, and the form."""
    return {
        "account": account,
        "captures": list(account_captures(account=account)),
        "can_edit": account_can_edit(membership=request.membership, account=account),
        "form": ValueCaptureForm(initial={"date": timezone.localdate()}),
    }


@member_required
def value_capture_add(request, account_id: int):
    account = get_object_or_404(Account, pk=account_id)
    if not account_can_edit(membership=request.membership, account=account):
        raise PermissionDenied
    form = ValueCaptureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            capture = value_capture_record(
                workspace=request.workspace,
                account=account,
                by=request.user,
                data=form.cleaned_data,
                today=timezone.localdate(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Recorded: {capture.get_outcome_display()}.")
            return redirect("account_detail", account.pk)
    return render(
        request,
        "accounts/value_capture_form.html",
        {"form": form, "account": account},
        status=400 if form.errors else 200,
    )
