import math

from django import forms

from accounts.models import Segment
from csos.forms import ServiceErrorsMixin
from csos.widgets import DateInput
from health.models import Band, HealthModel, HealthOverride, SurveyKind, Verdict
from health.quality import HORIZONS, OUTCOMES
from health.scoring import CALCULATORS, calculator_params
from health.weighting import DEFAULT_MODEL
from stakeholders.models import Stakeholder


class OverrideForm(forms.Form):
    band = forms.ChoiceField(choices=HealthOverride._meta.get_field("band").choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
    expires_on = forms.DateField(label="Expires on", widget=DateInput())


class JudgementForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices, label="Retained in substance?")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


# What each calculator's parameters mean to a leader, by calculator and parameter; a
# parameter given as a share (0-1) is shown and entered as a percentage.
TARGETS: dict[str, dict[str, tuple[str, bool]]] = {
    "usage_vs_contract": {
        "target_ratio": ("Share of seats active that earns full marks (%)", True),
        "decline_share": ("A fall in active users this large costs points (%)", True),
        "decline_penalty": ("Points lost when active users fall (of 10)", False),
    },
    "ladder_progress": {"top_level": ("Value-ladder level that earns full marks (1-4)", False)},
    "value_proof": {
        "points_per_proof": ("Points per proven piece of evidence (of 10)", False),
        "stale_after_days": ("Proof counts half once older than (days)", False),
    },
    "stakeholder_coverage": {
        "owner_points": ("Points for an active Owner (of 10)", False),
        "champion_points": ("Points for an active Champion (of 10)", False),
        "departure_penalty": ("Points lost per Owner or Champion who left", False),
    },
    "support_burden": {
        "p1_cost": ("Points lost per open P1 ticket", False),
        "p2_cost": ("Points lost per open P2 ticket", False),
        "p3_cost": ("Points lost per open P3 ticket", False),
        "p4_cost": ("Points lost per open P4 ticket", False),
    },
    "sentiment": {"survey_share": ("Weight of surveys against people's sentiment (%)", True)},
    "engagement_cadence": {
        "full_marks_days": ("Full marks while the last conversation is within (days)", False),
        "zero_days": ("No points after this many days of silence", False),
    },
}
# The key each dimension takes in a model that did not have it yet.
DEFAULT_KEYS = {d.calculator: d.key for d in DEFAULT_MODEL.dimensions}


def _weight(name: str) -> str:
    return f"weight__{name}"


def _target(name: str, param: str) -> str:
    return f"target__{name}__{param}"


class HealthModelForm(ServiceErrorsMixin, forms.Form):
    """A health model as a leader reads it: which dimensions count and how much, the target
    behind each dimension's points, the band thresholds and the segments it scores. A stored
    model gives one dimension per calculator; each keeps its key."""

    name = forms.CharField(max_length=100)
    position = forms.IntegerField(min_value=0, help_text="Models are tried in this order.")
    segments = forms.MultipleChoiceField(
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The accounts it scores; the default model takes every other account.",
    )
    green_above = forms.FloatField(
        label="Green when the score is above", min_value=0, max_value=100
    )
    red_below = forms.FloatField(label="Red when the score is below", min_value=0, max_value=100)
    dimensions = forms.MultipleChoiceField(
        label="Dimensions that count",
        choices=[(name, calculator.label) for name, calculator in CALCULATORS.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text="Each is scored 0-10; its weight says how much of the 100 points it carries.",
    )

    def __init__(self, *args, model: HealthModel, **kwargs):
        stored = {d["calculator"]: d for d in model.dimensions}
        self.keys = {
            name: stored.get(name, {}).get("key", DEFAULT_KEYS.get(name, name))
            for name in CALCULATORS
        }
        initial = {
            "name": model.name,
            "position": model.position,
            "segments": model.segments,
            "green_above": model.green_above,
            "red_below": model.red_below,
            "dimensions": list(stored),
        }
        for name in CALCULATORS:
            dimension = stored.get(name, {})
            initial[_weight(name)] = dimension.get("weight", 0)
            params = calculator_params(name, dimension.get("params") or {})
            for param, (_label, percent) in TARGETS[name].items():
                value = getattr(params, param)
                initial[_target(name, param)] = round(100 * value, 4) if percent else value
        super().__init__(*args, initial=initial, **kwargs)
        for name, calculator in CALCULATORS.items():
            self.fields[_weight(name)] = forms.FloatField(
                label=f"{calculator.label}: weight (%)", min_value=0, max_value=100, required=False
            )
            for param, (label, percent) in TARGETS[name].items():
                self.fields[_target(name, param)] = forms.FloatField(
                    label=label, min_value=0, max_value=100 if percent else None
                )

    def dimension_groups(self) -> list[dict]:
        """Per dimension, for the template: its label, its weight field and its targets."""
        return [
            {
                "name": name,
                "label": calculator.label,
                "weight": self[_weight(name)],
                "targets": [self[_target(name, param)] for param in TARGETS[name]],
            }
            for name, calculator in CALCULATORS.items()
        ]

    def clean(self):
        cleaned = super().clean()
        green, red = cleaned.get("green_above"), cleaned.get("red_below")
        if green is not None and red is not None and red > green:
            self.add_error(
                "red_below",
                f"Red below {red:g} overlaps Green above {green:g}: a score cannot be both.",
            )
        chosen = cleaned.get("dimensions") or []
        for name in chosen:
            if cleaned.get(_weight(name)) in (None, 0):
                self.add_error(_weight(name), "A dimension that counts needs a weight above 0.")
        weights = [cleaned.get(_weight(name)) or 0 for name in chosen]
        total = sum(weights)
        if chosen and all(weights) and not math.isclose(total, 100):
            for name in chosen:
                self.add_error(_weight(name), f"The weights sum to {total:g}%, not 100%.")
        return cleaned

    def model_dimensions(self) -> list[dict]:
        """The chosen dimensions as the model stores them: key, calculator, weight, params."""
        rows = []
        for name in self.cleaned_data["dimensions"]:
            params = {}
            for param, (_label, percent) in TARGETS[name].items():
                value = self.cleaned_data[_target(name, param)]
                params[param] = value / 100 if percent else value
            rows.append(
                {
                    "key": self.keys[name],
                    "calculator": name,
                    "weight": self.cleaned_data[_weight(name)],
                    "params": params,
                }
            )
        return rows

    def model_fields(self) -> dict:
        names = ("name", "position", "segments", "green_above", "red_below")
        return {name: self.cleaned_data[name] for name in names}


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
