"""The rules of stakeholders, plans, handoffs and interactions, called directly."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from csos.models import AuditEvent
from stakeholders import services
from stakeholders.forms import StakeholderForm
from stakeholders.models import (
    Interaction,
    Milestone,
    Objective,
    PlanStatus,
    Stakeholder,
    StakeholderChange,
    StakeholderRole,
    StakeholderState,
    SuccessPlan,
)
from tests.factories import AccountFactory
from tests.stakeholders.factories import (
    ObjectiveFactory,
    StakeholderFactory,
    SuccessPlanFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(alpha, in_alpha):
    return AccountFactory(workspace=alpha, name="Acme Corp", contract_start=dt.date(2025, 1, 1))


def person_data(**overrides):
    return {
        "name": "Dana Reyes",
        "email": "dana@acme.example",
        "title": "COO",
        "role": "owner",
        "influence": 5,
        "sentiment": "positive",
        "status": "active",
        "added_on": dt.date(2025, 3, 1),
        "left_on": None,
        "notes": "",
        **overrides,
    }


def test_it_refuses_an_invalid_email(acme):
    form = StakeholderForm(person_data(email="dana-at-acme"))
    assert not form.is_valid()
    assert "email" in form.errors


def test_it_refuses_a_second_person_with_the_same_email_at_one_account(acme, alpha):
    services.stakeholder_create(account=acme, by=None, data=person_data())
    with pytest.raises(ValidationError) as error:
        services.stakeholder_create(
            account=acme, by=None, data=person_data(email="DANA@acme.example", name="Other")
        )
    assert "email" in error.value.message_dict
    other_account = AccountFactory(workspace=alpha)
    services.stakeholder_create(account=other_account, by=None, data=person_data())
    services.stakeholder_create(account=acme, by=None, data=person_data(email=""))
    services.stakeholder_create(account=acme, by=None, data=person_data(email=""))
    assert Stakeholder.objects.count() == 4


def test_it_refuses_a_departure_before_the_person_was_added(acme):
    data = person_data(status="left", left_on=dt.date(2025, 2, 1))
    with pytest.raises(ValidationError) as error:
        services.stakeholder_create(account=acme, by=None, data=data)
    assert "left_on" in error.value.message_dict
    assert not Stakeholder.objects.exists()
    assert not StakeholderChange.objects.exists()


def test_it_records_a_change_event_when_an_owner_leaves_but_not_a_producer(acme):
    owner = services.stakeholder_create(account=acme, by=None, data=person_data())
    producer = services.stakeholder_create(
        account=acme, by=None, data=person_data(name="Pat", email="", role="producer")
    )
    for person in (owner, producer):
        services.stakeholder_update(
            stakeholder=person, by=None, data={"status": "left", "left_on": dt.date(2026, 1, 5)}
        )
    change = StakeholderChange.objects.get()
    assert (change.stakeholder, change.role, change.left_on) == (
        owner,
        StakeholderRole.OWNER,
        dt.date(2026, 1, 5),
    )


def test_it_asks_for_a_new_owner_instead_of_nulling_objectives(acme):
    dana = StakeholderFactory(account=acme, name="Dana")
    lee = StakeholderFactory(account=acme, name="Lee")
    objective = ObjectiveFactory(plan=SuccessPlanFactory(account=acme), owner=dana)
    with pytest.raises(ValidationError) as error:
        services.stakeholder_delete(stakeholder=dana, by=None, reassign_to=None)
    assert "reassign_to" in error.value.message_dict
    assert Stakeholder.objects.filter(pk=dana.pk).exists()
    services.stakeholder_delete(stakeholder=dana, by=None, reassign_to=lee)
    objective.refresh_from_db()
    assert objective.owner == lee
    assert not Stakeholder.objects.filter(pk=dana.pk).exists()


def test_it_refuses_a_milestone_due_before_the_plan_starts(acme):
    plan = SuccessPlanFactory(account=acme, starts_on=dt.date(2025, 2, 1))
    with pytest.raises(ValidationError) as error:
        services.milestone_save(
            plan=plan, data={"title": "Kick-off", "due_on": dt.date(2025, 1, 31)}
        )
    assert "due_on" in error.value.message_dict
    assert not Milestone.objects.exists()


def test_it_refuses_a_participant_from_another_account(alpha, acme):
    globex = AccountFactory(workspace=alpha, name="Globex")
    stranger = StakeholderFactory(account=globex)
    data = {"kind": "call", "occurred_on": dt.date(2026, 1, 1), "title": "Check-in"}
    with pytest.raises(ValidationError) as error:
        services.interaction_save(account=acme, by=None, data=data, participants=[stranger])
    assert "participants" in error.value.message_dict
    assert not Interaction.objects.exists()


def test_it_keeps_one_active_plan_and_archives_the_older(acme):
    first = services.plan_create(account=acme, by=None, title="2025", starts_on=dt.date(2025, 1, 1))
    second = services.plan_create(
        account=acme, by=None, title="2026", starts_on=dt.date(2026, 1, 1)
    )
    first.refresh_from_db()
    assert first.status == PlanStatus.ARCHIVED and first.archived_at is not None
    assert SuccessPlan.objects.get(status=PlanStatus.ACTIVE) == second


def test_it_carries_every_promise_and_person_of_the_handoff_into_the_plan(acme):
    handoff = services.handoff_save(
        account=acme,
        by=None,
        data={
            "signed_on": dt.date(2025, 1, 1),
            "use_cases": "Ticket triage",
            "risks": "",
            "success_criteria": "",
        },
        promises=[
            {
                "outcome": "Cut response time 30%",
                "use_case_name": "Ticket triage",
                "target_level": 3,
            },
            {"outcome": "Board-ready ROI", "use_case_name": "Reporting", "target_level": 4},
        ],
        people=[
            {"name": "Dana Reyes", "email": "dana@acme.example", "title": "COO", "role": "owner"},
            {"name": "Sam Ito", "email": "sam@acme.example", "title": "IT", "role": "enabler"},
            {"name": "Kim Park", "email": "", "title": "Lead", "role": "champion"},
        ],
    )
    already_mapped = StakeholderFactory(account=acme, name="Sam Ito", email="SAM@acme.example")

    plan = services.plan_create(
        account=acme, by=None, title="Plan", starts_on=dt.date(2025, 1, 10), from_handoff=True
    )

    objectives = Objective.objects.filter(plan=plan).select_related("owner", "promise")
    assert {(o.title, o.use_case_name, o.target_level) for o in objectives} == {
        ("Cut response time 30%", "Ticket triage", 3),
        ("Board-ready ROI", "Reporting", 4),
    }
    assert {o.promise_id for o in objectives} == set(handoff.promises.values_list("pk", flat=True))
    assert {o.owner.name for o in objectives} == {"Dana Reyes"}
    people = {p.name: p for p in Stakeholder.objects.filter(account=acme)}
    assert set(people) == {"Dana Reyes", "Sam Ito", "Kim Park"}
    assert people["Sam Ito"] == already_mapped
    assert people["Kim Park"].role == StakeholderRole.CHAMPION
    assert all(p.stakeholder_id for p in handoff.people.all())


def test_it_refuses_a_plan_from_a_handoff_that_does_not_exist(acme):
    with pytest.raises(ValidationError) as error:
        services.plan_create(
            account=acme, by=None, title="Plan", starts_on=dt.date(2025, 1, 10), from_handoff=True
        )
    assert "from_handoff" in error.value.message_dict
    assert not SuccessPlan.objects.exists()


def test_it_moves_the_review_clock_only_forward(acme):
    plan = SuccessPlanFactory(account=acme, starts_on=dt.date(2025, 1, 1))
    services.plan_review_record(plan=plan, by=None, reviewed_on=dt.date(2025, 6, 1), changes="A")
    services.plan_review_record(plan=plan, by=None, reviewed_on=dt.date(2025, 3, 1), changes="B")
    plan.refresh_from_db()
    assert plan.last_reviewed_on == dt.date(2025, 6, 1)
    with pytest.raises(ValidationError):
        services.plan_review_record(
            plan=plan, by=None, reviewed_on=dt.date(2024, 12, 1), changes=""
        )


def test_it_records_a_key_departure_on_the_day_the_person_left(acme):
    dana = StakeholderFactory(account=acme, name="Dana", role=StakeholderRole.CHAMPION)
    services.stakeholder_update(
        stakeholder=dana, by=None, data={"status": "left", "left_on": dt.date(2026, 3, 1)}
    )
    change = StakeholderChange.objects.get()
    assert (change.stakeholder, change.left_on) == (dana, dt.date(2026, 3, 1))


def test_it_changes_and_adds_objectives_and_audits_the_plan_change(acme, alice):
    plan = SuccessPlanFactory(account=acme)
    first_title = plan.title
    objective = ObjectiveFactory(plan=plan, target_level=2)
    services.plan_update(
        plan=plan,
        by=alice,
        title="Renamed",
        objectives=[{"id": objective.pk, "target_level": 4}, {"title": "Added"}],
    )
    objective.refresh_from_db()
    assert objective.target_level == 4
    assert list(plan.objectives.order_by("id").values_list("title", flat=True))[1] == "Added"
    assert AuditEvent.objects.get(action="plan.update").before == {"title": first_title}


def test_it_keeps_an_archived_plan_as_it_was(acme, alice):
    plan = SuccessPlanFactory(account=acme, status=PlanStatus.ARCHIVED)
    with pytest.raises(ValidationError):
        services.plan_update(plan=plan, by=alice, title="Changed")


def states_of(person):
    return list(
        StakeholderState.objects.filter(stakeholder=person)
        .order_by("since", "id")
        .values_list("role", "sentiment", "since")
    )


def test_it_dates_each_change_of_role_or_sentiment(acme):
    today = timezone.localdate()
    dana = services.stakeholder_create(account=acme, by=None, data=person_data())
    services.stakeholder_update(stakeholder=dana, by=None, data={"title": "CEO"})
    services.stakeholder_update(stakeholder=dana, by=None, data={"role": "champion"})
    assert states_of(dana) == [
        ("owner", "positive", dt.date(2025, 3, 1)),
        ("champion", "positive", today),
    ]
    # A person recorded before states were kept gets the state they had until the change.
    pat = StakeholderFactory(account=acme, role="producer", added_on=dt.date(2025, 2, 1))
    services.stakeholder_update(stakeholder=pat, by=None, data={"sentiment": "negative"})
    assert states_of(pat) == [
        ("producer", "unknown", dt.date(2025, 2, 1)),
        ("producer", "negative", today),
    ]
