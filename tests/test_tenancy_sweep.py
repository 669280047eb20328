"""The tenancy sweep: every URL, requested by people outside Alpha with Alpha's ids."""

import json
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account
from csos.middleware import SESSION_WORKSPACE_KEY
from csos.models import Membership, Role
from tests.factories import UserFactory
from tests.sweep import (
    GENERIC_PARAMETERS,
    HAND_READ_PARAMETERS,
    JUNK_VALUES,
    MARKERS,
    build_sweep,
    declared_parameters,
    foreign_ids,
    forged_reset_link,
    reading_parameters,
    tenant_models,
    tenant_models_without_a_row,
)

METHODS = ("get", "post", "put", "patch", "delete")

# What an outsider posts to every form: plausible values for the fields the pages take.
HIJACK = {
    "name": "hijacked",
    "role": "viewer",
    "amount": "1",
    "kind": "expansion",
    "date": "2025-01-01",
}


def assert_no_leak(response, url, markers=MARKERS):
    assert response.status_code < 500, url
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode(errors="replace")
    for marker in markers:
        assert marker not in body, f"{url} shows {marker!r}"


# The sign-in page, or the admin index that sends a visitor to its own sign-in.
LOGIN_REDIRECT = re.compile(r"^/(login/|admin/(login/)?)")


def send_with_foreign_ids(client, method, url, ids):
    """One request carrying Alpha's ids everywhere: the query string, and a form body (POST)
    or a JSON body (PUT, PATCH, DELETE)."""
    target = f"{url}?{urlencode(ids)}"
    if method == "get":
        return client.get(target)
    if method == "post":
        return client.post(target, {**HIJACK, **ids})
    return getattr(client, method)(
        target, json.dumps({**HIJACK, **ids}), content_type="application/json"
    )


def alpha_snapshot(alpha):
    """Every row of Alpha, its people and the workspace itself, field by field."""
    rows = {
        model._meta.label: sorted(
            model.dangerously_unscoped.filter(workspace=alpha).values_list(), key=str
        )
        for model in tenant_models()
    }
    people = get_user_model().objects.filter(memberships__workspace=alpha).order_by("pk")
    # Signing in stamps last_login, which the sweep's own sign-ins do to a member of both.
    rows["people"] = [model_to_dict(person, exclude=["last_login"]) for person in people]
    rows["workspace"] = model_to_dict(alpha.__class__.objects.get(pk=alpha.pk))
    return rows


def assert_refused_to_outsider(response, method, url, is_admin, names_object, markers=MARKERS):
    assert_no_leak(response, url, markers)
    if is_admin and url != reverse("admin:login"):
        # Not an operator: the admin turns them away before touching any row.
        assert response.status_code in {302, 403, 405}, f"{method} {url}"
    elif names_object:
        assert response.status_code in {404, 405}, f"{method} {url}"


@pytest.mark.django_db
def test_it_has_a_row_of_every_tenant_model(alpha, alpha_objects):
    missing = tenant_models_without_a_row(alpha_objects, alpha)
    assert not missing, "\n".join(missing)


@pytest.mark.django_db
def test_it_leaks_nothing_to_another_workspace(client, alpha, alpha_objects, charlie):
    swept = build_sweep(alpha_objects)
    assert len(swept) > 40
    ids = foreign_ids(alpha_objects)
    before = alpha_snapshot(alpha)
    for url, is_admin, names_object in swept:
        for method in METHODS:
            client.force_login(charlie)
            response = send_with_foreign_ids(client, method, url, ids)
            assert_refused_to_outsider(response, method, url, is_admin, names_object)
    assert alpha_snapshot(alpha) == before


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
            "readyz",
            "api_schema",
            "api_docs",
            "event_schemas",
            "admin:login",
        )
    }
    # Opens for anyone, and with this forged token shows only "link not valid".
    forged = forged_reset_link(alpha_objects)
    public.add(reverse("password_reset_confirm", kwargs=forged))
    # Opens for anyone, and with a forged token shows only "invitation not valid".
    public.add(reverse("invitation_accept", kwargs={"token": forged["token"]}))
    # A customer's confirmation link: with a forged token it shows only "link not valid".
    public.add(reverse("value_confirm", kwargs={"token": forged["token"]}))
    # A stakeholder's survey link: with a forged token it shows only "link not valid".
    public.add(reverse("survey_answer", kwargs={"token": forged["token"]}))
    # The digest's unsubscribe link: with a forged token it shows only "link not valid".
    public.add(reverse("digest_unsubscribe", kwargs={"token": forged["token"]}))
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
def test_it_keeps_a_member_of_two_workspaces_to_the_active_one(client, alpha, beta, alpha_objects):
    dana = UserFactory(email="dana@both.example", username="dana@both.example")
    Membership.dangerously_unscoped.create(workspace=alpha, user=dana, role=Role.CSM)
    Membership.dangerously_unscoped.create(workspace=beta, user=dana, role=Role.ADMIN)
    switch = reverse("workspace_switch")
    ids = foreign_ids(alpha_objects)
    before = alpha_snapshot(alpha)
    # Dana's workspace switcher names Alpha, and may: she belongs to it.
    markers = tuple(marker for marker in MARKERS if marker != alpha.name)

    def sign_in_to_beta():
        client.force_login(dana)
        session = client.session
        session[SESSION_WORKSPACE_KEY] = beta.pk
        session.save()

    for url, is_admin, names_object in build_sweep(alpha_objects):
        if url == switch:
            continue  # the one door to Alpha, tried last
        for method in METHODS:
            sign_in_to_beta()
            # A workspace named in a header must not choose it either.
            client.defaults["HTTP_X_WORKSPACE"] = str(alpha.pk)
            response = send_with_foreign_ids(client, method, url, ids)
            client.defaults.pop("HTTP_X_WORKSPACE")
            assert_refused_to_outsider(response, method, url, is_admin, names_object, markers)
            if url != reverse("logout"):
                assert client.session[SESSION_WORKSPACE_KEY] == beta.pk, f"{method} {url}"
    assert alpha_snapshot(alpha) == before

    # The switch is the way in, which also shows that the sweep would see a leak.
    sign_in_to_beta()
    assert client.post(switch, {"workspace": alpha.pk}).status_code == 302
    account_url = reverse("account_detail", args=[alpha_objects[Account].pk])
    assert "ALPHA-SECRET-ACCOUNT" in client.get(account_url).content.decode()


def routes_for_an_operator(client, alpha, alpha_objects):
    """Every route, signed in as someone every page lets in: Alpha's admin and a superuser."""
    operator = UserFactory(is_staff=True, is_superuser=True)
    Membership.dangerously_unscoped.create(workspace=alpha, user=operator, role=Role.ADMIN)
    client.force_login(operator)
    return [
        (url, name, callback)
        for url, _is_admin, _names_object, name, callback in build_sweep(
            alpha_objects, with_routes=True
        )
        if name not in {"logout", "workspace_switch"}  # they would end the operator's session
    ]


def parameters_read(client, url, name, callback) -> set[str]:
    """The query parameters a route reads: those a probe request asks for, those its filter set
    and paginator declare, and those it reads by hand on another path."""
    with reading_parameters() as names:
        client.get(url, {"probe": "1"})  # a query string, so that forms bind and read it
    names |= declared_parameters(callback)
    names |= set(HAND_READ_PARAMETERS.get(name, ()))
    names.discard("probe")
    return names


def junk_queries(url, name, callback, read, seen) -> list[dict[str, str]]:
    """The junk to send one route: every value in each parameter it reads, one parameter at a
    time so that one refused value hides no other, and the generic names it does not read all
    at once. The admin's own parameters (``_popup``, ``_to_field``...) are the same code for
    every model, so each view of the admin gets them once."""
    queries = []
    for parameter in sorted(read):
        if is_admin_url(url) and parameter.startswith("_"):
            if (callback.__qualname__, parameter) in seen:
                continue
            seen.add((callback.__qualname__, parameter))
        queries += [{parameter: junk} for junk in JUNK_VALUES]
    if not is_admin_url(url):
        unread = [parameter for parameter in GENERIC_PARAMETERS if parameter not in read]
        queries += [dict.fromkeys(unread, junk) for junk in JUNK_VALUES]
    return queries


def is_admin_url(url) -> bool:
    return url.startswith(reverse("admin:index"))


@pytest.mark.django_db
def test_it_answers_junk_in_any_query_parameter_with_a_client_error(client, alpha, alpha_objects):
    client.raise_request_exception = False  # collect every 500, not only the first
    failures = []
    sent = 0
    seen = set()
    for url, name, callback in routes_for_an_operator(client, alpha, alpha_objects):
        if client.get(url).status_code == 405:
            continue  # reads no query string
        read = parameters_read(client, url, name, callback)
        for query in junk_queries(url, name, callback, read, seen):
            sent += 1
            status = client.get(url, query).status_code
            if status >= 500:
                failures.append(f"{url}?{urlencode(query)[:80]} answered {status}")
    assert sent > 500, f"the sweep sent only {sent} requests: it found too few parameters"
    assert not failures, "\n".join(failures)


LIMIT_OR_OFFSET = re.compile(r"\b(?:LIMIT|OFFSET)\s+(\d+)")
MOST_ROWS_PER_QUERY = 1001  # the API's largest page, and one more row to know a next page exists


@pytest.mark.django_db
def test_it_caps_the_rows_any_query_reads_whatever_page_is_asked(client, alpha, alpha_objects):
    huge = str(10**9)
    asked = {"page": huge, "page_size": huge, "limit": huge, "offset": huge, "per_page": huge}
    for url, _name, _callback in routes_for_an_operator(client, alpha, alpha_objects):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, asked)
        assert response.status_code < 500, url
        for query in queries.captured_queries:
            for bound in LIMIT_OR_OFFSET.findall(query["sql"]):
                assert int(bound) <= MOST_ROWS_PER_QUERY, f"{url}: {query['sql'][:200]}"
