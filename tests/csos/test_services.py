"""Services of the tenancy core tested directly: the last-admin rule under concurrency."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from csos import services
from csos.models import AuditEvent, Membership, Role
from csos.services import invitations
from csos.tenancy import workspace_scope
from tests.factories import MembershipFactory


def _a_backend_waits_on_a_lock(timeout: float = 10.0) -> bool:
    """Poll PostgreSQL until some session of this test database waits for a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_admin_when_two_admins_demote_each_other_at_once(alpha, alice):
    own = Membership.dangerously_unscoped.get(workspace=alpha, user=alice)
    other = MembershipFactory(workspace=alpha, role=Role.ADMIN)
    other_demoted_uncommitted, commit_it = threading.Event(), threading.Event()
    refusal = {}

    # Each thread is a request of its own, on its own database connection.

    def demote_other_and_hold_the_transaction_open():
        try:
            with workspace_scope(alpha), transaction.atomic():
                services.membership_change_role(
                    membership=Membership.dangerously_unscoped.get(pk=other.pk),
                    by=None,
                    role=Role.CSM,
                )
                other_demoted_uncommitted.set()
                commit_it.wait(timeout=30)
        finally:
            connection.close()

    def demote_own():
        try:
            with workspace_scope(alpha):
                services.membership_change_role(
                    membership=Membership.dangerously_unscoped.get(pk=own.pk),
                    by=alice,
                    role=Role.CSM,
                )
        except ValidationError as error:
            refusal["error"] = error
        finally:
            connection.close()

    first = threading.Thread(target=demote_other_and_hold_the_transaction_open)
    second = threading.Thread(target=demote_own)
    first.start()
    try:
        assert other_demoted_uncommitted.wait(timeout=10)
        second.start()
        waited = _a_backend_waits_on_a_lock()
    finally:
        commit_it.set()
        first.join(timeout=10)
        if second.ident is not None:  # started
            second.join(timeout=10)

    assert waited, "the second demotion did not wait for the first one's lock"
    assert "A workspace needs at least one admin." in refusal["error"].messages
    admins = Membership.dangerously_unscoped.filter(workspace=alpha, role=Role.ADMIN)
    assert list(admins.values_list("pk", flat=True)) == [own.pk]


@pytest.mark.django_db
def test_it_decides_the_last_admin_rule_from_the_stored_role_not_a_stale_copy(
    in_alpha, alpha, alice
):
    own = Membership.dangerously_unscoped.get(workspace=alpha, user=alice)
    other = MembershipFactory(workspace=alpha, role=Role.ADMIN)
    stale_other = Membership.dangerously_unscoped.get(pk=other.pk)  # still says admin below
    services.membership_change_role(membership=other, by=alice, role=Role.CSM)

    services.membership_change_role(membership=stale_other, by=alice, role=Role.VIEWER)

    assert Membership.dangerously_unscoped.get(pk=other.pk).role == Role.VIEWER
    assert Membership.dangerously_unscoped.get(pk=own.pk).role == Role.ADMIN
    last = AuditEvent.dangerously_unscoped.filter(action="membership.role_change").latest("pk")
    assert (last.before, last.after) == ({"role": "csm"}, {"role": "viewer"})


@pytest.mark.django_db
def test_it_lets_only_the_invited_address_accept_and_only_once(alpha, alice, bob, charlie):
    invitation = invitations.invitation_create(
        workspace=alpha, by=alice, email=charlie.email, role=Role.VIEWER
    )
    with workspace_scope(alpha):
        with pytest.raises(ValidationError, match=r"is for charlie@beta\.example"):
            invitations.invitation_accept(invitation=invitation, user=bob)
        membership = invitations.invitation_accept(invitation=invitation, user=charlie)
        with pytest.raises(ValidationError, match="used or revoked"):
            invitations.invitation_accept(invitation=invitation, user=charlie)
    assert (membership.workspace, membership.role) == (alpha, Role.VIEWER)


@pytest.mark.django_db
def test_it_reads_back_only_a_genuine_invitation_token(alpha, alice):
    invitation = invitations.invitation_create(
        workspace=alpha, by=alice, email="nina@example.com", role=Role.CSM
    )
    token = invitations.invitation_token(invitation=invitation)
    assert invitations.invitation_token_read(token) == (alpha.pk, invitation.pk)
    assert invitations.invitation_token_read(token[:-1]) is None
    assert invitations.invitation_token_read("not-a-token") is None


@pytest.mark.django_db
def test_it_refuses_a_new_sign_in_for_an_address_that_has_one(alpha, alice, charlie):
    invitation = invitations.invitation_create(
        workspace=alpha, by=alice, email=charlie.email, role=Role.CSM
    )
    with workspace_scope(alpha), pytest.raises(ValidationError, match="sign in to accept"):
        invitations.invitation_accept_as_new_user(
            invitation=invitation, full_name="Mallory", password="a-long-passphrase-9"
        )
    charlie.refresh_from_db()
    assert charlie.first_name == "Charlie"
