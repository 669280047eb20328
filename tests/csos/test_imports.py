"""The reusable column-mapping import: matching, limits, error summaries and remembered mappings."""

import pandas as pd
import pytest

from csos.imports.forms import ColumnMappingForm
from csos.imports.reading import (
    FileRefused,
    Limits,
    apply_mapping,
    column_samples,
    read_header,
    read_table,
    summarize_errors,
)
from csos.imports.services import import_mapping_find, import_mapping_remember
from csos.imports.spec import (
    ColumnMapping,
    FieldSpec,
    ImportSpec,
    fingerprint,
    guess_columns,
    guess_value,
    is_own_format,
    template_csv,
)
from csos.models import ImportMapping

# A spec that is not the accounts one: the machinery knows nothing of accounts.
TICKETS = ImportSpec(
    kind="tickets",
    fields=(
        FieldSpec(
            "ticket_id", "Ticket ID", required=True, synonyms=("case number",), example="T-1"
        ),
        FieldSpec("priority", "Priority", maps_values=True, lookalikes=("severity",), example="p1"),
        FieldSpec("opened_on", "Opened on", synonyms=("created",), example="2025-01-31"),
    ),
)
PRIORITIES = [("p1", "Urgent"), ("p2", "High"), ("p3", "Normal")]
LIMITS = Limits(max_columns=5, max_rows=3, max_listed_errors=2)


def keys(headers: list[str]) -> list[str | None]:
    return [guess.key for guess in guess_columns(headers, TICKETS)]


def test_it_matches_headers_by_name_then_synonym_then_fuzzily():
    assert keys(["Ticket ID", "Case Number", "Prioritty", "Colour"]) == [
        "ticket_id",
        None,  # the field is taken by the exact match
        "priority",
        None,
    ]
    assert [g.how for g in guess_columns(["case number", "Opened On"], TICKETS)] == [
        "synonym",
        "exact",
    ]


def test_it_never_guesses_a_lookalike_but_takes_the_fields_own_key():
    assert keys(["ticket_id", "Severity"]) == ["ticket_id", None]
    assert keys(["ticket_id", "priority"]) == ["ticket_id", "priority"]


def test_it_tells_the_imports_own_format_from_a_file_that_needs_mapping():
    assert is_own_format(guess_columns(["ticket_id", "Priority"], TICKETS))
    assert not is_own_format(guess_columns(["Case Number", "Priority"], TICKETS))
    assert not is_own_format(guess_columns(["ticket_id", "Notes"], TICKETS))


def test_it_fingerprints_a_header_row_whatever_its_spacing_and_case():
    assert fingerprint(["Ticket ID", "Priority"]) == fingerprint([" ticket_id", "PRIORITY "])
    assert fingerprint(["Ticket ID", "Priority"]) != fingerprint(["Priority", "Ticket ID"])


def test_it_guesses_a_value_by_its_value_or_label_and_leaves_the_unknown_alone():
    assert guess_value("URGENT", PRIORITIES) == "p1"
    assert guess_value("p2", PRIORITIES) == "p2"
    assert guess_value("Normall", PRIORITIES) == "p3"
    assert guess_value("Whenever", PRIORITIES) is None


def test_it_writes_a_template_with_every_field_and_an_example_row():
    assert template_csv(TICKETS) == "ticket_id,priority,opened_on\nT-1,p1,2025-01-31\n"


def test_it_reads_a_file_whose_first_lines_are_blank():
    table = read_table("\n \nticket_id,priority\nT-1,Urgent\n", LIMITS)
    assert table.headers == ["ticket_id", "priority"]
    assert table.frame.index.tolist() == [2, 3]  # spreadsheet rows 3 and 4
    assert table.frame.loc[3].tolist() == ["T-1", "Urgent"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        ("\n\n", "The file is empty."),
        ("a,b,c,d,e,f\n1,2,3,4,5,6\n", "The file has 6 columns; an import takes at most 5."),
        ("a\n1\n2\n3\n4\n", "The file has more than 3 rows; an import takes at most 3."),
    ],
)
def test_it_refuses_a_file_naming_the_limit_it_broke(text, message):
    with pytest.raises(FileRefused, match=message):
        read_table(text, LIMITS)


def test_it_refuses_a_huge_header_before_reading_the_rows():
    header = ",".join(f"c{n}" for n in range(150_000))
    with pytest.raises(FileRefused, match="150,000 columns"):
        read_header(header + "\n", LIMITS)


def test_it_counts_rows_within_the_limit_even_with_blank_lines_between():
    table = read_table("a\n1\n\n2\n3\n", LIMITS)
    assert table.frame[0].tolist() == ["a", "1", "", "2", "3"]


def test_it_keeps_samples_only_of_columns_with_few_values():
    lines = ["id,priority"] + [f"T-{n},{'Urgent' if n % 2 else 'High'}" for n in range(60)]
    table = read_table("\n".join(lines), Limits(max_columns=5, max_rows=100, max_listed_errors=2))
    assert column_samples(table) == [[], ["High", "Urgent"]]


def test_it_applies_a_mapping_to_headers_and_values_dropping_ignored_columns():
    table = read_table("Case,Sev,Notes\nT-1,Hot,x\nT-2,Urgent,y\nT-3,Meh,z\n", LIMITS)
    frame = apply_mapping(
        table,
        columns=("ticket_id", "priority", None),
        values={"priority": {"Hot": "p1"}},
        choices={"priority": PRIORITIES},
    )
    assert frame.values.tolist() == [
        ["ticket_id", "priority"],
        ["T-1", "p1"],
        ["T-2", "p1"],  # no mapping given: guessed from the choices
        ["T-3", "Meh"],  # neither: left for the check to report
    ]


def test_it_counts_errors_by_kind_and_lists_only_the_first():
    errors = pd.DataFrame(
        [
            {"row": 2, "field": "priority", "message": "'x' is not a priority."},
            {"row": 3, "field": "priority", "message": "'y' is not a priority."},
            {"row": 3, "field": "opened_on", "message": "'z' is not a date."},
            {"row": 4, "field": "priority", "message": "'w' is not a priority."},
        ]
    )
    summary = summarize_errors(errors, LIMITS)
    assert summary.total == 4
    assert [error["row"] for error in summary.errors] == [2, 3]
    assert summary.kinds == [
        {"field": "priority", "example": "'x' is not a priority.", "count": 3},
        {"field": "opened_on", "example": "'z' is not a date.", "count": 1},
    ]


def test_it_summarises_no_errors():
    empty = pd.DataFrame(columns=["row", "field", "message"])
    assert summarize_errors(empty, LIMITS).kinds == []


def form(data=None, columns=("ticket_id", "priority", None)):
    return ColumnMappingForm(
        data,
        spec=TICKETS,
        headers=["Case", "Sev", "Notes"],
        columns=columns,
        samples=[[], ["Hot", "Urgent"], []],
        choices={"priority": PRIORITIES},
    )


def test_it_offers_the_guesses_and_maps_values_in_the_form():
    unbound = form()
    assert unbound["column_0"].initial == "ticket_id"
    assert unbound["column_2"].initial == ""
    [(_, label, fields)] = unbound.value_fields()
    assert label == "Priority"
    assert [(f.label, f.initial) for f in fields] == [("Hot", None), ("Urgent", "p1")]

    answer = {"column_0": "ticket_id", "column_1": "priority", "value_priority_0": "p1"}
    bound = form(answer | {"values_shown": "priority"})
    assert bound.is_valid(), bound.errors
    assert bound.mapping() == ColumnMapping(
        columns=("ticket_id", "priority", None), values={"priority": {"Hot": "p1"}}
    )


def test_it_asks_for_the_values_of_a_column_moved_to_a_value_field():
    moved = form(
        {"column_0": "ticket_id", "column_1": "priority"}, columns=("ticket_id", None, None)
    )
    assert not moved.is_valid()
    assert "Say below what each value of Priority means" in str(moved.non_field_errors())
    assert moved.values_shown == "priority"


def test_it_refuses_a_mapping_without_a_required_field_or_with_a_field_twice():
    missing = form({"column_1": "priority"})
    assert not missing.is_valid()
    assert "Ticket ID: it is required" in str(missing.non_field_errors())
    twice = form({"column_0": "ticket_id", "column_1": "ticket_id"})
    assert not twice.is_valid()
    assert twice.errors["column_1"] == ["Ticket ID is already filled by column 'Case'."]


def test_it_remembers_a_mapping_per_workspace_kind_and_header_row(in_alpha, alpha, alice, beta):
    mapping = ColumnMapping(columns=("ticket_id", None), values={"priority": {"Hot": "p1"}})
    import_mapping_remember(
        workspace=alpha, kind="tickets", headers=["Case", "Sev"], mapping=mapping, by=alice
    )
    assert import_mapping_find(kind="tickets", headers=[" case", "SEV"]) == mapping
    assert import_mapping_find(kind="usage", headers=["Case", "Sev"]) is None
    assert import_mapping_find(kind="tickets", headers=["Case", "Sev", "More"]) is None

    changed = ColumnMapping(columns=("ticket_id", "priority"))
    import_mapping_remember(
        workspace=alpha, kind="tickets", headers=["Case", "Sev"], mapping=changed, by=alice
    )
    assert import_mapping_find(kind="tickets", headers=["Case", "Sev"]) == changed
    assert ImportMapping.dangerously_unscoped.count() == 1
