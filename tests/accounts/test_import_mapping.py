"""The accounts import through the mapping step: CRM exports, remembered mappings, and limits."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from csos.imports.spec import LEAVE_BLANK
from csos.models import ImportJob, ImportMapping, ImportStatus
from tests.accounts.test_import_views import commit_url, detail_url, upload

# A HubSpot companies export, with HubSpot's column names. "Lifecycle Stage" is a sales stage
# and "Annual Revenue" the customer's own turnover: neither may land in a CSOS field unasked.
HUBSPOT_HEADER = (
    "Record ID,Company name,Company owner,Create Date,Phone Number,Last Activity Date,City,"
    "Country/Region,Industry,Annual Revenue,Lifecycle Stage,Company Domain Name,"
    "Number of Employees\n"
)
HUBSPOT = HUBSPOT_HEADER + (
    "9001,Acme,Robert Tester,2024-03-01 10:12,+1 555 0100,2025-05-02,Boston,United States,"
    "COMPUTER_SOFTWARE,5000000,Customer,acme.example,250\n"
    "9002,Globex,Lena Tester,2024-04-11 08:00,,,Springfield,United States,RETAIL,,Lead,"
    "globex.example,40\n"
    "9003,Initech,,2024-05-20 17:45,,,,,,,Opportunity,initech.example,\n"
)
# A Salesforce accounts report, with Salesforce's column names.
SALESFORCE = (
    "Account ID,Account Name,Account Owner,Type,Industry,Annual Revenue,Employees,Billing City,"
    "Billing Country,Phone,Website,Created Date,Last Activity,Account Source,Rating\n"
    "0015g00000AbCdEAAV,Umbrella,Bob Tester,Customer - Direct,Biotechnology,90000000,1200,"
    "Raccoon City,USA,555-0199,umbrella.example,2023-01-15,2025-06-01,Web,Hot\n"
    "0015g00000AbCdFAAV,Stark,Roberta Smith,Prospect,Engineering,,,,,,,2023-02-01,,,\n"
)


def submit(client, url: str, data: dict | None = None):
    """Post a form, running the task it queues as the worker would."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(url, data or {})


def mapping_url(account_import) -> str:
    return reverse("account_import_mapping", args=[account_import.pk])


def mapping_page(client, account_import):
    response = client.get(reverse("account_import_mapping", args=[account_import.pk]))
    assert response.status_code == 200
    return response


def guessed(form) -> dict[str, str]:
    """What the mapping form proposes: the data a user who changes nothing would send."""
    return {name: form[name].initial or "" for name in form.fields} | {
        "values_shown": form.values_shown
    }


def owner_choices(form) -> dict[str, str]:
    """The owner value fields by the value each stands for."""
    return {form[name].label: name for name in form.fields if name.startswith("value_owner")}


def last_import(alpha) -> ImportJob:
    return ImportJob.dangerously_unscoped.filter(workspace=alpha).first()


def test_it_imports_a_hubspot_export_confirming_only_the_owners(login, alpha, lena, bob):
    client = login(lena)
    upload(client, HUBSPOT, name="hubspot-companies.csv")
    account_import = last_import(alpha)
    assert account_import.status == ImportStatus.MAPPING
    assert client.get(detail_url(account_import)).url == reverse(
        "account_import_mapping", args=[account_import.pk]
    )

    form = mapping_page(client, account_import).context["form"]
    mapped = {f.label: f.initial for f, _ in form.column_rows() if f.initial}
    assert mapped == {
        "Record ID": "external_id",
        "Company name": "name",
        "Company owner": "owner_email",
        "Industry": "industry",
        "Company Domain Name": "domain",
    }
    owners = owner_choices(form)
    assert form[owners["Lena Tester"]].initial == "lena@alpha.example"
    assert form[owners["Robert Tester"]].initial == LEAVE_BLANK  # nobody is called that here
    data = guessed(form) | {owners["Robert Tester"]: "bob@alpha.example"}

    response = submit(client, mapping_url(account_import), data)
    assert response.url == detail_url(account_import)
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.READY, account_import.errors
    submit(client, commit_url(account_import))

    acme = Account.dangerously_unscoped.get(workspace=alpha, external_id="9001")
    assert (acme.name, acme.owner, acme.industry) == ("Acme", bob, "COMPUTER_SOFTWARE")
    assert (acme.arr, acme.lifecycle_stage) == (Decimal(0), "")  # no stage in the file
    globex = Account.dangerously_unscoped.get(workspace=alpha, external_id="9002")
    assert globex.owner == lena
    assert Account.dangerously_unscoped.filter(workspace=alpha).count() == 3


def test_it_imports_the_same_header_row_again_with_no_mapping_step(login, alpha, lena, bob):
    client = login(lena)
    upload(client, HUBSPOT)
    first = last_import(alpha)
    form = mapping_page(client, first).context["form"]
    data = guessed(form) | {owner_choices(form)["Robert Tester"]: "bob@alpha.example"}
    submit(client, mapping_url(first), data)
    assert ImportMapping.dangerously_unscoped.filter(workspace=alpha, kind="accounts").count() == 1

    nightly = HUBSPOT_HEADER + "9004,Hooli,Robert Tester,2025-01-01 09:00,,,,,,,Customer,,\n"
    response = upload(client, nightly)
    second = last_import(alpha)
    assert second.pk != first.pk
    assert response.url == detail_url(second)
    assert second.status == ImportStatus.READY, second.errors
    submit(client, commit_url(second))
    assert Account.dangerously_unscoped.get(workspace=alpha, external_id="9004").owner == bob


def test_it_imports_a_salesforce_export_confirming_only_the_owners(login, alpha, lena, bob, carol):
    client = login(lena)
    upload(client, SALESFORCE, name="salesforce-accounts.csv")
    account_import = last_import(alpha)
    assert account_import.status == ImportStatus.MAPPING
    form = mapping_page(client, account_import).context["form"]
    mapped = {f.label: f.initial for f, _ in form.column_rows() if f.initial}
    assert mapped == {
        "Account ID": "external_id",
        "Account Name": "name",
        "Account Owner": "owner_email",
        "Industry": "industry",
        "Website": "domain",
    }
    owners = owner_choices(form)
    assert form[owners["Bob Tester"]].initial == "bob@alpha.example"
    data = guessed(form) | {owners["Roberta Smith"]: "carol@alpha.example"}
    submit(client, mapping_url(account_import), data)
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.READY, account_import.errors
    submit(client, commit_url(account_import))

    umbrella = Account.dangerously_unscoped.get(workspace=alpha, external_id="0015g00000AbCdEAAV")
    assert (umbrella.owner, umbrella.industry, umbrella.arr) == (bob, "Biotechnology", 0)
    assert umbrella.status == "active"  # "Customer - Direct" is no account status
    stark = Account.dangerously_unscoped.get(workspace=alpha, external_id="0015g00000AbCdFAAV")
    assert stark.owner == carol


def test_it_asks_what_crm_stages_mean_when_the_stage_column_is_mapped_by_hand(login, alpha, lena):
    client = login(lena)
    text = "Record ID,Company name,Lifecycle Stage\n1,Acme,Customer\n2,Beta,Lead\n"
    upload(client, text)
    account_import = last_import(alpha)
    form = mapping_page(client, account_import).context["form"]
    assert form["column_2"].initial == ""  # a sales stage is not guessed as the CS stage
    assert form.value_fields() == []

    response = submit(
        client, mapping_url(account_import), guessed(form) | {"column_2": "lifecycle_stage"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "Say below what each value of CS lifecycle stage means" in str(form.non_field_errors())
    [(_, _, fields)] = form.value_fields()
    stages = {field.label: field.html_name for field in fields}
    assert sorted(stages) == ["Customer", "Lead"]

    data = guessed(form) | {
        "column_2": "lifecycle_stage",
        stages["Customer"]: "adoption",
        stages["Lead"]: "onboarding",
    }
    submit(client, mapping_url(account_import), data)
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.READY, account_import.errors
    submit(client, commit_url(account_import))
    acme = Account.dangerously_unscoped.get(workspace=alpha, external_id="1")
    assert acme.lifecycle_stage == "adoption"

    upload(client, text.replace("2,Beta,Lead", "3,Gamma,Customer"))
    again = last_import(alpha)
    assert again.status == ImportStatus.READY, again.errors  # stages remembered too


def test_it_names_each_unplaced_value_once_when_left_as_written(login, alpha, lena):
    client = login(lena)
    rows = "".join(f"{n},Co {n},{'Customer' if n % 2 else 'Lead'}\n" for n in range(40))
    upload(client, "Record ID,Company name,Lifecycle Stage\n" + rows)
    account_import = last_import(alpha)
    form = mapping_page(client, account_import).context["form"]
    data = guessed(form) | {"column_2": "lifecycle_stage", "values_shown": "lifecycle_stage"}
    submit(client, mapping_url(account_import), data)
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.INVALID
    assert [(k["field"], k["count"]) for k in account_import.error_kinds] == [
        ("lifecycle_stage", 40)
    ]
    page = client.get(detail_url(account_import)).content.decode()
    assert page.count("is not one of: onboarding") == 1 + 40  # once by kind, then by row


def test_it_reads_a_file_whose_first_line_is_blank(login, alpha, lena):
    upload(login(lena), "\nexternal_id,name,arr\nA-1,Acme,10\nA-2,Beta,lots\n")
    account_import = last_import(alpha)
    assert account_import.status == ImportStatus.INVALID
    assert account_import.errors == [
        {"row": 4, "field": "arr", "message": "'lots' is not a number."}
    ]


def test_it_offers_a_template_that_imports_as_it_is(login, alpha, lena):
    client = login(lena)
    page = client.get(reverse("account_import")).content.decode()
    assert reverse("account_import_template") in page
    assert (
        "Required columns: <strong>external_id</strong> (External ID), <strong>name</strong>"
        in page
    )
    response = client.get(reverse("account_import_template"))
    assert response["Content-Type"].startswith("text/csv")
    template = response.content.decode()
    assert template.startswith("external_id,name,owner_email,arr,currency,")

    upload(client, template.replace("csm@example.com", "lena@alpha.example"))
    assert last_import(alpha).status == ImportStatus.READY, last_import(alpha).errors


@pytest.mark.parametrize("viewer", ["bob", "carol"])
def test_it_lets_only_leaders_and_admins_map(login, alpha, lena, bob, carol, viewer):
    upload(login(lena), HUBSPOT)
    account_import = last_import(alpha)
    client = login({"bob": bob, "carol": carol}[viewer])
    url = reverse("account_import_mapping", args=[account_import.pk])
    assert client.get(url).status_code == 403
    assert client.get(reverse("account_import_template")).status_code == 403


# Hostile files: the upload request, its stored errors and its page stay within fixed bounds.
PAGE_BYTES = 60_000


def test_it_refuses_a_megabyte_header_of_150000_columns_in_one_bounded_error(login, alpha, lena):
    client = login(lena)
    header = ",".join(f"c{n}" for n in range(150_000))
    assert len(header) > 1_000_000
    upload(client, header + "\n" + "x\n")
    account_import = last_import(alpha)
    assert account_import.status == ImportStatus.INVALID
    assert account_import.error_count == 1
    assert account_import.errors[0]["message"] == (
        "The file has 150,000 columns; an import takes at most 500."
    )
    assert account_import.headers == [] and account_import.samples == []
    page = client.get(detail_url(account_import)).content
    assert len(page) < PAGE_BYTES


def test_it_refuses_200000_rows_naming_the_row_limit(login, alpha, lena):
    client = login(lena)
    rows = "".join(f"R{n},C{n}\n" for n in range(200_000))
    upload(client, "external_id,name\n" + rows)
    account_import = last_import(alpha)
    assert account_import.status == ImportStatus.INVALID
    assert account_import.error_count == 1
    assert "more than 100,000 rows" in account_import.errors[0]["message"]
    page = client.get(detail_url(account_import)).content
    assert len(page) < PAGE_BYTES


def test_it_lists_a_bounded_number_of_errors_and_counts_the_rest_by_kind(login, alpha, lena):
    client = login(lena)
    rows = "".join(f"R{n},C{n},lots,ten\n" for n in range(5_000))
    upload(client, "external_id,name,arr,licensed_seats\n" + rows)
    account_import = last_import(alpha)
    assert account_import.status == ImportStatus.INVALID
    assert account_import.error_count == 10_000
    assert len(account_import.errors) == 100
    assert [(k["field"], k["count"]) for k in account_import.error_kinds] == [
        ("arr", 5_000),
        ("licensed_seats", 5_000),
    ]
    page = client.get(detail_url(account_import)).content.decode()
    assert len(page.encode()) < PAGE_BYTES
    assert page.count("is not a number") == 1 + 50  # once by kind, then in the first rows
    assert "The first 100 of 10,000 problems" in page


def test_it_keeps_the_mapping_page_bounded_for_the_widest_file(login, alpha, lena):
    client = login(lena)
    header = ",".join(f"Column {n}" for n in range(500))
    rows = "".join(",".join(f"v{n % 60}" for _ in range(500)) + "\n" for n in range(60))
    upload(client, header + "\n" + rows)
    account_import = last_import(alpha)
    assert account_import.status == ImportStatus.MAPPING
    assert account_import.samples == [[]] * 500  # 60 distinct values: no list of choices
    page = mapping_page(client, account_import).content
    assert len(page) < 1_500_000


def test_it_keeps_the_error_page_bounded_when_cells_are_huge(login, alpha, lena):
    client = login(lena)
    rows = "".join(f"R{n},C{n},{'9' * 20_000}x\n" for n in range(100))
    upload(client, "external_id,name,arr\n" + rows)
    account_import = last_import(alpha)
    assert account_import.error_count == 100
    assert max(len(error["message"]) for error in account_import.errors) <= 300
    assert len(client.get(detail_url(account_import)).content) < PAGE_BYTES


def test_it_renders_the_mapping_page_in_as_many_queries_for_any_file(login, alpha, lena):
    client = login(lena)
    counts = []
    for size in (3, 300):
        rows = "".join(f"{n},Co {n},Lena Tester\n" for n in range(size))
        upload(client, "Record ID,Company name,Company owner\n" + rows)
        with CaptureQueriesContext(connection) as queries:
            mapping_page(client, last_import(alpha))
        counts.append(len(queries))
    assert counts[0] == counts[1]
