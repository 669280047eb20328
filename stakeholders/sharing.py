"""Read-only plan links for the customer: signed, expiring, revocable.

This is the small interface the plan pages use (``share_token``, ``shared_plan``), so the
signing can move to the core's shared link mechanics without touching the pages. The token
is signed, so an id cannot be guessed or altered; expiry and revocation live on the
``PlanShareLink`` row, so a CSM can end a link before its time.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core import signing
from django.db.models import Prefetch
from django.utils import timezone

from csos.tenancy import workspace_scope
from stakeholders.models import Milestone, Objective, PlanShareLink, SuccessPlan

SALT = "stakeholders.plan-share"


def share_token(link: PlanShareLink) -> str:
    return signing.dumps({"link": link.pk}, salt=SALT)


def _link_for(token: str) -> PlanShareLink | None:
    try:
        link_id = signing.loads(token, salt=SALT)["link"]
    except (signing.BadSignature, KeyError, TypeError):
        return None
    # The visitor is outside every workspace: the signed id alone names the link's workspace.
    link = PlanShareLink.dangerously_unscoped.select_related("workspace").filter(pk=link_id).first()
    if link is None or link.revoked_at is not None or link.expires_at <= timezone.now():
        return None
    return link


@contextmanager
def shared_plan(token: str) -> Iterator[SuccessPlan | None]:
    """The plan a valid token shares, with the block run in the plan's workspace; else None."""
    link = _link_for(token)
    if link is None:
        yield None
        return
    with workspace_scope(link.workspace):
        yield (
            SuccessPlan.objects.filter(pk=link.plan_id)
            .select_related("account")
            .prefetch_related(
                Prefetch("objectives", queryset=Objective.objects.select_related("owner")),
                Prefetch("milestones", queryset=Milestone.objects.all()),
            )
            .get()
        )
