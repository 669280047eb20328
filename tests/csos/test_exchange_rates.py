"""Exchange rates: admins keep dated rates; bad input gets field errors; reports pick by date."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account
from csos.models import AuditEvent, ExchangeRate
from csos.selectors import rate_to_workspace_currency
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
URL = "exchange_rate_list"


def post_rate(client, **overrides):
    data = {"currency": "EUR", "rate": "1.08", "valid_from": "2026-06-01", **overrides}
    return client.post(reverse(URL), data)


def test_it_adds_a_dated_rate_and_audits_it(login, alice, alpha):
    response = post_rate(login(alice), currency="eur")
    assert response.status_code == 302
    rate = ExchangeRate.dangerously_unscoped.get(workspace=alpha)
    assert (rate.currency, rate.rate, rate.valid_from) == ("EUR", Decimal("1.08"), date(2026, 6, 1))
    event = AuditEvent.dangerously_unscoped.get(workspace=alpha, action="exchange_rate.add")
    assert event.after == {"currency": "EUR", "rate": "1.08", "valid_from": "2026-06-01"}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rate": "0"}, "rate", "A rate is a number above zero"),
        ({"rate": "-1.5"}, "rate", "A rate is a number above zero"),
        ({"currency": "QQQ"}, "currency", "is not an ISO 4217 currency code"),
        ({"currency": "usd"}, "currency", "USD is the workspace&#x27;s own currency"),
        ({"valid_from": "not a day"}, "valid_from", "Enter a valid date"),
    ],
)
def test_it_refuses_bad_input_with_a_field_error(login, alice, alpha, overrides, field, message):
    response = post_rate(login(alice), **overrides)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert message in response.content.decode()
    assert not ExchangeRate.dangerously_unscoped.filter(workspace=alpha).exists()


def test_it_refuses_a_second_rate_of_a_currency_for_the_same_day(login, alice, alpha):
    client = login(alice)
    post_rate(client)
    response = post_rate(client, rate="1.2")
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["valid_from"]
    assert ExchangeRate.dangerously_unscoped.get(workspace=alpha).rate == Decimal("1.08")


def test_it_edits_a_rate_and_keeps_what_changed(login, alice, alpha):
    client = login(alice)
    post_rate(client)
    rate = ExchangeRate.dangerously_unscoped.get(workspace=alpha)
    url = reverse("exchange_rate_edit", args=[rate.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"currency": "EUR", "rate": "0", "valid_from": "2026-06-01"})
    assert bad.status_code == 400 and list(bad.context["form"].errors) == ["rate"]
    response = client.post(url, {"currency": "EUR", "rate": "1.1", "valid_from": "2026-06-01"})
    assert response.status_code == 302
    rate.refresh_from_db()
    assert rate.rate == Decimal("1.1")
    event = AuditEvent.dangerously_unscoped.get(workspace=alpha, action="exchange_rate.update")
    assert (event.before["rate"], event.after["rate"]) == ("1.08", "1.1")


def test_it_deletes_a_rate(login, alice, alpha):
    client = login(alice)
    post_rate(client)
    rate = ExchangeRate.dangerously_unscoped.get(workspace=alpha)
    assert client.post(reverse("exchange_rate_delete", args=[rate.pk])).status_code == 302
    assert not ExchangeRate.dangerously_unscoped.filter(workspace=alpha).exists()


def test_it_lets_only_admins_keep_rates(login, alice, lena, bob, vera, alpha):
    for person, status in ((alice, 200), (lena, 403), (bob, 403), (vera, 403)):
        assert login(person).get(reverse(URL)).status_code == status, person
    assert post_rate(login(lena)).status_code == 403
    assert not ExchangeRate.dangerously_unscoped.filter(workspace=alpha).exists()


def test_it_converts_with_the_latest_rate_valid_on_the_day(alpha, in_alpha):
    for rate, valid_from in (("0.9", date(2026, 1, 1)), ("1.1", date(2026, 6, 1))):
        ExchangeRate.objects.create(
            workspace=alpha, currency="EUR", rate=Decimal(rate), valid_from=valid_from
        )
    for currency in ("EUR", "USD", "GBP"):
        AccountFactory(workspace=alpha, currency=currency, name=currency)

    def rates_on(day):
        accounts = Account.objects.annotate(
            rate=rate_to_workspace_currency(currency_field="currency", on=day)
        )
        return dict(accounts.values_list("name", "rate"))

    assert rates_on(date(2025, 12, 31)) == {"EUR": None, "USD": 1, "GBP": None}
    assert rates_on(date(2026, 1, 1)) == {"EUR": Decimal("0.9"), "USD": 1, "GBP": None}
    assert rates_on(date(2026, 6, 1)) == {"EUR": Decimal("1.1"), "USD": 1, "GBP": None}


def test_it_shows_rates_as_written_without_exponents_or_trailing_zeros(login, alice):
    client = login(alice)
    post_rate(client, currency="JPY", rate="0.00670000")
    post_rate(client, currency="EUR", rate="100")
    body = client.get(reverse(URL)).content.decode()
    assert ">0.0067<" in body and ">100<" in body and "E+2" not in body
