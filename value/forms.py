from django import forms

from accounts.models import Segment
from accounts.selectors import csm_choices
from csos.forms import ScopedModelForm
from csos.scoping import WorkspaceScopedFieldsMixin
from csos.widgets import DateInput
from framework.models import UseCase
from value.ladder import OWNER
from value.models import (
    USAGE_LEVELS,
    ConfirmationRequest,
    EventMapping,
    Evidence,
    EvidenceStatus,
    RetentionArtifact,
    UsageMetric,
    ValueSettings,
)
from value.selectors import LEVEL_CHOICES, UNASSIGNED
from value.services import EVIDENCE_FIELDS, USE_CASE_FIELDS


class ValueSettingsForm(forms.ModelForm):
    class Meta:
        model = ValueSettings
        fields = ["value_unit", "usage_window_days", "evidence_stale_days"]


class UsageMetricForm(forms.ModelForm):
    class Meta:
        model = UsageMetric
        fields = ["key", "name", "unit", "aggregation"]


class EventMappingForm(ScopedModelForm):
    class Meta:
        model = EventMapping
        fields = ["event", "metric", "measure", "property_filter"]
        labels = {"event": "Event name", "metric": "Usage metric"}
        widgets = {"property_filter": forms.Textarea(attrs={"rows": 2})}

    def clean_property_filter(self):
        # An empty box is no filter: every event of the name counts.
        return self.cleaned_data["property_filter"] or {}


class UseCaseForm(forms.ModelForm):
    class Meta:
        model = UseCase
        fields = USE_CASE_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in (
                "description",
                "presence_meaning",
                "engagement_meaning",
                "value_meaning",
                "roi_meaning",
            )
        }


class ThresholdForm(WorkspaceScopedFieldsMixin, forms.Form):
    """One usage condition of level 1 or 2; a row left without a metric is dropped."""

    level = forms.TypedChoiceField(
        choices=[(level.value, level.label) for level in USAGE_LEVELS], coerce=int
    )
    metric = forms.ModelChoiceField(queryset=UsageMetric.objects.all(), required=False)
    minimum = forms.DecimalField(
        max_digits=14, decimal_places=4, min_value=0, required=False, label="At least"
    )
    per_seat = forms.BooleanField(required=False, label="Share of licensed seats")

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("metric")
            and cleaned.get("minimum") is None
            and "minimum" not in self.errors
        ):
            self.add_error("minimum", "Give the number the metric must reach.")
        return cleaned


ThresholdFormSet = forms.formset_factory(ThresholdForm, extra=2)


def threshold_rows(formset) -> list[dict]:
    return [
        {name: form.cleaned_data[name] for name in ("level", "metric", "minimum", "per_seat")}
        for form in formset.forms
        if form.cleaned_data.get("metric")
    ]


class EvidenceForm(ScopedModelForm):
    use_case = forms.ModelChoiceField(queryset=UseCase.objects.all())
    document_url = forms.URLField(required=False, assume_scheme="https", label="Document link")

    class Meta:
        model = Evidence
        fields = EVIDENCE_FIELDS
        widgets = {"claim": forms.Textarea(attrs={"rows": 3}), "confirmed_on": DateInput()}
        help_texts = {
            "confirmed_by_name": "Who at the customer said so, when not a recorded stakeholder.",
            "baseline": "The figure before: use-case value is proven by its figures.",
            "status": (
                "ROI is proven only by the account's Owner answering a confirmation link; "
                "a leader may record an in-person confirmation as attested."
            ),
        }

    def __init__(self, *args, account, may_attest: bool, **kwargs):
        super().__init__(*args, **kwargs)
        confirmer = self.fields["confirmed_by_stakeholder"]
        confirmer.queryset = confirmer.queryset.filter(account=account).order_by("name")
        if not may_attest and self.instance.status != EvidenceStatus.ATTESTED:
            status = self.fields["status"]
            status.choices = [
                choice for choice in status.choices if choice[0] != EvidenceStatus.ATTESTED
            ]


class AccountUseCasesForm(WorkspaceScopedFieldsMixin, forms.Form):
    use_cases = forms.ModelMultipleChoiceField(
        queryset=UseCase.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Use cases this account pursues",
    )


class ConfirmationSendForm(ScopedModelForm):
    """Whom to ask: one active stakeholder of the account's map, with an e-mail address."""

    class Meta:
        model = ConfirmationRequest
        fields = ["stakeholder"]
        labels = {"stakeholder": "Send to"}
        help_texts = {"stakeholder": "ROI counts only when the account's Owner confirms."}

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["stakeholder"]
        field.required = True
        field.queryset = (
            field.queryset.filter(account=account, left_on__isnull=True, erased_at__isnull=True)
            .exclude(email="")
            .order_by("name")
        )
        field.label_from_instance = lambda person: (
            f"{person.name} ({person.get_role_display()}) <{person.email}>"
        )
        # The Owner first: only their answer proves ROI.
        self.initial.setdefault("stakeholder", field.queryset.filter(role=OWNER).first())


class ConfirmationAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        choices=[("confirm", "I confirm this result"), ("dispute", "I dispute this result")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("answer") == "dispute" and not cleaned.get("comment", "").strip():
            self.add_error("comment", "Tell us what is wrong with the result.")
        return cleaned


class RetentionArtifactForm(ScopedModelForm):
    class Meta:
        model = RetentionArtifact
        fields = ["next_action", "owner", "due_on"]
        widgets = {"due_on": DateInput()}
        labels = {"next_action": "Next action to close the gap"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = csm_choices()


class CoverageDrillDownForm(forms.Form):
    """Which cell of the coverage table to list: a group of segment or CSM, and a level, or
    ``at_least`` that level (the cumulative view)."""

    by = forms.ChoiceField(choices=[("segment", "Segment"), ("csm", "CSM")], required=False)
    group = forms.CharField(required=False, max_length=40)
    level = forms.TypedChoiceField(
        choices=[(str(level), label) for level, label in LEVEL_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )
    at_least = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("at_least") and cleaned.get("level") is None and "level" not in self.errors:
            self.add_error("at_least", "Choose the level the accounts must have reached.")
        cleaned["by"] = cleaned.get("by") or "segment"
        group = cleaned.get("group")
        if group and cleaned["by"] == "segment" and group not in Segment.values:
            self.add_error("group", "Choose a segment.")
        if group and cleaned["by"] == "csm" and group != UNASSIGNED and not group.isdigit():
            self.add_error("group", "Choose a CSM.")
        return cleaned
