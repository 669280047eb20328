"""The demo tells one story across its steps: plans, conversations and usage agree with the
framework, the evidence and the contracts, on a small build of the whole default pipeline."""

from datetime import date, timedelta

import pytest
from django.db.models import Max

from accounts.demo import DemoOptions, demo_steps, demo_workspace_build
from accounts.models import Account, LifecycleStage
from framework.models import UseCase
from stakeholders.models import Interaction, Objective, PlanStatus, SuccessPlan
from value.models import Evidence, UsageRecord

TODAY = date(2026, 5, 15)

pytestmark = pytest.mark.django_db


# The story is settled once health starts; its scores and the playbooks only read it.
LATER = {"demo_health_signals_build", "demo_health_history_build", "demo_playbooks_run"}


@pytest.fixture
def demo():
    options = DemoOptions(
        today=TODAY, seed=11, accounts=60, csms=3, slug="demo-story", usage_accounts=30
    )
    steps = [step for step in demo_steps() if step.__name__ not in LATER]
    return demo_workspace_build(options=options, steps=steps).workspace


def test_it_names_only_use_cases_of_the_framework_in_plan_objectives(demo):
    framework = set(
        UseCase.dangerously_unscoped.filter(workspace=demo).values_list("name", flat=True)
    )
    named = set(
        Objective.dangerously_unscoped.filter(workspace=demo).values_list(
            "use_case_name", flat=True
        )
    )
    assert named
    assert named <= framework


def test_it_tags_updated_evidence_only_on_accounts_with_evidence(demo):
    tagged = set(
        Interaction.dangerously_unscoped.filter(workspace=demo, updated_evidence=True).values_list(
            "account_id", flat=True
        )
    )
    with_evidence = set(
        Evidence.dangerously_unscoped.filter(workspace=demo).values_list("account_id", flat=True)
    )
    assert tagged
    assert tagged <= with_evidence


def test_it_never_starts_an_archived_plan_before_its_contract(demo):
    archived = SuccessPlan.dangerously_unscoped.filter(
        workspace=demo, status=PlanStatus.ARCHIVED
    ).select_related("account")
    assert archived.exists()
    for plan in archived:
        assert plan.starts_on >= plan.account.contract_start, plan.account.name


def test_it_has_active_users_at_every_account_realising_value_or_expanding(demo):
    in_use = Account.dangerously_unscoped.filter(
        workspace=demo, lifecycle_stage__in=[LifecycleStage.VALUE, LifecycleStage.EXPANSION]
    )
    assert in_use.exists()
    recent = (
        UsageRecord.dangerously_unscoped.filter(
            workspace=demo, metric__key="active_users", day__gt=TODAY - timedelta(days=7)
        )
        .values("account_id")
        .annotate(peak=Max("value"))
    )
    active = {row["account_id"] for row in recent if row["peak"] > 0}
    assert set(in_use.values_list("pk", flat=True)) <= active
