from django import forms

from accounts.models import Account
from csos.forms import ScopedModelForm
from csos.widgets import DateInput
from stakeholders.models import (
    FlagThresholds,
    HandoffPerson,
    HandoffPromise,
    Interaction,
    InteractionKind,
    Milestone,
    MilestoneStatus,
    Objective,
    PromiseStatus,
    RoleGuide,
    SalesHandoff,
    Stakeholder,
)
from stakeholders.services import STAKEHOLDER_FIELDS


class StakeholderForm(ScopedModelForm):
    class Meta:
        model = Stakeholder
        fields = STAKEHOLDER_FIELDS
        widgets = {
            "added_on": DateInput(),
            "left_on": DateInput(),
            "influence": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"added_on": "Added on", "left_on": "Left on"}


class StakeholderDeleteForm(forms.Form):
    reassign_to = forms.ModelChoiceField(
        queryset=Stakeholder.objects.none(),
        required=False,
        label="Objectives they own go to",
    )

    def __init__(self, *args, stakeholder: Stakeholder, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reassign_to"].queryset = Stakeholder.objects.filter(
            account_id=stakeholder.account_id
        ).exclude(pk=stakeholder.pk)


class RoleGuideForm(forms.ModelForm):
    class Meta:
        model = RoleGuide
        fields = ["messages", "metrics", "forums"]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in fields}


class FlagThresholdsForm(forms.ModelForm):
    class Meta:
        model = FlagThresholds
        fields = [
            "plan_due_days",
            "review_due_days",
            "departure_signal_days",
            "theatre_window_days",
            "theatre_min_interactions",
        ]


class HandoffForm(forms.ModelForm):
    class Meta:
        model = SalesHandoff
        fields = ["signed_on", "use_cases", "risks", "success_criteria"]
        widgets = {
            "signed_on": DateInput(),
            "use_cases": forms.Textarea(attrs={"rows": 3}),
            "risks": forms.Textarea(attrs={"rows": 3}),
            "success_criteria": forms.Textarea(attrs={"rows": 3}),
        }


PromiseFormSet = forms.modelformset_factory(
    HandoffPromise,
    fields=["outcome", "use_case_name", "target_level"],
    extra=2,
    can_delete=True,
    widgets={"target_level": forms.NumberInput(attrs={"min": 1, "max": 4})},
)
PersonFormSet = forms.modelformset_factory(
    HandoffPerson, fields=["name", "email", "title", "role"], extra=2, can_delete=True
)


def formset_rows(formset) -> list[dict]:
    """The rows a valid formset keeps (filled in, not marked for deletion), as field values.

    ``id`` is the row's instance when it already exists, else None.
    """
    return [
        {name: value for name, value in form.cleaned_data.items() if name != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class PlanCreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    starts_on = forms.DateField(widget=DateInput(), label="Starts on")
    from_handoff = forms.BooleanField(
        required=False, label="Pre-fill objectives and stakeholders from the sales handoff"
    )


class ObjectiveForm(ScopedModelForm):
    # Declared so the choices are built per request, from the account's own stakeholders.
    owner = forms.ModelChoiceField(
        queryset=Stakeholder.objects.none(),
        required=False,
        error_messages={"invalid_choice": "The owner must be a stakeholder of this account."},
    )

    class Meta:
        model = Objective
        fields = ["title", "use_case", "use_case_name", "target_level", "owner"]
        widgets = {"target_level": forms.NumberInput(attrs={"min": 1, "max": 4})}
        help_texts = {"use_case_name": "Shown when no use case of the framework is chosen."}

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Stakeholder.objects.filter(account=account)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "due_on", "status"]
        widgets = {"due_on": DateInput()}
        labels = {"due_on": "Due on"}


class MilestoneStatusForm(forms.Form):
    status = forms.ChoiceField(choices=MilestoneStatus.choices)


class PromiseStatusForm(forms.Form):
    status = forms.ChoiceField(choices=PromiseStatus.choices)


class PlanReviewForm(forms.Form):
    reviewed_on = forms.DateField(widget=DateInput(), label="Reviewed on")
    changes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What changed")


class InteractionForm(ScopedModelForm):
    participants = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Participants must be stakeholders of this account."},
    )

    class Meta:
        model = Interaction
        fields = [
            "kind",
            "occurred_on",
            "title",
            "participants",
            "prep_objective",
            "prep_questions",
            "prep_request",
            "summary",
            "decisions",
            "next_action",
            "next_action_owner",
            "next_action_due",
            "updated_evidence",
            "updated_plan",
            "updates",
        ]
        widgets = {
            "occurred_on": DateInput(),
            "next_action_due": DateInput(),
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in (
                    "prep_objective",
                    "prep_questions",
                    "prep_request",
                    "summary",
                    "decisions",
                    "updates",
                )
            },
        }

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = Stakeholder.objects.filter(account=account)

    # The page shows the form in three sections: the conversation, its prep, its outcome.
    @property
    def what_fields(self):
        return [self[name] for name in ("kind", "occurred_on", "title")]

    @property
    def prep_fields(self):
        return [self[name] for name in ("prep_objective", "prep_questions", "prep_request")]

    @property
    def outcome_fields(self):
        return [self[name] for name in self.Meta.fields[7:]]


class TimelineFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "All kinds"), *InteractionKind.choices], required=False)
    participant = forms.ModelChoiceField(
        queryset=Stakeholder.objects.none(), required=False, empty_label="Anyone"
    )
    start = forms.DateField(widget=DateInput(), required=False, label="From")
    end = forms.DateField(widget=DateInput(), required=False, label="To")

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participant"].queryset = Stakeholder.objects.filter(account=account)

    def filter(self, interactions):
        if not self.is_valid():
            return interactions
        data = self.cleaned_data
        if data["kind"]:
            interactions = interactions.filter(kind=data["kind"])
        if data["participant"]:
            interactions = interactions.filter(participants=data["participant"])
        if data["start"]:
            interactions = interactions.filter(occurred_on__gte=data["start"])
        if data["end"]:
            interactions = interactions.filter(occurred_on__lte=data["end"])
        return interactions
