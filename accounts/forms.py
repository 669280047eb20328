from collections.abc import Mapping
from decimal import Decimal

from django import forms
from django.conf import settings
from django.db import models

from accounts import csv_import
from accounts.models import SEGMENTATION_ATTRIBUTES, Account, MovementKind, Segment
from accounts.selectors import csm_choices, csm_options, owner_label
from accounts.services import ACCOUNT_FIELDS
from csos.forms import CurrencyField, ScopedModelForm
from csos.imports.forms import UploadedCsv, uploaded_csv
from csos.widgets import DateInput


class OwnerChoiceField(forms.ModelChoiceField):
    """A select of the people who can own accounts (``csm_choices``), by name, with their role."""

    def label_from_instance(self, obj) -> str:
        return owner_label(obj)


class AccountForm(ScopedModelForm):
    currency = CurrencyField()

    class Meta:
        model = Account
        fields = ACCOUNT_FIELDS
        field_classes = {"owner": OwnerChoiceField}
        widgets = {"contract_start": DateInput(), "renewal_date": DateInput()}

    def __init__(self, *args, locked_fields: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        # The scoped mixin offers every member; an owner is one who can own accounts.
        self.fields["owner"].queryset = csm_choices()
        # A disabled field shows its value and ignores whatever the browser posts for it.
        for name in locked_fields:
            self.fields[name].disabled = True
            self.fields[name].help_text = "Only a leader or admin can change this."
        for name in SEGMENTATION_ATTRIBUTES:
            self.fields[name].widget = forms.NumberInput(attrs={"min": 1, "max": 5})


class AccountCreateForm(AccountForm):
    arr = forms.DecimalField(
        label="Starting ARR", max_digits=14, decimal_places=2, min_value=0, initial=0
    )
    field_order = ["name", "external_id", "owner", "arr", "currency"]


class ArrMovementForm(forms.Form):
    kind = forms.ChoiceField(choices=MovementKind.choices)
    date = forms.DateField(widget=DateInput())
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    note = forms.CharField(max_length=200, required=False)


class RetentionForm(forms.Form):
    """The period and the book (a CSM's, a segment's, or the whole workspace) of the page."""

    start = forms.DateField(widget=DateInput())
    end = forms.DateField(widget=DateInput())
    owner = forms.TypedChoiceField(label="CSM", required=False, coerce=int, empty_value=None)
    segment = forms.ChoiceField(
        choices=[("", "All segments"), *Segment.choices], required=False, label="Segment"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        owners = csm_options()
        self.fields["owner"].choices = [("", "All CSMs"), *owners.choices]
        self.owner_names = owners.names

    def clean_segment(self) -> str | None:
        return self.cleaned_data["segment"] or None

    def book_name(self, choice: dict) -> str:
        """Whose accounts ``choice`` (this form's cleaned data or the defaults) covers."""
        parts = []
        if choice["owner"] is not None:
            csm = self.owner_names.get(str(choice["owner"]), "the chosen CSM")
            parts.append(f"{csm}'s accounts")
        if choice["segment"] is not None:
            segment = dict(Segment.choices)[choice["segment"]]
            parts.append(f"{segment} accounts" if not parts else f"in {segment}")
        return " ".join(parts) or "All accounts"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", "The period must end after it starts.")
        return cleaned


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Accounts CSV",
        help_text=(
            "UTF-8 CSV with a header row, such as a CRM export. Required columns: "
            f"{', '.join(csv_import.REQUIRED_COLUMNS)}; you match the columns to fields next."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> UploadedCsv:
        return uploaded_csv(self.cleaned_data["file"], max_bytes=settings.ACCOUNT_IMPORT_MAX_BYTES)


class DuplicateChoice(models.TextChoices):
    CREATE = "create", "Create a new account"
    LINK = "link", "Link to the existing account"
    SKIP = "skip", "Skip this row"


class ImportCommitForm(forms.Form):
    """What to do with each row the preview warns is a likely duplicate of an existing account:
    create it anyway (the default), link it to that account, or leave it out of the commit."""

    def __init__(self, *args, duplicates: Mapping[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates = dict(duplicates)
        for row, match in self.duplicates.items():
            choices = DuplicateChoice.choices
            if not match:  # a warning stored before links existed names no account
                choices = [c for c in choices if c[0] != DuplicateChoice.LINK]
            self.fields[f"row_{row}"] = forms.ChoiceField(
                label=f"Row {row}",
                choices=choices,
                required=False,
                initial=DuplicateChoice.CREATE,
                widget=forms.RadioSelect,
            )

    def clean(self):
        cleaned = super().clean()
        unknown = sorted(
            name for name in self.data if name.startswith("row_") and name not in self.fields
        )
        if unknown:
            raise forms.ValidationError(
                f"{', '.join(unknown)}: only the rows warned of as likely duplicates can be "
                "linked or skipped."
            )
        return cleaned

    def choice_field(self, row: int) -> forms.BoundField | None:
        """The choice for a warned row, to render beside its warning."""
        name = f"row_{row}"
        return self[name] if name in self.fields else None

    def _chosen(self, choice: str) -> list[int]:
        return [row for row in self.duplicates if self.cleaned_data.get(f"row_{row}") == choice]

    @property
    def skip_rows(self) -> list[int]:
        return self._chosen(DuplicateChoice.SKIP)

    @property
    def link_rows(self) -> dict[int, str]:
        return {row: self.duplicates[row] for row in self._chosen(DuplicateChoice.LINK)}
