import re

import pytest
from django.test import Client
from django.urls import reverse

from csos.models import AuditEvent, Membership, Role
from tests.factories import TEST_PASSWORD, UserFactory

RESET_LINK = re.compile(r"https?://[^/\s]+(/password/reset/[^/\s]+/[^/\s]+/)")


def _events(workspace, action):
    return list(AuditEvent.dangerously_unscoped.filter(workspace=workspace, action=action))


@pytest.mark.django_db
def test_it_invites_a_new_person_by_e_mail_and_audits_it(login, alice, alpha, mailoutbox):
    response = login(alice).post(
        reverse("member_list"),
        {"email": "Nina@Example.com", "full_name": "Nina Park", "role": Role.CSM},
        follow=True,
    )
    assert "nina@example.com joined as CSM. An invitation was e-mailed to them." in (
        response.content.decode()
    )
    membership = Membership.dangerously_unscoped.get(
        workspace=alpha, user__email="nina@example.com"
    )
    assert membership.role == Role.CSM
    assert not membership.user.has_usable_password()
    (message,) = mailoutbox
    assert message.to == ["nina@example.com"]
    assert message.subject == "You are invited to Alpha Analytics on CSOS"
    assert "Hello Nina," in message.body
    assert "Alice Tester invited you to Alpha Analytics on CSOS" in message.body
    assert RESET_LINK.search(message.body)
    assert "within 72 hours" in message.body
    [event] = _events(alpha, "membership.add")
    assert event.actor == alice
    assert event.after == {"user": "nina@example.com", "role": "csm"}


@pytest.mark.django_db
def test_it_never_lets_an_admin_choose_a_new_members_password(login, alice, alpha):
    client = login(alice)
    assert "password" not in client.get(reverse("member_list")).context["form"].fields
    client.post(
        reverse("member_list"),
        {"email": "ceo@gamma.example", "role": Role.VIEWER, "password": "known-to-the-admin-42"},
    )
    user = Membership.dangerously_unscoped.get(
        workspace=alpha, user__email="ceo@gamma.example"
    ).user
    assert not user.check_password("known-to-the-admin-42")
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_it_lets_an_invited_person_choose_a_password_and_sign_in(login, alice, mailoutbox):
    login(alice).post(reverse("member_list"), {"email": "nina@example.com", "role": Role.CSM})
    invited = Client()
    link = RESET_LINK.search(mailoutbox[0].body).group(1)
    form_page = invited.get(link, follow=True)
    assert form_page.context["validlink"]
    password = "nina-chose-this-passphrase"
    invited.post(
        form_page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}
    )
    signed_in = Client().post(
        reverse("login"), {"username": "nina@example.com", "password": password}
    )
    assert signed_in["Location"] == reverse("portfolio")


@pytest.mark.django_db
def test_it_adds_someone_who_already_uses_csos_elsewhere_without_an_invitation(
    login, alice, alpha, charlie, mailoutbox
):
    login(alice).post(reverse("member_list"), {"email": charlie.email, "role": Role.VIEWER})
    assert Membership.dangerously_unscoped.filter(
        workspace=alpha, user=charlie, role=Role.VIEWER
    ).exists()
    assert mailoutbox == []
    charlie.refresh_from_db()
    assert charlie.check_password(TEST_PASSWORD)


@pytest.mark.django_db
def test_it_marks_members_whose_invitation_is_pending(login, alice, bob):
    client = login(alice)
    client.post(reverse("member_list"), {"email": "nina@example.com", "role": Role.CSM})
    member_rows = client.get(reverse("member_list")).content.decode().split("<tr>")[2:]
    pending = [row for row in member_rows if "Invitation pending" in row]
    assert len(member_rows) == 3
    assert len(pending) == 1
    assert "nina@example.com" in pending[0]


@pytest.mark.django_db
def test_it_refuses_a_member_twice(login, alice, bob, alpha):
    twice = login(alice).post(reverse("member_list"), {"email": bob.email, "role": Role.CSM})
    assert twice.status_code == 400
    assert "already a member" in str(twice.context["form"].errors["email"])
    assert _events(alpha, "membership.add") == []


@pytest.mark.django_db
def test_it_saves_a_role_only_with_its_visible_save_button(login, alice, bob):
    body = login(alice).get(reverse("member_list")).content.decode()
    assert "data-autosubmit" not in body
    assert "<noscript>" not in body
    for person in (alice, bob):
        assert (
            '<button type="submit" class="secondary">Save'
            f'<span class="visually-hidden"> role of {person.email}</span></button>'
        ) in body


@pytest.mark.django_db
def test_it_audits_a_role_change_with_before_and_after(login, alice, bob, alpha):
    membership = Membership.dangerously_unscoped.get(workspace=alpha, user=bob)
    login(alice).post(reverse("member_role", args=[membership.pk]), {"role": Role.LEADER})
    membership.refresh_from_db()
    assert membership.role == Role.LEADER
    [event] = _events(alpha, "membership.role_change")
    assert (event.before, event.after, event.actor) == ({"role": "csm"}, {"role": "leader"}, alice)
    assert event.object_id == str(membership.pk)


@pytest.mark.django_db
def test_it_audits_a_removal(login, alice, bob, alpha):
    membership = Membership.dangerously_unscoped.get(workspace=alpha, user=bob)
    login(alice).post(reverse("member_remove", args=[membership.pk]))
    assert not Membership.dangerously_unscoped.filter(pk=membership.pk).exists()
    [event] = _events(alpha, "membership.remove")
    assert event.before == {"user": bob.email, "role": "csm"}


@pytest.mark.django_db
def test_it_keeps_the_last_admin(login, alice, alpha):
    client = login(alice)
    own = Membership.dangerously_unscoped.get(workspace=alpha, user=alice)
    client.post(reverse("member_role", args=[own.pk]), {"role": Role.VIEWER})
    client.post(reverse("member_remove", args=[own.pk]))
    own.refresh_from_db()
    assert own.role == Role.ADMIN
    assert AuditEvent.dangerously_unscoped.filter(workspace=alpha).count() == 0


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
    assert AuditEvent.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_it_shows_the_audit_log_to_admins(login, alice, bob, alpha):
    membership = Membership.dangerously_unscoped.get(workspace=alpha, user=bob)
    client = login(alice)
    client.post(reverse("member_role", args=[membership.pk]), {"role": Role.VIEWER})
    body = client.get(reverse("audit_log")).content.decode()
    assert "membership.role_change" in body and bob.email in body


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.LEADER, Role.CSM, Role.VIEWER])
def test_it_keeps_member_and_configuration_pages_to_admins(client, alpha, bob, role):
    person = UserFactory()
    Membership.dangerously_unscoped.create(workspace=alpha, user=person, role=role)
    client.force_login(person)
    bob_membership = Membership.dangerously_unscoped.get(workspace=alpha, user=bob)
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
    assert AuditEvent.dangerously_unscoped.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["xyz", "ÄÖÜ", "ßa"])
def test_it_refuses_a_default_currency_that_is_not_an_iso_code(login, alice, alpha, code):
    response = login(alice).post(
        reverse("workspace_settings"), {"name": "Alpha Analytics", "default_currency": code}
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["default_currency"]
    alpha.refresh_from_db()
    assert alpha.default_currency == "USD"


@pytest.mark.django_db
def test_it_offers_the_default_currency_as_a_select(login, alice):
    body = login(alice).get(reverse("workspace_settings")).content.decode()
    assert '<select name="default_currency"' in body and '<option value="JPY">' in body
