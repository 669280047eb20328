"""The evidence page's history reads as people write: labels and names, never field names
and ids."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import AccountFactory, UseCaseFactory
from tests.stakeholders.factories import StakeholderFactory
from tests.value.test_services import proven_claim
from value import services

pytestmark = pytest.mark.django_db


def history_cells(page) -> str:
    html = page.content.decode()
    return html[html.index('id="history"') :]


def test_it_shows_labels_and_the_names_of_the_use_case_and_stakeholder_a_change_names(
    login, alpha, in_alpha, bob
):
    triage = UseCaseFactory(workspace=alpha, name="Ticket triage")
    acme = AccountFactory(workspace=alpha, name="Acme", owner=bob)
    services.account_use_cases_set(workspace=alpha, account=acme, use_cases=[triage])
    evidence = services.evidence_record(
        workspace=alpha, account=acme, by=bob, data=proven_claim(triage)
    )
    reporting = UseCaseFactory(workspace=alpha, name="Weekly reporting")
    services.account_use_cases_set(workspace=alpha, account=acme, use_cases=[triage, reporting])
    owner = StakeholderFactory(account=acme, name="Dana Whitfield")
    services.evidence_update(
        evidence=evidence,
        by=bob,
        data={"use_case": reporting, "source": "survey", "current": Decimal(9)},
    )
    services.evidence_update(evidence=evidence, by=bob, data={"confirmed_by_stakeholder": owner})

    cells = history_cells(login(bob).get(reverse("value_evidence", args=[evidence.pk])))
    assert "Use case: Ticket triage" in cells
    assert "Use case: Weekly reporting" in cells
    assert "Source: Survey" in cells
    assert "Current: 9" in cells
    assert "Dana Whitfield" in cells
    assert f"use_case: {triage.pk}" not in cells
    assert "confirmed_by_stakeholder" not in cells
