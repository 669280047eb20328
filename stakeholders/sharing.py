"""Read-only plan links for the customer: signed, expiring, revocable.

This is the small interface the plan pages use (``share_token``, ``shared_plan``), so the
signing can move to the core's shared link mechanics without touching the pages. The token
is signed, so its ids cannot be guessed or altered; it names the workspace, so the link is
looked up inside that workspace's scope like any other row; expiry and revocation live on the
``PlanShareLink`` row, so a CSM can end a link before its time.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core import signing
from django.db.models import Prefetch
from django.utils import timezone

from csos.models import Workspace
from csos.tenancy import workspace_scope
from stakeholders.models import Milestone, Objective, PlanShareLink, SuccessPlan

SALT = "stakeholders.plan-share"


def share_token(link: PlanShareLink) -> str:
    return signing.dumps({"workspace": link.workspace_id, "link": link.pk}, salt=SALT)


@contextmanager
def shared_plan(token: str) -> Iterator[SuccessPlan | None]:
    """The plan a valid token shares, with the block run in the plan's workspace; else None."""
    try:
        payload = signing.loads(token, salt=SALT)
        workspace = Workspace.objects.get(pk=payload["workspace"])
    except (signing.BadSignature, KeyError, TypeError, Workspace.DoesNotExist):
        yield None
        return
    with workspace_scope(workspace):
        link = PlanShareLink.objects.filter(
            pk=payload["link"], revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).first()
        if link is None:
            yield None
            return
        yield (
            SuccessPlan.objects.filter(pk=link.plan_id)
            .select_related("account")
            .prefetch_related(
                Prefetch("objectives", queryset=Objective.objects.select_related("owner")),
                Prefetch("milestones", queryset=Milestone.objects.all()),
            )
            .get()
        )
