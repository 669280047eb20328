"""The tenancy sweep: every URL, requested by people outside Alpha with Alpha's ids."""

import re

import pytest
from django.urls import reverse

from accounts.models import Account, ArrMovement
from csos.models import AuditEvent, Membership, Role
from tests.factories import UserFactory
from tests.sweep import MARKERS, build_sweep, forged_reset_link


def assert_no_leak(response, url):
    assert response.status_code < 500, url
    body = response.content.decode(errors="replace")
    for marker in MARKERS:
        assert marker not in body, f"{url} shows {marker!r}"


# The sign-in page, or the admin index that sends a visitor to its own sign-in.
LOGIN_REDIRECT = re.compile(r"^/(login/|admin/(login/)?)")


@pytest.mark.django_db
def test_it_leaks_nothing_to_another_workspace(client, alpha_objects, charlie):
    swept = build_sweep(alpha_objects)
    assert len(swept) > 40
    for url, is_admin, names_object in swept:
        for method in ("get", "post"):
            client.force_login(charlie)
            response = getattr(client, method)(url)
            assert_no_leak(response, url)
            if is_admin and url != reverse("admin:login"):
                # Not an operator: the admin turns them away before touching any row.
                assert response.status_code in {302, 403, 405}, f"{method} {url}"
            elif names_object:
                assert response.status_code in {404, 405}, f"{method} {url}"


@pytest.mark.django_db
def test_it_answers_404_for_every_foreign_id_a_page_names(client, alpha_objects, charlie):
    for url, is_admin, names_object in build_sweep(alpha_objects):
        if is_admin or not names_object:
            continue
        client.force_login(charlie)
        statuses = {client.get(url).status_code, client.post(url).status_code}
        assert 404 in statuses, f"{url} answered {statuses}"


@pytest.mark.django_db
def test_it_leaks_nothing_to_an_anonymous_visitor(client, alpha_objects):
    public = {
        reverse(name)
        for name in (
            "login",
            "password_reset",
            "password_reset_done",
            "password_reset_complete",
            "healthz",
            "api_schema",
            "api_docs",
            "admin:login",
        )
    }
    # Opens for anyone, and with this forged token shows only "link not valid".
    public.add(reverse("password_reset_confirm", kwargs=forged_reset_link(alpha_objects)))
    # A customer's confirmation link: with a forged token it shows only "link not valid".
    public.add(
        reverse("value_confirm", kwargs={"token": forged_reset_link(alpha_objects)["token"]})
    )
    for url, _is_admin, _names_object in build_sweep(alpha_objects):
        for method in ("get", "post"):
            client.logout()
            response = getattr(client, method)(url)
            assert_no_leak(response, url)
            if url in public:
                continue
            if response.status_code == 302:
                assert LOGIN_REDIRECT.match(response["Location"]), url
            else:
                assert response.status_code in {401, 403, 405}, f"{method} {url}"


@pytest.mark.django_db
def test_it_keeps_the_admin_to_the_operators_own_workspace(client, alpha_objects, beta):
    operator = UserFactory(is_staff=True, is_superuser=True)
    Membership.dangerously_unscoped.create(workspace=beta, user=operator, role=Role.ADMIN)
    for url, is_admin, _names_object in build_sweep(alpha_objects):
        if not is_admin:
            continue
        client.force_login(operator)
        response = client.get(url)
        assert_no_leak(response, url)
        assert response.status_code in {200, 302, 403, 404, 405}, url


@pytest.mark.django_db
def test_it_changes_nothing_when_outsiders_post_everywhere(client, alpha_objects, charlie):
    account = alpha_objects[Account]
    before = (
        Account.dangerously_unscoped.count(),
        ArrMovement.dangerously_unscoped.count(),
        Membership.dangerously_unscoped.count(),
        AuditEvent.dangerously_unscoped.count(),
    )
    for url, _is_admin, _names_object in build_sweep(alpha_objects):
        client.force_login(charlie)
        client.post(
            url,
            {
                "name": "hijacked",
                "role": "viewer",
                "amount": "1",
                "kind": "expansion",
                "date": "2025-01-01",
            },
        )
    after = (
        Account.dangerously_unscoped.count(),
        ArrMovement.dangerously_unscoped.count(),
        Membership.dangerously_unscoped.count(),
        AuditEvent.dangerously_unscoped.count(),
    )
    assert after == before
    account.refresh_from_db()
    assert account.name == "ALPHA-SECRET-ACCOUNT"
    assert Membership.dangerously_unscoped.get(pk=alpha_objects[Membership].pk).role == Role.CSM
