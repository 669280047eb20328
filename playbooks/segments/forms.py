from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Motion
from csos.forms import ServiceErrorsMixin
from playbooks.segments import conditions as c
from playbooks.segments.models import CsmCapacity, SegmentRule, SegmentSettings
from playbooks.segments.selectors import FIELDS
from playbooks.segments.services import rule_clauses_clean

CLAUSE_ROWS = 5  # condition rows the rule form offers; blank rows are ignored
FIELD_CHOICES = [("", "—")] + [(key, field.label) for key, field in FIELDS.items()]
OPERATOR_CHOICES = [("", "—")] + [
    (op, f"{words} ({symbol})") for op, (words, symbol) in {**c.COMPARISONS, **c.MEMBERSHIP}.items()
]


class SegmentRuleForm(ServiceErrorsMixin, forms.ModelForm):
    """A rule: its name, priority, outcome, and up to CLAUSE_ROWS conditions, each a field, an
    operator and a value; the whitelist checks them, naming the row that does not fit."""

    class Meta:
        model = SegmentRule
        fields = ["name", "priority", "match", "motion", "value_problem"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.clauses if self.instance.pk else []
        for row in range(1, CLAUSE_ROWS + 1):
            clause = stored[row - 1] if row <= len(stored) else {}
            value = clause.get("value", "")
            self.fields[f"field_{row}"] = forms.ChoiceField(
                label=f"Condition {row}: field",
                choices=FIELD_CHOICES,
                required=False,
                initial=clause.get("field", ""),
            )
            self.fields[f"op_{row}"] = forms.ChoiceField(
                label=f"Condition {row}: operator",
                choices=OPERATOR_CHOICES,
                required=False,
                initial=clause.get("op", ""),
            )
            self.fields[f"value_{row}"] = forms.CharField(
                label=f"Condition {row}: value",
                required=False,
                max_length=200,
                initial=", ".join(value) if isinstance(value, list) else value,
            )

    @property
    def clause_rows(self) -> list[tuple]:
        return [
            (row, self[f"field_{row}"], self[f"op_{row}"], self[f"value_{row}"])
            for row in range(1, CLAUSE_ROWS + 1)
        ]

    def clean(self):
        data = super().clean()
        clauses = []
        for row in range(1, CLAUSE_ROWS + 1):
            field, op, value = (data.get(f"{part}_{row}") for part in ("field", "op", "value"))
            if not (field or op or value):
                continue
            if not (field and op and str(value).strip()):
                self.add_error(f"field_{row}", "Choose a field, an operator and a value.")
                continue
            try:
                c.clause_parse(
                    {"field": field, "op": op, "value": value}, fields=FIELDS, position=row
                )
            except c.ConditionError as error:
                self.add_error(f"{error.part}_{row}", str(error))
                continue
            clauses.append({"field": field, "op": op, "value": value})
        if not self.errors:
            try:
                data["clauses"] = rule_clauses_clean(match=data["match"], clauses=clauses)
            except ValidationError as error:
                self.add_error(None, error.message_dict["clauses"])
        return data

    def candidate(self) -> SegmentRule:
        """The rule as the form would save it, for a dry run; never saved from here."""
        rule = SegmentRule(pk=self.instance.pk, workspace_id=self.instance.workspace_id)
        for name in ("name", "priority", "match", "motion", "value_problem", "clauses"):
            setattr(rule, name, self.cleaned_data[name])
        return rule


class SegmentSettingsForm(forms.ModelForm):
    class Meta:
        model = SegmentSettings
        fields = [
            "default_motion",
            "default_value_problem",
            "weight_digital",
            "weight_pooled",
            "weight_named",
            "weight_strategic",
            "default_capacity",
        ]


class CapacityForm(ServiceErrorsMixin, forms.ModelForm):
    motions = forms.MultipleChoiceField(
        choices=Motion.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Motions this person may own",
    )

    class Meta:
        model = CsmCapacity
        fields = ["capacity", "motions"]
        labels = {"capacity": "Capacity (points)"}

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity is not None and capacity <= 0:
            raise ValidationError("A capacity must be above zero points.")
        return capacity
