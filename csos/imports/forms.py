"""The upload step's form, and the mapping step's: a field per header, and a choice per value
of each value field."""

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from csos.imports.spec import LEAVE_BLANK, ColumnMapping, ImportSpec, guess_value

IGNORE = ""
SHOWN_SAMPLES = 3
MAX_LABEL_LENGTH = 80  # a header cell can be as long as the file
VALUES_SHOWN = "values_shown"  # the hidden input naming the value fields the page asked for


class UploadedCsv(NamedTuple):
    name: str
    content: str


def uploaded_csv(upload: UploadedFile, *, max_bytes: int) -> UploadedCsv:
    """An uploaded file's text, refused (ValidationError) unless it is a UTF-8 CSV file."""
    if not upload.name.lower().endswith(".csv"):
        raise forms.ValidationError("Upload a .csv file.")
    if upload.size > max_bytes:
        raise forms.ValidationError(f"The file is larger than {filesizeformat(max_bytes)}.")
    try:
        # utf-8-sig drops the byte-order mark that spreadsheet "CSV UTF-8" exports start with.
        content = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise forms.ValidationError(
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
        ) from None
    if "\x00" in content:
        raise forms.ValidationError("The file is not a CSV text file.")
    if not content.strip():
        raise forms.ValidationError("The file is empty.")
    return UploadedCsv(name=upload.name, content=content)


class CsvUploadForm(forms.Form):
    """A UTF-8 CSV file of at most the bytes of one API batch."""

    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row; you match the columns to fields next.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> UploadedCsv:
        return uploaded_csv(self.cleaned_data["file"], max_bytes=settings.API_BATCH_MAX_BYTES)


def _initial(remembered: str | None) -> str | None:
    """A remembered meaning, unless it is blank: a blank is guessed again (see apply_mapping)."""
    return None if remembered == LEAVE_BLANK else remembered


class ColumnMappingForm(forms.Form):
    """Confirm or correct the field guessed for each header, and what the file's values mean.

    ``columns`` holds the field proposed for each header (None: ignored). For every value field
    proposed for a column, each of that column's ``samples`` (its distinct values) gets a choice
    among the field's ``choices``, proposed by ``values`` (what such values meant before) or
    ``guess_value``; "keep as written" leaves the value for the check to accept or report. A
    field that may be left blank proposes that for a value it cannot place (an owner who is no
    member is left unassigned), so an unknown value never fails the check by default.
    """

    def __init__(
        self,
        *args,
        spec: ImportSpec,
        headers: Sequence[str],
        columns: Sequence[str | None],
        samples: Sequence[Sequence[str]],
        choices: Mapping[str, Sequence[tuple[str, str]]],
        values: Mapping[str, Mapping[str, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.spec = spec
        self.headers = list(headers)
        self.samples = samples
        field_choices = [(IGNORE, "Ignore this column")] + [
            (spec_field.key, f"{spec_field.label}{' (required)' if spec_field.required else ''}")
            for spec_field in spec.fields
        ]
        for position, header in enumerate(self.headers):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=header[:MAX_LABEL_LENGTH] or f"Column {position + 1}",
                choices=field_choices,
                required=False,
                initial=columns[position] or IGNORE,
            )
        # Per value field: its key, label, and the form field name of each of its values.
        self.value_groups: list[tuple[str, str, dict[str, str]]] = []
        known = values or {}
        # The values asked for are those of the columns as now chosen: a column moved to a
        # value field by hand gets its values asked for when the form comes back.
        chosen = [
            (self.data.get(f"column_{position}") or None) if self.is_bound else key
            for position, key in enumerate(columns)
        ]
        seen: set[str] = set()
        for position, key in enumerate(chosen):
            if key in seen:
                continue
            seen.add(key)
            if key not in spec.value_keys or key not in choices or not samples[position]:
                continue
            names = {}
            blank_label = spec.field(key).blank_label
            blank = [(LEAVE_BLANK, blank_label)] if blank_label else []
            for number, value in enumerate(samples[position]):
                name = f"value_{key}_{number}"
                self.fields[name] = forms.ChoiceField(
                    label=value,
                    choices=[*blank, (IGNORE, "Keep as written"), *choices[key]],
                    required=False,
                    initial=_initial(known.get(key, {}).get(value))
                    or guess_value(value, choices[key])
                    or (LEAVE_BLANK if blank else None),
                )
                names[name] = value
            self.value_groups.append((key, spec.field(key).label, names))

    def column_rows(self) -> list[tuple[forms.BoundField, list[str]]]:
        """Each header's field, with a few of its values to recognise it by."""
        return [
            (self[f"column_{position}"], list(self.samples[position][:SHOWN_SAMPLES]))
            for position in range(len(self.headers))
        ]

    def value_fields(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        """Per value field: its key, its label and the choice for each of its values."""
        return [
            (key, label, [self[name] for name in names]) for key, label, names in self.value_groups
        ]

    @property
    def values_shown(self) -> str:
        """The value fields whose values this rendering asks for, sent back with the answer."""
        return ",".join(key for key, _, _ in self.value_groups)

    def clean(self):
        cleaned = super().clean()
        chosen = [
            cleaned.get(f"column_{position}") or None for position in range(len(self.headers))
        ]
        for key in self.spec.keys:
            positions = [position for position, choice in enumerate(chosen) if choice == key]
            label = self.spec.field(key).label
            if len(positions) > 1:
                for position in positions[1:]:
                    self.add_error(
                        f"column_{position}",
                        f"{label} is already filled by column {self.headers[positions[0]]!r}.",
                    )
            if not positions and self.spec.field(key).required:
                raise forms.ValidationError(
                    f"Choose the column that holds {label}: it is required."
                )
        shown = set(self.data.get(VALUES_SHOWN, "").split(","))
        for key, label, _ in self.value_groups:
            if key not in shown:
                self.add_error(None, f"Say below what each value of {label} means, then confirm.")
        return cleaned

    def mapping(self) -> ColumnMapping:
        """The confirmed mapping; only valid after is_valid()."""
        columns = tuple(
            self.cleaned_data[f"column_{position}"] or None for position in range(len(self.headers))
        )
        values = {
            key: {
                value: self.cleaned_data[name]
                for name, value in names.items()
                if self.cleaned_data[name]
            }
            for key, _, names in self.value_groups
        }
        return ColumnMapping(columns=columns, values={key: v for key, v in values.items() if v})
