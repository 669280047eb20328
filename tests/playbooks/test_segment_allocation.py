import pandas as pd

from playbooks.segments.allocation import ACCOUNT_COLUMNS, Csm, rebalance

ALL = frozenset({"pooled", "named", "strategic"})


def _accounts(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(ACCOUNT_COLUMNS))


def _loads(accounts, moves, csms) -> dict[int, float]:
    owner = dict(zip(accounts["account_id"], accounts["owner_id"], strict=True))
    owner.update({move.account_id: move.to_id for move in moves})
    weight = dict(zip(accounts["account_id"], accounts["weight"], strict=True))
    return {
        csm.user_id: sum(weight[a] for a, o in owner.items() if o == csm.user_id) for csm in csms
    }


def test_it_brings_every_csm_within_capacity_with_the_fewest_moves():
    # CSM 1 carries 5 named accounts (2 points each) and 1 strategic (4): 14 points for 8.
    # Only CSM 1 takes strategic accounts, so three named ones must go, all to CSM 2 (CSM 3
    # takes pooled only): 3 moves, no fewer.
    rows = [(i, 1, "named", 2.0, 100.0 * i) for i in range(1, 6)]
    rows += [(6, 1, "strategic", 4.0, 900.0), (7, 2, "named", 2.0, 50.0)]
    accounts = _accounts(rows)
    csms = [
        Csm(1, 8.0, ALL),
        Csm(2, 8.0, frozenset({"named", "pooled"})),
        Csm(3, 4.0, frozenset({"pooled"})),
    ]
    result = rebalance(accounts, csms)
    assert result.feasible
    assert len(result.moves) == 3
    assert all(
        load <= csm.capacity
        for csm, load in zip(csms, _loads(accounts, result.moves, csms).values(), strict=True)
    )
    # The smallest named accounts move; the 900 strategic relationship stays.
    assert [(m.account_id, m.from_id, m.to_id) for m in result.moves] == [
        (1, 1, 2),
        (2, 1, 2),
        (3, 1, 2),
    ]


def test_it_moves_nothing_when_every_csm_is_within_capacity():
    accounts = _accounts([(1, 1, "named", 2.0, 10.0), (2, 2, "pooled", 1.0, 5.0)])
    result = rebalance(accounts, [Csm(1, 2.0, ALL), Csm(2, 5.0, ALL)])
    assert result.feasible
    assert result.moves == []


def test_it_places_accounts_without_an_owner_with_a_csm_they_fit():
    accounts = _accounts([(1, None, "strategic", 3.0, 10.0), (2, 1, "pooled", 1.0, 5.0)])
    csms = [Csm(1, 10.0, frozenset({"pooled"})), Csm(2, 3.0, frozenset({"strategic"}))]
    result = rebalance(accounts, csms)
    assert [(m.account_id, m.from_id, m.to_id) for m in result.moves] == [(1, None, 2)]


def test_it_moves_a_misfit_rather_than_a_fitting_account_at_equal_cost():
    accounts = _accounts([(1, 1, "pooled", 2.0, 10.0), (2, 1, "strategic", 2.0, 10.0)])
    csms = [Csm(1, 2.0, frozenset({"pooled"})), Csm(2, 10.0, ALL)]
    result = rebalance(accounts, csms)
    assert [(m.account_id, m.to_id) for m in result.moves] == [(2, 2)]


def test_it_reports_a_team_too_small_instead_of_overfilling():
    accounts = _accounts([(i, 1, "named", 3.0, 1.0) for i in range(1, 5)])
    result = rebalance(accounts, [Csm(1, 5.0, ALL), Csm(2, 5.0, ALL)])
    assert not result.feasible
    assert result.moves == []
    assert "12.0 points" in result.reason and "10.0" in result.reason


def test_it_reports_a_case_the_allowed_motions_cannot_fit():
    # Enough capacity overall, but only CSM 1 takes strategic accounts and it has room for one.
    accounts = _accounts([(1, 1, "strategic", 4.0, 1.0), (2, 2, "strategic", 4.0, 1.0)])
    csms = [Csm(1, 4.0, frozenset({"strategic"})), Csm(2, 10.0, frozenset({"pooled"}))]
    result = rebalance(accounts.assign(owner_id=[1, None]), csms)
    assert not result.feasible
    assert "No assignment keeps every CSM within capacity" in result.reason
