"""Signed shared links: each way a link stops opening."""

from datetime import timedelta

import pytest
from django.utils import timezone

from csos.links import (
    EXPIRED,
    REVOKED,
    TAMPERED,
    USED,
    LinkRefused,
    link_issue,
    link_resolve,
    link_revoke,
    link_use,
)


def issue(alpha, **options):
    return link_issue(
        workspace=alpha,
        purpose="test.share",
        target_id=7,
        by=None,
        lifetime=options.pop("lifetime", timedelta(days=1)),
        **options,
    )


def refusal(token, purpose="test.share", now=None):
    with pytest.raises(LinkRefused) as refused:
        link_resolve(token=token, purpose=purpose, now=now)
    return refused.value.reason


@pytest.mark.django_db
def test_it_opens_a_fresh_link_once(alpha):
    issued = issue(alpha)
    link = link_resolve(token=issued.token, purpose="test.share")
    assert link.target_id == 7
    link_use(link=link, ip="203.0.113.9")
    assert refusal(issued.token) == USED
    link.refresh_from_db()
    assert link.used_from == "203.0.113.9"


@pytest.mark.django_db
def test_it_refuses_a_second_use_even_of_an_already_resolved_link(alpha):
    issued = issue(alpha)
    first = link_resolve(token=issued.token, purpose="test.share")
    second = link_resolve(token=issued.token, purpose="test.share")
    link_use(link=first, ip=None)
    with pytest.raises(LinkRefused, match="already been used"):
        link_use(link=second, ip=None)


@pytest.mark.django_db
def test_it_refuses_an_expired_link(alpha):
    issued = issue(alpha, lifetime=timedelta(hours=1))
    assert refusal(issued.token, now=timezone.now() + timedelta(hours=2)) == EXPIRED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mangle",
    [lambda token: token[:-2] + "xx", lambda token: "1" + token[1:], lambda token: "forged"],
    ids=["signature", "payload", "garbage"],
)
def test_it_refuses_a_tampered_token(alpha, mangle):
    assert refusal(mangle(issue(alpha).token)) == TAMPERED


@pytest.mark.django_db
def test_it_refuses_a_token_made_for_another_purpose(alpha):
    assert refusal(issue(alpha).token, purpose="other.share") == TAMPERED


@pytest.mark.django_db
def test_it_keeps_a_reusable_link_open_until_revoked(alpha, in_alpha):
    issued = issue(alpha, single_use=False)
    link = link_resolve(token=issued.token, purpose="test.share")
    link_use(link=link, ip=None)
    link_use(link=link, ip=None)
    link_revoke(link=link)
    assert refusal(issued.token) == REVOKED
