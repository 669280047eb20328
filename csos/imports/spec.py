"""What a CSV import expects, and how a file's headers and values are matched to it.

Pure Python: no Django, no database. An app describes its import once as an ``ImportSpec``;
the matching, the mapping page and the remembered mappings work from that description alone,
so every CSV import (accounts, usage, stakeholders, tickets) shares them.
"""

import csv
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

# A fuzzy match below this score (0-100) is no guess at all: the column is left unmapped.
FUZZY_CUTOFF = 85
# What a mapping stores for a value that is to be left blank (unassigned, not given).
LEAVE_BLANK = "__blank__"
# The suffix Salesforce gives the API names of custom fields: ARR__c, Renewal_Date__c.
CUSTOM_FIELD_SUFFIX = re.compile(r"__c$", re.IGNORECASE)


@dataclass(frozen=True)
class FieldSpec:
    """One field a file can fill.

    ``synonyms`` are the headers other systems use for it; ``lookalikes`` are headers that read
    like it but mean something else (a CRM's sales "Lifecycle Stage" is no customer-success
    stage), so they are never guessed, only chosen by hand. A field with ``maps_values`` has a
    fixed set of values; the file's own values are mapped onto them. A value field with a
    ``blank_label`` ("Leave unassigned") may leave a value blank, and does so by default for a
    value that matches none of its choices.
    """

    key: str
    label: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    lookalikes: tuple[str, ...] = ()
    maps_values: bool = False
    example: str = ""
    blank_label: str = ""


@dataclass(frozen=True)
class ImportSpec:
    """The fields of one kind of import, in the order its template file lists them."""

    kind: str
    fields: tuple[FieldSpec, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields)

    @property
    def required_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for spec in self.fields if spec.required)

    @property
    def value_keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields if spec.maps_values)

    def field(self, key: str) -> FieldSpec:
        return next(spec for spec in self.fields if spec.key == key)


@dataclass(frozen=True)
class ColumnGuess:
    """The field guessed for one header (None: ignored) and how: exact, synonym or fuzzy."""

    header: str
    key: str | None
    how: str = ""


def normalize(header: str) -> str:
    """A header as compared: " Owner E-mail" and "owner_email" are both "owner email"."""
    text = re.sub(r"[\s\-_/.]+", " ", str(header).strip().lower()).strip()
    return text.replace("e mail", "email")


def field_name(header: str) -> str:
    """A header as compared with field names: API names read as words, so Salesforce's
    "OwnerId" is "owner id" and its custom field "Renewal_Date__c" is "renewal date"."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", CUSTOM_FIELD_SUFFIX.sub("", str(header).strip()))
    return normalize(words)


def fingerprint(headers: Sequence[str]) -> str:
    """The identity of a header row: the same columns in the same order, whatever the spacing."""
    joined = "\x1f".join(normalize(header) for header in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def guess_columns(headers: Sequence[str], spec: ImportSpec) -> list[ColumnGuess]:
    """The field each header most likely fills, each field guessed for one header at most.

    Exact names (the field's key or label) come first, then known synonyms, then fuzzy matches
    of at least FUZZY_CUTOFF; a header that is a field's lookalike is never guessed, unless it
    is literally a field's key ("lifecycle_stage", not "Lifecycle Stage").
    """
    keys = set(spec.keys)
    exact: dict[str, str] = {}
    synonym: dict[str, str] = {}
    lookalike: set[str] = set()
    for spec_field in spec.fields:
        for name in (spec_field.key, spec_field.label):
            exact.setdefault(normalize(name), spec_field.key)
        for name in spec_field.synonyms:
            synonym.setdefault(normalize(name), spec_field.key)
        lookalike.update(normalize(name) for name in spec_field.lookalikes)
    choices = {**synonym, **exact}

    candidates: list[tuple[int, int, int, str, str]] = []  # (rank, -score, position, key, how)
    for position, header in enumerate(headers):
        name = field_name(header)
        literal = str(header).strip().lower()
        if literal in keys:  # the field's own key, as the template file writes it
            candidates.append((0, -100, position, literal, "exact"))
        elif not name or name in lookalike:
            continue
        elif name in exact:
            candidates.append((0, -100, position, exact[name], "exact"))
        elif name in synonym:
            candidates.append((1, -100, position, synonym[name], "synonym"))
        else:
            match = process.extractOne(
                name, list(choices), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
            if match:
                candidates.append((2, -int(match[1]), position, choices[match[0]], "fuzzy"))

    guesses = [ColumnGuess(header=str(header), key=None) for header in headers]
    taken: set[str] = set()
    for _rank, _score, position, key, how in sorted(candidates):
        if key in taken or guesses[position].key is not None:
            continue
        taken.add(key)
        guesses[position] = ColumnGuess(header=str(headers[position]), key=key, how=how)
    return guesses


def is_own_format(guesses: Sequence[ColumnGuess]) -> bool:
    """Whether every header names a field exactly: a file in the import's own format."""
    return bool(guesses) and all(guess.how == "exact" for guess in guesses)


def guess_value(value: str, choices: Sequence[tuple[str, str]]) -> str | None:
    """The choice a file's value most likely means: its value or label in any case, else fuzzy."""
    wanted = value.strip().casefold()
    for choice, label in choices:
        if wanted in (choice.casefold(), label.casefold()):
            return choice
    labels = {label.casefold(): choice for choice, label in choices}
    match = process.extractOne(wanted, list(labels), scorer=fuzz.ratio, score_cutoff=90)
    return labels[match[0]] if match else None


def template_csv(spec: ImportSpec) -> str:
    """A file with every field as a header and one example row: the format to fill in."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(spec.keys)
    writer.writerow(spec_field.example for spec_field in spec.fields)
    return out.getvalue()


@dataclass(frozen=True)
class ColumnMapping:
    """A confirmed mapping: per header in order, its field or None (ignored); and per value
    field, what each of the file's values stands for."""

    columns: tuple[str | None, ...]
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
