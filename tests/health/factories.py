"""Health history for the quality page's tests: past renewals and the scores before them."""

import datetime as dt

from django.utils import timezone

from health.models import HealthSnapshot
from health.scoring import iso_week
from tests.factories import AccountFactory


def renewal_with_score(workspace, *, churned: bool, usage: float, days_ago: int = 1, **fields):
    """An account whose renewal passed ``days_ago`` days ago (churned or renewed), with a
    snapshot 90 days before it that scores only usage, at ``usage``."""
    renewal = timezone.localdate() - dt.timedelta(days=days_ago)
    account = AccountFactory(
        workspace=workspace,
        contract_start=None,
        renewal_date=renewal,
        status="churned" if churned else "active",
        **fields,
    )
    HealthSnapshot.dangerously_unscoped.create(
        workspace=workspace,
        account=account,
        week=iso_week(renewal - dt.timedelta(days=90)),
        total=10 * usage,
        band="red",
        scores={"usage": usage},
        model_name="Default",
        model_version=1,
    )
    return account


def model_post(model, *, weights: dict[str, float], action: str = "publish", **overrides) -> dict:
    """What the model editor posts: ``weights`` by calculator (the dimensions that count),
    every target at its current value, and ``overrides`` for any field."""
    from health.forms import HealthModelForm

    form = HealthModelForm(model=model)
    data = {name: value for name, value in form.initial.items() if not name.startswith("weight__")}
    data |= {f"weight__{name}": weight for name, weight in weights.items()}
    data |= {"dimensions": list(weights), "segments": model.segments, "action": action}
    return data | overrides
