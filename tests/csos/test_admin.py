"""The Django admin is the operators' read-only window: it writes nothing (those writes go
through the audited services behind the pages), sets no password, and keeps every
workspace's sign-in log out of reach."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Account, ArrMovement
from csos.models import AuditEvent, Membership, Role
from csos.services import audit_record
from tests.factories import UserFactory
from tests.sweep import make_alpha_objects


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


@pytest.mark.django_db
def test_it_sets_no_password_in_the_admin_even_of_a_member(login, operator, alpha, charlie):
    shared = charlie
    Membership.dangerously_unscoped.create(workspace=alpha, user=shared, role=Role.VIEWER)
    client = login(operator)
    url = reverse("admin:auth_user_password_change", args=[shared.pk])
    assert client.get(url).status_code == 403
    posted = client.post(url, {"password1": "taken-over-42!", "password2": "taken-over-42!"})
    assert posted.status_code == 403
    shared.refresh_from_db()
    assert not shared.check_password("taken-over-42!")


@pytest.mark.django_db
def test_it_refuses_to_change_or_add_users_in_the_admin(login, operator, alpha, bob):
    client = login(operator)
    change = client.post(
        reverse("admin:auth_user_change", args=[bob.pk]),
        {"username": bob.username, "email": "mine@evil.example", "is_superuser": "on"},
    )
    add = client.post(
        reverse("admin:auth_user_add"),
        {"username": "new@evil.example", "password1": "x-Y-z-123456", "password2": "x-Y-z-123456"},
    )
    assert (change.status_code, add.status_code) == (403, 403)
    bob.refresh_from_db()
    assert (bob.email, bob.is_superuser) == ("bob@alpha.example", False)


@pytest.mark.django_db
def test_it_sends_a_password_reset_e_mail_from_the_admin_and_audits_it(
    login, operator, alpha, bob, mailoutbox
):
    response = login(operator).post(
        reverse("admin:auth_user_changelist"),
        {"action": "send_password_reset", "_selected_action": [bob.pk]},
    )
    assert response.status_code == 302
    (message,) = mailoutbox
    assert message.to == [bob.email]
    assert "/password/reset/" in message.body
    [event] = AuditEvent.dangerously_unscoped.filter(
        workspace=alpha, action="user.password_reset_email"
    )
    assert (event.actor, event.object_id) == (operator, str(bob.pk))


@pytest.mark.django_db
def test_it_keeps_every_workspaces_sign_in_log_out_of_the_admin(login, operator):
    client = login(operator)
    for model in ("accessattempt", "accesslog", "accessfailurelog"):
        assert client.get(f"/admin/axes/{model}/").status_code == 404, model
    assert b"/admin/axes/" not in client.get(reverse("admin:index")).content


@pytest.mark.django_db
def test_it_shows_arr_status_and_the_ledger_read_only(login, operator, alpha, alice, bob):
    objects = make_alpha_objects(alpha, alice, bob)
    account, movement = objects[Account], objects[ArrMovement]
    client = login(operator)
    detail = client.get(reverse("admin:accounts_account_change", args=[account.pk]))
    assert detail.status_code == 200
    assert 'name="arr"' not in detail.content.decode()
    assert 'name="status"' not in detail.content.decode()
    changed = client.post(
        reverse("admin:accounts_account_change", args=[account.pk]),
        {"name": account.name, "arr": "1", "status": "churned"},
    )
    added = client.post(
        reverse("admin:accounts_arrmovement_add"),
        {"account": account.pk, "kind": "expansion", "amount": "1000", "date": "2026-01-01"},
    )
    edited = client.post(
        reverse("admin:accounts_arrmovement_change", args=[movement.pk]), {"amount": "1"}
    )
    assert (changed.status_code, added.status_code, edited.status_code) == (403, 403, 403)
    account.refresh_from_db()
    movement.refresh_from_db()
    assert account.status != "churned" and movement.amount != 1
    assert ArrMovement.dangerously_unscoped.filter(account=account).count() == 1


@pytest.mark.django_db
def test_it_registers_no_admin_that_writes(rf, operator):
    """Every change goes through an audited service, so no admin page may add, change or
    delete; a new app's admin that writes fails here."""
    request = rf.get("/admin/")
    request.user = operator
    for model, model_admin in admin.site._registry.items():
        writes = (
            model_admin.has_add_permission(request),
            model_admin.has_change_permission(request),
            model_admin.has_delete_permission(request),
        )
        assert writes == (False, False, False), model._meta.label
