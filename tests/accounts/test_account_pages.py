"""Role rules on every page that writes an account: who may, and what they get otherwise."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import creation, services
from accounts.models import Account, AccountStatus, ArrMovement
from csos.models import Role
from csos.panels import panels_for
from csos.tenancy import workspace_scope
from health.models import HealthSnapshot
from stakeholders.models import InteractionParticipant
from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    ArrMovementFactory,
    EvidenceFactory,
    MembershipFactory,
    SupportTicketFactory,
    SurveyResponseFactory,
    UserFactory,
)
from tests.stakeholders.factories import (
    InteractionFactory,
    ObjectiveFactory,
    StakeholderFactory,
    SuccessPlanFactory,
)

EDIT = {
    "name": "Renamed Ltd",
    "external_id": "EXT-RENAMED",
    "currency": "usd",
    "licensed_seats": 40,
    "lifecycle_stage": "adoption",
    "segment": "mid_market",
    "complexity": 2,
    "strategic_potential": 4,
    "product_maturity": 3,
    "implementation_difficulty": 2,
    "executive_visibility": 5,
}
MOVEMENT = {"kind": "expansion", "date": "2026-01-15", "amount": "3000"}
JAN = dt.date(2025, 1, 1)


@pytest.fixture
def bobs_account(alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob, arr=Decimal("12000"))
    ArrMovementFactory(account=account, amount=Decimal("12000"))
    return account


# The roles around Bob's account: its fixture name, and whether each may edit and create.
PEOPLE = ("alice", "lena", "bob", "carol", "vera")
ROLES = ("admin", "leader", "owner csm", "other csm", "viewer")
EDITORS = (True, True, True, False, False)
CREATORS = (True, True, False, False, False)


def rights(allowed):
    return pytest.mark.parametrize(
        "person, allowed", list(zip(PEOPLE, allowed, strict=True)), ids=ROLES, indirect=["person"]
    )


@pytest.fixture
def person(request):
    return request.getfixturevalue(request.param)


@pytest.mark.django_db
@rights(EDITORS)
def test_it_lets_only_editors_edit_an_account(client, bobs_account, bob, person, allowed):
    client.force_login(person)
    url = reverse("account_edit", args=[bobs_account.pk])
    assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(url, {**EDIT, "owner": bob.pk})
    assert response.status_code == (302 if allowed else 403)
    bobs_account.refresh_from_db()
    assert (bobs_account.name == "Renamed Ltd") is allowed


@pytest.mark.django_db
@rights(EDITORS)
def test_it_lets_only_editors_record_arr_changes(client, bobs_account, person, allowed):
    client.force_login(person)
    response = client.post(reverse("arr_movement_add", args=[bobs_account.pk]), MOVEMENT)
    assert response.status_code == (302 if allowed else 403)
    bobs_account.refresh_from_db()
    assert bobs_account.arr == (Decimal("15000") if allowed else Decimal("12000"))


@pytest.mark.django_db
@rights(CREATORS)
def test_it_lets_only_leaders_and_admins_create_accounts(client, alpha, bob, person, allowed):
    client.force_login(person)
    url = reverse("account_create")
    assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(
        url,
        {
            **EDIT,
            "owner": bob.pk,
            "arr": "50000",
            "contract_start": "2026-02-01",
            "renewal_date": "2027-02-01",
        },
    )
    assert response.status_code == (302 if allowed else 403)
    assert Account.dangerously_unscoped.filter(external_id="EXT-RENAMED").exists() is allowed


@pytest.mark.django_db
def test_it_books_a_new_accounts_arr_in_the_ledger(login, alpha, lena, bob):
    login(lena).post(
        reverse("account_create"),
        {**EDIT, "owner": bob.pk, "arr": "50000", "contract_start": "2026-02-01"},
    )
    account = Account.dangerously_unscoped.get(external_id="EXT-RENAMED")
    assert account.arr == Decimal("50000")
    [movement] = ArrMovement.dangerously_unscoped.filter(account=account)
    assert (movement.kind, movement.amount, movement.date) == (
        "new",
        Decimal("50000"),
        dt.date(2026, 2, 1),
    )


@pytest.mark.django_db
def test_it_names_each_bad_field_and_writes_nothing(login, alpha, lena, bob, charlie):
    AccountFactory(workspace=alpha, external_id="TAKEN")
    response = login(lena).post(
        reverse("account_create"),
        {
            **EDIT,
            "external_id": "TAKEN",
            "owner": charlie.pk,
            "arr": "-5",
            "currency": "dollars",
            "complexity": 9,
            "contract_start": "2026-05-01",
            "renewal_date": "2026-01-01",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"owner", "arr", "currency", "complexity"} <= set(errors)
    assert Account.dangerously_unscoped.filter(workspace=alpha).count() == 1


@pytest.mark.django_db
def test_it_rejects_a_duplicate_external_id_and_a_renewal_before_the_start(login, alpha, lena):
    AccountFactory(workspace=alpha, external_id="TAKEN")
    response = login(lena).post(
        reverse("account_create"),
        {
            **EDIT,
            "external_id": "TAKEN",
            "arr": "10",
            "contract_start": "2026-05-01",
            "renewal_date": "2026-01-01",
        },
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"external_id", "renewal_date"}


@pytest.mark.django_db
def test_it_churns_and_reactivates_through_the_ledger(login, bobs_account, bob):
    client = login(bob)
    url = reverse("arr_movement_add", args=[bobs_account.pk])
    too_much = client.post(url, {"kind": "contraction", "date": "2026-02-01", "amount": "20000"})
    assert too_much.status_code == 400
    assert "amount" in too_much.context["movement_form"].errors
    client.post(url, {"kind": "churn", "date": "2026-03-01", "amount": "12000"})
    bobs_account.refresh_from_db()
    assert (bobs_account.arr, bobs_account.status) == (Decimal("0"), AccountStatus.CHURNED)
    client.post(url, {"kind": "reactivation", "date": "2026-04-01", "amount": "8000"})
    bobs_account.refresh_from_db()
    assert (bobs_account.arr, bobs_account.status) == (Decimal("8000"), AccountStatus.ACTIVE)


@pytest.mark.django_db
def test_it_shows_the_account_with_its_ledger_and_trend(login, bobs_account, vera):
    response = login(vera).get(reverse("account_detail", args=[bobs_account.pk]))
    body = response.content.decode()
    assert bobs_account.name in body
    assert 'id="arr-history-data"' in body
    history = response.context["arr_history"]
    assert (history["labels"], history["series"][0]["values"]) == (["2025-01-01"], [12000.0])
    assert not response.context["can_edit"]
    assert "Record change" not in body


@pytest.mark.django_db
def test_it_keeps_owner_choices_to_the_workspaces_csms(login, alpha, lena, bob, vera, charlie):
    form = login(lena).get(reverse("account_create")).context["form"]
    with workspace_scope(alpha):  # the choices are read when they run, as the page did
        owners = set(form.fields["owner"].queryset)
    assert bob in owners and lena in owners
    assert charlie not in owners and vera not in owners


@pytest.mark.django_db
def test_it_accepts_a_movement_of_one_cent(login, bobs_account, bob):
    url = reverse("arr_movement_add", args=[bobs_account.pk])
    response = login(bob).post(url, {**MOVEMENT, "amount": "0.01"})
    assert response.status_code == 302
    bobs_account.refresh_from_db()
    assert bobs_account.arr == Decimal("12000.01")


@pytest.mark.django_db
def test_it_names_the_date_of_the_latest_change_when_a_change_is_back_dated(
    login, bobs_account, bob
):
    url = reverse("arr_movement_add", args=[bobs_account.pk])
    response = login(bob).post(url, {**MOVEMENT, "date": "2024-12-31"})
    assert response.status_code == 400
    assert "2025-01-01" in response.context["movement_form"].errors["date"][0]


@pytest.mark.django_db
def test_it_keeps_owner_and_external_id_out_of_a_csm_s_hands(login, bobs_account, bob, carol):
    original_id = bobs_account.external_id
    client = login(bob)
    url = reverse("account_edit", args=[bobs_account.pk])
    form = client.get(url).context["form"]
    assert form.fields["owner"].disabled and form.fields["external_id"].disabled
    # The browser's fields are disabled; a hand-made POST is ignored for them, not obeyed.
    response = client.post(url, {**EDIT, "owner": carol.pk, "external_id": "HIJACKED"})
    assert response.status_code == 302
    bobs_account.refresh_from_db()
    assert (bobs_account.name, bobs_account.owner, bobs_account.external_id) == (
        "Renamed Ltd",
        bob,
        original_id,
    )


@pytest.mark.django_db
def test_it_lets_a_leader_reassign_an_account_from_the_edit_form(login, bobs_account, lena, carol):
    client = login(lena)
    url = reverse("account_edit", args=[bobs_account.pk])
    assert not client.get(url).context["form"].fields["owner"].disabled
    assert client.post(url, {**EDIT, "owner": carol.pk}).status_code == 302
    bobs_account.refresh_from_db()
    assert (bobs_account.owner, bobs_account.external_id) == (carol, "EXT-RENAMED")


@pytest.mark.django_db
def test_it_refuses_a_new_currency_for_an_account_with_arr_on_the_edit_form(
    login, bobs_account, lena
):
    url = reverse("account_edit", args=[bobs_account.pk])
    response = login(lena).post(url, {**EDIT, "currency": "eur"})
    assert response.status_code == 400
    assert "USD" in response.context["form"].errors["currency"][0]
    bobs_account.refresh_from_db()
    assert bobs_account.currency == "USD"
    assert bobs_account.name != "Renamed Ltd"  # nothing of the refused edit is saved


@pytest.mark.django_db
def test_it_answers_a_lost_race_for_an_external_id_with_a_field_error(
    login, alpha, lena, monkeypatch
):
    AccountFactory(workspace=alpha, external_id="EXT-RENAMED")
    monkeypatch.setattr(creation, "accounts_problems", lambda **_: {})
    response = login(lena).post(reverse("account_create"), {**EDIT, "arr": "10"})
    assert response.status_code == 400
    assert "external_id" in response.context["form"].errors
    assert Account.dangerously_unscoped.filter(workspace=alpha).count() == 1


def suggested_kind(client, account) -> str:
    response = client.get(reverse("account_detail", args=[account.pk]))
    return response.context["movement_form"]["kind"].value()


@pytest.mark.django_db
def test_it_suggests_the_movement_that_fits_the_account_s_state(login, alpha, in_alpha, bob):
    client = login(bob)
    account = AccountFactory(workspace=alpha, owner=bob, arr=Decimal(0))
    assert suggested_kind(client, account) == "new"
    services.arr_movement_record(account=account, by=bob, kind="new", on=JAN, amount=Decimal(10))
    assert suggested_kind(client, account) == "expansion"
    services.arr_movement_record(account=account, by=bob, kind="churn", on=JAN, amount=Decimal(10))
    assert suggested_kind(client, account) == "reactivation"


@pytest.mark.django_db
def test_it_lays_each_arr_error_out_beside_its_own_field(login, bobs_account, bob):
    url = reverse("arr_movement_add", args=[bobs_account.pk])
    response = login(bob).post(url, {"kind": "new", "date": "2026-01-15", "amount": "5"})
    assert response.status_code == 400
    body = response.content.decode()
    marked = re.findall(
        r'<div class="field has-error">\s*<label for="id_(\w+)".*?</div>\s*</div>', body, re.S
    )
    assert marked == ["kind"]
    [kind_field] = re.findall(r'<div class="field has-error">.*?</ul>', body, re.S)
    assert "New business is the first ARR of an account" in kind_field
    assert "Please correct the fields marked below." in body


def reverse_button(body: str, movement) -> bool:
    return reverse("arr_movement_reverse", args=[movement.account_id, movement.pk]) in body


@pytest.mark.django_db
def test_it_offers_to_reverse_only_the_latest_movement(login, bobs_account, bob, in_alpha):
    first = ArrMovement.dangerously_unscoped.get(account=bobs_account)
    latest = services.arr_movement_record(
        account=bobs_account, by=bob, kind="expansion", on=JAN + dt.timedelta(days=9), amount=5
    )
    body = login(bob).get(reverse("account_detail", args=[bobs_account.pk])).content.decode()
    assert reverse_button(body, latest) and not reverse_button(body, first)
    assert "data-confirm=" in body


@pytest.mark.django_db
@rights(EDITORS)
def test_it_lets_only_editors_reverse_a_movement(client, bobs_account, person, allowed):
    movement = ArrMovement.dangerously_unscoped.get(account=bobs_account)
    client.force_login(person)
    url = reverse("arr_movement_reverse", args=[bobs_account.pk, movement.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == (302 if allowed else 403)
    bobs_account.refresh_from_db()
    assert bobs_account.arr == (Decimal(0) if allowed else Decimal(12000))


@pytest.mark.django_db
def test_it_lists_a_reversal_with_the_movement_it_reverses(login, bobs_account, bob):
    movement = ArrMovement.dangerously_unscoped.get(account=bobs_account)
    client = login(bob)
    client.post(reverse("arr_movement_reverse", args=[bobs_account.pk, movement.pk]))
    body = client.get(reverse("account_detail", args=[bobs_account.pk])).content.decode()
    assert "Reversal</span> of the new of Jan 1, 2025" in body
    assert '<span class="muted">reversed</span>' in body


@pytest.mark.django_db
def test_it_answers_404_for_a_movement_of_another_account(login, alpha, bobs_account, bob):
    other = AccountFactory(workspace=alpha, owner=bob)
    movement = ArrMovementFactory(account=other, amount=Decimal(10))
    url = reverse("arr_movement_reverse", args=[bobs_account.pk, movement.pk])
    assert login(bob).post(url).status_code == 404


@pytest.mark.django_db
def test_it_explains_a_refused_reversal(login, bobs_account, bob, in_alpha):
    first = ArrMovement.dangerously_unscoped.get(account=bobs_account)
    services.arr_movement_record(
        account=bobs_account, by=bob, kind="expansion", on=JAN, amount=Decimal(5)
    )
    client = login(bob)
    response = client.post(
        reverse("arr_movement_reverse", args=[bobs_account.pk, first.pk]), follow=True
    )
    assert "Only the latest movement can be reversed" in response.content.decode()


@pytest.mark.django_db
def test_it_offers_owners_by_name_sorted_with_their_role(
    login, alpha, alice, lena, bob, vera, in_alpha
):
    nameless = UserFactory(first_name="", last_name="", username="a@x.example", email="a@x.example")
    MembershipFactory(workspace=alpha, user=nameless, role=Role.CSM)
    choices = login(lena).get(reverse("account_create")).context["form"].fields["owner"].choices
    assert [label for value, label in choices if value] == [
        "a@x.example · CSM",
        "Alice Tester · Admin",
        "Bob Tester · CSM",
        "Lena Tester · CS leader",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["xyz", "ÄÖÜ", "ßa", "XTS"])
def test_it_refuses_a_code_that_is_not_an_iso_currency_on_the_account_form(
    login, bobs_account, bob, code
):
    url = reverse("account_edit", args=[bobs_account.pk])
    response = login(bob).post(url, {**EDIT, "currency": code, "owner": bob.pk})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["currency"]
    bobs_account.refresh_from_db()
    assert bobs_account.currency == "USD"


@pytest.mark.django_db
def test_it_offers_the_iso_currencies_as_a_select(login, lena):
    body = login(lena).get(reverse("account_create")).content.decode()
    assert '<select name="currency"' in body and '<option value="EUR">EUR · Euro</option>' in body


def _fill_account_page(account, size: int) -> None:
    """``size`` rows of each kind the account page's panels read: ledger, pursuits and
    evidence, stakeholders and a plan's objectives, interactions with participants, health
    signals and weekly snapshots."""
    ArrMovementFactory.create_batch(size, account=account, kind="expansion", amount=1)
    for pursuit in AccountUseCaseFactory.create_batch(size, account=account):
        EvidenceFactory(account=account, use_case=pursuit.use_case, status="proven")
    people = StakeholderFactory.create_batch(size, account=account)
    ObjectiveFactory.create_batch(size, plan=SuccessPlanFactory(account=account), owner=people[0])
    for interaction in InteractionFactory.create_batch(size, account=account):
        for person in people:
            InteractionParticipant.dangerously_unscoped.create(
                workspace=account.workspace, interaction=interaction, stakeholder=person
            )
    SupportTicketFactory.create_batch(size, account=account)
    SurveyResponseFactory.create_batch(size, account=account)
    for weeks in range(size):
        HealthSnapshot.dangerously_unscoped.create(
            workspace=account.workspace,
            account=account,
            week=dt.date(2026, 11, 30) - dt.timedelta(weeks=weeks),
            total=50 + weeks,
            band="yellow",
            model_name="Default",
            model_version=1,
        )


def _account_page_queries(client, account) -> int:
    url = reverse("account_detail", args=[account.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_it_reads_a_full_account_page_in_as_many_queries_for_2_or_12_of_everything(
    login, alpha, bob
):
    small, large = (AccountFactory(workspace=alpha, owner=bob) for _ in range(2))
    _fill_account_page(small, 2)
    _fill_account_page(large, 12)
    client = login(bob)
    queries = _account_page_queries(client, small)
    assert queries == _account_page_queries(client, large)
    # Session, user, memberships, the account and its ledger; then each panel within budget.
    assert queries <= 5 + sum(panel.query_budget for panel in panels_for("account"))


def section_links(body: str) -> list[str]:
    [bar] = re.findall(
        r'<nav class="section-bar" aria-label="Sections of this page">.*?</nav>', body, re.S
    )
    return re.findall(r'href="#([\w-]+)"', bar)


@pytest.mark.django_db
def test_it_reaches_every_section_of_the_account_page_in_one_click(login, bobs_account, bob):
    response = login(bob).get(reverse("account_detail", args=[bobs_account.pk]))
    body = response.content.decode()
    targets = section_links(body)
    panels = [f"panel-{item.panel.key}" for item in response.context["panels"]]
    assert targets == [*panels, "arr-trend", "profile", "ledger"]
    assert targets[0] == "panel-retention-artifact"
    assert all(f'id="{target}"' in body for target in targets)


@pytest.mark.django_db
def test_it_folds_the_ledger_unless_a_recorded_change_was_refused(login, bobs_account, bob):
    client = login(bob)
    shown = client.get(reverse("account_detail", args=[bobs_account.pk])).content.decode()
    assert '<details class="ledger-details">' in shown
    url = reverse("arr_movement_add", args=[bobs_account.pk])
    refused = client.post(url, {"kind": "new", "date": "2026-01-15", "amount": "5"})
    assert '<details class="ledger-details" open>' in refused.content.decode()
