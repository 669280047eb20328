"""The attention queue: inputs read from their records, rights, the pooled queue, weights."""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from csos.tenancy import workspace_scope
from health.models import HealthSnapshot
from playbooks.models import AttentionSettings
from playbooks.queue import attention_inputs, csm_queue_accounts
from tests.factories import AccountFactory, AccountUseCaseFactory, EvidenceFactory
from tests.playbooks.factories import TaskFactory
from tests.stakeholders.factories import InteractionParticipantFactory, StakeholderFactory

TODAY = timezone.localdate


def snapshot(account, band, change):
    today = TODAY()
    return HealthSnapshot.dangerously_unscoped.create(
        workspace=account.workspace,
        account=account,
        week=today - dt.timedelta(days=today.weekday()),
        total=40 if band == "red" else 80,
        band=band,
        model_name="Default",
        model_version=1,
        change=change,
    )


def risky_account(workspace, owner, name="Risky Corp"):
    """Account A of tests/playbooks/test_attention.py, built from real records."""
    today = TODAY()
    account = AccountFactory(
        workspace=workspace,
        owner=owner,
        name=name,
        arr=Decimal("100000"),
        renewal_date=today + dt.timedelta(days=30),
    )
    snapshot(account, "red", -10.0)
    pursuit = AccountUseCaseFactory(
        account=account, level=1, use_case__assisted_value=Decimal("5000"), use_case__name=name
    )
    TaskFactory(account=account, due_on=today - dt.timedelta(days=1))
    TaskFactory(account=account, due_on=today + dt.timedelta(days=5))
    # Snoozed: out of the queue until next week.
    TaskFactory(account=account, due_on=today, snoozed_until=today + dt.timedelta(days=7))
    StakeholderFactory(account=account, status="left", left_on=today - dt.timedelta(days=5))
    InteractionParticipantFactory(
        interaction__account=account, interaction__occurred_on=today - dt.timedelta(days=30)
    )
    for _ in range(3):
        EvidenceFactory(account=account, use_case=pursuit.use_case)
    return account


def calm_account(workspace, owner, name="Calm Corp"):
    today = TODAY()
    account = AccountFactory(
        workspace=workspace,
        owner=owner,
        name=name,
        arr=Decimal("50000"),
        renewal_date=today + dt.timedelta(days=200),
    )
    snapshot(account, "green", 5.0)
    AccountUseCaseFactory(
        account=account, level=2, use_case__assisted_value=Decimal("10000"), use_case__name=name
    )
    return account


def test_it_reads_every_input_of_the_ranking_from_its_record(alpha, bob):
    risky = risky_account(alpha, bob)
    with workspace_scope(alpha):
        frame = attention_inputs(accounts=csm_queue_accounts(owner_id=bob.pk), today=TODAY())
    row = frame.set_index("account_id").loc[risky.pk]
    assert (row["band"], row["change"], row["arr"]) == ("red", -10.0, 100_000.0)
    assert (row["renewal_days"], row["value_delta"]) == (30.0, 5_000.0)
    assert (row["open_items"], row["overdue_items"]) == (2, 1)
    assert (row["stakeholder_changes"], row["silence_days"], row["unproven_claims"]) == (1, 30, 3)


def test_it_ranks_the_queue_and_shows_each_reason_with_its_points(login, alpha, bob):
    calm_account(alpha, bob)
    risky_account(alpha, bob)
    page = login(bob).get(reverse("attention_queue")).content.decode()
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.index("Risky Corp") < rows.index("Calm Corp")
    # The same 97.5 as the hand-built frame: every input above reaches the formula.
    assert "<strong>97.5</strong>" in rows and "<strong>27.5</strong>" in rows
    assert "<strong>Risk</strong> 30.0 of 30: Red band" in rows
    assert "renews in 30 days" in rows and "30 days since a conversation" in rows
    assert "Score = the sum, over the factors below, of weight \u00d7 factor" in page


def test_it_lands_a_csm_on_the_queue_a_leader_and_an_admin_on_the_cockpit(
    login, alice, bob, lena, vera
):
    assert login(bob).get("/").url == reverse("attention_queue")
    assert login(lena).get("/").url == reverse("cockpit")
    assert login(alice).get("/").url == reverse("cockpit")
    assert login(vera).get("/").url == reverse("portfolio")


def test_it_keeps_digital_accounts_out_of_a_named_queue_and_in_the_pooled_queue(
    login, alpha, bob, lena
):
    digital = risky_account(alpha, bob, name="Digital Inc")
    Account.dangerously_unscoped.filter(pk=digital.pk).update(motion="digital")
    calm_account(alpha, bob)
    named = login(bob).get(reverse("attention_queue")).content.decode()
    assert "Digital Inc" not in named and "Calm Corp" in named
    pooled = login(lena).get(reverse("pooled_queue")).content.decode()
    assert "Digital Inc" in pooled and "Calm Corp" not in pooled
    assert "Health check-in e-mail asking what gets in the way" in pooled


def test_it_opens_the_pooled_queue_to_leaders_and_pooled_csms_only(login, alpha, bob, carol):
    AccountFactory(workspace=alpha, owner=carol, motion="pooled")
    assert login(bob).get(reverse("pooled_queue")).status_code == 403
    assert login(carol).get(reverse("pooled_queue")).status_code == 200


def test_it_lets_a_leader_open_any_csms_queue(login, alpha, bob, lena):
    calm_account(alpha, bob)
    response = login(lena).get(reverse("attention_queue"), {"csm": bob.pk})
    assert response.status_code == 200
    assert "Attention queue of Bob Tester" in response.content.decode()
    assert "Calm Corp" in response.content.decode()


def test_it_refuses_a_csm_another_csms_queue(login, alpha, bob, carol):
    calm_account(alpha, carol)
    response = login(bob).get(reverse("attention_queue"), {"csm": carol.pk})
    assert response.status_code == 403


def test_it_answers_404_for_a_queue_of_someone_outside_the_workspace(login, lena, charlie):
    assert login(lena).get(reverse("attention_queue"), {"csm": charlie.pk}).status_code == 404
    assert login(lena).get(reverse("attention_queue"), {"csm": "x"}).status_code == 404


def test_it_exports_the_whole_ranking_as_csv(login, alpha, bob):
    calm_account(alpha, bob)
    risky_account(alpha, bob)
    response = login(bob).get(reverse("attention_queue"), {"format": "csv"})
    lines = response.content.decode().splitlines()
    assert response["Content-Type"] == "text/csv"
    assert lines[1].startswith("1,Risky Corp,97.5,30.0,")
    assert lines[2].startswith("2,Calm Corp,27.5,")


def test_it_saves_weights_a_leader_sets_and_the_queue_follows_them(login, alpha, bob, lena):
    risky_account(alpha, bob)
    data = {name: 0 for name in ("risk", "trend", "renewal", "arr", "value_delta", "work")}
    data |= {"stakeholders": 0, "silence": 0, "unproven": 100}
    data |= {"renewal_horizon_days": 120, "silence_horizon_days": 60}
    response = login(lena).post(reverse("attention_settings"), data)
    assert response.status_code == 302
    page = login(bob).get(reverse("attention_queue")).content.decode()
    assert "<strong>100.0</strong>" in page


def test_it_refuses_bad_weights_with_field_errors_and_saves_nothing(login, alpha, lena):
    data = {"risk": -1, "trend": 10, "renewal": 20, "arr": 15, "value_delta": 10, "work": 10}
    data |= {"stakeholders": 15, "silence": 10, "unproven": 10}
    data |= {"renewal_horizon_days": 0, "silence_horizon_days": 60}
    response = login(lena).post(reverse("attention_settings"), data)
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"risk", "renewal_horizon_days"}
    assert not AttentionSettings.dangerously_unscoped.filter(workspace=alpha).exists()


def test_it_keeps_the_weights_to_leaders(login, bob):
    assert login(bob).get(reverse("attention_settings")).status_code == 403


def test_it_reads_the_queue_in_the_same_number_of_queries_whatever_its_size(login, alpha, bob):
    client = login(bob)

    def queries_of_one_request() -> int:
        client.get(reverse("attention_queue"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("attention_queue")).status_code == 200
        return len(queries)

    risky_account(alpha, bob, name="Risky 0")
    small = queries_of_one_request()
    for index in range(1, 6):
        risky_account(alpha, bob, name=f"Risky {index}")
    assert queries_of_one_request() == small
