"""Bulk upsert of daily usage records: the fast path, with the same batch semantics."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import Account
from tests.factories import (
    AccountFactory,
    AccountUseCaseFactory,
    UsageMetricFactory,
    UseCaseFactory,
)
from value.models import Aggregation, Threshold, UsageMetric, UsageRecord

URL = reverse("api-usage-record-bulk")
TODAY = dt.date.today()


def usage(day_offset=1, value=10, account="CRM-1", metric="logins"):
    day = TODAY - dt.timedelta(days=day_offset)
    return {
        "account_external_id": account,
        "metric": metric,
        "day": day.isoformat(),
        "value": value,
    }


def stored_usage():
    return sorted(
        UsageRecord.dangerously_unscoped.values_list(
            "workspace_id", "account_id", "metric_id", "day", "value"
        )
    )


@pytest.fixture
def known(alpha):
    return (
        AccountFactory(workspace=alpha, external_id="CRM-1"),
        UsageMetricFactory(workspace=alpha, key="logins"),
    )


@pytest.mark.django_db
def test_it_creates_updates_and_counts_unchanged_days(api, known):
    records = [usage(1, 10), usage(2, 12), usage(3, 0)]
    assert api.post(URL, {"records": records}).json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    records[0]["value"] = 11
    assert api.post(URL, {"records": records}).json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 2,
    }
    account, _metric = known
    assert UsageRecord.dangerously_unscoped.get(day=TODAY - dt.timedelta(days=1)).value == 11
    assert {r.account_id for r in UsageRecord.dangerously_unscoped.all()} == {account.pk}


@pytest.mark.django_db
def test_it_leaves_stored_rows_identical_when_a_batch_is_replayed_three_times(api, known):
    records = [usage(day, day * 1.5) for day in range(1, 100)]
    api.post_gzip(URL, {"records": records})
    stored = stored_usage()
    for _ in range(3):
        response = api.post(URL, {"records": records})
        assert response.json() == {"created": 0, "updated": 0, "unchanged": 99}
        assert stored_usage() == stored


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("record", "field", "code"),
    [
        pytest.param(usage(-1), "day", "in-future", id="future-day"),
        pytest.param({**usage(), "day": "yesterday"}, "day", "invalid-date", id="bad-day"),
        pytest.param(usage(value=-1), "value", "negative", id="negative-count"),
        pytest.param(usage(value="12"), "value", "wrong-type", id="string-number"),
        pytest.param(usage(value=True), "value", "wrong-type", id="bool-number"),
        pytest.param(usage(account="CRM-404"), "account_external_id", "unknown-account", id="acct"),
        pytest.param(usage(metric="unknown"), "metric", "unknown-metric", id="unknown-metric"),
        pytest.param(usage(metric="no spaces"), "metric", "invalid-key", id="bad-metric-key"),
        pytest.param({**usage(), "source": "x"}, "source", "unknown-field", id="unknown-field"),
        pytest.param(usage(7, 99), "day", "duplicate-key", id="duplicate-key"),
    ],
)
def test_it_rejects_a_bad_record_and_writes_nothing(api, known, record, field, code):
    api.post(URL, {"records": [usage(5, 1)]})
    before = stored_usage()
    response = api.post(URL, {"records": [usage(7, 3), record]})
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(e["index"], e["field"], e["code"]) for e in errors] == [(1, field, code)]
    assert stored_usage() == before


@pytest.mark.django_db
def test_it_takes_the_future_to_begin_after_the_workspaces_today(api, known, alpha):
    # Twenty-six hours apart, the two zones never share a date.
    ahead = dt.datetime.now(ZoneInfo("Etc/GMT-14")).date().isoformat()
    record = {**usage(), "day": ahead}
    alpha.time_zone = "Etc/GMT+12"
    alpha.save()
    refused = api.post(URL, {"records": [record]})
    assert [e["code"] for e in refused.json()["errors"]] == ["in-future"]
    alpha.time_zone = "Etc/GMT-14"
    alpha.save()
    assert api.post(URL, {"records": [record]}).json()["created"] == 1


@pytest.mark.django_db
def test_it_rejects_nan_and_infinity_as_malformed_json(api, known):
    body = (
        b'{"records": [{"account_external_id": "CRM-1", "metric": "logins", '
        b'"day": "2025-01-01", "value": NaN}]}'
    )
    assert api.post(URL, body=body).status_code == 400
    assert stored_usage() == []


@pytest.mark.django_db
def test_it_creates_missing_accounts_and_metrics_when_asked(api, known, alpha):
    records = [usage(1, 5, account="CRM-NEW", metric="exports")]
    response = api.post(
        URL,
        {"records": records, "create_missing_accounts": True, "create_missing_metrics": True},
    )
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert Account.dangerously_unscoped.get(external_id="CRM-NEW").workspace == alpha
    assert UsageMetric.dangerously_unscoped.get(key="exports").workspace == alpha


@pytest.mark.django_db
def test_it_rejects_an_option_of_the_wrong_type(api, known):
    response = api.post(URL, {"records": [usage()], "create_missing_accounts": "yes"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "create_missing_accounts"
    assert stored_usage() == []


@pytest.mark.django_db
def test_it_never_resolves_another_workspaces_account_or_metric(api, known, beta):
    AccountFactory(workspace=beta, external_id="BETA-1")
    UsageMetricFactory(workspace=beta, key="beta_metric")
    response = api.post(URL, {"records": [usage(account="BETA-1"), usage(metric="beta_metric")]})
    assert [e["code"] for e in response.json()["errors"]] == ["unknown-account", "unknown-metric"]
    assert stored_usage() == []


@pytest.fixture
def triage_pursuit(alpha):
    """CRM-2 (20 seats) pursues triage: presence = peak active users ≥ 50% of seats (10),
    engagement = ≥ 100 triages a week over the 28-day window."""
    users = UsageMetricFactory(workspace=alpha, key="active_users", aggregation=Aggregation.MAX)
    triages = UsageMetricFactory(workspace=alpha, key="triages")
    use_case = UseCaseFactory(workspace=alpha, name="Triage")
    Threshold.dangerously_unscoped.create(
        workspace=alpha, use_case=use_case, level=1, metric=users, minimum=Decimal("0.5"),
        per_seat=True,
    )  # fmt: skip
    Threshold.dangerously_unscoped.create(
        workspace=alpha, use_case=use_case, level=2, metric=triages, minimum=100
    )
    account = AccountFactory(workspace=alpha, external_id="CRM-2", licensed_seats=20)
    return AccountUseCaseFactory(account=account, use_case=use_case, level=0)


def month_of(metric, value):
    return [usage(day, value, account="CRM-2", metric=metric) for day in range(28)]


@pytest.mark.django_db
def test_it_re_derives_the_ladder_once_ingested_usage_crosses_a_threshold(
    api, triage_pursuit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(URL, {"records": month_of("active_users", 12)})
    triage_pursuit.refresh_from_db()
    assert triage_pursuit.level == 1  # 12 of 10 needed; no triages yet
    with django_capture_on_commit_callbacks(execute=True):
        api.post(URL, {"records": month_of("triages", 15)})  # 105 a week
    triage_pursuit.refresh_from_db()
    assert triage_pursuit.level == 2


@pytest.mark.django_db
def test_it_queues_the_refresh_only_when_the_batch_commits(
    api, triage_pursuit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        api.post(URL, {"records": month_of("active_users", 12)})
    triage_pursuit.refresh_from_db()
    assert (len(callbacks), triage_pursuit.level) == (1, 0)
    bad = {**usage(account="CRM-2", metric="active_users"), "value": -1}
    with django_capture_on_commit_callbacks() as callbacks:
        assert api.post(URL, {"records": [bad]}).status_code == 400
    assert callbacks == []
