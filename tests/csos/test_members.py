import pytest
from django.urls import reverse

from csos.models import AuditEvent, Membership, Role
from tests.factories import UserFactory


def _events(workspace, action):
    return list(AuditEvent.unscoped.filter(workspace=workspace, action=action))


@pytest.mark.django_db
def test_it_adds_a_new_person_and_audits_it(login, alice, alpha):
    response = login(alice).post(
        reverse("member_list"),
        {
            "email": "Nina@Example.com",
            "full_name": "Nina Park",
            "role": Role.CSM,
            "password": "a-long-enough-passphrase",
        },
    )
    assert response.status_code == 302
    membership = Membership.unscoped.get(workspace=alpha, user__email="nina@example.com")
    assert membership.role == Role.CSM
    assert membership.user.check_password("a-long-enough-passphrase")
    [event] = _events(alpha, "membership.add")
    assert event.actor == alice
    assert event.after == {"user": "nina@example.com", "role": "csm"}


@pytest.mark.django_db
def test_it_adds_someone_who_already_uses_csos_elsewhere(login, alice, alpha, charlie):
    login(alice).post(reverse("member_list"), {"email": charlie.email, "role": Role.VIEWER})
    assert Membership.unscoped.filter(workspace=alpha, user=charlie, role=Role.VIEWER).exists()


@pytest.mark.django_db
def test_it_refuses_a_member_twice_and_a_weak_password(login, alice, bob, alpha):
    client = login(alice)
    twice = client.post(reverse("member_list"), {"email": bob.email, "role": Role.CSM})
    assert twice.status_code == 400
    assert "already a member" in str(twice.context["form"].errors["email"])
    weak = client.post(
        reverse("member_list"), {"email": "new@example.com", "role": Role.CSM, "password": "123"}
    )
    assert "password" in weak.context["form"].errors
    assert not Membership.unscoped.filter(user__email="new@example.com").exists()
    assert _events(alpha, "membership.add") == []


@pytest.mark.django_db
def test_it_audits_a_role_change_with_before_and_after(login, alice, bob, alpha):
    membership = Membership.unscoped.get(workspace=alpha, user=bob)
    login(alice).post(reverse("member_role", args=[membership.pk]), {"role": Role.LEADER})
    membership.refresh_from_db()
    assert membership.role == Role.LEADER
    [event] = _events(alpha, "membership.role_change")
    assert (event.before, event.after, event.actor) == ({"role": "csm"}, {"role": "leader"}, alice)
    assert event.object_id == str(membership.pk)


@pytest.mark.django_db
def test_it_audits_a_removal(login, alice, bob, alpha):
    membership = Membership.unscoped.get(workspace=alpha, user=bob)
    login(alice).post(reverse("member_remove", args=[membership.pk]))
    assert not Membership.unscoped.filter(pk=membership.pk).exists()
    [event] = _events(alpha, "membership.remove")
    assert event.before == {"user": bob.email, "role": "csm"}


@pytest.mark.django_db
def test_it_keeps_the_last_admin(login, alice, alpha):
    client = login(alice)
    own = Membership.unscoped.get(workspace=alpha, user=alice)
    client.post(reverse("member_role", args=[own.pk]), {"role": Role.VIEWER})
    client.post(reverse("member_remove", args=[own.pk]))
    own.refresh_from_db()
    assert own.role == Role.ADMIN
    assert AuditEvent.unscoped.filter(workspace=alpha).count() == 0


@pytest.mark.django_db
def test_it_audits_workspace_settings(login, alice, alpha):
    response = login(alice).post(
        reverse("workspace_settings"), {"name": "Alpha Analytics GmbH", "default_currency": "eur"}
    )
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.name, alpha.default_currency) == ("Alpha Analytics GmbH", "EUR")
    [event] = _events(alpha, "workspace.update")
    assert event.before == {"name": "Alpha Analytics", "default_currency": "USD"}
    assert event.after == {"name": "Alpha Analytics GmbH", "default_currency": "EUR"}


@pytest.mark.django_db
def test_it_names_the_bad_field_in_workspace_settings(login, alice, alpha):
    response = login(alice).post(
        reverse("workspace_settings"), {"name": "", "default_currency": "dollars"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "default_currency"}
    assert AuditEvent.unscoped.count() == 0


@pytest.mark.django_db
def test_it_shows_the_audit_log_to_admins(login, alice, bob, alpha):
    membership = Membership.unscoped.get(workspace=alpha, user=bob)
    client = login(alice)
    client.post(reverse("member_role", args=[membership.pk]), {"role": Role.VIEWER})
    body = client.get(reverse("audit_log")).content.decode()
    assert "membership.role_change" in body and bob.email in body


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LEADER, Role.CSM, Role.VIEWER])
def test_it_keeps_member_and_configuration_pages_to_admins(client, alpha, bob, role):
    person = UserFactory()
    Membership.unscoped.create(workspace=alpha, user=person, role=role)
    client.force_login(person)
    bob_membership = Membership.unscoped.get(workspace=alpha, user=bob)
    requests = [
        ("get", reverse("member_list"), {}),
        ("post", reverse("member_list"), {"email": "x@example.com", "role": "admin"}),
        ("post", reverse("member_role", args=[bob_membership.pk]), {"role": "admin"}),
        ("post", reverse("member_remove", args=[bob_membership.pk]), {}),
        ("get", reverse("workspace_settings"), {}),
        ("post", reverse("workspace_settings"), {"name": "Mine", "default_currency": "EUR"}),
        ("get", reverse("audit_log"), {}),
    ]
    for method, url, data in requests:
        assert getattr(client, method)(url, data).status_code == 403, f"{method} {url}"
    bob_membership.refresh_from_db()
    assert bob_membership.role == Role.CSM
    assert AuditEvent.unscoped.count() == 0
