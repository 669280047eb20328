import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from accounts.services import account_create
from csos.models import AuditEvent, ExchangeRate
from framework.models import UseCase
from health.models import HealthSnapshot
from playbooks.segments import selectors, services
from playbooks.segments.models import SegmentChange, SegmentRule, SegmentSettings
from tests.factories import AccountFactory
from value.models import AccountUseCase

TODAY = dt.date.today()


def _rule(workspace, priority, clauses, motion, value_problem, match="all", name=None):
    return SegmentRule.objects.create(
        workspace=workspace,
        name=name or f"Rule {priority}",
        priority=priority,
        match=match,
        clauses=clauses,
        motion=motion,
        value_problem=value_problem,
    )


def _placed(account) -> tuple[str, str]:
    account.refresh_from_db()
    return account.motion, account.value_problem


@pytest.fixture
def rules(in_alpha):
    complex_ = _rule(
        in_alpha, 1, [{"field": "complexity", "op": "gte", "value": 4}], "strategic", "value_proof"
    )
    large = _rule(
        in_alpha, 2, [{"field": "arr", "op": "gte", "value": 100000}], "named", "expansion"
    )
    return complex_, large


@pytest.mark.django_db
def test_it_places_each_account_by_the_first_rule_that_holds_and_the_rest_by_default(
    in_alpha, rules
):
    both = AccountFactory(workspace=in_alpha, complexity=5, arr=Decimal(200000))
    large = AccountFactory(workspace=in_alpha, complexity=2, arr=Decimal(150000))
    small = AccountFactory(workspace=in_alpha, complexity=2, arr=Decimal(1000))
    examined, changed = services.segmentation_apply(workspace=in_alpha, today=TODAY)
    assert (examined, changed) == (3, 3)
    assert _placed(both) == ("strategic", "value_proof")
    assert _placed(large) == ("named", "expansion")
    assert _placed(small) == ("pooled", "adoption")
    change = SegmentChange.objects.get(account=large)
    assert (change.rule_id, change.rule_name) == (rules[1].pk, "Rule 2")
    assert change.reason == "ARR (workspace currency) ≥ 100,000"
    assert SegmentChange.objects.get(account=small).rule_id is None


@pytest.mark.django_db
def test_it_records_a_change_only_when_the_placement_or_its_rule_changes(in_alpha, rules):
    account = AccountFactory(workspace=in_alpha, complexity=5)
    services.segmentation_apply(workspace=in_alpha, today=TODAY)
    assert services.segmentation_apply(workspace=in_alpha, today=TODAY) == (1, 0)
    rules[0].priority, rules[1].priority = 3, 1
    rules[0].save()
    rules[1].clauses = [{"field": "complexity", "op": "eq", "value": 5}]
    rules[1].save()
    assert services.segmentation_apply(workspace=in_alpha, today=TODAY) == (1, 1)
    latest = SegmentChange.objects.filter(account=account).first()
    assert (latest.from_motion, latest.to_motion, latest.rule_name) == (
        "strategic",
        "named",
        "Rule 2",
    )


@pytest.mark.django_db
def test_it_compares_arr_in_the_workspace_currency_at_its_rates(in_alpha, rules):
    ExchangeRate.objects.create(
        workspace=in_alpha, currency="EUR", rate=Decimal(2), valid_from=TODAY
    )
    converted = AccountFactory(workspace=in_alpha, complexity=1, arr=60000, currency="EUR")
    unrated = AccountFactory(workspace=in_alpha, complexity=1, arr=900000, currency="GBP")
    services.segmentation_apply(workspace=in_alpha, today=TODAY)
    assert _placed(converted)[0] == "named"
    assert _placed(unrated)[0] == "pooled"


@pytest.mark.django_db
def test_it_tests_the_latest_health_band_the_proven_level_and_renewal_exposure(in_alpha):
    _rule(
        in_alpha,
        1,
        [{"field": "health_band", "op": "in", "value": ["red"]}],
        "named",
        "risk_governance",
    )
    _rule(in_alpha, 2, [{"field": "proven_level", "op": "gte", "value": 3}], "digital", "expansion")
    _rule(
        in_alpha,
        3,
        [{"field": "renewal_exposure", "op": "gt", "value": 0}],
        "pooled",
        "value_proof",
    )
    red_then_green = AccountFactory(workspace=in_alpha, renewal_date=None)
    red = AccountFactory(workspace=in_alpha, renewal_date=None)
    proven = AccountFactory(workspace=in_alpha, renewal_date=None)
    renewing = AccountFactory(workspace=in_alpha, renewal_date=TODAY + dt.timedelta(days=170))
    later = AccountFactory(workspace=in_alpha, renewal_date=TODAY + dt.timedelta(days=200))
    for account, week, band in [
        (red_then_green, "2026-01-05", "red"),
        (red_then_green, "2026-01-12", "green"),
        (red, "2026-01-12", "red"),
    ]:
        HealthSnapshot.objects.create(
            workspace=in_alpha,
            account=account,
            week=week,
            band=band,
            model_name="m",
            model_version=1,
        )
    use_case = UseCase.objects.create(workspace=in_alpha, name="Triage", outcome="Faster")
    AccountUseCase.objects.create(workspace=in_alpha, account=proven, use_case=use_case, level=3)
    services.segmentation_apply(workspace=in_alpha, today=TODAY)
    assert _placed(red) == ("named", "risk_governance")
    assert _placed(red_then_green) == ("pooled", "adoption")
    assert _placed(proven) == ("digital", "expansion")
    assert _placed(renewing) == ("pooled", "value_proof")
    assert _placed(later) == ("pooled", "adoption")


@pytest.mark.django_db
def test_it_counts_what_a_dry_run_would_move_by_hand(in_alpha, rules):
    AccountFactory(workspace=in_alpha, complexity=5, arr=Decimal(1000))
    AccountFactory(workspace=in_alpha, complexity=2, arr=Decimal(150000))
    AccountFactory(workspace=in_alpha, complexity=2, arr=Decimal(120000))
    AccountFactory(workspace=in_alpha, complexity=2, arr=Decimal(500))
    services.segmentation_apply(workspace=in_alpha, today=TODAY)
    # Candidate: the ARR rule moves to 130,000. One account (120,000) goes named → pooled.
    candidate = SegmentRule(
        pk=rules[1].pk,
        workspace=in_alpha,
        name="Rule 2",
        priority=2,
        match="all",
        clauses=[{"field": "arr", "op": "gte", "value": 130000}],
        motion="named",
        value_problem="expansion",
    )
    moves = selectors.dry_run(rules=selectors.ruleset(rules=[rules[0], candidate]), today=TODAY)
    assert [(m.from_label, m.to_label, m.accounts, m.arr) for m in moves] == [
        ("Named CSM · Expansion", "Pooled · Adoption", 1, Decimal(120000))
    ]
    # A new default moves the two accounts it would place, from where each stands, unsaved.
    settings = SegmentSettings(workspace=in_alpha, default_motion="digital")
    moves = selectors.dry_run(
        rules=selectors.ruleset(rules=[rules[0], candidate], settings=settings), today=TODAY
    )
    assert [(m.from_label, m.to_label, m.accounts, m.arr) for m in moves] == [
        ("Named CSM · Expansion", "Digital · Adoption", 1, Decimal(120000)),
        ("Pooled · Adoption", "Digital · Adoption", 1, Decimal(500)),
    ]
    assert Account.objects.filter(motion="digital").count() == 0


@pytest.mark.django_db
def test_it_runs_the_same_queries_for_few_or_many_accounts(in_alpha, rules):
    AccountFactory(workspace=in_alpha, complexity=5)
    with CaptureQueriesContext(connection) as few:
        services.segmentation_apply(workspace=in_alpha, today=TODAY)
    AccountFactory.create_batch(30, workspace=in_alpha, complexity=5)
    Account.objects.update(motion="")
    with CaptureQueriesContext(connection) as many:
        services.segmentation_apply(workspace=in_alpha, today=TODAY)
    assert len(few) == len(many)


@pytest.mark.django_db
def test_it_places_an_account_as_it_is_created(in_alpha, alice, rules):
    account = account_create(
        workspace=in_alpha,
        by=alice,
        arr=Decimal(250000),
        data={"name": "Big", "external_id": "BIG-1", "currency": "USD", "complexity": 1},
    )
    assert _placed(account) == ("named", "expansion")


@pytest.mark.django_db
def test_it_places_accounts_written_by_bulk_ingestion(in_alpha, rules):
    from accounts.ingest import account_bulk_upsert

    account_bulk_upsert(
        workspace=in_alpha,
        records=[{"external_id": "API-1", "name": "From the API", "complexity": 5}],
    )
    assert Account.objects.get(external_id="API-1").motion == "strategic"


# ----------------------------------------------------------------------------- pages

RULES_URL = reverse("segment_rules")
NEW_RULE_URL = reverse("segment_rule_create")


def _rule_form(**overrides) -> dict:
    return {
        "name": "Enterprise",
        "priority": "5",
        "match": "all",
        "motion": "strategic",
        "value_problem": "expansion",
        "field_1": "arr",
        "op_1": "gte",
        "value_1": "100000",
        **overrides,
    }


@pytest.mark.django_db
def test_it_keeps_the_rules_to_admins(login, alice, lena, bob):
    assert login(alice).get(RULES_URL).status_code == 200
    assert login(lena).get(RULES_URL).status_code == 403
    assert login(bob).get(RULES_URL).status_code == 403
    assert login(bob).post(NEW_RULE_URL, _rule_form()).status_code == 403
    assert not SegmentRule.dangerously_unscoped.exists()


@pytest.mark.django_db
def test_it_saves_a_rule_and_re_segments_the_accounts(
    login, alpha, alice, django_capture_on_commit_callbacks
):
    account = AccountFactory(workspace=alpha, arr=Decimal(150000))
    with django_capture_on_commit_callbacks(execute=True):
        response = login(alice).post(NEW_RULE_URL, _rule_form())
    assert response.status_code == 302
    rule = SegmentRule.dangerously_unscoped.get()
    assert rule.clauses == [{"field": "arr", "op": "gte", "value": 100000.0}]
    assert _placed(account) == ("strategic", "expansion")
    assert AuditEvent.dangerously_unscoped.filter(action="segment_rule.create").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"field_1": "revenue"}, "field_1", "Select a valid choice"),
        ({"op_1": "in"}, "op_1", "does not fit"),
        ({"value_1": "a lot"}, "value_1", "takes a number"),
        ({"field_1": "complexity", "value_1": "9"}, "value_1", "whole number from 1 to 5"),
        ({"field_1": "", "op_1": "", "value_1": ""}, None, "at least one condition"),
        ({"priority": "1"}, "priority", "Another rule already has priority 1"),
    ],
)
@pytest.mark.django_db
def test_it_refuses_a_bad_rule_with_a_field_error_and_saves_nothing(
    login, alpha, alice, overrides, field, message
):
    SegmentRule.dangerously_unscoped.create(
        workspace=alpha,
        name="First",
        priority=1,
        match="all",
        clauses=[],
        motion="named",
        value_problem="adoption",
    )
    response = login(alice).post(NEW_RULE_URL, _rule_form(**overrides))
    assert response.status_code == 400
    form = response.context["form"]
    errors = form.errors.get(field) if field else form.non_field_errors()
    assert any(message in error for error in errors), form.errors
    assert SegmentRule.dangerously_unscoped.count() == 1


@pytest.mark.django_db
def test_it_previews_a_rule_without_saving_it(login, alpha, alice):
    AccountFactory(workspace=alpha, arr=Decimal(150000))
    AccountFactory(workspace=alpha, arr=Decimal(250000))
    AccountFactory(workspace=alpha, arr=Decimal(10))
    response = login(alice).post(NEW_RULE_URL, {**_rule_form(), "preview": "1"})
    assert response.status_code == 200
    assert [(m.from_label, m.to_label, m.accounts, m.arr) for m in response.context["preview"]] == [
        ("Not placed", "Strategic · Expansion", 2, Decimal(400000)),
        ("Not placed", "Pooled · Adoption", 1, Decimal(10)),
    ]
    assert not SegmentRule.dangerously_unscoped.exists()


@pytest.mark.django_db
def test_it_refuses_a_negative_load_weight(login, alpha, alice):
    response = login(alice).post(
        RULES_URL,
        {
            "default_motion": "pooled",
            "default_value_problem": "adoption",
            "weight_digital": "-1",
            "weight_pooled": "1",
            "weight_named": "3",
            "weight_strategic": "8",
            "default_capacity": "100",
        },
    )
    assert response.status_code == 400
    assert "weight_digital" in response.context["form"].errors
    assert not SegmentSettings.dangerously_unscoped.exists()


@pytest.mark.django_db
def test_it_answers_404_for_another_workspaces_rule(login, alice, beta):
    foreign = SegmentRule.dangerously_unscoped.create(
        workspace=beta,
        name="Theirs",
        priority=1,
        match="all",
        clauses=[],
        motion="named",
        value_problem="adoption",
    )
    client = login(alice)
    assert client.get(reverse("segment_rule_edit", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("segment_rule_delete", args=[foreign.pk])).status_code == 404
    assert SegmentRule.dangerously_unscoped.filter(pk=foreign.pk).exists()


@pytest.mark.django_db
def test_it_runs_a_re_segmentation_on_demand_and_shows_its_progress(
    login, alpha, alice, django_capture_on_commit_callbacks
):
    AccountFactory.create_batch(3, workspace=alpha)
    client = login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("segmentation_run"))
    run_url = response.url
    page = client.get(run_url)
    assert page.context["run"].status == "done"
    assert page.context["run"].changed_count == 3
    progress = client.get(run_url + "progress/?shown=queued")
    assert b"3 active accounts examined" in progress.content


@pytest.mark.django_db
def test_it_shows_on_the_account_page_which_rule_placed_it_and_why(
    login, alpha, alice, bob, django_capture_on_commit_callbacks
):
    account = AccountFactory(workspace=alpha, owner=bob, complexity=5)
    SegmentRule.dangerously_unscoped.create(
        workspace=alpha,
        name="Complex",
        priority=1,
        match="all",
        clauses=[{"field": "complexity", "op": "gte", "value": 4}],
        motion="strategic",
        value_problem="value_proof",
    )
    with django_capture_on_commit_callbacks(execute=True):
        login(alice).post(reverse("segmentation_run"))
    page = login(bob).get(reverse("account_detail", args=[account.pk])).content.decode()
    assert "the rule “Complex”" in page
    assert "Complexity ≥ 4" in page
