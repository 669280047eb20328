"""Account hierarchies: loops and other workspaces' parents refused, by form, service and API."""

import pytest
from django.urls import reverse

from accounts.hierarchy import cycle_members
from accounts.models import Account
from accounts.services import ParentLinkRefused, account_parents_link
from csos.models import AuditEvent
from tests.factories import AccountFactory


def test_it_finds_no_cycle_in_a_tree():
    assert cycle_members({"a": None, "b": "a", "c": "b", "d": "a"}) == set()


def test_it_finds_every_member_of_a_loop_and_only_them():
    assert cycle_members({"a": "c", "b": "a", "c": "b", "d": "a", "e": "e"}) == {"a", "b", "c", "e"}


def test_it_takes_a_parent_outside_the_mapping_as_a_top_account():
    assert cycle_members({"a": "x"}) == set()


@pytest.fixture
def group(alpha):
    holding = AccountFactory(workspace=alpha, external_id="H", name="Holding")
    child = AccountFactory(workspace=alpha, external_id="C", name="Child", parent=holding)
    grandchild = AccountFactory(workspace=alpha, external_id="G", name="Grandchild", parent=child)
    return holding, child, grandchild


def _form(account, **changes):
    return {
        "name": account.name,
        "external_id": account.external_id,
        "currency": account.currency,
        "licensed_seats": account.licensed_seats,
        "lifecycle_stage": account.lifecycle_stage,
        "segment": account.segment,
        "complexity": 3,
        "strategic_potential": 3,
        "product_maturity": 3,
        "implementation_difficulty": 3,
        "executive_visibility": 3,
        **changes,
    }


@pytest.mark.django_db
def test_it_sets_a_parent_from_the_account_form(login, lena, alpha):
    holding = AccountFactory(workspace=alpha, name="Holding")
    child = AccountFactory(workspace=alpha, name="Child")
    response = login(lena).post(
        reverse("account_edit", args=[child.pk]), _form(child, parent=holding.pk)
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.parent_id == holding.pk


@pytest.mark.django_db
def test_it_refuses_a_cycle_on_the_account_form_with_a_field_error(login, lena, group):
    holding, _child, grandchild = group
    response = login(lena).post(
        reverse("account_edit", args=[holding.pk]), _form(holding, parent=grandchild.pk)
    )
    assert response.status_code == 400
    assert "own ancestor" in response.context["form"].errors["parent"][0]
    holding.refresh_from_db()
    assert holding.parent_id is None


@pytest.mark.django_db
def test_it_refuses_another_workspaces_parent_on_the_account_form(login, lena, alpha, beta):
    child = AccountFactory(workspace=alpha)
    stranger = AccountFactory(workspace=beta)
    response = login(lena).post(
        reverse("account_edit", args=[child.pk]), _form(child, parent=stranger.pk)
    )
    assert response.status_code == 400
    assert "parent" in response.context["form"].errors
    child.refresh_from_db()
    assert child.parent_id is None


@pytest.mark.django_db
@pytest.mark.usefixtures("group")
def test_it_links_parents_by_external_id_and_audits_each_change(alpha, in_alpha):
    changed = account_parents_link(workspace=alpha, pairs=[("G", "H"), ("C", None), ("H", None)])
    assert changed == 2
    assert dict(Account.objects.values_list("external_id", "parent__external_id")) == {
        "H": None,
        "C": None,
        "G": "H",
    }
    assert AuditEvent.dangerously_unscoped.filter(action="account.update").count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("group")
def test_it_refuses_unknown_parents_and_loops_by_position_and_writes_nothing(alpha, in_alpha):
    with pytest.raises(ParentLinkRefused) as refused:
        account_parents_link(workspace=alpha, pairs=[("H", "G"), ("C", "NOPE"), ("X", "H")])
    assert {position: r.code for position, r in refused.value.refusals.items()} == {
        0: "parent-cycle",
        1: "unknown-parent",
        2: "unknown-account",
    }
    assert dict(Account.objects.values_list("external_id", "parent__external_id")) == {
        "H": None,
        "C": "H",
        "G": "C",
    }


@pytest.mark.django_db
def test_it_refuses_a_parent_of_another_workspace_by_external_id(alpha, beta, in_alpha):
    AccountFactory(workspace=alpha, external_id="C")
    AccountFactory(workspace=beta, external_id="FOREIGN")
    with pytest.raises(ParentLinkRefused) as refused:
        account_parents_link(workspace=alpha, pairs=[("C", "FOREIGN")])
    assert refused.value.refusals[0].code == "unknown-parent"
