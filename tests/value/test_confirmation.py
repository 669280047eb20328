"""The customer's confirmation link: confirm, dispute, reuse, expiry, tampering; only the claim
and who asks."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from csos.models import SharedLink
from csos.tenancy import workspace_scope
from tests.factories import AccountFactory, EvidenceFactory, UseCaseFactory
from tests.stakeholders.factories import StakeholderFactory
from value import services
from value.models import ConfirmationRequest, Evidence, EvidenceChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(alpha, bob):
    account = AccountFactory(workspace=alpha, name="Acme Secret Account", owner=bob)
    use_case = UseCaseFactory(workspace=alpha, name="Ticket triage")
    EvidenceFactory(account=account, use_case=use_case, claim="Another claim nobody may see")
    return EvidenceFactory(
        account=account,
        use_case=use_case,
        level=4,
        claim="Triage saves 120,000 a year.",
        metric_name="Annual saving",
        baseline=0,
        current=120_000,
        unit="USD a year",
    )


@pytest.fixture
def dana(claim):
    return StakeholderFactory(
        account=claim.account, name="Dana CFO", email="dana@acme.example", role="owner"
    )


@pytest.fixture
def sent(alpha, claim, bob, dana):
    """The claim sent to Dana; returns the link's path."""
    with workspace_scope(alpha):
        _request, url = services.evidence_confirmation_send(
            evidence=claim,
            by=bob,
            stakeholder=dana,
            url_for_token=lambda token: reverse("value_confirm", kwargs={"token": token}),
        )
    return url


def answer(client, url, answer_, comment="", ip="198.51.100.7"):
    return client.post(url, {"answer": answer_, "comment": comment}, REMOTE_ADDR=ip)


def test_it_mails_the_link_to_the_stakeholder_saying_who_asks_what_and_its_figures(
    alpha, claim, bob, dana, django_capture_on_commit_callbacks
):
    with workspace_scope(alpha), django_capture_on_commit_callbacks(execute=True):
        _request, url = services.evidence_confirmation_send(
            evidence=claim,
            by=bob,
            stakeholder=dana,
            url_for_token=lambda token: f"https://csos.example/confirm/{token}/",
        )
    assert [message.to for message in mail.outbox] == [["dana@acme.example"]]
    message = mail.outbox[0]
    assert url in message.body
    assert "Bob Tester of Alpha Analytics" in message.subject
    for said in ("Triage saves 120,000 a year.", "Annual saving: 0 USD a year before", "120000"):
        assert said in message.body


def test_it_shows_the_claim_its_figures_and_who_asks_and_nothing_else(client, sent):
    response = client.get(sent)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Triage saves 120,000 a year." in body
    assert "120000" in body and "Annual saving" in body and "Customer-reported" in body
    assert "Bob Tester of Alpha Analytics" in body and "Ticket triage: ROI" in body
    for hidden in ("Acme Secret Account", "Another claim nobody may see"):
        assert hidden not in body
    assert "Portfolio" not in body  # no navigation into the workspace


def test_it_confirms_and_records_who_when_and_where(client, sent, claim):
    response = answer(client, sent, "confirm")
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == "proven"
    assert claim.confirmed_by_name == "Dana CFO"
    assert claim.confirmed_on == timezone.localdate()
    request = ConfirmationRequest.dangerously_unscoped.get()
    assert request.outcome == "confirmed"
    assert request.responded_from == "198.51.100.7"
    assert request.responded_at is not None
    change = EvidenceChange.dangerously_unscoped.filter(evidence=claim).first()
    assert change.by_name == "Dana CFO"
    assert "198.51.100.7" in change.summary


def test_it_records_a_dispute_with_its_comment(client, sent, claim):
    answer(client, sent, "dispute", comment="We saved 40,000, not 120,000.")
    claim.refresh_from_db()
    assert claim.status == "disputed"
    request = ConfirmationRequest.dangerously_unscoped.get()
    assert (request.outcome, request.comment) == ("disputed", "We saved 40,000, not 120,000.")


def test_it_asks_a_dispute_for_a_reason_and_keeps_the_link_open(client, sent, claim):
    response = answer(client, sent, "dispute")
    assert response.status_code == 400
    assert "Tell us what is wrong" in response.content.decode()
    assert SharedLink.dangerously_unscoped.get().used_at is None


def test_it_refuses_a_reused_link(client, sent, claim):
    answer(client, sent, "confirm")
    for response in (client.get(sent), answer(client, sent, "dispute", comment="changed mind")):
        assert response.status_code == 410
        assert "already been used" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "proven"


def test_it_refuses_an_expired_link(client, sent, claim):
    SharedLink.dangerously_unscoped.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = answer(client, sent, "confirm")
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert Evidence.dangerously_unscoped.get(pk=claim.pk).status == "unproven"


def test_it_refuses_a_tampered_link(client, sent, claim):
    token = sent.rstrip("/").rsplit("/", 1)[1]
    forged = reverse("value_confirm", kwargs={"token": token[:-3] + "abc"})
    response = answer(client, forged, "confirm")
    assert response.status_code == 410
    assert "not valid" in response.content.decode()
    assert Evidence.dangerously_unscoped.get(pk=claim.pk).status == "unproven"


def test_it_lets_only_an_editor_of_the_account_send_a_link(login, claim, dana, carol, vera):
    url = reverse("value_confirmation_send", args=[claim.pk])
    data = {"stakeholder": dana.pk}
    for outsider in (carol, vera):
        assert login(outsider).post(url, data).status_code == 403
    assert not SharedLink.dangerously_unscoped.exists()
