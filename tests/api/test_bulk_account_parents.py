"""The bulk accounts API places accounts under their groups, refusing loops and unknowns."""

import pytest

from accounts.models import Account
from tests.api.test_bulk_accounts import URL, account, assert_problem


@pytest.mark.django_db
def test_it_places_a_batch_under_a_parent_sent_in_the_same_batch(api, alpha):
    records = [account("SUB", parent_external_id="GROUP"), account("GROUP")]
    assert api.post(URL, {"records": records}).status_code == 200
    sub = Account.dangerously_unscoped.get(external_id="SUB")
    assert sub.parent.external_id == "GROUP"


@pytest.mark.django_db
def test_it_refuses_a_cycle_in_the_bulk_api_and_writes_nothing(api, alpha):
    records = [account("A", parent_external_id="B"), account("B", parent_external_id="A")]
    assert_problem(
        api.post(URL, {"records": records}),
        400,
        index=1,
        field="parent_external_id",
        code="parent-cycle",
    )
    assert not Account.dangerously_unscoped.filter(external_id__in=["A", "B"]).exists()


@pytest.mark.django_db
def test_it_refuses_an_unknown_parent_in_the_bulk_api(api, alpha):
    response = api.post(URL, {"records": [account("A", parent_external_id="NOWHERE")]})
    assert_problem(response, 400, index=0, field="parent_external_id", code="unknown-parent")
