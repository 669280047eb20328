from django import forms

from accounts.models import Segment
from csos.forms import ServiceErrorsMixin
from csos.widgets import DateInput
from health.models import Band, HealthOverride, SurveyKind, Verdict
from health.quality import HORIZONS, OUTCOMES
from health.scoring import CALCULATORS
from stakeholders.models import Stakeholder


class OverrideForm(forms.Form):
    band = forms.ChoiceField(choices=HealthOverride._meta.get_field("band").choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
    expires_on = forms.DateField(label="Expires on", widget=DateInput())


class JudgementForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices, label="Retained in substance?")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class HealthModelForm(forms.Form):
    """A model's name, place, segments and thresholds; its dimensions are a formset."""

    name = forms.CharField(max_length=100)
    position = forms.IntegerField(min_value=0, help_text="Models are tried in this order.")
    segments = forms.MultipleChoiceField(
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The accounts it scores; the default model takes every other account.",
    )
    green_above = forms.FloatField(label="Green above", min_value=0, max_value=100)
    red_below = forms.FloatField(label="Red below", min_value=0, max_value=100)

    def clean(self):
        cleaned = super().clean()
        green, red = cleaned.get("green_above"), cleaned.get("red_below")
        if green is not None and red is not None and red > green:
            self.add_error("red_below", "Red below must not be above Green above.")
        return cleaned


class DimensionForm(forms.Form):
    key = forms.SlugField(max_length=40)
    calculator = forms.CharField(max_length=40)
    weight = forms.FloatField(min_value=0, max_value=100, label="Weight (%)")
    params = forms.JSONField(required=False, initial=dict, label="Parameters")

    def clean_calculator(self):
        name = self.cleaned_data["calculator"]
        if name not in CALCULATORS:
            known = ", ".join(sorted(CALCULATORS))
            raise forms.ValidationError(f"Unknown calculator {name!r}; known: {known}.")
        return name

    def clean_params(self):
        params = self.cleaned_data.get("params") or {}
        if not isinstance(params, dict):
            raise forms.ValidationError('Parameters are a JSON object, e.g. {"target_ratio": 0.7}.')
        return params


class BaseDimensionFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        total = sum(row["weight"] for row in rows)
        if abs(total - 100) > 1e-9:
            raise forms.ValidationError(f"The weights sum to {total:g}%, not 100%.")
        keys = [row["key"] for row in rows]
        if len(set(keys)) != len(keys):
            raise forms.ValidationError("Each dimension needs its own key.")


DimensionFormSet = forms.formset_factory(
    DimensionForm, formset=BaseDimensionFormSet, extra=1, can_delete=True
)


class RecomputeForm(forms.Form):
    week = forms.DateField(label="A day of the week", widget=DateInput())


class ProposedWeightsForm(forms.Form):
    """New weights for the published model's dimensions, judged before publishing."""

    def __init__(self, *args, dimensions: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.dimension_rows = dimensions
        for dimension in dimensions:
            self.fields[dimension["key"]] = forms.FloatField(
                label=f"{dimension['key']} (%)",
                min_value=0,
                max_value=100,
                initial=dimension["weight"],
            )

    def clean(self):
        cleaned = super().clean()
        total = sum(value for value in cleaned.values() if value is not None)
        if not self.errors and abs(total - 100) > 1e-9:
            raise forms.ValidationError(f"The weights sum to {total:g}%, not 100%.")
        return cleaned


class BacktestDrillForm(forms.Form):
    """Which count of a stored backtest to list the renewals of."""

    days = forms.TypedChoiceField(
        choices=[(days, f"{days} days before renewal") for days in HORIZONS], coerce=int
    )
    part = forms.ChoiceField(choices=[("report", "Later renewals"), ("fit", "Earlier renewals")])
    band = forms.ChoiceField(choices=Band.choices)
    outcome = forms.ChoiceField(
        choices=[("", "Any"), *((outcome, outcome.capitalize()) for outcome in OUTCOMES)],
        required=False,
    )


class SurveySendForm(ServiceErrorsMixin, forms.Form):
    """Which question, to whom: active stakeholders of the account's map with an e-mail."""

    kind = forms.ChoiceField(choices=SurveyKind.choices, label="Question", initial=SurveyKind.NPS)
    stakeholders = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label="Send to",
        help_text="Each gets their own link, which works once and expires in 14 days.",
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["stakeholders"]
        field.queryset = (
            Stakeholder.objects.filter(
                account=account, left_on__isnull=True, erased_at__isnull=True
            )
            .exclude(email="")
            .order_by("name", "pk")
        )
        field.label_from_instance = lambda person: (
            f"{person.name} ({person.get_role_display()}) <{person.email}>"
        )


class SurveyAnswerForm(ServiceErrorsMixin, forms.Form):
    score = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        label="Anything you would like to add? (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, scale: range, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["score"].choices = [(number, str(number)) for number in scale]
