from django import forms

from playbooks.models import PlaybookSettings, renewal_windows_clean


class PlaybookSettingsForm(forms.ModelForm):
    class Meta:
        model = PlaybookSettings
        fields = [
            "band_margin",
            "expansion_usage_score",
            "renewal_windows",
            "escalate_after_days",
            "next_action_days",
        ]

    def clean_renewal_windows(self) -> str:
        return renewal_windows_clean(self.cleaned_data["renewal_windows"])


class DigestSettingsForm(forms.Form):
    weekly_digest = forms.BooleanField(
        required=False,
        label="Send me the weekly digest",
        help_text="Every Monday morning: overdue and open tasks, band changes and renewals "
        "entering a window (for leaders, the whole portfolio).",
    )
