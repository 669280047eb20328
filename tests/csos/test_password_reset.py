"""Password reset by e-mail: the public request form, the e-mailed link and what it changes."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from csos.forms import same_email_address
from csos.models import Role
from csos.services import membership_add
from tests.factories import TEST_PASSWORD

User = get_user_model()

NEW_PASSWORD = "a-new-long-passphrase-42"
RESET_LINK = re.compile(r"https?://[^/\s]+(/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def own_cache(settings, request):
    """A cache of this test's own: the e-mail throttle must not remember another test's request."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


def _ask_for_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def _reset_link(message) -> str:
    return RESET_LINK.search(message.body).group(1)


def _set_password(client, link, password=NEW_PASSWORD):
    """Follow the e-mailed link, as a browser does, and submit ``password`` twice."""
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    return client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )


def _sign_in(client, user, password):
    return client.post(reverse("login"), {"username": user.email, "password": password})


@pytest.mark.django_db
def test_it_links_the_reset_page_from_the_sign_in_page(client):
    body = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in body
    assert "Forgot your password?" in body


@pytest.mark.django_db
def test_it_e_mails_one_link_to_a_known_address_in_any_case(client, bob, mailoutbox, settings):
    response = _ask_for_reset(client, f" {bob.email.upper()} ")
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    (message,) = mailoutbox
    assert message.to == [bob.email]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.subject == "Reset your CSOS password"
    assert _reset_link(message).startswith("/password/reset/")
    assert "72 hours" in message.body


@pytest.mark.django_db
def test_it_answers_an_unknown_address_as_a_known_one_but_sends_nothing(bob, mailoutbox):
    known = _ask_for_reset(Client(), bob.email)
    assert len(mailoutbox) == 1
    mailoutbox.clear()
    unknown = _ask_for_reset(Client(), "nobody@alpha.example")
    assert mailoutbox == []
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])


@pytest.mark.django_db
def test_it_sets_a_new_password_that_signs_in_and_retires_the_old_one(client, bob, mailoutbox):
    _ask_for_reset(client, bob.email)
    response = _set_password(client, _reset_link(mailoutbox[0]))
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_complete")

    assert _sign_in(Client(), bob, TEST_PASSWORD).status_code == 200  # form again, with an error
    assert _sign_in(Client(), bob, NEW_PASSWORD)["Location"] == reverse("home")


@pytest.mark.django_db
def test_it_refuses_a_link_used_once_already(client, bob, mailoutbox):
    _ask_for_reset(client, bob.email)
    link = _reset_link(mailoutbox[0])
    _set_password(client, link)
    response = Client().get(link, follow=True)
    assert response.status_code == 200
    assert not response.context["validlink"]
    assert b"Link not valid" in response.content


@pytest.mark.django_db
def test_it_refuses_a_tampered_token_and_a_token_moved_to_another_user(
    client, alice, bob, mailoutbox
):
    _ask_for_reset(client, bob.email)
    link = _reset_link(mailoutbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    tampered = link.replace(token, token[:-1] + ("a" if token[-1] != "a" else "b"))
    alice_uidb64 = urlsafe_base64_encode(force_bytes(alice.pk))
    moved = reverse("password_reset_confirm", kwargs={"uidb64": alice_uidb64, "token": token})
    for forged in (tampered, moved):
        response = Client().post(
            forged, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
        )
        assert not response.context["validlink"], forged
    for user in (alice, bob):
        user.refresh_from_db()
        assert user.check_password(TEST_PASSWORD)


@pytest.mark.django_db
def test_it_refuses_a_weak_new_password_with_a_field_error(client, bob, mailoutbox):
    _ask_for_reset(client, bob.email)
    response = _set_password(client, _reset_link(mailoutbox[0]), password="password")
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    bob.refresh_from_db()
    assert bob.check_password(TEST_PASSWORD)


@pytest.mark.django_db
def test_it_ends_the_users_other_sessions_after_a_reset(client, bob, mailoutbox):
    elsewhere = Client()
    _sign_in(elsewhere, bob, TEST_PASSWORD)
    assert elsewhere.get(reverse("portfolio")).status_code == 200
    _ask_for_reset(client, bob.email)
    _set_password(client, _reset_link(mailoutbox[0]))
    response = elsewhere.get(reverse("portfolio"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_it_e_mails_a_user_at_most_once_per_interval(client, alice, bob, mailoutbox):
    _ask_for_reset(client, bob.email)
    second = _ask_for_reset(client, bob.email.upper())
    assert second["Location"] == reverse("password_reset_done")  # no hint that it was held back
    _ask_for_reset(client, alice.email)
    assert [message.to for message in mailoutbox] == [[bob.email], [alice.email]]


@pytest.mark.django_db
def test_it_serves_the_reset_pages_without_inline_script_or_style(client, bob, mailoutbox):
    _ask_for_reset(client, bob.email)
    confirm = client.get(_reset_link(mailoutbox[0]), follow=True)
    pages = [
        client.get(reverse(name)).content.decode()
        for name in ("password_reset", "password_reset_done", "password_reset_complete")
    ]
    for body in [*pages, confirm.content.decode()]:
        for tag in body.split("<script")[1:]:
            assert "src=" in tag.split(">", 1)[0]
        assert "<style" not in body
        assert " style=" not in body


@pytest.mark.django_db
def test_it_e_mails_a_link_to_an_invited_person_who_has_not_chosen_a_password(
    client, alpha, mailoutbox
):
    membership_add(workspace=alpha, by=None, email="nina@alpha.example", role=Role.CSM)
    _ask_for_reset(client, "Nina@Alpha.example")
    (message,) = mailoutbox
    assert message.to == ["nina@alpha.example"]
    response = _set_password(client, _reset_link(message))
    assert response["Location"] == reverse("password_reset_complete")
    assert _sign_in(Client(), User.objects.get(email="nina@alpha.example"), NEW_PASSWORD)[
        "Location"
    ] == reverse("home")


@pytest.mark.django_db
def test_it_sends_no_link_to_a_deactivated_user(client, bob, mailoutbox):
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    _ask_for_reset(client, bob.email)
    assert mailoutbox == []


@pytest.mark.parametrize(
    "asked, stored, same",
    [
        ("Bob@Alpha.Example", "bob@alpha.example", True),
        ("stra\N{LATIN SMALL LETTER SHARP S}e@example.com", "STRASSE@example.com", True),
        ("m\N{LATIN SMALL LETTER DOTLESS I}ke@example.org", "mike@example.org", False),
    ],
)
def test_it_compares_addresses_as_djangos_reset_form_does(asked, stored, same):
    assert same_email_address(asked, stored) is same
