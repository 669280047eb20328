"""Value announces a claim proven or disputed and a customer's answer to a confirmation
request, in the write's transaction."""

import pytest
from django.db import transaction
from django.urls import reverse

from csos.models import DomainEvent
from csos.tenancy import workspace_scope
from tests.factories import AccountFactory, EvidenceFactory, UseCaseFactory
from tests.stakeholders.factories import StakeholderFactory
from value import services
from value.models import ConfirmationRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(alpha, bob):
    account = AccountFactory(workspace=alpha, owner=bob)
    use_case = UseCaseFactory(workspace=alpha, name="Ticket triage")
    return EvidenceFactory(account=account, use_case=use_case, level=3, claim="Triage is faster.")


@pytest.fixture
def confirmation(alpha, claim, bob):
    dana = StakeholderFactory(account=claim.account, name="Dana", email="d@acme.example")
    with workspace_scope(alpha):
        request, _url = services.evidence_confirmation_send(
            evidence=claim, by=bob, stakeholder=dana, url_for_token=lambda token: token
        )
    return request


def bodies(event_type):
    return [event.body for event in DomainEvent.dangerously_unscoped.filter(event_type=event_type)]


def respond(alpha, confirmation, confirmed):
    with workspace_scope(alpha):
        services.evidence_confirmation_respond(
            confirmation=ConfirmationRequest.objects.get(pk=confirmation.pk),
            confirmed=confirmed,
            comment="",
            ip=None,
        )


def test_it_publishes_the_answer_and_the_claim_proven_when_the_customer_confirms(
    alpha, claim, confirmation
):
    respond(alpha, confirmation, confirmed=True)
    (answered,) = bodies("confirmation.answered")
    assert (answered["confirmed"], answered["evidence"]["id"]) == (True, claim.pk)
    (proven,) = bodies("evidence.proven")
    assert proven["evidence"] == {
        "id": claim.pk,
        "claim": "Triage is faster.",
        "level": 3,
        "use_case": "Ticket triage",
        "status": "proven",
        "url": proven["evidence"]["url"],
    }
    assert proven["evidence"]["url"].endswith(reverse("value_evidence", args=[claim.pk]))
    assert bodies("evidence.disputed") == []


def test_it_publishes_the_answer_and_the_claim_disputed_when_the_customer_disputes(
    alpha, claim, confirmation
):
    respond(alpha, confirmation, confirmed=False)
    (answered,) = bodies("confirmation.answered")
    assert answered["confirmed"] is False
    (disputed,) = bodies("evidence.disputed")
    assert disputed["account"]["id"] == claim.account_id
    assert bodies("evidence.proven") == []


def test_it_publishes_a_dispute_recorded_by_a_csm_once(alpha, claim, bob):
    with workspace_scope(alpha):
        services.evidence_update(evidence=claim, by=bob, data={"status": "disputed"})
        services.evidence_update(evidence=claim, by=bob, data={"status": "disputed"})
    (disputed,) = bodies("evidence.disputed")
    assert disputed["evidence"]["status"] == "disputed"


def test_it_keeps_no_value_event_of_an_answer_rolled_back(alpha, confirmation):
    with pytest.raises(RuntimeError), transaction.atomic():
        respond(alpha, confirmation, confirmed=True)
        raise RuntimeError("the request failed")
    assert DomainEvent.dangerously_unscoped.count() == 0
