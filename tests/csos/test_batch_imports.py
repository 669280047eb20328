"""A CSV file as the records of one bulk batch: no database needed to build them."""

import pandas as pd

from csos.imports.batch import frame_records
from csos.imports.reading import Limits, apply_mapping, read_table

LIMITS = Limits(max_columns=10, max_rows=100, max_listed_errors=10)


def _mapped(text: str, columns) -> pd.DataFrame:
    table = read_table(text, LIMITS)
    return apply_mapping(table, columns=columns, values={}, choices={})


def test_it_makes_a_record_per_filled_row_with_its_spreadsheet_row():
    frame = _mapped(
        "\nid,count,ignored\nA,3,x\n\n,,\nB,2.5,y\nC,lots,z\n",
        ["account_external_id", "value", None],
    )
    records, rows = frame_records(frame, numbers=frozenset({"value"}))
    assert records == [
        {"account_external_id": "A", "value": 3},
        {"account_external_id": "B", "value": 2.5},
        {"account_external_id": "C", "value": "lots"},
    ]
    assert rows == [3, 6, 7]


def test_it_leaves_a_blank_cell_out_so_the_stored_value_stays():
    frame = _mapped("email,name\na@x.example,\n b@x.example , Bo \n", ["email", "name"])
    records, _rows = frame_records(frame, numbers=frozenset())
    assert records == [{"email": "a@x.example"}, {"email": "b@x.example", "name": "Bo"}]


def test_it_reads_a_file_of_one_mapped_column_with_numbers_it_cannot_represent():
    frame = _mapped("value,notes\n1e309,a\nnan,b\n", ["value", None])
    records, _rows = frame_records(frame, numbers=frozenset({"value"}))
    assert [type(record["value"]) for record in records] == [float, float]
