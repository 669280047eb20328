"""Likely duplicates: the same companies exported by a second CRM under its own IDs are warned
of at the check, and the committer links, skips or creates each one."""

import pandas as pd
from django.urls import reverse

from accounts import csv_import as csv
from accounts.models import AccountAlias
from csos.models import AuditEvent, ImportStatus
from tests.accounts.test_import_mapping import (
    guessed,
    last_import,
    mapping_page,
    mapping_url,
    submit,
)
from tests.accounts.test_import_views import commit_url, detail_url, upload
from tests.accounts.test_imports import HUBSPOT, SALESFORCE, confirm_and_commit, imported


def checked_salesforce_export(client, alpha):
    """The Salesforce export uploaded and mapped as proposed, after the HubSpot one is in."""
    upload(client, HUBSPOT)
    confirm_and_commit(client, last_import(alpha))
    upload(client, SALESFORCE)
    salesforce = last_import(alpha)
    submit(
        client, mapping_url(salesforce), guessed(mapping_page(client, salesforce).context["form"])
    )
    salesforce.refresh_from_db()
    assert salesforce.status == ImportStatus.READY, salesforce.errors
    return salesforce


def test_it_links_the_same_companies_from_salesforce_to_their_hubspot_accounts(login, alpha, lena):
    client = login(lena)
    salesforce = checked_salesforce_export(client, alpha)
    page = client.get(detail_url(salesforce))
    duplicates = page.context["preview"].duplicates
    assert len(duplicates) == 12
    assert duplicates[2] == "18234001"  # ACME Corp is HubSpot's Acme Corporation, by domain
    assert 'name="row_2" value="link"' in page.content.decode()

    submit(client, commit_url(salesforce), {f"row_{row}": "link" for row in duplicates})

    salesforce.refresh_from_db()
    assert salesforce.status == ImportStatus.DONE, salesforce.errors
    assert (salesforce.created_count, salesforce.linked_count) == (0, 12)
    accounts = imported(alpha)
    assert len(accounts) == 12  # no second Acme
    acme = accounts["18234001"]
    assert acme.name == "ACME Corp"  # the linked row updates the account
    assert list(
        AccountAlias.dangerously_unscoped.filter(account=acme).values_list("external_id", flat=True)
    ) == ["0015g00000KxQaAAAV"]
    assert AuditEvent.dangerously_unscoped.filter(action="account.alias_link").count() == 12


def test_it_updates_the_linked_account_when_the_second_crm_exports_it_again(login, alpha, lena):
    client = login(lena)
    salesforce = checked_salesforce_export(client, alpha)
    duplicates = client.get(detail_url(salesforce)).context["preview"].duplicates
    submit(client, commit_url(salesforce), {f"row_{row}": "link" for row in duplicates})

    upload(client, SALESFORCE.replace("397000,400", "410000,400"))  # Acme's ARR grows
    again = last_import(alpha)
    assert again.status == ImportStatus.READY  # the remembered mapping is used
    preview = client.get(detail_url(again)).context["preview"]
    assert preview.duplicates == {}  # the aliases name their accounts
    assert (preview.create_count, preview.update_count, preview.unchanged_count) == (0, 1, 11)
    submit(client, commit_url(again))
    again.refresh_from_db()
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 1, 11)
    assert imported(alpha)["18234001"].arr == 410000


def test_it_skips_creates_or_links_each_duplicate_as_the_committer_chooses(login, alpha, lena):
    client = login(lena)
    upload(client, HUBSPOT)
    confirm_and_commit(client, last_import(alpha))
    text = (
        "External ID,Name,Domain\n"
        "SF-1,Stark Industries Inc,\n"
        "SF-2,Globex Inc.,globex.example\n"
        "SF-3,Initech LLC,initech.example\n"
    )
    upload(client, text)
    account_import = last_import(alpha)
    assert client.get(detail_url(account_import)).context["preview"].duplicates == {
        2: "18234005",
        3: "18234002",
        4: "18234003",
    }

    refused = submit(client, commit_url(account_import), {"row_5": "skip"})  # no warning there
    assert "only the rows warned of" in str(list(refused.wsgi_request._messages))
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.READY  # nothing queued
    refused = submit(client, commit_url(account_import), {"row_3": "merge"})
    assert "Row 3: Select a valid choice." in str(list(refused.wsgi_request._messages))
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.READY

    submit(client, commit_url(account_import), {"row_3": "skip", "row_4": "link"})
    account_import.refresh_from_db()
    assert (
        account_import.created_count,
        account_import.skipped_count,
        account_import.linked_count,
    ) == (1, 1, 1)
    accounts = imported(alpha)
    assert "SF-1" in accounts  # created anyway, the default
    assert "SF-2" not in accounts and "SF-3" not in accounts
    assert AccountAlias.dangerously_unscoped.get(external_id="SF-3").account == accounts["18234003"]


def test_it_refuses_a_commit_that_writes_one_account_from_two_rows(login, alpha, lena):
    client = login(lena)
    upload(client, "External ID,Name,Domain\nHS-1,Acme Corporation,acme.example\n")
    submit(client, commit_url(last_import(alpha)))
    upload(client, "External ID,Name,Domain\nSF-1,ACME Corp,acme.example\n")
    submit(client, commit_url(last_import(alpha)), {"row_2": "link"})
    upload(client, "External ID,Name,Domain\nSF-1,ACME Corp,acme.example\nHS-1,Acme,\n")
    account_import = last_import(alpha)

    submit(client, commit_url(account_import))

    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.FAILED
    assert account_import.errors == [
        {
            "row": 3,
            "field": "external_id",
            "message": "Row 2 already writes the account HS-1; skip one of the two.",
        }
    ]
    assert imported(alpha)["HS-1"].name == "ACME Corp"  # the failed commit wrote nothing


def test_it_lists_an_aliased_account_under_its_alias_too():
    existing = pd.DataFrame({csv.EXTERNAL_ID: ["HS-1", "HS-2"], csv.NAME: ["Acme", "Globex"]})
    frame = csv.with_aliases(existing, {"SF-1": "HS-1", "SF-9": "gone"})
    assert frame.to_dict("records") == [
        {csv.EXTERNAL_ID: "HS-1", csv.NAME: "Acme"},
        {csv.EXTERNAL_ID: "HS-2", csv.NAME: "Globex"},
        {csv.EXTERNAL_ID: "SF-1", csv.NAME: "Acme"},
    ]


def test_it_reads_aliases_and_links_as_the_ids_of_their_accounts():
    rows = pd.DataFrame(
        {
            csv.EXTERNAL_ID: ["SF-1", "SF-2", "NEW"],
            csv.PARENT_EXTERNAL_ID: [None, "SF-1", "SF-2"],
        },
        index=[2, 3, 4],
        dtype=object,  # as checked rows are: a blank is None
    )
    canonical, errors = csv.canonical_rows(rows, aliases={"SF-1": "HS-1"}, links={3: "HS-2"})
    assert errors == []
    assert canonical[csv.EXTERNAL_ID].tolist() == ["HS-1", "HS-2", "NEW"]
    assert canonical[csv.PARENT_EXTERNAL_ID].tolist() == [None, "HS-1", "HS-2"]


def test_it_names_the_rows_that_would_write_one_account_twice():
    rows = pd.DataFrame({csv.EXTERNAL_ID: ["HS-1", "SF-1", "SF-2"]}, index=[2, 3, 4])
    _, errors = csv.canonical_rows(rows, aliases={"SF-1": "HS-1"}, links={4: "HS-1"})
    assert [(error["row"], error["message"]) for error in errors] == [
        (3, "Row 2 already writes the account HS-1; skip one of the two."),
        (4, "Row 2 already writes the account HS-1; skip one of the two."),
    ]


def test_it_shows_how_many_rows_were_linked(login, alpha, lena):
    client = login(lena)
    salesforce = checked_salesforce_export(client, alpha)
    duplicates = client.get(detail_url(salesforce)).context["preview"].duplicates
    submit(client, commit_url(salesforce), {f"row_{row}": "link" for row in duplicates})
    page = client.get(reverse("account_import_progress", args=[salesforce.pk])).content.decode()
    assert "Rows linked to existing accounts" in page
