"""Forms of the endpoints pages. The segment choices come from the accounts app, which
registers them at start (the core imports no app)."""

from django import forms

from csos.event_types import EVENT_TYPES, TASK_EVENTS
from csos.forms import ServiceErrorsMixin
from csos.models import EndpointKind, Membership

BANDS = [("green", "Green"), ("yellow", "Yellow"), ("red", "Red")]
_segment_choices: list[tuple[str, str]] = []


def register_segment_choices(choices: list[tuple[str, str]]) -> None:
    _segment_choices[:] = choices


def _event_choices(names) -> list[tuple[str, str]]:
    return [(name, f"{name} — {EVENT_TYPES[name][1]}") for name in sorted(names)]


class EndpointForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(choices=EndpointKind.choices, initial=EndpointKind.WEBHOOK)
    name = forms.CharField(
        max_length=100, help_text="Who receives it, e.g. CRM sync or #cs-alerts."
    )
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="Your receiver, or the channel's incoming-webhook URL from Slack or Teams.",
    )
    event_types = forms.MultipleChoiceField(
        label="Events", choices=_event_choices(EVENT_TYPES), widget=forms.CheckboxSelectMultiple
    )
    segments = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only accounts of these segments; none ticked means every segment.",
    )
    owner_ids = forms.TypedMultipleChoiceField(
        label="CSMs",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only accounts these CSMs own; none ticked means every CSM.",
    )
    bands = forms.MultipleChoiceField(
        label="Health bands",
        choices=BANDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only accounts in these bands; none ticked means every band.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segments"].choices = list(_segment_choices)
        self.fields["owner_ids"].choices = [
            (m.user_id, m.user.email) for m in Membership.objects.select_related("user")
        ]


class EndpointChangeForm(EndpointForm):
    enabled = forms.BooleanField(required=False, help_text="Untick to pause deliveries.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class PersonalChannelForm(ServiceErrorsMixin, forms.Form):
    """A user's own Slack or Teams channel for the alerts of their own tasks."""

    kind = forms.ChoiceField(
        choices=[(EndpointKind.SLACK, "Slack"), (EndpointKind.TEAMS, "Microsoft Teams")]
    )
    url = forms.URLField(label="Incoming-webhook URL", max_length=500, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label="Alert me when one of my tasks is",
        choices=_event_choices(TASK_EVENTS),
        widget=forms.CheckboxSelectMultiple,
        initial=sorted(TASK_EVENTS),
    )
