"""The pure CSV checker, on hand-built files: no database."""

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from accounts import csv_import as csv
from accounts.csv_import import ImportRules, column_key, parse_accounts_csv
from accounts.models import Account, AccountStatus, LifecycleStage, Segment

RULES = ImportRules(
    owner_emails=frozenset({"bob@alpha.example", "lena@alpha.example"}),
    choices={
        csv.LIFECYCLE_STAGE: LifecycleStage.choices,
        csv.STATUS: AccountStatus.choices,
        csv.SEGMENT: Segment.choices,
    },
)
NO_ACCOUNTS = pd.DataFrame(columns=csv.EXISTING_COLUMNS)


def parse(text: str, existing: pd.DataFrame = NO_ACCOUNTS) -> csv.ParsedImport:
    return parse_accounts_csv(text, rules=RULES, existing=existing)


def problems(text: str, existing: pd.DataFrame = NO_ACCOUNTS) -> set[tuple]:
    return {(e["row"], e["field"]) for e in parse(text, existing).errors}


def test_it_reads_a_full_row_into_typed_values():
    parsed = parse(
        "external_id,name,owner_email,arr,currency,contract_start,renewal_date,licensed_seats,"
        "lifecycle_stage,status,segment,industry,complexity,strategic_potential,"
        "product_maturity,implementation_difficulty,executive_visibility\n"
        "A-1,Acme,Bob@Alpha.example,1200.5,eur,2025-01-01,2026-01-01,10,"
        "Value realisation,ACTIVE,mid_market,Retail,1,2,3,4,5\n"
    )
    expected = pd.DataFrame(
        [
            {
                "external_id": "A-1",
                "name": "Acme",
                "owner_email": "bob@alpha.example",
                "arr": Decimal("1200.50"),
                "currency": "EUR",
                "contract_start": dt.date(2025, 1, 1),
                "renewal_date": dt.date(2026, 1, 1),
                "licensed_seats": 10,
                "lifecycle_stage": "value",
                "status": "active",
                "segment": "mid_market",
                "industry": "Retail",
                "complexity": 1,
                "strategic_potential": 2,
                "product_maturity": 3,
                "implementation_difficulty": 4,
                "executive_visibility": 5,
            }
        ],
        index=[2],
        dtype=object,
    )
    assert parsed.errors == []
    assert parsed.row_count == 1
    assert_frame_equal(parsed.rows, expected)


def test_it_matches_column_names_whatever_their_case_and_spacing():
    assert column_key(" External ID ") == "external_id"
    assert column_key("Owner E-mail") == "owner_email"
    parsed = parse(" External ID ,NAME,Licensed  Seats\nA-1,Acme,3\n")
    assert parsed.errors == []
    assert list(parsed.rows.columns) == ["external_id", "name", "licensed_seats"]


def test_it_keeps_only_the_columns_the_file_has_and_none_for_blank_cells():
    parsed = parse("external_id,name,arr,industry\nA-1,Acme,,\n")
    assert parsed.errors == []
    assert parsed.rows.to_dict("records") == [
        {"external_id": "A-1", "name": "Acme", "arr": None, "industry": None}
    ]


def test_it_treats_missing_trailing_cells_as_blank():
    parsed = parse("external_id,name,industry,arr\nA-1,Acme\n")
    assert parsed.errors == []
    assert parsed.rows.loc[2, "arr"] is None


def test_it_reports_an_empty_file():
    parsed = parse("")
    assert parsed.errors == [{"row": None, "field": None, "message": "The file is empty."}]
    assert parsed.rows.empty
    assert parsed.row_count == 0


def test_it_reports_a_header_without_rows():
    parsed = parse("external_id,name\n\n")
    assert [e["message"] for e in parsed.errors] == ["The file has no data rows below its header."]
    assert parsed.rows.empty


def test_it_reports_missing_required_and_unknown_columns_on_the_header_row():
    parsed = parse("name,Colour\nAcme,red\n")
    assert problems("name,Colour\nAcme,red\n") == {(1, "Colour"), (1, "external_id")}
    assert "Unknown column 'Colour'" in parsed.errors[0]["message"]


def test_it_reports_a_column_given_twice():
    assert (1, "Name") in problems("external_id,name,Name\nA-1,Acme,Acme\n")


def test_it_ignores_a_column_with_neither_a_header_nor_a_value():
    parsed = parse("external_id,name,\nA-1,Acme,\nA-2,Globex, \n")
    assert parsed.errors == []
    assert list(parsed.rows.columns) == ["external_id", "name"]
    assert problems("external_id,,name\nA-1,,Acme\n") == set()


def test_it_reports_a_column_with_values_but_no_header_by_its_spreadsheet_number():
    errors = parse("external_id,,name,\nA-1,,Acme,oops\n").errors
    assert [(e["row"], e["field"], e["message"]) for e in errors] == [
        (1, None, "Column 4 has no name.")
    ]


def test_it_reports_a_row_with_more_cells_than_the_header():
    [error] = parse("external_id,name\nA-1,Acme,extra\n").errors
    assert error["row"] is None
    assert "Expected 2 fields" in error["message"]


def test_it_numbers_rows_as_a_spreadsheet_does_despite_blank_lines():
    text = "external_id,name\nA-1,Acme\n\nA-3,\n"
    assert parse(text).errors == [{"row": 4, "field": "name", "message": "A value is required."}]
    assert parse(text).row_count == 2


def test_it_reports_every_bad_cell_of_every_row():
    text = (
        "external_id,name,owner_email,arr,currency,contract_start,renewal_date,licensed_seats,"
        "lifecycle_stage,status,segment,complexity\n"
        "A-1,Good,,100,USD,2025-01-01,2026-01-01,5,onboarding,active,small,3\n"
        ",,zed@alpha.example,-5,EURO,2025-13-01,01/02/2026,1.5,nope,gone,huge,6\n"
        "A-1," + "x" * 201 + ",,abc,,2025-02-01,2025-01-01,-1,,,,two\n"
    )
    assert problems(text) == {
        (3, "external_id"),
        (3, "name"),
        (3, "owner_email"),
        (3, "arr"),
        (3, "currency"),
        (3, "contract_start"),
        (3, "renewal_date"),
        (3, "licensed_seats"),
        (3, "lifecycle_stage"),
        (3, "status"),
        (3, "segment"),
        (3, "complexity"),
        (4, "external_id"),
        (4, "name"),
        (4, "arr"),
        (4, "renewal_date"),
        (4, "licensed_seats"),
        (4, "complexity"),
    }
    assert list(parse(text).rows.index) == [2]


@pytest.mark.parametrize(
    ("column", "cell", "message"),
    [
        ("arr", "12k", "'12k' is not a number."),
        ("arr", "NaN", "'NaN' is not a number."),
        ("arr", "-1", "ARR cannot be negative."),
        ("arr", "1.001", "'1.001' has more than two decimal places."),
        ("arr", "1000000000000", "ARR must be below 1,000,000,000,000."),
        ("licensed_seats", "ten", "'ten' is not a whole number of seats (0 or more)."),
        ("complexity", "2.5", "'2.5' is not a whole number from 1 to 5."),
        ("complexity", "0", "'0' is not a whole number from 1 to 5."),
        ("currency", "U$D", "'U$D' is not an ISO 4217 currency code."),
        ("contract_start", "2025-02-30", "'2025-02-30' is not a date like 2025-01-31."),
        ("segment", "Huge", "'Huge' is not one of: small, mid_market, enterprise."),
        ("owner_email", "carol@beta.example", "carol@beta.example is not a CSM, leader or admin"),
        ("name", "x" * 201, "Longer than 200 characters."),
    ],
)
def test_it_explains_each_kind_of_bad_cell(column, cell, message):
    header = "external_id,name" if column == "name" else f"external_id,name,{column}"
    line = f"A-1,{cell}" if column == "name" else f"A-1,Acme,{cell}"
    [error] = parse(f"{header}\n{line}\n").errors
    assert (error["row"], error["field"]) == (2, column)
    assert error["message"].startswith(message)


def test_it_names_the_first_row_of_a_duplicate_external_id():
    errors = parse("external_id,name\nA-1,Acme\nA-2,Beta\nA-1,Again\n").errors
    assert errors == [
        {
            "row": 4,
            "field": "external_id",
            "message": "Duplicate external_id 'A-1': row 2 has it already.",
        }
    ]


def test_it_accepts_a_choice_by_value_or_label_in_any_case():
    text = "external_id,name,segment\nA-1,Acme,ENTERPRISE\nA-2,Beta,mid-MARKET\nA-3,C,midmarket\n"
    parsed = parse(text)
    assert parsed.rows["segment"].tolist() == ["enterprise", "mid_market"]
    assert problems(text) == {(4, "segment")}


def test_it_checks_a_lone_renewal_date_against_the_existing_contract_start():
    existing = pd.DataFrame(
        {
            "external_id": ["A-1"],
            "contract_start": [dt.date(2025, 6, 1)],
            "renewal_date": [None],
            "status": ["active"],
            "currency": ["USD"],
            "has_arr_movements": [False],
        }
    )
    text = "external_id,name,renewal_date\nA-1,Acme,2025-01-01\nA-2,New,2025-01-01\n"
    assert problems(text, existing) == {(2, "renewal_date")}
    assert problems("external_id,name,contract_start\nA-1,Acme,2024-01-01\n", existing) == set()


def test_it_refuses_an_existing_frame_without_its_columns():
    with pytest.raises(ValueError, match="existing lacks columns"):
        parse_accounts_csv("external_id,name\nA,B\n", rules=RULES, existing=pd.DataFrame())


def test_it_refuses_a_new_currency_for_an_account_with_an_arr_ledger():
    existing = pd.DataFrame(
        {
            "external_id": ["L-1", "L-2", "L-3", "F-1"],
            "contract_start": None,
            "renewal_date": None,
            "status": "active",
            "currency": "USD",
            "has_arr_movements": [True, True, True, False],
        }
    )
    text = (
        "external_id,name,currency\n"
        "L-1,Relabelled,eur\n"  # 2: refused
        "L-2,Same code,usd\n"
        "L-3,Currency left blank,\n"
        "F-1,No ledger yet,EUR\n"
        "N-1,New,GBP\n"
    )
    assert problems(text, existing) == {(2, "currency")}
    (message,) = {e["message"] for e in parse(text, existing).errors}
    assert "USD" in message and "EUR" in message


def existing_statuses(**statuses: str) -> pd.DataFrame:
    """Existing accounts by external id, with the given statuses and no dates."""
    return pd.DataFrame(
        {
            "external_id": list(statuses),
            "contract_start": None,
            "renewal_date": None,
            "status": list(statuses.values()),
            "currency": "USD",
            "has_arr_movements": False,
        }
    )


def test_it_refuses_an_arr_on_an_account_that_ends_churned():
    existing = existing_statuses(**{"C-1": "churned", "A-1": "active", "A-2": "active"})
    text = (
        "external_id,name,arr,status\n"
        "N-1,New and churned,100,churned\n"  # 2: refused
        "A-1,Churns with an arr,5,churned\n"  # 3: refused
        "C-1,Still churned,7,\n"  # 4: refused, the account stays churned
        "N-2,New and churned,0,churned\n"
        "A-2,Churns,,churned\n"
    )
    assert problems(text, existing) == {(2, "arr"), (3, "arr"), (4, "arr")}
    (message,) = {e["message"] for e in parse(text, existing).errors}
    assert "set status to active to reactivate" in message


def test_it_wants_the_new_arr_of_a_churned_account_made_active_again():
    existing = existing_statuses(**{"C-1": "churned", "C-2": "churned", "C-3": "churned"})
    with_arr = (
        "external_id,name,arr,status\nC-1,Back,0,active\nC-2,Back,,active\nC-3,Back,9,active\n"
    )
    assert problems(with_arr, existing) == {(2, "arr"), (3, "arr")}
    # Without an arr column the message goes on the status that asks for the reactivation.
    assert problems("external_id,name,status\nC-1,Back,active\n", existing) == {(2, "status")}


def test_it_does_not_compare_an_arr_with_a_status_that_is_itself_bad():
    existing = existing_statuses(**{"C-1": "churned"})
    assert problems("external_id,name,arr,status\nC-1,X,10,gone\n", existing) == {(2, "status")}
    assert problems("external_id,name,arr,status\nN-1,X,ten,churned\n") == {(2, "arr")}


def test_it_counts_the_churns_and_reactivations_a_file_would_make():
    existing = existing_statuses(**{"A-1": "active", "A-2": "active", "C-1": "churned"})
    text = (
        "external_id,name,status,arr\n"
        "A-1,Leaves,churned,\nA-2,Stays,,\nC-1,Returns,active,5\nN-1,New,churned,\n"
    )
    parsed = parse(text, existing)
    assert parsed.errors == []
    assert csv.status_changes(parsed.rows, existing) == (1, 1)
    assert csv.status_changes(parse("external_id,name\nA-1,X\n").rows, existing) == (0, 0)


def test_it_keeps_its_storage_limits_in_step_with_the_account_model():
    for column, length in csv.MAX_LENGTHS.items():
        assert Account._meta.get_field(column).max_length == length
    arr = Account._meta.get_field("arr")
    assert Decimal(10) ** (arr.max_digits - arr.decimal_places) == csv.MAX_ARR
    named_elsewhere = {"owner_email", "parent_external_id"}  # the owner's and the parent's keys
    assert set(csv.COLUMNS) - named_elsewhere <= {f.name for f in Account._meta.get_fields()}
    assert csv.CHURNED == AccountStatus.CHURNED


def test_it_counts_errors_by_kind_and_lists_only_the_first():
    rows = "".join(f"A-{n},Acme {n},lots,ten\n" for n in range(150))
    parsed = parse("external_id,name,arr,licensed_seats\n" + rows)
    assert parsed.error_count == 300
    assert len(parsed.errors) == csv.DEFAULT_LIMITS.max_listed_errors
    assert parsed.errors[:2] == [
        {"row": 2, "field": "arr", "message": "'lots' is not a number."},
        {
            "row": 2,
            "field": "licensed_seats",
            "message": "'ten' is not a whole number of seats (0 or more).",
        },
    ]
    assert parsed.error_kinds == [
        {"field": "arr", "example": "'lots' is not a number.", "count": 150},
        {
            "field": "licensed_seats",
            "example": "'ten' is not a whole number of seats (0 or more).",
            "count": 150,
        },
    ]


def test_it_reads_a_file_whose_first_line_is_blank_and_keeps_row_numbers():
    parsed = parse("\nexternal_id,name,arr\nA-1,Acme,x\n")
    assert parsed.errors == [{"row": 3, "field": "arr", "message": "'x' is not a number."}]


def test_it_refuses_a_file_past_a_limit_in_one_error_naming_it():
    limits = csv.DEFAULT_LIMITS
    header = ",".join(f"c{n}" for n in range(limits.max_columns + 1))
    parsed = parse(header + "\n")
    assert parsed.errors == [
        {
            "row": None,
            "field": None,
            "message": f"The file has {limits.max_columns + 1} columns; an import takes at most "
            f"{limits.max_columns}.",
        }
    ]


@pytest.mark.parametrize("code", ["xyz", "ÄÖÜ", "ßa", "XXX"])
def test_it_refuses_a_currency_that_is_not_an_iso_code(code):
    [error] = parse(f"external_id,name,currency\nA-1,Acme,{code}\n").errors
    assert (error["row"], error["field"]) == (2, "currency")
    assert "ISO 4217" in error["message"]


def test_it_takes_an_iso_currency_in_any_case():
    parsed = parse("external_id,name,currency\nA-1,Acme,jpy\n")
    assert (parsed.errors, parsed.rows["currency"].tolist()) == ([], ["JPY"])
