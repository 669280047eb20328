import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from csos.models import AuditEvent, Invitation, Membership, Role
from csos.services import workspace_update
from tests.factories import TEST_PASSWORD, UserFactory

INVITATION_LINK = re.compile(r"https?://[^/\s]+(/invitations/[^/\s]+/)")


def _events(workspace, action):
    return list(AuditEvent.dangerously_unscoped.filter(workspace=workspace, action=action))


def _invite(client, email, role=Role.CSM):
    return client.post(reverse("member_list"), {"email": email, "role": role}, follow=True)


def _confirmation(response) -> str:
    return re.search(r'<ul class="messages".*?</ul>', response.content.decode(), re.S).group(0)


def _link(message) -> str:
    return INVITATION_LINK.search(message.body).group(1)


@pytest.mark.django_db
def test_it_invites_by_e_mail_without_adding_anyone_and_audits_it(login, alice, alpha, mailoutbox):
    response = _invite(login(alice), "Nina@Example.com")
    assert "Invitation e-mailed to nina@example.com." in response.content.decode()
    assert not get_user_model().objects.filter(email="nina@example.com").exists()
    (message,) = mailoutbox
    assert message.to == ["nina@example.com"]
    assert message.subject == "You are invited to Alpha Analytics on CSOS"
    assert "Alice Tester invited you to join Alpha Analytics on CSOS" in message.body
    assert "within 72 hours" in message.body
    assert _link(message)
    [event] = _events(alpha, "invitation.create")
    assert event.actor == alice
    assert event.after == {"email": "nina@example.com", "role": "csm"}


@pytest.mark.django_db
def test_it_answers_the_same_for_an_address_that_uses_csos_elsewhere(
    login, alice, alpha, charlie, mailoutbox
):
    client = login(alice)
    known = _confirmation(_invite(client, charlie.email))
    unknown = _confirmation(_invite(client, "nobody@gamma.example"))
    assert known.replace(charlie.email, "ADDRESS") == unknown.replace(
        "nobody@gamma.example", "ADDRESS"
    )
    first, second = (INVITATION_LINK.sub("LINK", message.body) for message in mailoutbox)
    assert first == second
    assert not Membership.dangerously_unscoped.filter(workspace=alpha, user=charlie).exists()


@pytest.mark.django_db
def test_it_never_shows_a_name_another_workspace_knows(login, alice, charlie, mailoutbox):
    client = login(alice)
    _invite(client, charlie.email)
    page = client.get(reverse("member_list")).content.decode()
    assert charlie.email in page
    assert charlie.first_name not in page


@pytest.mark.django_db
def test_it_never_lets_an_admin_choose_a_new_members_password(login, alice, alpha):
    client = login(alice)
    assert "password" not in client.get(reverse("member_list")).context["form"].fields
    client.post(
        reverse("member_list"),
        {"email": "ceo@gamma.example", "role": Role.VIEWER, "password": "known-to-the-admin-42"},
    )
    assert not get_user_model().objects.filter(email="ceo@gamma.example").exists()


@pytest.mark.django_db
def test_it_lets_a_new_person_accept_with_their_own_name_and_password(
    login, alice, alpha, mailoutbox
):
    _invite(login(alice), "nina@example.com")
    link = _link(mailoutbox[0])
    invited = Client()
    page = invited.get(link)
    assert page.status_code == 200 and "Your name" in page.content.decode()
    password = "nina-chose-this-passphrase"
    accepted = invited.post(
        link, {"full_name": "Nina Park", "new_password1": password, "new_password2": password}
    )
    assert accepted["Location"] == reverse("home")
    membership = Membership.dangerously_unscoped.get(
        workspace=alpha, user__email="nina@example.com"
    )
    assert membership.role == Role.CSM
    assert membership.user.get_full_name() == "Nina Park"
    signed_in = Client().post(
        reverse("login"), {"username": "nina@example.com", "password": password}
    )
    assert signed_in["Location"] == reverse("home")
    [event] = _events(alpha, "invitation.accept")
    assert event.after == {"email": "nina@example.com", "role": "csm"}
    assert Client().get(link).status_code == 404


@pytest.mark.django_db
def test_it_asks_a_person_who_uses_csos_to_accept_signed_in_as_themselves(
    login, alice, alpha, bob, charlie, mailoutbox
):
    _invite(login(alice), charlie.email, role=Role.VIEWER)
    link = _link(mailoutbox[0])
    anonymous = Client()
    page = anonymous.get(link).content.decode()
    assert "Sign in to accept" in page and "Your name" not in page
    anonymous.post(link, {"full_name": "Mallory", "new_password1": "x", "new_password2": "x"})
    someone_else = Client()
    someone_else.force_login(bob)
    someone_else.post(link)
    assert not Membership.dangerously_unscoped.filter(workspace=alpha, user=charlie).exists()

    charlie_client = Client()
    charlie_client.force_login(charlie)
    assert charlie_client.post(link)["Location"] == reverse("home")
    assert Membership.dangerously_unscoped.filter(
        workspace=alpha, user=charlie, role=Role.VIEWER
    ).exists()
    charlie.refresh_from_db()
    assert charlie.check_password(TEST_PASSWORD)
    assert charlie_client.get(reverse("portfolio")).context["workspace"] == alpha


@pytest.mark.django_db
def test_it_refuses_a_revoked_invitation_and_audits_the_revocation(login, alice, alpha, mailoutbox):
    client = login(alice)
    _invite(client, "nina@example.com")
    invitation = Invitation.dangerously_unscoped.get(workspace=alpha)
    client.post(reverse("invitation_revoke", args=[invitation.pk]))
    [event] = _events(alpha, "invitation.revoke")
    assert event.before == {"email": "nina@example.com", "role": "csm"}
    assert not client.get(reverse("member_list")).context["invitations"]
    assert Client().get(_link(mailoutbox[0])).status_code == 404


@pytest.mark.django_db
def test_it_refuses_a_tampered_invitation_link(login, alice, mailoutbox):
    _invite(login(alice), "nina@example.com")
    link = _link(mailoutbox[0])
    assert Client().get(link.rstrip("/") + "x/").status_code == 404


@pytest.mark.django_db
def test_it_lists_pending_invitations_apart_from_members(login, alice, bob, mailoutbox):
    client = login(alice)
    _invite(client, "nina@example.com")
    page = client.get(reverse("member_list"))
    assert [m.user for m in page.context["members"]] == [alice, bob]
    assert [i.email for i in page.context["invitations"]] == ["nina@example.com"]
    assert "Invitation pending" in page.content.decode()


@pytest.mark.django_db
def test_it_refuses_a_member_twice(login, alice, bob, alpha):
    twice = login(alice).post(reverse("member_list"), {"email": bob.email, "role": Role.CSM})
    assert twice.status_code == 400
    assert "already a member" in str(twice.context["form"].errors)
    assert _events(alpha, "invitation.create") == []


@pytest.mark.django_db
def test_it_refuses_a_second_pending_invitation(login, alice, alpha, mailoutbox):
    client = login(alice)
    _invite(client, "nina@example.com")
    again = client.post(reverse("member_list"), {"email": "nina@example.com", "role": Role.CSM})
    assert again.status_code == 400
    assert "pending invitation" in str(again.context["form"].errors)
    assert len(mailoutbox) == 1


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
        reverse("workspace_settings"),
        {
            "name": "Alpha Analytics GmbH",
            "default_currency": "eur",
            "time_zone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302
    alpha.refresh_from_db()
    assert (alpha.name, alpha.default_currency, alpha.time_zone) == (
        "Alpha Analytics GmbH",
        "EUR",
        "Europe/Berlin",
    )
    [event] = _events(alpha, "workspace.update")
    assert event.before == {
        "name": "Alpha Analytics",
        "default_currency": "USD",
        "time_zone": "UTC",
    }
    assert event.after == {
        "name": "Alpha Analytics GmbH",
        "default_currency": "EUR",
        "time_zone": "Europe/Berlin",
    }


@pytest.mark.django_db
def test_it_names_the_bad_field_in_workspace_settings(login, alice, alpha):
    response = login(alice).post(
        reverse("workspace_settings"),
        {"name": "", "default_currency": "dollars", "time_zone": "Mars/Olympus_Mons"},
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "default_currency", "time_zone"}
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
        reverse("workspace_settings"),
        {"name": "Alpha Analytics", "default_currency": code, "time_zone": "UTC"},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["default_currency"]
    alpha.refresh_from_db()
    assert alpha.default_currency == "USD"


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd", "EST5"])
def test_it_refuses_a_time_zone_that_is_not_an_iana_name(login, alice, alpha, zone):
    response = login(alice).post(
        reverse("workspace_settings"),
        {"name": "Alpha Analytics", "default_currency": "USD", "time_zone": zone},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["time_zone"]
    alpha.refresh_from_db()
    assert alpha.time_zone == "UTC"


@pytest.mark.django_db
def test_it_refuses_a_time_zone_that_is_not_an_iana_name_in_the_service(alice, alpha):
    with pytest.raises(ValidationError) as refused:
        workspace_update(
            workspace=alpha, by=alice, name="Alpha", default_currency="USD", time_zone="Nowhere"
        )
    assert list(refused.value.message_dict) == ["time_zone"]
    alpha.refresh_from_db()
    assert (alpha.name, alpha.time_zone) == ("Alpha Analytics", "UTC")


@pytest.mark.django_db
def test_it_offers_the_default_currency_as_a_select(login, alice):
    body = login(alice).get(reverse("workspace_settings")).content.decode()
    assert '<select name="default_currency"' in body and '<option value="JPY">' in body
