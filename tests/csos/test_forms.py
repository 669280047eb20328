"""Every settings form shows each error its service raises on the form, never a 500: on the
field it is about, on the field that asks for that service argument under another name, or
above the form when no field asks for it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils import timezone

from csos.models import ApiToken, ExchangeRate

pytestmark = pytest.mark.django_db

RATE = {"currency": "EUR", "rate": "1.08", "valid_from": "2026-06-01"}


@pytest.fixture
def rate(alpha):
    return ExchangeRate.dangerously_unscoped.create(
        workspace=alpha, currency="EUR", rate=Decimal("1.08"), valid_from=dt.date(2026, 6, 1)
    )


# (page, its service by import path, valid input, each argument the service names in its
# ValidationError and the form field that shows it). Each form also gets an error about an
# argument no field asks for (the workspace), which lands above the form. The edit page edits
# the ``rate`` fixture.
FORMS = [
    (
        "member_list",
        "csos.services.invitations.invitation_create",
        {"email": "new@alpha.example", "role": "csm"},
        {"email": "email"},
    ),
    (
        "api_token_list",
        "csos.services.api_token_create",
        {"name": "CRM sync", "scopes": ["ingest"]},
        {"scopes": "scopes", "expires_at": "expires_on"},
    ),
    (
        "exchange_rate_list",
        "csos.services.exchange_rates.exchange_rate_save",
        RATE,
        {"currency": "currency", "rate": "rate", "valid_from": "valid_from"},
    ),
    (
        "exchange_rate_edit",
        "csos.services.exchange_rates.exchange_rate_save",
        RATE,
        {"currency": "currency", "rate": "rate", "valid_from": "valid_from"},
    ),
]
CASES = [
    pytest.param(page, service, data, argument, field, id=f"{page}-{argument}")
    for page, service, data, fields in FORMS
    for argument, field in [*fields.items(), ("workspace", NON_FIELD_ERRORS)]
]


@pytest.mark.parametrize(("page", "service", "data", "argument", "field"), CASES)
def test_it_shows_each_service_error_on_the_settings_form(
    login, alice, rate, monkeypatch, page, service, data, argument, field
):
    message = f"The service refuses this {argument}."

    def refuse(**kwargs):
        raise ValidationError({argument: message})

    monkeypatch.setattr(service, refuse)
    url = reverse(page, args=[rate.pk]) if page == "exchange_rate_edit" else reverse(page)
    response = login(alice).post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert message in response.content.decode()


def test_it_shows_an_expiry_in_the_past_on_the_api_token_form(login, alice):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = login(alice).post(
        reverse("api_token_list"),
        {"name": "CRM sync", "scopes": ["ingest"], "expires_on": yesterday.isoformat()},
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"expires_on": ["The expiry must lie in the future."]}
    assert not ApiToken.dangerously_unscoped.exists()
