"""Erasure on request: name and e-mail gone everywhere, the shape of the history kept."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from csos.models import AuditEvent
from csos.tenancy import workspace_scope
from stakeholders import services
from stakeholders.models import (
    HandoffPerson,
    Interaction,
    InteractionParticipant,
    Stakeholder,
    StakeholderChange,
)
from tests.factories import AccountFactory
from tests.stakeholders.factories import (
    InteractionFactory,
    ObjectiveFactory,
    SalesHandoffFactory,
    SuccessPlanFactory,
)

NAME, EMAIL = "Dana Reyes", "dana.reyes@acme.example"


@pytest.fixture
def dana(alpha, alice, bob):
    """Acme's Owner, who left, with conversations, an objective, a handoff entry and audit rows."""
    with workspace_scope(alpha):
        acme = AccountFactory(workspace=alpha, name="Acme Corp", owner=bob)
        person = services.stakeholder_create(
            account=acme,
            by=alice,
            data={
                "name": NAME,
                "email": EMAIL,
                "title": "COO",
                "role": "owner",
                "notes": f"{NAME} prefers mornings",
                "added_on": dt.date(2025, 1, 1),
            },
        )
        services.stakeholder_update(
            stakeholder=person,
            by=alice,
            data={"status": "left", "left_on": dt.date(2026, 1, 10)},
        )
        for day in (1, 2, 3):
            meeting = InteractionFactory(
                account=acme,
                occurred_on=dt.date(2025, 6, day),
                title=f"QBR with {NAME}",
                summary=f"{NAME} ({EMAIL}) agreed the targets.",
            )
            InteractionParticipant.dangerously_unscoped.create(
                workspace=alpha, interaction=meeting, stakeholder=person
            )
        ObjectiveFactory(plan=SuccessPlanFactory(account=acme), owner=person)
        handoff = SalesHandoffFactory(account=acme)
        HandoffPerson.dangerously_unscoped.create(
            workspace=alpha, handoff=handoff, name=NAME, email=EMAIL, role="owner"
        )
    return person


def history(person):
    return {
        "stakeholders": Stakeholder.dangerously_unscoped.filter(account=person.account).count(),
        "interactions": Interaction.dangerously_unscoped.filter(account=person.account).count(),
        "participations": InteractionParticipant.dangerously_unscoped.filter(
            stakeholder=person
        ).count(),
        "dates": list(
            Interaction.dangerously_unscoped.filter(account=person.account)
            .order_by("occurred_on")
            .values_list("occurred_on", flat=True)
        ),
        "departures": list(
            StakeholderChange.dangerously_unscoped.filter(stakeholder=person).values_list(
                "role", "left_on"
            )
        ),
        "person": Stakeholder.dangerously_unscoped.filter(pk=person.pk).values_list(
            "role", "status", "added_on", "left_on"
        )[0],
    }


def every_view_of(person) -> list[str]:
    account_id, interaction = person.account_id, Interaction.dangerously_unscoped.first()
    return [
        reverse("stakeholder_map", args=[account_id]),
        reverse("stakeholder_edit", args=[person.pk]),
        reverse("stakeholder_delete", args=[person.pk]),
        reverse("stakeholder_export", args=[person.pk]),
        reverse("stakeholder_export", args=[person.pk]) + "?as=csv",
        reverse("plan_editor", args=[account_id]),
        reverse("handoff_edit", args=[account_id]),
        reverse("timeline", args=[account_id]),
        reverse("interaction_edit", args=[interaction.pk]),
        reverse("interaction_prep", args=[interaction.pk]),
        reverse("account_detail", args=[account_id]),
        reverse("audit_log"),
        reverse("api-stakeholder-list"),
        reverse("api-stakeholder-detail", args=[person.pk]),
    ]


@pytest.mark.django_db
def test_it_shows_the_person_everywhere_before_erasure(client, alice, dana):
    client.force_login(alice)
    assert NAME in client.get(reverse("stakeholder_map", args=[dana.account_id])).content.decode()
    export = json.loads(client.get(reverse("stakeholder_export", args=[dana.pk])).content)
    assert export["stakeholder"]["email"] == EMAIL
    assert len(export["interactions"]) == 3
    assert AuditEvent.dangerously_unscoped.filter(object_repr=NAME).exists()


@pytest.mark.django_db
def test_it_erases_the_name_and_email_from_every_page_export_api_and_audit(client, alice, dana):
    before = history(dana)
    client.force_login(alice)
    response = client.post(reverse("stakeholder_erase", args=[dana.pk]))
    assert response.status_code == 302

    for url in every_view_of(dana):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert NAME not in body and EMAIL not in body, url
    for event in AuditEvent.dangerously_unscoped.all():
        text = json.dumps([event.object_repr, event.before, event.after])
        assert NAME not in text and EMAIL not in text
    assert not HandoffPerson.dangerously_unscoped.filter(name=NAME).exists()
    assert history(dana) == before


@pytest.mark.django_db
def test_it_lets_only_those_who_work_the_account_erase(client, carol, vera, dana):
    for outsider in (carol, vera):
        client.force_login(outsider)
        assert client.post(reverse("stakeholder_erase", args=[dana.pk])).status_code == 403
        assert client.get(reverse("stakeholder_export", args=[dana.pk])).status_code == 403
    dana.refresh_from_db()
    assert dana.name == NAME
