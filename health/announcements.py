"""Domain events of the weekly snapshots: a band changed from the week before, a theatre flag
raised. Announced only for the running week; re-scoring a past week corrects history and
announces nothing."""

from accounts.event_bodies import account_ref
from accounts.models import Account
from csos.events import publish_many
from csos.models import Workspace
from health.models import Band, HealthSnapshot

# The bands a body names; "insufficient data" is no band to change to or from.
BANDS = {Band.GREEN, Band.YELLOW, Band.RED}


def snapshots_announce(
    *,
    workspace: Workspace,
    snapshots: list[HealthSnapshot],
    last_week: dict[int, str],
    stored: dict[int, tuple[str, str]],
) -> None:
    """Publish health.band_changed per account whose band differs from ``last_week``'s
    (account id: band) and health.theatre_flagged per account newly flagged. ``stored`` holds
    the week's band and theatre reason before this write (account id: (band, theatre)), so a
    week scored again announces only what this write changed."""
    changed = [
        snapshot
        for snapshot in snapshots
        if snapshot.band in BANDS
        and last_week.get(snapshot.account_id) in BANDS - {snapshot.band}
        and stored.get(snapshot.account_id, ("", ""))[0] != snapshot.band
    ]
    flagged = [
        snapshot
        for snapshot in snapshots
        if snapshot.theatre and not stored.get(snapshot.account_id, ("", ""))[1]
    ]
    if not changed and not flagged:
        return
    accounts = Account.objects.select_related("owner").in_bulk(
        {snapshot.account_id for snapshot in [*changed, *flagged]}
    )

    def account(snapshot: HealthSnapshot) -> dict:
        return account_ref(accounts[snapshot.account_id]) | {
            "band": snapshot.band if snapshot.band in BANDS else None
        }

    week = snapshots[0].week.isoformat()
    publish_many(
        workspace=workspace,
        event_type="health.band_changed",
        bodies=[
            {
                "account": account(snapshot),
                "week": week,
                "band": snapshot.band,
                "previous_band": last_week[snapshot.account_id],
                "score": round(snapshot.total),
            }
            for snapshot in changed
        ],
    )
    publish_many(
        workspace=workspace,
        event_type="health.theatre_flagged",
        bodies=[
            {"account": account(snapshot), "week": week, "reason": snapshot.theatre}
            for snapshot in flagged
        ],
    )
