"""The renewal forecast page's reads: the workspace's past renewals and the accounts due,
each described as it stood on the day the forecast is made, handed to ``health.forecast``.

Point in time. A forecast made on day ``s`` learns only from the renewals settled by ``s``
(``health.selectors.renewals``), each described by the snapshot taken 90 days before it renewed,
and describes the accounts due by the latest snapshot scored by ``s`` and their ARR in the
ledger on ``s``, converted at the rates valid on ``s``. The last quarters are forecast again
that way from their first day and set beside what happened.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from accounts import selectors as account_selectors
from accounts.selectors import retention as retention_selectors
from csos import selectors as core_selectors
from csos.charts import line_chart
from csos.currencies import RateTable, rate_on
from csos.tenancy import current_workspace
from dashboards.forms import Filters, current_quarter_end
from health.selectors import leaders as health_leaders
from health.selectors import renewals as history_reads
from health.selectors.renewals import model as fc

COMING_QUARTERS = 4
PAST_QUARTERS = 4
DEFAULT_PARAMS = fc.ForecastParams()


def _quarter_start(end: dt.date) -> dt.date:
    return end.replace(day=1, month=end.month - 2)


def _converted(
    arr: pd.Series, currency: pd.Series, *, rates: RateTable, on: dt.date, home: str
) -> pd.Series:
    rate = currency.map(lambda code: rate_on(rates, currency=code, on=on, home=home))
    return arr.astype(float) * rate.astype(float)


def renewal_forecast(*, filters: Filters, params: fc.ForecastParams = DEFAULT_PARAMS) -> dict:
    """The coming quarters' forecast for the filtered accounts and the last quarters' forecast
    error; a fixed number of queries whatever the history's length."""
    workspace = current_workspace()
    today, home = filters.today, workspace.default_currency
    rates = core_selectors.exchange_rate_table()
    accounts = _account_frame()
    in_book = set(
        account_selectors.account_list().filter(filters.book()).values_list("pk", flat=True)
    )
    outcomes = history_reads.past_renewals(today=today, segments=accounts["segment"])
    as_of = _past_quarters(today=today)
    latest = {day: health_leaders.latest_week(today=day) for day in [today, *as_of.values()]}
    states = health_leaders.snapshot_states(
        weeks={*outcomes["week"], *(week for week in latest.values() if week)}
    )
    arr_then = retention_selectors.ledger_arr_on(days=list(as_of.values()))

    def upcoming_of(population: pd.DataFrame, *, on: dt.date) -> pd.DataFrame:
        return history_reads.described(population.assign(week=latest[on]), states)

    history_now = history_reads.settled_history(outcomes, states, on=today)
    result = {
        "currency": home,
        "params": params,
        "history_count": len(history_now),
        "enough": fc.has_enough_history(history_now, params),
    }
    due = _due(accounts[accounts.index.isin(in_book)], today=today, rates=rates, home=home)
    result["unconverted"] = sorted(set(due.loc[due["arr"].isna(), "currency"]))
    due = due[due["arr"].notna()].reset_index()
    if result["enough"]:
        rng = np.random.default_rng([workspace.pk, today.toordinal()])
        made = fc.forecast(history_now, upcoming_of(due, on=today), rng=rng, params=params)
        result["forecast"] = made
        result["movers"] = _named_movers(made.movers)
    result["backtest"] = backtest = [
        _past_quarter(
            end,
            start,
            outcomes=outcomes[outcomes["account_id"].isin(in_book)],
            all_outcomes=outcomes,
            accounts=accounts,
            states=states,
            arr_then=arr_then[start],
            upcoming_of=upcoming_of,
            rates=rates,
            home=home,
            params=params,
            seed=[workspace.pk, start.toordinal()],
        )
        for end, start in as_of.items()
    ]
    result["backtest_chart"] = _backtest_chart(backtest, home=home)
    if result["enough"]:
        result["quarters"] = list(made.quarters.to_dict("index").items())
        result["cells"] = made.cells.reset_index().to_dict("records")
    return result


def _past_quarters(*, today: dt.date) -> dict[dt.date, dt.date]:
    """The last quarters before the current one: each one's end and its start."""
    past = retention_selectors.quarter_ends(
        _quarter_start(current_quarter_end(today)) - dt.timedelta(days=1), count=PAST_QUARTERS
    )
    return {end: _quarter_start(end) for end in past}


def _account_frame() -> pd.DataFrame:
    """Every account's segment, currency, ARR, renewal date and status, by account id."""
    columns = ["account_id", "segment", "currency", "arr", "renewal_date", "status"]
    rows = account_selectors.account_list().values_list(
        "pk", "segment", "currency", "arr", "renewal_date", "status"
    )
    return pd.DataFrame(list(rows), columns=columns).set_index("account_id")


def _due(accounts: pd.DataFrame, *, today: dt.date, rates, home: str) -> pd.DataFrame:
    """The active accounts renewing from ``today`` to the end of the coming quarters, each with
    its quarter and its ARR converted to ``home`` (NaN without a rate)."""
    coming_ends = [current_quarter_end(today)]
    while len(coming_ends) < COMING_QUARTERS:
        coming_ends.append(current_quarter_end(coming_ends[-1] + dt.timedelta(days=1)))
    due = accounts[
        (accounts["status"] == account_selectors.AccountStatus.ACTIVE)
        & accounts["renewal_date"].notna()
    ]
    due = due[(due["renewal_date"] >= today) & (due["renewal_date"] <= coming_ends[-1])]
    return due.assign(
        quarter=[
            retention_selectors.quarter_label(current_quarter_end(day))
            for day in due["renewal_date"]
        ],
        arr=_converted(due["arr"], due["currency"], rates=rates, on=today, home=home),
    )


def _backtest_chart(backtest: list[dict], *, home: str):
    """Each past quarter's forecast beside what renewed, in ``home``."""
    return line_chart(
        [row["label"] for row in backtest],
        {
            "Forecast": [row.get("expected") for row in backtest],
            "Actual": [row["actual"] for row in backtest],
        },
        value_format="money",
        unit=home,
    )


def _named_movers(movers: pd.DataFrame) -> list[dict]:
    names = dict(
        account_selectors.account_list()
        .filter(pk__in=movers["account_id"].tolist())
        .values_list("pk", "name")
    )
    return [{**row, "name": names.get(row["account_id"], "")} for row in movers.to_dict("records")]


def _past_quarter(
    end: dt.date,
    start: dt.date,
    *,
    outcomes: pd.DataFrame,
    all_outcomes: pd.DataFrame,
    accounts: pd.DataFrame,
    states: pd.DataFrame,
    arr_then: dict[int, Decimal],
    upcoming_of,
    rates: RateTable,
    home: str,
    params: fc.ForecastParams,
    seed: list[int],
) -> dict:
    """The forecast of the quarter ``start``-``end`` as it would have been made on ``start``,
    and what its renewals did: ARR on ``start`` of those that renewed."""
    history = history_reads.settled_history(all_outcomes, states, on=start)
    row = {"label": retention_selectors.quarter_label(end), "start": start, "history": len(history)}
    renewing = outcomes[(outcomes["renewal"] >= start) & (outcomes["renewal"] <= end)]
    population = pd.DataFrame(
        {
            "account_id": renewing["account_id"].to_numpy(),
            "segment": renewing["segment"].to_numpy(),
            "renewed": renewing["renewed"].to_numpy(),
            "quarter": row["label"],
            "arr": _converted(
                renewing["account_id"].map(lambda pk: arr_then.get(pk, Decimal(0))),
                renewing["account_id"].map(accounts["currency"]),
                rates=rates,
                on=start,
                home=home,
            ).to_numpy(),
        }
    )
    population = population[population["arr"].notna() & (population["arr"] > 0)]
    row["renewals"] = len(population)
    row["actual"] = float((population["arr"] * population["renewed"]).sum())
    row["enough"] = fc.has_enough_history(history, params) and not population.empty
    if row["enough"]:
        made = fc.forecast(
            history,
            upcoming_of(population, on=start),
            rng=np.random.default_rng(seed),
            params=params,
        )
        quarter = made.quarters.iloc[0]
        row.update(expected=quarter["expected"], low=quarter["low"], high=quarter["high"])
        row["error"] = fc.forecast_error(row["expected"], row["actual"])
    return row
