import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from csos.models import AuditEvent, ExchangeRate, Membership
from playbooks.models import CsmCapacity, SegmentSettings
from tests.factories import AccountFactory

URL = reverse("csm_load")


def _rows(response):
    return {book.name: book for book in response.context["page"].overview.books}


@pytest.mark.django_db
def test_it_shows_each_owners_load_capacity_and_arr_in_the_workspace_currency(
    login, alpha, beta, lena, bob, carol, charlie
):
    soon = dt.date.today() + dt.timedelta(days=30)
    later = dt.date.today() + dt.timedelta(days=200)
    ExchangeRate.dangerously_unscoped.create(
        workspace=alpha, currency="EUR", rate=Decimal(2), valid_from="2020-01-01"
    )
    SegmentSettings.dangerously_unscoped.create(
        workspace=alpha, weight_named=Decimal(3), weight_pooled=Decimal(1), default_capacity=10
    )
    CsmCapacity.dangerously_unscoped.create(
        workspace=alpha,
        membership=Membership.dangerously_unscoped.get(user=carol),
        capacity=Decimal(2),
        motions=["pooled"],
    )
    AccountFactory(workspace=alpha, owner=bob, arr=100, motion="named", renewal_date=soon)
    AccountFactory(workspace=alpha, owner=bob, arr=50, currency="EUR", renewal_date=later)
    AccountFactory(workspace=alpha, owner=bob, arr=Decimal(0), status="churned")
    AccountFactory(workspace=alpha, owner=carol, arr=5, motion="strategic", name="Misfit")
    AccountFactory(workspace=alpha, owner=None, arr=Decimal(70), currency="USD", name="Orphan")
    AccountFactory(workspace=beta, owner=charlie, arr=Decimal(999), currency="USD")
    response = login(lena).get(URL)
    rows = _rows(response)
    # Bob: a named account (3) and an unplaced one, weighing as the default (pooled, 1).
    assert (rows["Bob Tester"].accounts, rows["Bob Tester"].load) == (2, 4)
    assert rows["Bob Tester"].capacity == 10
    assert rows["Bob Tester"].arr == Decimal(200)
    assert response.context["page"].renewing_90[bob.pk] == 1
    # Carol takes pooled accounts only, 2 points: her strategic account is over and misfit.
    assert rows["Carol Tester"].over and rows["Carol Tester"].misfits == 1
    overview = response.context["page"].overview
    assert [a.name for a in overview.misfit_accounts] == ["Misfit"]
    assert [a.name for a in overview.unowned_accounts] == ["Orphan"]
    assert (overview.unowned, overview.unowned_arr) == (1, Decimal(70))
    assert "Charlie Tester" not in rows


@pytest.mark.django_db
def test_it_keeps_the_page_to_leaders_and_admins(login, alice, lena, bob, vera):
    assert login(alice).get(URL).status_code == 200
    assert login(lena).get(URL).status_code == 200
    assert login(bob).get(URL).status_code == 403
    assert login(vera).get(URL).status_code == 403


@pytest.mark.django_db
def test_it_runs_the_same_queries_for_few_or_many_accounts(login, alpha, lena, bob, carol):
    client = login(lena)
    AccountFactory(workspace=alpha, owner=bob)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    AccountFactory.create_batch(30, workspace=alpha, owner=carol, currency="EUR")
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(few) == len(many)


def _team(alpha, bob, carol, *, capacity):
    """Bob owns three named accounts of 2 points each; Carol and Bob take named accounts (and
    any leader takes strategic ones only)."""
    SegmentSettings.dangerously_unscoped.create(
        workspace=alpha, weight_named=Decimal(2), default_capacity=Decimal(capacity)
    )
    for leader in Membership.dangerously_unscoped.filter(workspace=alpha, role="leader"):
        CsmCapacity.dangerously_unscoped.create(
            workspace=alpha, membership=leader, capacity=Decimal(capacity), motions=["strategic"]
        )
    books = [
        AccountFactory(workspace=alpha, owner=bob, motion="named", arr=arr) for arr in (10, 20, 30)
    ]
    return books


@pytest.mark.django_db
def test_it_suggests_the_fewest_moves_and_a_leader_applies_them_in_one_click(
    login, alpha, lena, bob, carol
):
    # Bob carries 6 points for 4: one move (his smallest account) brings him within capacity.
    smallest, *_ = _team(alpha, bob, carol, capacity=4)
    client = login(lena)
    plan = client.get(URL + "?suggest=1").context["page"].plan
    assert plan.feasible
    assert [(m.account.pk, m.to_name) for m in plan.moves] == [(smallest.pk, "Carol Tester")]
    response = client.post(reverse("rebalancing_apply"), {"move": [m.token for m in plan.moves]})
    assert response.status_code == 302
    smallest.refresh_from_db()
    assert smallest.owner_id == carol.pk
    event = AuditEvent.dangerously_unscoped.get(action="account.rebalance")
    assert (event.before, event.after) == ({"owner": bob.pk}, {"owner": carol.pk})
    assert all(not book.over for book in _rows(client.get(URL)).values())


@pytest.mark.django_db
def test_it_reports_a_team_that_cannot_fit_and_moves_nothing(login, alpha, lena, bob, carol):
    _team(alpha, bob, carol, capacity=1)
    plan = login(lena).get(URL + "?suggest=1").context["page"].plan
    assert not plan.feasible
    assert plan.moves == []
    assert "no suggestion fits" in plan.reason


@pytest.mark.django_db
def test_it_refuses_a_move_by_a_csm_or_a_stale_one(login, alpha, lena, bob, carol):
    account, *_ = _team(alpha, bob, carol, capacity=4)
    token = f"{account.pk}:{bob.pk}:{carol.pk}"
    assert login(bob).post(reverse("rebalancing_apply"), {"move": token}).status_code == 403
    stale = f"{account.pk}:{carol.pk}:{bob.pk}"
    login(lena).post(reverse("rebalancing_apply"), {"move": stale})
    account.refresh_from_db()
    assert account.owner_id == bob.pk
    assert not AuditEvent.dangerously_unscoped.filter(action="account.rebalance").exists()


@pytest.mark.django_db
def test_it_refuses_a_capacity_of_zero_or_less(login, alpha, lena, bob):
    membership = Membership.dangerously_unscoped.get(user=bob)
    url = reverse("csm_capacity_edit", args=[membership.pk])
    for capacity in ("0", "-5"):
        response = login(lena).post(url, {"capacity": capacity, "motions": ["named"]})
        assert response.status_code == 400
        assert "capacity" in response.context["form"].errors
    assert not CsmCapacity.dangerously_unscoped.filter(membership=membership).exists()
    assert login(lena).post(url, {"capacity": "12", "motions": ["named"]}).status_code == 302
    assert CsmCapacity.dangerously_unscoped.get(membership=membership).motions == ["named"]


@pytest.mark.django_db
def test_it_keeps_capacity_to_leaders_and_answers_404_for_another_workspace(
    login, alpha, lena, bob, charlie
):
    own = Membership.dangerously_unscoped.get(user=bob)
    foreign = Membership.dangerously_unscoped.get(user=charlie)
    assert login(bob).get(reverse("csm_capacity_edit", args=[own.pk])).status_code == 403
    assert login(lena).get(reverse("csm_capacity_edit", args=[own.pk])).status_code == 200
    assert login(lena).get(reverse("csm_capacity_edit", args=[foreign.pk])).status_code == 404


@pytest.mark.django_db
def test_it_exports_the_load_table_as_csv(login, alpha, lena, bob):
    AccountFactory(workspace=alpha, owner=bob)
    response = login(lena).get(URL + "?format=csv")
    content = b"".join(response.streaming_content).decode()
    assert content.splitlines()[0].lstrip("\ufeff").startswith("Owner,Role,Accounts,Load")
    assert "Bob Tester" in content
