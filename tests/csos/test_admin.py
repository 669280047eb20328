"""The Django admin shows workspaces, memberships and the audit log but never writes them:
those writes go through the audited services behind the settings and members pages."""

import pytest
from django.urls import reverse

from csos.models import AuditEvent, Membership, Role
from csos.services import audit_record
from tests.factories import UserFactory


@pytest.fixture
def operator(alpha):
    """A superuser who is a member of Alpha, the workspace the admin then shows."""
    user = UserFactory(is_staff=True, is_superuser=True)
    Membership.dangerously_unscoped.create(workspace=alpha, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def audit_event(alpha, bob):
    return audit_record(
        workspace=alpha,
        actor=None,
        action="membership.add",
        obj=Membership.dangerously_unscoped.get(user=bob),
    )


@pytest.mark.django_db
def test_it_shows_workspaces_memberships_and_audit_events(login, operator, alpha, bob, audit_event):
    client = login(operator)
    bob_membership = Membership.dangerously_unscoped.get(workspace=alpha, user=bob)
    for model, pk in (
        ("workspace", alpha.pk),
        ("membership", bob_membership.pk),
        ("auditevent", audit_event.pk),
    ):
        assert client.get(reverse(f"admin:csos_{model}_changelist")).status_code == 200, model
        detail = client.get(reverse(f"admin:csos_{model}_change", args=[pk]))
        assert detail.status_code == 200, model
        assert 'name="_save"' not in detail.content.decode(), model


@pytest.mark.django_db
def test_it_offers_no_add_page_for_memberships_audit_events_or_workspaces(login, operator):
    client = login(operator)
    for model in ("workspace", "membership", "auditevent"):
        url = reverse(f"admin:csos_{model}_add")
        assert client.get(url).status_code == 403, model
        assert client.post(url, {"role": Role.ADMIN}).status_code == 403, model


@pytest.mark.django_db
def test_it_refuses_role_changes_and_removals_in_the_admin(login, operator, alpha, alice):
    client = login(operator)
    own = Membership.dangerously_unscoped.get(workspace=alpha, user=alice)
    change = client.post(
        reverse("admin:csos_membership_change", args=[own.pk]),
        {"user": alice.pk, "role": Role.VIEWER},
    )
    delete = client.post(reverse("admin:csos_membership_delete", args=[own.pk]), {"post": "yes"})
    client.post(
        reverse("admin:csos_membership_changelist"),
        {"action": "delete_selected", "_selected_action": [own.pk], "post": "yes"},
    )
    assert (change.status_code, delete.status_code) == (403, 403)
    own.refresh_from_db()
    assert own.role == Role.ADMIN
    assert AuditEvent.dangerously_unscoped.filter(workspace=alpha).count() == 0


@pytest.mark.django_db
def test_it_refuses_to_delete_audit_events_in_the_admin(login, operator, audit_event):
    client = login(operator)
    delete = client.post(
        reverse("admin:csos_auditevent_delete", args=[audit_event.pk]), {"post": "yes"}
    )
    client.post(
        reverse("admin:csos_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [audit_event.pk], "post": "yes"},
    )
    assert delete.status_code == 403
    assert AuditEvent.dangerously_unscoped.filter(pk=audit_event.pk).exists()


@pytest.mark.django_db
def test_it_refuses_to_rename_the_workspace_in_the_admin(login, operator, alpha):
    response = login(operator).post(
        reverse("admin:csos_workspace_change", args=[alpha.pk]),
        {"name": "Renamed", "slug": alpha.slug, "default_currency": "EUR"},
    )
    assert response.status_code == 403
    alpha.refresh_from_db()
    assert (alpha.name, alpha.default_currency) == ("Alpha Analytics", "USD")
