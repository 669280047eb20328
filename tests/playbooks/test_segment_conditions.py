import numpy as np
import pandas as pd
import pytest

from playbooks.segments.conditions import (
    CHOICE,
    DEFAULT,
    LEVEL,
    NUMBER,
    SCALE,
    ConditionError,
    Field,
    clause_holds,
    clause_parse,
    clause_text,
    condition_parse,
    rules_match,
)

FIELDS = {
    "arr": Field("arr", "ARR", NUMBER),
    "complexity": Field("complexity", "Complexity", SCALE),
    "proven_level": Field("proven_level", "Proven level", LEVEL),
    "health_band": Field(
        "health_band", "Health band", CHOICE, (("green", "Green"), ("red", "Red"))
    ),
}
FRAME = pd.DataFrame(
    {
        "arr": [100.0, 250.0, np.nan, 50.0],
        "complexity": [1, 3, 5, 3],
        "proven_level": [0, 2, 4, 2],
        "health_band": ["green", "red", None, "red"],
    }
)


def _holds(field, op, value) -> list[bool]:
    clause = clause_parse({"field": field, "op": op, "value": value}, fields=FIELDS, position=1)
    return clause_holds(FRAME, clause).tolist()


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", "100", [True, False, False, False]),
        ("ne", "100", [False, True, False, True]),
        ("gt", "100", [False, True, False, False]),
        ("gte", "100", [True, True, False, False]),
        ("lt", "100", [False, False, False, True]),
        ("lte", "100", [True, False, False, True]),
    ],
)
def test_it_applies_each_number_operator_and_never_matches_a_missing_arr(op, value, expected):
    assert _holds("arr", op, value) == expected


def test_it_applies_scale_and_level_comparisons():
    assert _holds("complexity", "gte", 3) == [False, True, True, True]
    assert _holds("proven_level", "lt", "2") == [True, False, False, False]


def test_it_applies_in_and_not_in_by_key_or_label_and_never_matches_a_missing_band():
    assert _holds("health_band", "in", "Red") == [False, True, False, True]
    assert _holds("health_band", "not_in", ["red"]) == [True, False, False, False]


def test_it_places_each_account_by_the_first_rule_that_holds_and_the_rest_by_default():
    big = condition_parse(
        {"match": "all", "clauses": [{"field": "arr", "op": "gte", "value": 100}]},
        fields=FIELDS,
    )
    complex_or_red = condition_parse(
        {
            "match": "any",
            "clauses": [
                {"field": "complexity", "op": "eq", "value": 5},
                {"field": "health_band", "op": "in", "value": "red"},
            ],
        },
        fields=FIELDS,
    )
    assert rules_match(FRAME, [big, complex_or_red]).tolist() == [0, 0, 1, 1]
    assert rules_match(FRAME, [complex_or_red, big]).tolist() == [1, 0, 0, 0]
    assert rules_match(FRAME.iloc[:1], [complex_or_red]).tolist() == [DEFAULT]


def test_it_matches_every_clause_under_all():
    both = condition_parse(
        {
            "match": "all",
            "clauses": [
                {"field": "arr", "op": "gt", "value": 60},
                {"field": "health_band", "op": "in", "value": "red"},
            ],
        },
        fields=FIELDS,
    )
    assert rules_match(FRAME, [both]).tolist() == [DEFAULT, 0, DEFAULT, DEFAULT]


def test_it_places_an_empty_frame_without_error():
    rule = condition_parse(
        {"match": "all", "clauses": [{"field": "arr", "op": "gt", "value": 1}]}, fields=FIELDS
    )
    assert rules_match(FRAME.iloc[:0], [rule]).tolist() == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"field": "revenue", "op": "gt", "value": 1}, "'revenue' is not a field"),
        ({"field": "arr", "op": "in", "value": 1}, "'in' does not fit ARR"),
        ({"field": "health_band", "op": "gt", "value": "red"}, "'gt' does not fit Health band"),
        ({"field": "arr", "op": "gt", "value": "lots"}, "ARR takes a number, not 'lots'"),
        ({"field": "complexity", "op": "gt", "value": 6}, "whole number from 1 to 5"),
        ({"field": "complexity", "op": "gt", "value": 2.5}, "whole number from 1 to 5"),
        ({"field": "health_band", "op": "in", "value": "purple"}, "not purple"),
        ({"field": "arr", "op": "gt", "value": True}, "takes a number"),
    ],
)
def test_it_refuses_a_clause_outside_the_whitelist(raw, message):
    with pytest.raises(ConditionError, match=message) as error:
        clause_parse(raw, fields=FIELDS, position=2)
    assert error.value.position == 2


def test_it_refuses_a_rule_without_clauses_or_with_an_unknown_match():
    with pytest.raises(ConditionError, match="at least one condition"):
        condition_parse({"match": "all", "clauses": []}, fields=FIELDS)
    with pytest.raises(ConditionError, match="choose all or any"):
        condition_parse({"match": "most", "clauses": [{}]}, fields=FIELDS)


def test_it_reads_a_clause_as_a_person_would():
    clause = clause_parse(
        {"field": "health_band", "op": "in", "value": "red,green"}, fields=FIELDS, position=1
    )
    assert clause_text(clause, FIELDS["health_band"]) == "Health band in Green, Red"
    arr = clause_parse({"field": "arr", "op": "gte", "value": "100000"}, fields=FIELDS, position=1)
    assert clause_text(arr, FIELDS["arr"]) == "ARR ≥ 100,000"
