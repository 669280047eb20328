import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.factories import TEST_PASSWORD
from tests.sweep import build_sweep


def _sign_in(client, user, password=TEST_PASSWORD):
    return client.post(reverse("login"), {"username": user.username, "password": password})


@pytest.mark.django_db
def test_it_signs_in_with_the_right_password(client, bob):
    response = _sign_in(client, bob)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_it_locks_a_login_out_after_five_failures(client, bob, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, bob, password="wrong-password")
    locked = _sign_in(client, bob)
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert client.get(reverse("portfolio")).status_code == 302


@pytest.mark.django_db
def test_it_does_not_lock_out_other_people(client, bob, carol, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, bob, password="wrong-password")
    assert _sign_in(client, carol).status_code == 302


PROXY = "10.0.0.2"


def _sign_in_through_the_proxy(client, user, forwarded_for, password="wrong-password"):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
def test_it_throttles_each_client_behind_a_trusted_proxy_on_its_own(client, bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_through_the_proxy(client, bob, "203.0.113.9")
    assert _sign_in_through_the_proxy(client, bob, "203.0.113.9").status_code == 429
    other_client = Client()
    signed_in = _sign_in_through_the_proxy(other_client, bob, "198.51.100.7", TEST_PASSWORD)
    assert signed_in.status_code == 302


@pytest.mark.django_db
def test_it_ignores_forwarded_addresses_a_client_writes_itself(client, bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for forged in range(settings.AXES_FAILURE_LIMIT):
        # The client sent "192.0.2.<n>"; the proxy appended the address it really came from.
        _sign_in_through_the_proxy(client, bob, f"192.0.2.{forged}, 203.0.113.9")
    assert _sign_in_through_the_proxy(client, bob, "192.0.2.99, 203.0.113.9").status_code == 429


@pytest.mark.django_db
def test_it_trusts_no_forwarded_header_without_a_trusted_proxy(client, bob, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for forged in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_through_the_proxy(client, bob, f"192.0.2.{forged}")
    assert _sign_in_through_the_proxy(client, bob, "192.0.2.99").status_code == 429


@pytest.mark.django_db
def test_it_sends_a_strict_csp_on_every_page(client, alpha_objects, alice):
    for url, _is_admin, _names_object in build_sweep(alpha_objects):
        client.force_login(alice)
        response = client.get(url)
        policy = response.get("Content-Security-Policy", "")
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives.get("script-src") == "'self'", url
        assert directives.get("frame-ancestors") == "'none'", url
        if url != reverse("api_docs"):  # Swagger UI needs inline styles, never inline scripts
            assert "unsafe" not in policy, url


@pytest.mark.django_db
def test_it_serves_no_inline_script_in_its_pages(login, alpha_objects, alice):
    client = login(alice)
    for name in ("portfolio", "member_list", "workspace_settings", "password_change"):
        body = client.get(reverse(name)).content.decode()
        for tag in body.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or 'type="application/json"' in opening, name


@pytest.mark.django_db
def test_it_ends_the_session_on_logout(client, bob):
    _sign_in(client, bob)
    session_key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get(reverse("portfolio")).status_code == 302


@pytest.mark.django_db
def test_it_ends_other_sessions_on_password_change(bob):
    here, elsewhere = Client(), Client()
    _sign_in(here, bob)
    _sign_in(elsewhere, bob)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-new-long-passphrase-42",
            "new_password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("portfolio")).status_code == 200
    assert elsewhere.get(reverse("portfolio")).status_code == 302


@pytest.mark.django_db
def test_it_rejects_a_weak_new_password(login, bob):
    response = login(bob).post(
        reverse("password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "password", "new_password2": "password"},
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors


@pytest.mark.django_db
def test_it_answers_health_checks_without_a_session(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}


@pytest.mark.django_db
def test_it_signs_in_by_e_mail_in_any_case(client, bob):
    response = client.post(
        reverse("login"), {"username": f"  {bob.email.upper()} ", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("portfolio")).status_code == 200


@pytest.mark.django_db
def test_it_counts_failures_whatever_the_case_of_the_e_mail(client, bob, settings):
    variants = [bob.email.upper(), bob.email, bob.email.title(), f" {bob.email} "]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": variants[attempt % len(variants)], "password": "wrong-password"},
        )
    assert _sign_in(client, bob).status_code == 429
