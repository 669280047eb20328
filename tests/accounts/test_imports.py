"""The accounts import driven through its pages with real CRM exports of 12 companies each:
a HubSpot companies export and a Salesforce Account export (tests/accounts/fixtures/)."""

from decimal import Decimal
from pathlib import Path

from django.urls import reverse

from accounts.models import Account
from csos.imports.spec import LEAVE_BLANK
from csos.models import AuditEvent, ImportMapping, ImportStatus, Role
from tests.accounts.test_import_mapping import (
    guessed,
    last_import,
    mapping_page,
    mapping_url,
    owner_choices,
    submit,
)
from tests.accounts.test_import_views import commit_url, detail_url, upload
from tests.factories import MembershipFactory, UserFactory

FIXTURES = Path(__file__).parent / "fixtures"
HUBSPOT = (FIXTURES / "hubspot_companies.csv").read_text()
SALESFORCE = (FIXTURES / "salesforce_accounts.csv").read_text()
# The Salesforce user ids of the export's owners who are members of alpha.
BOB_ID = "0055g00000ABCdeAAF"
CAROL_ID = "0055g00000ABCdfAAF"


def mapped_columns(form) -> dict[str, str]:
    return {field.label: field.initial for field, _ in form.column_rows() if field.initial}


def imported(workspace) -> dict[str, Account]:
    return {a.external_id: a for a in Account.dangerously_unscoped.filter(workspace=workspace)}


def confirm_and_commit(client, account_import, changes: dict | None = None):
    """Confirm the mapping page as proposed (with ``changes``) and commit the checked file."""
    form = mapping_page(client, account_import).context["form"]
    submit(client, mapping_url(account_import), guessed(form) | (changes or {}))
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.READY, account_import.errors
    submit(client, commit_url(account_import))


def test_it_leaves_owners_who_are_not_members_unassigned_by_default(login, alpha, lena, bob, carol):
    client = login(lena)
    upload(client, HUBSPOT, name="hubspot-companies.csv")
    account_import = last_import(alpha)
    form = mapping_page(client, account_import).context["form"]
    owners = owner_choices(form)
    assert form[owners["Priya Raman"]].initial == LEAVE_BLANK
    assert form[owners["Bob Tester"]].initial == bob.email

    confirm_and_commit(client, account_import)

    accounts = imported(alpha)
    assert len(accounts) == 12
    assert accounts["18234001"].owner == bob
    assert accounts["18234002"].owner == carol
    assert accounts["18234003"].owner is None  # Priya Raman is no member


def test_it_offers_admins_to_invite_owners_who_are_not_members(login, alpha, alice, lena):
    upload(login(lena), HUBSPOT)
    account_import = last_import(alpha)
    invite = f'href="{reverse("member_list")}">Invite them</a>'
    assert invite in mapping_page(login(alice), account_import).content.decode()
    lena_page = mapping_page(login(lena), account_import).content.decode()
    assert invite not in lena_page  # a leader cannot invite: the page says to ask an admin
    assert "Ask an admin to invite them" in lena_page


def test_it_maps_salesforce_custom_fields_and_owner_ids_by_their_names(login, alpha, lena, bob):
    client = login(lena)
    upload(client, SALESFORCE, name="salesforce-accounts.csv")
    account_import = last_import(alpha)
    form = mapping_page(client, account_import).context["form"]
    assert mapped_columns(form) == {
        "Id": "external_id",
        "Name": "name",
        "OwnerId": "owner_email",
        "ARR__c": "arr",
        "Seats__c": "licensed_seats",
        "Renewal_Date__c": "renewal_date",
        "Industry": "industry",
        "Website": "domain",
        "ParentId": "parent_external_id",
    }
    owners = owner_choices(form)
    assert BOB_ID in owners  # the id as written, never recased

    confirm_and_commit(client, account_import, {owners[BOB_ID]: bob.email})

    acme = imported(alpha)["0015g00000KxQaAAAV"]
    assert (acme.name, acme.owner, acme.arr, acme.licensed_seats) == (
        "ACME Corp",
        bob,
        Decimal("397000.00"),
        400,
    )
    assert acme.renewal_date.isoformat() == "2024-02-14"
    assert imported(alpha)["0015g00000KxQbAAAV"].owner is None


def test_it_places_accounts_under_the_parent_a_salesforce_export_names(login, alpha, lena):
    client = login(lena)
    upload(client, SALESFORCE, name="salesforce-accounts.csv")
    confirm_and_commit(client, last_import(alpha))
    accounts = imported(alpha)
    assert accounts["0015g00000KxQjAAAV"].parent == accounts["0015g00000KxQfAAAV"]  # Tyrell
    assert accounts["0015g00000KxQaAAAV"].parent is None


def test_it_refuses_a_parent_the_workspace_does_not_have_naming_its_row(login, alpha, lena):
    client = login(lena)
    csv_text = "Id,Name,ParentId\nA-1,Alpha Sub,NOWHERE\n"
    upload(client, csv_text, name="salesforce-accounts.csv")
    account_import = last_import(alpha)
    form = mapping_page(client, account_import).context["form"]
    submit(client, mapping_url(account_import), guessed(form))
    submit(client, commit_url(account_import))
    account_import.refresh_from_db()
    assert account_import.status == ImportStatus.FAILED
    assert account_import.errors[0]["field"] == "parent_external_id"
    assert "NOWHERE" in account_import.errors[0]["message"]
    assert not Account.dangerously_unscoped.filter(external_id="A-1").exists()


def test_it_resolves_owner_ids_remembered_from_another_export(login, alpha, lena, bob, carol):
    client = login(lena)
    upload(client, SALESFORCE)
    first = last_import(alpha)
    owners = owner_choices(mapping_page(client, first).context["form"])
    confirm_and_commit(client, first, {owners[BOB_ID]: bob.email, owners[CAROL_ID]: carol.email})

    # Another report of the same CRM, with other columns: its owner ids are known already.
    lines = SALESFORCE.splitlines()
    report = "\n".join(",".join(line.split(",")[:4]) for line in lines) + "\n"
    upload(client, report)
    second = last_import(alpha)
    assert second.pk != first.pk
    form = mapping_page(client, second).context["form"]
    owners = owner_choices(form)
    assert form[owners[BOB_ID]].initial == bob.email
    assert form[owners[CAROL_ID]].initial == carol.email


def remembered_mapping(alpha, lena_client, changes: dict):
    """Confirm the HubSpot export's mapping as a leader would, with ``changes`` to the owners."""
    upload(lena_client, HUBSPOT)
    account_import = last_import(alpha)
    owners = owner_choices(mapping_page(lena_client, account_import).context["form"])
    confirm_and_commit(
        lena_client, account_import, {owners[name]: email for name, email in changes.items()}
    )
    return ImportMapping.dangerously_unscoped.get(workspace=alpha, kind="accounts")


def test_it_lets_an_admin_edit_a_remembered_mapping(login, alpha, alice, lena, bob, carol):
    remembered = remembered_mapping(alpha, login(lena), {"Priya Raman": bob.email})
    admin = login(alice)
    assert "accounts" in admin.get(reverse("import_mapping_list")).content.decode()
    edit_url = reverse("import_mapping_change", args=[remembered.pk])
    form = admin.get(edit_url).context["form"]
    owners = owner_choices(form)
    assert form[owners["Priya Raman"]].initial == bob.email
    assert form[owners["Tom Okafor"]].initial == LEAVE_BLANK

    response = admin.post(edit_url, guessed(form) | {owners["Priya Raman"]: carol.email})
    assert response.url == reverse("import_mapping_list")
    assert AuditEvent.dangerously_unscoped.filter(action="import_mapping.edit").count() == 1

    lena_client = login(lena)
    upload(lena_client, HUBSPOT)
    again = last_import(alpha)
    assert again.status == ImportStatus.READY, again.errors  # the edited mapping, unasked
    submit(lena_client, commit_url(again))
    assert imported(alpha)["18234003"].owner == carol


def test_it_lets_an_admin_forget_a_remembered_mapping(login, alpha, alice, lena):
    remembered = remembered_mapping(alpha, login(lena), {})
    forget_url = reverse("import_mapping_forget", args=[remembered.pk])
    assert login(lena).post(forget_url).status_code == 403  # leaders import, admins manage
    assert login(alice).post(forget_url).url == reverse("import_mapping_list")
    assert not ImportMapping.dangerously_unscoped.filter(workspace=alpha).exists()

    upload(login(lena), HUBSPOT)
    assert last_import(alpha).status == ImportStatus.MAPPING  # asked again


def test_it_leaves_stage_and_segment_empty_and_warns_of_past_renewals(login, alpha, lena):
    client = login(lena)
    upload(client, HUBSPOT)
    account_import = last_import(alpha)
    form = mapping_page(client, account_import).context["form"]
    submit(client, mapping_url(account_import), guessed(form))
    preview = client.get(detail_url(account_import)).context["preview"]
    past = [warning["row"] for warning in preview.warnings]
    assert preview.warning_count == 11
    assert 11 not in past  # Tyrell renews in 2099
    assert "2024-02-14 has passed" in preview.warnings[0]["message"]
    submit(client, commit_url(account_import))

    acme = imported(alpha)["18234001"]
    assert acme.arr == Decimal("397000.00")
    assert (acme.segment, acme.lifecycle_stage) == ("", "")  # no guess at 397,000 ARR
    page = client.get(reverse("account_detail", args=[acme.pk])).content.decode()
    assert "No segment yet" in page


def test_it_counts_identical_reimported_rows_as_unchanged(login, alpha, lena):
    client = login(lena)
    upload(client, HUBSPOT)
    confirm_and_commit(client, last_import(alpha))
    changed = HUBSPOT.replace(",48000,", ",50000,")  # Globex's ARR grows

    upload(client, changed)
    again = last_import(alpha)
    preview = client.get(detail_url(again)).context["preview"]
    assert (preview.create_count, preview.update_count, preview.unchanged_count) == (0, 1, 11)
    submit(client, commit_url(again))
    again.refresh_from_db()
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 1, 11)
    assert imported(alpha)["18234002"].arr == Decimal("50000.00")


def test_it_warns_of_the_same_companies_exported_by_another_crm(login, alpha, lena, bob):
    client = login(lena)
    upload(client, HUBSPOT)
    confirm_and_commit(client, last_import(alpha))
    assert imported(alpha)["18234004"].domain == "umbrella.example"

    upload(client, SALESFORCE)
    salesforce = last_import(alpha)
    form = mapping_page(client, salesforce).context["form"]
    assert mapped_columns(form)["Website"] == "domain"
    submit(client, mapping_url(salesforce), guessed(form))
    preview = client.get(detail_url(salesforce)).context["preview"]
    duplicates = [w for w in preview.warnings if w["field"] == "name"]
    assert len(duplicates) == 12
    assert duplicates[0]["message"] == (
        "Likely a duplicate of 'Acme Corporation' (external ID 18234001), which has the same "
        "domain, acme.example."
    )


def test_it_warns_of_a_likely_duplicate_by_its_name_alone(login, alpha, lena):
    client = login(lena)
    upload(client, HUBSPOT)
    confirm_and_commit(client, last_import(alpha))
    text = "External ID,Name\nSF-1,Stark Industries Inc\nSF-2,Massive Dynamic\n"
    upload(client, text)
    preview = client.get(detail_url(last_import(alpha))).context["preview"]
    assert [(w["row"], w["field"]) for w in preview.warnings] == [(2, "name")]
    assert "'Stark Industries' (external ID 18234005)" in preview.warnings[0]["message"]


def test_it_assigns_an_owner_left_unassigned_once_they_are_a_member(login, alpha, lena):
    client = login(lena)
    upload(client, HUBSPOT)
    confirm_and_commit(client, last_import(alpha))
    assert imported(alpha)["18234003"].owner is None
    priya = UserFactory(first_name="Priya", last_name="Raman", email="priya@alpha.example")
    MembershipFactory(workspace=alpha, user=priya, role=Role.CSM)

    upload(client, HUBSPOT)  # the remembered mapping left her blank: she is matched again
    again = last_import(alpha)
    assert again.status == ImportStatus.READY, again.errors
    submit(client, commit_url(again))
    assert imported(alpha)["18234003"].owner == priya
