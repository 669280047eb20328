"""Recomputing snapshots from the database: models by segment, replacement, change, errors."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from csos.models import AuditEvent
from health import services
from health.models import Band, HealthModel, HealthSnapshot, RecomputeStatus
from playbooks.models import Task
from tests.factories import AccountFactory, SupportTicketFactory, SurveyResponseFactory

WEEK = dt.date(2026, 11, 23)  # a Monday


@pytest.fixture
def accounts(alpha):
    small = AccountFactory(workspace=alpha, segment="small")
    big = AccountFactory(workspace=alpha, segment="enterprise")
    SupportTicketFactory(account=small, priority="p1", opened_on=WEEK)
    SurveyResponseFactory(account=big, kind="csat", score=5, answered_on=WEEK)
    return small, big


def test_it_writes_one_snapshot_per_account_and_replaces_it_on_recompute(in_alpha, accounts):
    small, big = accounts
    first = services.health_recompute(workspace=in_alpha, week=WEEK + dt.timedelta(days=3))
    assert first.status == RecomputeStatus.DONE and first.week == WEEK
    services.health_recompute(workspace=in_alpha, week=WEEK)
    snapshots = HealthSnapshot.objects.filter(week=WEEK)
    assert snapshots.count() == 2
    small_row = snapshots.get(account=small)
    # Known here: tickets, surveys, stakeholders and evidence (no usage, ladder or
    # interactions): support 0 (one P1), no Owner or Champion 0, nothing proven 0, no survey.
    assert small_row.scores["support"] == 0.0 and small_row.scores["usage"] is None
    assert small_row.total == 0.0 and small_row.band == Band.RED
    assert small_row.drivers["support"] == "Open tickets: 1 P1, 0 P2, 0 P3/P4"
    assert small_row.drivers["sentiment"] == "Insufficient data"
    assert (small_row.model_name, small_row.model_version) == ("Default", 1)
    # No tickets 10 (weight 15), CSAT 5 of 5 10 (weight 10), no Owner or Champion 0 (weight
    # 15), nothing proven 0 (weight 15): 10 x (150 + 100) / 55 = 45.5.
    assert snapshots.get(account=big).total == 45.5


def test_it_records_the_change_since_last_week(in_alpha, accounts):
    small, _big = accounts
    last_week = WEEK - dt.timedelta(weeks=1)
    services.health_recompute(workspace=in_alpha, week=last_week)
    SurveyResponseFactory(account=small, kind="nps", score=6, answered_on=WEEK)
    services.health_recompute(workspace=in_alpha, week=WEEK)
    now = HealthSnapshot.objects.get(account=small, week=WEEK)
    # Stakeholders and value proof 0 (weight 15 each) both weeks. Last week the P1 was not
    # open yet: support 10 (weight 15), total 10 x 150 / 45 = 33.3. This week support 0 and
    # sentiment 6 (weight 10): 10 x 60 / 55 = 10.9.
    assert HealthSnapshot.objects.get(account=small, week=last_week).total == 33.3
    assert (now.total, now.change) == (10.9, -22.4)


def test_it_chooses_the_model_by_segment(in_alpha, accounts, alice):
    small, big = accounts
    default = services.health_model_default_ensure(workspace=in_alpha)
    enterprise = HealthModel(name="Enterprise", position=1)
    services.health_model_save(
        workspace=in_alpha,
        model=enterprise,
        by=alice,
        dimensions=[
            {"key": "support", "calculator": "support_burden", "weight": 100, "params": {}}
        ],
        green_above=80,
        red_below=60,
        segments=["enterprise"],
        name="Enterprise",
        position=1,
    )
    services.health_recompute(workspace=in_alpha, week=WEEK)
    assert HealthSnapshot.objects.get(account=big).model_name == "Enterprise"
    assert HealthSnapshot.objects.get(account=small).model_name == default.name


def test_it_refuses_a_bad_model_and_saves_nothing(in_alpha, alice):
    model = services.health_model_default_ensure(workspace=in_alpha)
    dimensions = [
        {"key": "usage", "calculator": "usage_vs_contract", "weight": 60, "params": {}},
        {"key": "mood", "calculator": "tea_leaves", "weight": 30, "params": {}},
    ]
    with pytest.raises(ValidationError) as refused:
        services.health_model_save(
            workspace=in_alpha,
            model=model,
            by=alice,
            dimensions=dimensions,
            green_above=40,
            red_below=60,
            segments=[],
            name="Default",
            position=0,
        )
    assert set(refused.value.message_dict) == {"weights", "thresholds", "mood"}
    model.refresh_from_db()
    assert model.version == 1 and len(model.dimensions) == 7
    assert not AuditEvent.objects.filter(action="health_model.publish").exists()


def test_it_publishes_a_new_version_and_audits_it(in_alpha, alice):
    model = services.health_model_default_ensure(workspace=in_alpha)
    dimensions = [dict(d, weight=d["weight"]) for d in model.dimensions]
    services.health_model_save(
        workspace=in_alpha,
        model=model,
        by=alice,
        dimensions=dimensions,
        green_above=80,
        red_below=40,
        segments=[],
        name="Default",
        position=0,
    )
    model.refresh_from_db()
    assert (model.version, model.green_above) == (2, 80)
    assert AuditEvent.objects.get(action="health_model.publish").after["version"] == 2


def test_it_refuses_an_override_expiring_in_the_past(in_alpha, accounts, alice):
    small, _big = accounts
    with pytest.raises(ValidationError) as refused:
        services.health_override_set(
            workspace=in_alpha,
            account=small,
            by=alice,
            band=Band.GREEN,
            reason="Signed the renewal",
            expires_on=WEEK - dt.timedelta(days=1),
            today=WEEK,
        )
    assert "expires_on" in refused.value.message_dict
    services.health_override_set(
        workspace=in_alpha,
        account=small,
        by=alice,
        band=Band.GREEN,
        reason="Signed the renewal",
        expires_on=WEEK,
        today=WEEK,
    )
    event = AuditEvent.objects.get(action="health.override")
    assert (event.actor, event.after["reason"]) == (alice, "Signed the renewal")


def test_it_creates_no_task_when_re_scoring_a_past_week(
    in_alpha, bob, lena, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    account = AccountFactory(workspace=in_alpha, owner=bob)
    SupportTicketFactory(account=account, priority="p1", opened_on=today - dt.timedelta(weeks=8))
    past_week = (today - dt.timedelta(weeks=4)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("health_recompute", in_alpha.slug, "--week", past_week, stdout=io.StringIO())
    assert HealthSnapshot.objects.get(account=account).band == Band.RED
    assert not Task.objects.exists()
    # An account entering Red in the current week still starts the save play.
    newly_red = AccountFactory(workspace=in_alpha, owner=bob)
    SupportTicketFactory(account=newly_red, priority="p1", opened_on=today)
    with django_capture_on_commit_callbacks(execute=True):
        services.health_recompute(workspace=in_alpha, week=today)
    assert Task.objects.get().account == newly_red
    assert Task.objects.get().playbook == "save"
