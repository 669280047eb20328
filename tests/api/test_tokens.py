"""API tokens: issued once and stored hashed, refused when expired, revoked or forged; the
admin page that creates and revokes them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from csos.models import ApiScope, ApiToken, AuditEvent
from csos.services import api_token_create, api_token_revoke
from tests.api.conftest import ApiClient

BULK = reverse("api-account-bulk")
BATCH = {"records": [{"external_id": "CRM-1", "name": "Acme"}]}


@pytest.mark.django_db
def test_it_stores_only_a_hash_of_the_token(alpha, alice):
    token, raw = api_token_create(workspace=alpha, by=alice, name="CRM", scopes=["ingest"])
    stored = ApiToken.dangerously_unscoped.get(pk=token.pk)
    assert raw.startswith(f"csos_{stored.prefix}_")
    assert raw not in (stored.secret_hash, stored.prefix, stored.name)
    assert AuditEvent.dangerously_unscoped.filter(action="api_token.create").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("scopes", "expires_in", "field"),
    [([], None, "scopes"), (["admin"], None, "scopes"), (["read"], -1, "expires_at")],
)
def test_it_refuses_a_token_without_scopes_or_expired_at_birth(
    alpha, alice, scopes, expires_in, field
):
    expires_at = timezone.now() + timedelta(days=expires_in) if expires_in else None
    with pytest.raises(ValidationError) as error:
        api_token_create(workspace=alpha, by=alice, name="x", scopes=scopes, expires_at=expires_at)
    assert field in error.value.message_dict
    assert ApiToken.dangerously_unscoped.count() == 0


def assert_refused(response, status=401):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Account.dangerously_unscoped.count() == 0
    return response.json()["detail"]


@pytest.mark.django_db
def test_it_refuses_an_expired_token(make_token):
    raw = make_token(expires_at=timezone.now() + timedelta(seconds=60))
    ApiToken.dangerously_unscoped.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "expired" in assert_refused(ApiClient(raw).post(BULK, BATCH))


@pytest.mark.django_db
def test_it_refuses_a_revoked_token(make_token, alice):
    raw = make_token()
    api_token_revoke(token=ApiToken.dangerously_unscoped.get(), by=alice)
    assert "revoked" in assert_refused(ApiClient(raw).post(BULK, BATCH))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer csos_ffffffffffff_guess", "Token abc", "Bearer "],
)
def test_it_refuses_a_forged_or_malformed_token(make_token, client, header):
    make_token()
    response = client.post(
        BULK, BATCH, content_type="application/json", headers={"Authorization": header}
    )
    assert_refused(response)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_it_refuses_a_request_without_credentials(client, alpha):
    assert_refused(client.post(BULK, BATCH, content_type="application/json"))


@pytest.mark.django_db
def test_it_refuses_a_token_whose_secret_is_altered(make_token):
    raw = make_token()
    assert_refused(
        ApiClient(raw[:-2] + ("aa" if not raw.endswith("aa") else "bb")).post(BULK, BATCH)
    )


@pytest.mark.django_db
def test_it_records_when_a_token_was_last_used(make_token):
    raw = make_token()
    ApiClient(raw).get(reverse("api-account-list"))
    assert ApiToken.dangerously_unscoped.get().last_used_at is not None


@pytest.mark.django_db
def test_it_lets_an_admin_create_a_token_shown_once(login, alice):
    client = login(alice)
    response = client.post(
        reverse("api_token_list"), {"name": "Segment", "scopes": ["ingest", "read"]}
    )
    assert response.status_code == 200
    token = ApiToken.dangerously_unscoped.get()
    raw = response.context["created"]["raw"]
    assert raw in response.content.decode()
    assert token.scopes == ["ingest", "read"]
    assert ApiClient(raw).post(BULK, BATCH).status_code == 200
    listing = client.get(reverse("api_token_list")).content.decode()
    assert "Segment" in listing and raw not in listing


@pytest.mark.django_db
def test_it_shows_the_form_errors_of_a_token_without_scopes(login, alice):
    response = login(alice).post(reverse("api_token_list"), {"name": "Segment"})
    assert response.status_code == 400
    assert ApiToken.dangerously_unscoped.count() == 0


@pytest.mark.django_db
def test_it_lets_an_admin_revoke_a_token(login, alice, make_token):
    raw = make_token()
    token = ApiToken.dangerously_unscoped.get()
    response = login(alice).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert ApiToken.dangerously_unscoped.get().revoked_at is not None
    assert_refused(ApiClient(raw).post(BULK, BATCH))


@pytest.mark.django_db
@pytest.mark.parametrize("member", ["lena", "bob", "vera"])
def test_it_keeps_tokens_to_admins(login, request, make_token, member):
    make_token()
    client = login(request.getfixturevalue(member))
    token = ApiToken.dangerously_unscoped.get()
    assert client.get(reverse("api_token_list")).status_code == 403
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    assert ApiToken.dangerously_unscoped.get().revoked_at is None


@pytest.mark.django_db
def test_it_answers_404_to_revoking_another_workspaces_token(login, charlie, make_token):
    make_token()
    token = ApiToken.dangerously_unscoped.get()
    assert login(charlie).post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.dangerously_unscoped.get().revoked_at is None


@pytest.mark.django_db
def test_it_lists_tokens_in_constant_queries(login, alice, make_token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(alice)

    def count():
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("api_token_list"))
        return len(queries)

    make_token()
    few = count()
    for _ in range(5):
        make_token(scopes=[ApiScope.READ])
    assert count() == few
