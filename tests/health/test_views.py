"""Health pages: wiring, rights, field errors, and the account panel's query budget."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from csos.tenancy import workspace_scope
from health import selectors, services
from health.models import (
    HealthBacktest,
    HealthModel,
    HealthOverride,
    HealthRecompute,
    HealthSnapshot,
)
from health.selectors import account_health
from health.selectors import backtests as backtest_selectors
from health.tasks import backtest_enqueue
from tests.factories import AccountFactory, SupportTicketFactory, SurveyResponseFactory
from tests.health.factories import renewal_with_score


@pytest.fixture
def account(alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob)
    SupportTicketFactory(account=account, priority="p1", subject="Outage in EU")
    SurveyResponseFactory(account=account, comment="Slow support")
    return account


def recompute_weeks(workspace, weeks):
    today = timezone.localdate()
    with workspace_scope(workspace):
        for ago in range(weeks - 1, -1, -1):
            services.health_recompute(workspace=workspace, week=today - dt.timedelta(weeks=ago))


def test_it_shows_score_band_drivers_and_trend_on_the_account_page(login, alpha, bob, account):
    recompute_weeks(alpha, 2)
    page = login(bob).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert 'id="panel-health"' in page
    assert "Open tickets: 1 P1, 0 P2, 0 P3/P4" in page
    assert "health-trend-data" in page and "Red" in page
    assert reverse("health_override", args=[account.pk]) in page  # Bob owns it


def test_it_reads_the_panel_in_four_queries_at_any_history_length(alpha, account):
    today = timezone.localdate()
    for weeks in (1, 8):
        recompute_weeks(alpha, weeks)
        with workspace_scope(alpha), CaptureQueriesContext(connection) as queries:
            context = account_health(account=account, today=today)
        assert len(queries) == 4
        assert len(context["snapshots"]) == weeks


def test_it_lists_an_accounts_tickets_and_surveys(login, alpha, carol, account):
    page = login(carol).get(reverse("account_signals", args=[account.pk])).content.decode()
    assert "Outage in EU" in page and "Slow support" in page


def test_it_lists_only_the_latest_tickets_and_surveys_and_says_how_many_there_are(
    login, alpha, carol, account, monkeypatch
):
    monkeypatch.setattr(selectors, "SIGNALS_SHOWN", 1)
    SupportTicketFactory(account=account, subject="Older ticket", opened_on=dt.date(2020, 1, 1))
    page = login(carol).get(reverse("account_signals", args=[account.pk])).content.decode()
    assert "Outage in EU" in page and "Older ticket" not in page
    assert "The latest 1 of 2 tickets." in page
    assert "survey responses." not in page


def test_it_refuses_an_override_expiring_in_the_past_and_saves_nothing(login, alpha, bob, account):
    client = login(bob)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client.post(
        reverse("health_override", args=[account.pk]),
        {"band": "green", "reason": "Renewal signed", "expires_on": yesterday},
        follow=True,
    )
    assert "The expiry cannot be in the past." in response.content.decode()
    assert not HealthOverride.dangerously_unscoped.exists()


def test_it_lets_only_editors_override(login, alpha, carol, vera, account):
    data = {"band": "green", "reason": "x", "expires_on": timezone.localdate()}
    url = reverse("health_override", args=[account.pk])
    assert login(vera).post(url, data).status_code == 403
    assert login(carol).post(url, data).status_code == 403  # a CSM who does not own it


def test_it_lets_a_leader_start_a_recompute_and_watch_it_finish(
    login, alpha, lena, account, django_capture_on_commit_callbacks
):
    client = login(lena)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("health_recompute"), {"week": timezone.localdate()})
    recompute = HealthRecompute.dangerously_unscoped.get()
    assert response.url == reverse("health_recompute_detail", args=[recompute.pk])
    partial = client.get(reverse("health_recompute_progress", args=[recompute.pk])).content.decode()
    assert 'data-status="done"' in partial and "1 of 1 chunks" in partial
    assert HealthSnapshot.dangerously_unscoped.filter(account=account).count() == 1


def test_it_says_why_a_recompute_failed_on_its_progress(login, alpha, lena):
    recompute = HealthRecompute.dangerously_unscoped.create(
        workspace=alpha, week=timezone.localdate(), status="failed", chunk_count=2
    )
    partial = login(lena).get(reverse("health_recompute_progress", args=[recompute.pk]))
    assert "kept stopping the worker" in partial.content.decode()


def test_it_keeps_recomputes_and_models_from_csms(login, alpha, bob):
    client = login(bob)
    assert client.get(reverse("health_recompute")).status_code == 403
    assert client.get(reverse("health_models")).status_code == 403
    assert HealthModel.dangerously_unscoped.count() == 0


def _quality_page(client, **params) -> str:
    return client.get(reverse("health_quality"), params).content.decode()


@pytest.fixture
def backtested(alpha, django_capture_on_commit_callbacks):
    """Two renewals eight months ago and two yesterday, one churn each time; backtested."""
    accounts = [
        renewal_with_score(alpha, churned=churned, usage=usage, days_ago=days_ago)
        for days_ago in (240, 1)
        for churned, usage in ((True, 2), (False, 9))
    ]
    with workspace_scope(alpha), django_capture_on_commit_callbacks(execute=True):
        backtest_enqueue(workspace=alpha, today=timezone.localdate())
    return accounts


def test_it_says_since_when_it_computes_and_queues_the_backtest_when_none_is_stored(
    login, alpha, lena, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        page = _quality_page(login(lena))
    pending = HealthBacktest.dangerously_unscoped.get()
    assert pending.computed_at is None and len(queued) == 1
    assert f"Computing since {pending.requested_at:%b} " in page
    with django_capture_on_commit_callbacks() as queued_again:
        _quality_page(login(lena))
    assert queued_again == []  # already computing: not queued twice


def test_it_reports_later_renewals_with_counts_intervals_and_a_thin_warning(
    login, lena, backtested
):
    page = _quality_page(login(lena)).split("90 days before renewal")[1]
    assert "Later renewals: AUC 1.00 (1.00-1.00) from 2 renewals and 1 churn." in page
    assert "Earlier renewals: AUC 1.00 (1.00-1.00) from 2 renewals and 1 churn." in page
    assert "Only 1 churn among the later renewals, fewer than 30" in page
    assert "Only 1 churn among the earlier renewals, fewer than 30" in page


def test_it_reads_the_stored_backtest_in_the_same_queries_at_any_size(
    login, alpha, lena, django_capture_on_commit_callbacks
):
    client = login(lena)
    counts = []
    for extra in (0, 30):
        for n in range(extra):
            renewal_with_score(alpha, churned=n % 3 == 0, usage=n % 10, days_ago=n + 1)
        with workspace_scope(alpha), django_capture_on_commit_callbacks(execute=True):
            backtest_enqueue(workspace=alpha, today=timezone.localdate())
        with workspace_scope(alpha), CaptureQueriesContext(connection) as read:
            assert backtest_selectors.backtest_overview()[0].backtest.figures["horizons"]
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("health_quality")).status_code == 200
        counts.append((len(read), len(page)))
    # The models with their latest backtest's figures; the page adds the user's (and without
    # Redis the session's) queries to that one.
    assert counts[0] == counts[1] and counts[0][0] == 1


def test_it_compares_proposed_weights_on_earlier_renewals_and_holds_them_out_on_later(
    login, lena, backtested
):
    client = login(lena)
    weights = {
        "usage": 50,
        "ladder": 10,
        "value_proof": 10,
        "stakeholders": 10,
        "support": 10,
        "sentiment": 5,
        "engagement": 5,
    }
    page = _quality_page(client, **weights)
    thin = '; <span class="badge warn">too few churns to trust</span>'
    assert f"Earlier (compared): 2 renewals, 1 churns{thin}" in page
    assert f"Later (held out): 2 renewals, 1 churns{thin}" in page
    refused = client.get(reverse("health_quality"), dict(weights, usage=60))
    assert refused.status_code == 400 and "sum to 110%" in refused.content.decode()


def test_it_lists_exactly_the_renewals_behind_a_band_count(login, lena, backtested):
    client = login(lena)
    backtest = HealthBacktest.dangerously_unscoped.get()
    drill = reverse("health_quality_renewals", args=[backtest.pk])
    churns = f"{drill}?days=90&amp;part=report&amp;band=red&amp;outcome=churned"
    assert churns in _quality_page(client)
    churned_late, kept_late = backtested[2], backtested[3]
    page = client.get(churns.replace("&amp;", "&")).content.decode()
    assert "1 renewal<" in page and churned_late.name in page
    assert kept_late.name not in page and backtested[0].name not in page
    page = client.get(drill, {"days": 90, "part": "fit", "band": "green"}).content.decode()
    assert "1 renewal<" in page and backtested[1].name in page and "90.0" in page


def test_it_refuses_a_drill_down_naming_the_bad_field(login, lena, backtested):
    backtest = HealthBacktest.dangerously_unscoped.get()
    response = login(lena).get(
        reverse("health_quality_renewals", args=[backtest.pk]),
        {"days": 45, "part": "report", "band": "red"},
    )
    assert (
        response.status_code == 400 and "days: Select a valid choice" in response.content.decode()
    )


def test_it_says_a_demo_workspace_history_is_generated(login, alpha, lena):
    notice = "This is a demo workspace: its renewals, outcomes and past scores were generated"
    assert notice not in _quality_page(login(lena))
    alpha.is_demo = True
    alpha.save()
    assert notice in _quality_page(login(lena))


def test_it_shows_an_override_until_it_expires(alpha, alice, account):
    today = timezone.localdate()
    with workspace_scope(alpha):
        services.health_override_set(
            workspace=alpha,
            account=account,
            by=alice,
            band="green",
            reason="Signed early",
            expires_on=today,
            today=today,
        )
        assert account_health(account=account, today=today)["override"].reason == "Signed early"
        tomorrow = today + dt.timedelta(days=1)
        assert account_health(account=account, today=tomorrow)["override"] is None


def test_it_flags_theatre_when_the_score_rose_with_usage_and_proof_unchanged(alpha):
    """Four weeks ago an old P1, no Owner or Champion and no proof scored 0; now a glowing
    survey lifts the total to 10 x (10 x 10) / 55 = 18.2 while usage and proof stood still."""
    today = timezone.localdate()
    account = AccountFactory(workspace=alpha)
    SupportTicketFactory(account=account, priority="p1", opened_on=today - dt.timedelta(days=60))
    with workspace_scope(alpha):
        services.health_recompute(workspace=alpha, week=today - dt.timedelta(weeks=4))
        SurveyResponseFactory(account=account, score=10, answered_on=today)
        services.health_recompute(workspace=alpha, week=today)
        snapshot = HealthSnapshot.objects.get(account=account, week=services.iso_week(today))
    assert snapshot.total == 18.2
    assert snapshot.theatre == "sentiment no data → 10"


def test_it_shows_the_change_since_last_week_beside_the_band_on_the_portfolio(
    login, alpha, bob, in_alpha
):
    week = dt.date(2026, 11, 16)
    for name, totals in (("Falling", (70, 58)), ("Rising", (40, 44)), ("New", (None, 61))):
        account = AccountFactory(workspace=alpha, owner=bob, name=name)
        for weeks_ago, total in zip((1, 0), totals, strict=True):
            if total is None:
                continue
            HealthSnapshot.objects.create(
                workspace=alpha,
                account=account,
                week=week - dt.timedelta(weeks=weeks_ago),
                total=total,
                band="yellow" if total >= 50 else "red",
                model_name="Default",
                model_version=1,
                change=None if weeks_ago or totals[0] is None else total - totals[0],
            )

    page = login(bob).get(reverse("portfolio")).content.decode()

    assert '<td>Yellow <span class="muted">-12 on last week</span></td>' in page
    assert '<td>Red <span class="muted">+4 on last week</span></td>' in page
    assert "<td>Yellow</td>" in page  # a first week has no change to show


def test_it_shows_and_filters_the_latest_band_on_the_portfolio(login, alpha, bob, account):
    recompute_weeks(alpha, 1)
    unscored = AccountFactory(workspace=alpha, owner=bob, name="Unscored Customer")
    client = login(bob)
    page = client.get(reverse("portfolio")).content.decode()
    assert "<td>Red</td>" in page
    red = client.get(reverse("portfolio"), {"health_band": "red"}).content.decode()
    assert account.name in red and unscored.name not in red


CELL = r"<t[hd][^>]*>(.*?)</t[hd]>"


def _dimension_rows(page: str) -> list[dict]:
    """The rows of the panel's dimension table, each cell's text by column header."""
    [table] = re.findall(r'<table class="health-dimensions">.*?</table>', page, re.S)
    headers = [strip_tags(h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table)]
    [body] = re.findall(r"<tbody>(.*?)</tbody>", table, re.S)
    return [
        dict(
            zip(
                headers,
                [strip_tags(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)],
                strict=True,
            )
        )
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_it_rebuilds_the_total_from_each_dimensions_weight_score_and_points(
    login, alpha, bob, account
):
    recompute_weeks(alpha, 1)
    with workspace_scope(alpha):
        snapshot = HealthSnapshot.objects.get(account=account)
        without_data = [key for key, score in snapshot.scores.items() if score is None]
    page = login(bob).get(reverse("account_detail", args=[account.pk])).content.decode()
    rows = _dimension_rows(page)

    assert sum(float(row["Weight"].rstrip("%")) for row in rows) == 100
    shown = [row for row in rows if row["Points"] != "—"]
    for row in shown:
        share, score = float(row["Counts for"].rstrip("%")), float(row["Score (0-10)"])
        assert float(row["Points"]) == pytest.approx(share * score / 10, abs=0.1)
    rebuilt = sum(float(row["Points"]) for row in shown)
    assert rebuilt == pytest.approx(snapshot.total, abs=0.05 * len(shown))
    assert f"How the score of {snapshot.total:.1f} is built" in page
    assert without_data, "the account has no usage or ladder data"
    assert [row["Score (0-10)"] for row in rows if row["Points"] == "—"] == ["no data"] * len(
        without_data
    )
    missing = sum(float(row["Weight"].rstrip("%")) for row in rows if row["Points"] == "—")
    assert f"{missing:g}% of the weight went to the dimensions with data" in page


def test_it_shows_only_the_scores_when_the_model_was_edited_since(login, alpha, bob, account):
    recompute_weeks(alpha, 1)
    with workspace_scope(alpha):
        HealthModel.objects.update(version=F("version") + 1)
    page = login(bob).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "its weights at the time are not kept" in page
    assert all("Points" not in row and "Weight" not in row for row in _dimension_rows(page))


@pytest.mark.parametrize(
    "change, text, shown",
    [
        (-0.3, "unchanged on last week", "-0.3"),
        (0.04, "unchanged on last week", "0"),
        (-0.04, "unchanged on last week", "0"),
        (-12.2, "-12 on last week", "-12.2"),
        (4.0, "+4 on last week", "+4.0"),
        (None, "", None),
    ],
)
def test_it_never_signs_a_change_that_rounds_to_nothing(change, text, shown):
    assert selectors.change_text(change) == text
    assert selectors.change_shown(change, digits=1) == shown


def test_it_sorts_the_portfolio_by_health_severity_both_ways(login, alpha, bob, in_alpha):
    week = dt.date(2026, 11, 16)
    for band in ("green", "insufficient", "red", "yellow"):
        HealthSnapshot.objects.create(
            workspace=alpha,
            account=AccountFactory(workspace=alpha, owner=bob, name=band.capitalize()),
            week=week,
            band=band,
            model_name="Default",
            model_version=1,
        )
    AccountFactory(workspace=alpha, owner=bob, name="Unscored")
    client = login(bob)

    def names(sort):
        page = client.get(reverse("portfolio"), {"sort": sort}).context["page"]
        return [row["name"] for row in page.object_list]

    assert names("health_band") == ["Red", "Yellow", "Green", "Insufficient", "Unscored"]
    assert names("-health_band") == ["Unscored", "Insufficient", "Green", "Yellow", "Red"]
