import re
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from statistics import mean

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.demo import (
    DEMO_PASSWORD,
    SEGMENT_PROFILES,
    DemoOptions,
    demo_people_upsert,
    demo_step_register,
    demo_workspace_build,
    pipeline,
)
from accounts.models import (
    MOVEMENT_SIGN,
    SEGMENTATION_ATTRIBUTES,
    Account,
    AccountStatus,
    ArrMovement,
    MovementKind,
    Segment,
)
from csos.models import Membership, Role
from tests.factories import AccountFactory

TODAY = date(2026, 5, 15)
OPTIONS = DemoOptions(today=TODAY, seed=7, accounts=40, csms=3, slug="demo-test", name="Demo Co")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def build(**changes):
    return demo_workspace_build(options=replace(OPTIONS, **changes))


def snapshot(workspace) -> tuple[list, list, list]:
    """Everything the demo generates, without ids and timestamps."""
    accounts = list(
        Account.dangerously_unscoped.filter(workspace=workspace)
        .order_by("external_id")
        .values_list(
            "external_id", "name", "owner__email", "arr", "currency", "contract_start",
            "renewal_date", "licensed_seats", "lifecycle_stage", "status", "segment", "industry",
            *SEGMENTATION_ATTRIBUTES,
        )
    )  # fmt: skip
    movements = list(
        ArrMovement.dangerously_unscoped.filter(workspace=workspace)
        .order_by("account__external_id", "date", "kind", "amount")
        .values_list("account__external_id", "kind", "date", "amount", "note")
    )
    people = list(
        Membership.dangerously_unscoped.filter(workspace=workspace)
        .order_by("user__email")
        .values_list("user__email", "user__first_name", "user__last_name", "role")
    )
    return accounts, movements, people


def seeded(result) -> tuple[list, list, list]:
    """What the seed decides, leaving out the e-mails and owners that carry the slug."""
    accounts, movements, people = snapshot(result.workspace)
    return [row[:2] for row in accounts], movements, [row[1:] for row in people]


def ledgers(workspace) -> dict[int, list[ArrMovement]]:
    """Each account's movements in booking order, by account id."""
    by_account: dict[int, list[ArrMovement]] = {}
    for movement in ArrMovement.dangerously_unscoped.filter(workspace=workspace).order_by(
        "date", "id"
    ):
        by_account.setdefault(movement.account_id, []).append(movement)
    return by_account


def test_it_creates_the_people_with_their_roles_and_the_demo_password():
    result = build()

    members = Membership.dangerously_unscoped.filter(workspace=result.workspace).select_related(
        "user"
    )
    roles = Counter(m.role for m in members)
    assert roles == {Role.ADMIN: 1, Role.LEADER: 1, Role.CSM: 3, Role.VIEWER: 1}
    assert [login.email for login in result.logins] == [
        "admin@demo-test.csos.example",
        "leader@demo-test.csos.example",
        "csm1@demo-test.csos.example",
        "csm2@demo-test.csos.example",
        "csm3@demo-test.csos.example",
        "viewer@demo-test.csos.example",
    ]
    assert all(m.user.first_name and m.user.last_name for m in members)
    assert len({m.user.password for m in members}) == 1
    assert all(m.user.check_password(DEMO_PASSWORD) for m in members)


def test_it_marks_the_workspace_it_builds_as_generated():
    built = demo_workspace_build(options=OPTIONS, steps=(demo_people_upsert,))
    assert built.workspace.is_demo


def test_it_deals_the_accounts_evenly_to_the_csms():
    result = build()

    owners = Counter(
        Account.dangerously_unscoped.filter(workspace=result.workspace).values_list(
            "owner__email", flat=True
        )
    )
    assert sorted(owners.values()) == [13, 13, 14]
    assert set(owners) == {login.email for login in result.logins if login.role == "CSM"}


def test_it_mixes_small_mid_market_and_enterprise_sixty_thirty_ten():
    result = build()

    segments = Counter(
        Account.dangerously_unscoped.filter(workspace=result.workspace).values_list(
            "segment", flat=True
        )
    )
    assert segments == {Segment.SMALL: 24, Segment.MID_MARKET: 12, Segment.ENTERPRISE: 4}


def test_it_sizes_arr_seats_and_attributes_by_segment():
    result = build()

    accounts = list(Account.dangerously_unscoped.filter(workspace=result.workspace))
    for account in accounts:
        low, high = SEGMENT_PROFILES[account.segment].arr_range
        if account.status == AccountStatus.ACTIVE:
            assert low <= account.arr <= high, account.external_id
        assert account.currency == "USD"
        assert re.fullmatch(r"DEMO-\d{6}", account.external_id)
        assert account.industry

    def of(segment):
        return [a for a in accounts if a.segment == segment]

    assert max(a.licensed_seats for a in of(Segment.SMALL)) < min(
        a.licensed_seats for a in of(Segment.ENTERPRISE)
    )
    assert mean(a.complexity for a in of(Segment.SMALL)) < mean(
        a.complexity for a in of(Segment.ENTERPRISE)
    )


def test_it_spreads_renewals_over_the_next_twelve_months_of_contracts_started_years_ago():
    result = build()

    active = Account.dangerously_unscoped.filter(
        workspace=result.workspace, status=AccountStatus.ACTIVE
    )
    for account in active:
        assert TODAY < account.renewal_date <= TODAY + timedelta(days=365)
        assert TODAY - timedelta(days=4 * 366) <= account.contract_start
        assert account.contract_start <= TODAY - timedelta(days=365)


def test_it_churns_about_five_percent_to_zero_arr_with_a_churn_movement_last():
    result = build()

    churned = Account.dangerously_unscoped.filter(
        workspace=result.workspace, status=AccountStatus.CHURNED
    )
    booked = ledgers(result.workspace)
    assert churned.count() == 2
    for account in churned:
        assert account.arr == 0
        assert booked[account.pk][-1].kind == MovementKind.CHURN


def test_it_books_a_ledger_that_sums_to_each_accounts_arr():
    result = build()

    booked = ledgers(result.workspace)
    for account in Account.dangerously_unscoped.filter(workspace=result.workspace):
        ledger = booked[account.pk]
        assert ledger[0].kind == MovementKind.NEW
        assert ledger[0].date == account.contract_start
        assert all(m.amount > 0 and m.date <= TODAY for m in ledger)
        signed = sum((m.amount * MOVEMENT_SIGN[m.kind] for m in ledger), Decimal(0))
        assert signed == account.arr, account.external_id
    assert sum(len(ledger) for ledger in booked.values()) > 40


def test_it_rebuilds_the_same_rows_when_run_twice():
    first = build()
    before = snapshot(first.workspace)
    users = get_user_model().objects.count()

    second = build()

    assert second.workspace == first.workspace
    assert snapshot(second.workspace) == before
    assert get_user_model().objects.count() == users
    assert (second.accounts, second.arr_movements) == (first.accounts, first.arr_movements)


def test_it_builds_the_same_data_from_the_same_seed():
    one = build(slug="one")
    two = build(slug="two")
    other_seed = build(slug="three", seed=8)

    assert seeded(one) == seeded(two)
    assert seeded(one)[0] != seeded(other_seed)[0]


def test_it_runs_a_registered_step_after_its_own_without_changing_their_data(monkeypatch):
    monkeypatch.setattr(pipeline, "_registered_steps", [])
    without = build(slug="without")
    seen = []

    def demo_test_step(*, workspace, rng, options, progress):
        seen.append(
            (options.slug, Account.dangerously_unscoped.filter(workspace=workspace).count())
        )

    demo_step_register(demo_test_step)
    demo_step_register(demo_test_step)
    registered = build(slug="registered")

    assert seen == [("registered", 40)]
    assert seeded(registered) == seeded(without)


def test_it_refuses_to_register_a_step_under_a_name_already_taken(monkeypatch):
    monkeypatch.setattr(pipeline, "_registered_steps", [])

    def demo_accounts_upsert(*, workspace, rng, options, progress):
        pass

    with pytest.raises(ValueError, match="already registered"):
        demo_step_register(demo_accounts_upsert)


def test_it_drops_demo_accounts_beyond_a_smaller_rebuild():
    result = build()

    build(accounts=30)

    remaining = Account.dangerously_unscoped.filter(workspace=result.workspace)
    assert remaining.count() == 30
    assert max(remaining.values_list("external_id", flat=True)) == "DEMO-000030"
    assert not ArrMovement.dangerously_unscoped.filter(workspace=result.workspace).exclude(
        account__in=remaining
    )


def test_it_leaves_other_workspaces_alone(beta):
    theirs = AccountFactory(workspace=beta, external_id="DEMO-000001", name="Beta's own")

    build()

    theirs.refresh_from_db()
    assert theirs.name == "Beta's own"


def test_it_prints_the_demo_logins_from_the_command():
    out = StringIO()

    call_command("demo_workspace", accounts=5, csms=1, slug="cmd", verbosity=0, stdout=out)

    assert Account.dangerously_unscoped.filter(workspace__slug="cmd").count() == 5
    assert re.search(r"admin@cmd\.csos\.example\s+Admin\s+.+\s+csos-demo-2026", out.getvalue())
    assert "csm1@cmd.csos.example" in out.getvalue()
    # It neither starts the site nor knows its address, so it names neither.
    assert "runserver" not in out.getvalue() and "http" not in out.getvalue()


def test_it_refuses_a_demo_without_csms():
    with pytest.raises(CommandError, match="at least one CSM"):
        call_command("demo_workspace", csms=0, verbosity=0, stdout=StringIO())
