from decimal import Decimal

import pytest

from csos.exports import CHUNK_ROWS, _csv_chunks, csv_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_it_keeps_text_that_would_start_a_formula_as_text(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Acme", "", "a=b", Decimal("-5"), -3, None])
def test_it_leaves_other_cells_alone(value):
    assert csv_cell(value) == value


def test_it_writes_the_header_once_across_chunks():
    rows = [(number, f"row {number}") for number in range(CHUNK_ROWS * 2 + 5)]
    chunks = list(_csv_chunks(("Number", "Name"), rows))
    assert len(chunks) == 3
    text = "".join(chunks)
    assert text.startswith("\ufeffNumber,Name\r\n0,row 0\r\n")
    assert text.count("Number,Name") == 1
    assert text.count("\r\n") == 1 + len(rows)
