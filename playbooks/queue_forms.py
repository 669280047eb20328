"""Forms of the attention queue and of the tasks a CSM works."""

from django import forms

from accounts.selectors import csm_choices
from csos.forms import ServiceErrorsMixin
from csos.widgets import DateInput
from playbooks.models import AttentionSettings, Task, TaskPriority, TaskStatus
from playbooks.queue import WEIGHT_FIELDS


class AttentionSettingsForm(forms.ModelForm):
    class Meta:
        model = AttentionSettings
        fields = list(WEIGHT_FIELDS)


class AssigneeField(forms.ModelChoiceField):
    """A member who may own accounts; anyone else is not a valid choice."""

    def __init__(self, **kwargs):
        super().__init__(queryset=csm_choices(), **kwargs)

    def label_from_instance(self, user) -> str:
        return user.get_full_name() or user.email


class TaskCreateForm(ServiceErrorsMixin, forms.Form):
    title = forms.CharField(max_length=200)
    due_on = forms.DateField(label="Due", widget=DateInput)
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    assignee = AssigneeField(required=False, help_text="The account's owner when left empty.")


class TaskSnoozeForm(ServiceErrorsMixin, forms.Form):
    until = forms.DateField(label="Snooze until", widget=DateInput)


class TaskReassignForm(ServiceErrorsMixin, forms.Form):
    assignee = AssigneeField(label="Reassign to")


class TaskCompleteForm(ServiceErrorsMixin, forms.Form):
    status = forms.ChoiceField(
        choices=[(TaskStatus.DONE, "Done"), (TaskStatus.DISMISSED, "Dismissed")],
        initial=TaskStatus.DONE,
    )
    outcome = forms.CharField(max_length=300, help_text="What closing it achieved.")


class TaskBulkForm(ServiceErrorsMixin, forms.Form):
    """Close or reassign the ticked tasks at once."""

    ACTIONS = [("close", "Close as done"), ("reassign", "Reassign")]

    tasks = forms.ModelMultipleChoiceField(
        queryset=Task.objects.filter(status=TaskStatus.OPEN),
        error_messages={
            "required": "Tick at least one task.",
            "invalid_choice": "A ticked task is not an open task of this workspace.",
        },
    )
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = AssigneeField(required=False, label="Reassign to")
    outcome = forms.CharField(max_length=300, required=False, label="Outcome when closing")

    def clean(self):
        data = super().clean()
        if data.get("action") == "reassign" and not data.get("assignee"):
            self.add_error("assignee", "Choose who takes the ticked tasks.")
        if data.get("action") == "close" and not data.get("outcome"):
            self.add_error("outcome", "Say what closing them achieved.")
        return data


class TaskFilterForm(forms.Form):
    """The task list's filters, read from the URL."""

    everyone = forms.BooleanField(required=False, label="Everyone's")
    overdue = forms.BooleanField(required=False, label="Overdue only")
    cause = forms.ChoiceField(required=False, label="Cause")
    account = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, causes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cause"].choices = [("", "Any cause"), *causes]
