"""Read-only plan links for the customer, on the core's signed links (``csos.links``).

A plan link is a ``SharedLink`` of purpose ``success-plan``: it expires and can be revoked, and
unlike a confirmation link it opens as often as the customer's people need until then.
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.db.models import Prefetch

from csos.links import LinkRefused, link_scope
from stakeholders.models import Milestone, Objective, SuccessPlan

PLAN_SHARE_PURPOSE = "success-plan"


@contextmanager
def shared_plan(token: str) -> Iterator[SuccessPlan | None]:
    """The plan a valid token shares, with the block run in the plan's workspace; else None."""
    with ExitStack() as scope:
        try:
            link = scope.enter_context(link_scope(token=token, purpose=PLAN_SHARE_PURPOSE))
        except LinkRefused:
            yield None
            return
        yield (
            SuccessPlan.objects.filter(pk=link.target_id)
            .select_related("account")
            .prefetch_related(
                Prefetch(
                    "objectives", queryset=Objective.objects.select_related("owner", "use_case")
                ),
                Prefetch("milestones", queryset=Milestone.objects.all()),
            )
            .first()
        )
