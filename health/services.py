"""Writes of the health engine: models, weekly snapshots, overrides and judgements."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, AccountStatus
from csos.models import Workspace
from csos.services import audit_record
from health import scoring as s
from health import theatre, weighting
from health.announcements import snapshots_announce
from health.loader import scoring_frame
from health.models import (
    HealthJudgement,
    HealthModel,
    HealthOverride,
    HealthRecompute,
    HealthRecomputeChunk,
    HealthSnapshot,
    RecomputeStatus,
)
from health.recovery import recompute_chunk_claim, recompute_chunk_hold, recompute_chunks_record
from health.scoring import iso_week
from health.signals import snapshots_recomputed

# Accounts per chunk: a chunk's queries and write take about a second (bench/health.py), a few
# under load; HEALTH_CHUNK_STALE_SECONDS in settings is set well above that.
CHUNK_SIZE = 500
THEATRE = theatre.TheatreParams()


def scoring_model_of(model: HealthModel) -> weighting.ScoringModel:
    return _scoring_model(
        dimensions=model.dimensions, green_above=model.green_above, red_below=model.red_below
    )


def _scoring_model(*, dimensions: list[dict], green_above: float, red_below: float):
    return weighting.ScoringModel(
        dimensions=tuple(
            weighting.Dimension(
                d["key"], d["calculator"], float(d["weight"]), d.get("params") or {}
            )
            for d in dimensions
        ),
        green_above=green_above,
        red_below=red_below,
    )


def default_dimensions() -> list[dict]:
    return [asdict(dimension) for dimension in weighting.DEFAULT_MODEL.dimensions]


@transaction.atomic
def health_model_default_ensure(*, workspace: Workspace) -> HealthModel:
    """The workspace's default model, created from the built-in weights on first use."""
    model, _created = HealthModel.objects.get_or_create(
        is_default=True,
        defaults={
            "workspace": workspace,
            "name": "Default",
            "position": 0,
            "dimensions": default_dimensions(),
            "green_above": weighting.DEFAULT_MODEL.green_above,
            "red_below": weighting.DEFAULT_MODEL.red_below,
        },
    )
    return model


def health_model_errors(*, dimensions: list[dict], green_above: float, red_below: float):
    """Field errors of a model as entered: ``weights``, ``thresholds`` or a dimension key."""
    return weighting.model_errors(
        _scoring_model(dimensions=dimensions, green_above=green_above, red_below=red_below)
    )


@transaction.atomic
def health_model_save(
    *,
    workspace: Workspace,
    model: HealthModel,
    by: AbstractBaseUser,
    dimensions: list[dict],
    green_above: float,
    red_below: float,
    segments: list[str],
    name: str,
    position: int,
) -> HealthModel:
    """Publish a new version of ``model``; raises ValidationError naming each bad part."""
    errors = health_model_errors(
        dimensions=dimensions, green_above=green_above, red_below=red_below
    )
    if errors:
        raise ValidationError(errors)
    before = {
        "version": model.version,
        "dimensions": model.dimensions,
        "green_above": model.green_above,
        "red_below": model.red_below,
        "segments": model.segments,
    }
    if model.pk:
        model.version += 1
    model.workspace = workspace
    model.name, model.position, model.segments = name, position, segments
    model.dimensions, model.green_above, model.red_below = dimensions, green_above, red_below
    model.updated_by = by
    model.save()
    audit_record(
        workspace=workspace,
        actor=by,
        action="health_model.publish",
        obj=model,
        before=before,
        after={"version": model.version, "dimensions": dimensions, "segments": segments},
    )
    return model


def _chunk_bounds(account_ids: list[int]) -> list[tuple[int, int]]:
    return [
        (account_ids[start], account_ids[min(start + CHUNK_SIZE, len(account_ids)) - 1])
        for start in range(0, len(account_ids), CHUNK_SIZE)
    ]


@transaction.atomic
def health_recompute_start(
    *, workspace: Workspace, week: dt.date, by: AbstractBaseUser | None
) -> tuple[HealthRecompute, list[HealthRecomputeChunk]]:
    """A recompute of ``week`` and its chunks, each an account-id range scored on the same day."""
    health_model_default_ensure(workspace=workspace)
    account_ids = list(
        Account.objects.filter(status=AccountStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    bounds = _chunk_bounds(account_ids)
    recompute = HealthRecompute.objects.create(
        workspace=workspace,
        week=iso_week(week),
        started_by=by,
        chunk_count=len(bounds),
        account_count=len(account_ids),
        status=RecomputeStatus.RUNNING if bounds else RecomputeStatus.DONE,
        finished_at=None if bounds else timezone.now(),
    )
    as_of = recompute_as_of(recompute.week, timezone.localdate())
    return recompute, recompute_chunks_record(recompute=recompute, bounds=bounds, as_of=as_of)


def _models_in_order() -> list[HealthModel]:
    return list(HealthModel.objects.order_by("position", "pk"))


def _score_with_models(frame: pd.DataFrame, models: list[HealthModel]) -> pd.DataFrame:
    """Per account: total, band, scores and drivers (dicts), model name and version."""
    chosen = weighting.choose_models(
        frame["segment"], [None if m.is_default else frozenset(m.segments) for m in models]
    )
    parts = []
    for position, model in enumerate(models):
        rows = frame[chosen == position]
        if rows.empty:
            continue
        scored = weighting.score(rows, scoring_model_of(model))
        scores = scored.scores.astype(object).where(scored.scores.notna(), None)
        parts.append(
            pd.DataFrame(
                {
                    "total": scored.total,
                    "band": scored.band,
                    "scores": scores.to_dict("index").values(),
                    "drivers": scored.drivers.to_dict("index").values(),
                    "model_name": model.name,
                    "model_version": model.version,
                },
                index=rows.index,
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["total", "band", "scores", "drivers", "model_name", "model_version"]
        )
    return pd.concat(parts)


def _previous(first_id: int, last_id: int, week: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Last week's and THEATRE.weeks ago's snapshots of the range, in one query."""
    weeks_ago = week - dt.timedelta(weeks=THEATRE.weeks)
    last_week = week - dt.timedelta(weeks=1)
    rows = HealthSnapshot.objects.filter(
        account_id__gte=first_id, account_id__lte=last_id, week__in=[last_week, weeks_ago]
    ).values_list("account_id", "week", "total", "band", "scores", "proven_evidence")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["account_id", "week", "total", "band", "scores", s.PROVEN_EVIDENCE]
    )
    by_week = {w: frame[frame["week"] == w].set_index("account_id") for w in (last_week, weeks_ago)}
    return by_week[last_week], by_week[weeks_ago]


def _theatre(result: pd.DataFrame, frame: pd.DataFrame, before: pd.DataFrame) -> pd.Series:
    if before.empty or result.empty:
        return pd.Series(dtype=object)

    def flat(totals, scores, proven) -> pd.DataFrame:
        table = pd.DataFrame(list(scores), index=totals.index).astype(float)
        table["total"] = totals.astype(float)
        table[s.PROVEN_EVIDENCE] = proven.astype(float)
        return table

    now = flat(result["total"], result["scores"], frame.loc[result.index, s.PROVEN_EVIDENCE])
    then = flat(before["total"], before["scores"], before[s.PROVEN_EVIDENCE])
    return theatre.theatre_flags(now, then, THEATRE)


def health_scores(
    *, first_id: int, last_id: int, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scoring frame of the active accounts with ids in [first_id, last_id] on ``as_of``,
    and their scores under the models that claim them (``_score_with_models``); writes nothing."""
    frame = scoring_frame(first_id=first_id, last_id=last_id, as_of=as_of)
    return frame, _score_with_models(frame, _models_in_order())


def health_recompute_chunk(
    *, recompute: HealthRecompute, chunk: int, first_id: int, last_id: int, as_of: dt.date
) -> int:
    """Score the accounts of one chunk and replace their snapshots of the week; idempotent,
    so a chunk redelivered after its worker died writes the same rows. Returns rows written
    (none when another delivery of the chunk finished it first)."""
    recompute_chunk_claim(recompute_id=recompute.pk, chunk=chunk)
    return _chunk_write(
        recompute=recompute, chunk=chunk, first_id=first_id, last_id=last_id, as_of=as_of
    )


@transaction.atomic
def _chunk_write(
    *, recompute: HealthRecompute, chunk: int, first_id: int, last_id: int, as_of: dt.date
) -> int:
    if not recompute_chunk_hold(recompute_id=recompute.pk, chunk=chunk):
        return 0
    week = recompute.week
    frame, result = health_scores(first_id=first_id, last_id=last_id, as_of=as_of)
    last_week, weeks_ago = _previous(first_id, last_id, week)
    change = result["total"].astype(float) - last_week["total"].reindex(result.index).astype(float)
    theatre = _theatre(result, frame, weeks_ago).reindex(result.index).fillna("")
    proven = frame[s.PROVEN_EVIDENCE].reindex(result.index)
    snapshots = [
        HealthSnapshot(
            workspace_id=recompute.workspace_id,
            account_id=account_id,
            week=week,
            total=None if pd.isna(row.total) else float(row.total),
            band=row.band,
            scores=row.scores,
            drivers=row.drivers,
            proven_evidence=None if pd.isna(proven[account_id]) else int(proven[account_id]),
            model_name=row.model_name,
            model_version=int(row.model_version),
            change=None if pd.isna(change[account_id]) else round(float(change[account_id]), 1),
            theatre=theatre[account_id][:300],
        )
        for account_id, row in result.iterrows()
    ]
    # Events tell of the present: a past week re-scored corrects history and announces nothing.
    if week == iso_week(timezone.localdate(recompute.started_at)):
        stored = HealthSnapshot.objects.filter(
            account_id__gte=first_id, account_id__lte=last_id, week=week
        ).values_list("account_id", "band", "theatre")
        snapshots_announce(
            workspace=recompute.workspace,
            snapshots=snapshots,
            last_week=last_week["band"].to_dict(),
            stored={account_id: (band, theatre) for account_id, band, theatre in stored},
        )
    HealthSnapshot.objects.bulk_create(
        snapshots,
        update_conflicts=True,
        unique_fields=["workspace", "account", "week"],
        update_fields=[
            "total",
            "band",
            "scores",
            "drivers",
            "proven_evidence",
            "model_name",
            "model_version",
            "change",
            "theatre",
            "computed_at",
        ],
    )
    _chunk_done(recompute_id=recompute.pk, chunk=chunk)
    return len(snapshots)


def _chunk_done(*, recompute_id: int, chunk: int) -> None:
    recompute = HealthRecompute.objects.select_for_update().get(pk=recompute_id)
    if chunk not in recompute.chunks_done:
        recompute.chunks_done = sorted([*recompute.chunks_done, chunk])
    if len(recompute.chunks_done) >= recompute.chunk_count and not recompute.is_finished:
        recompute.status = RecomputeStatus.DONE
        recompute.finished_at = timezone.now()
        workspace, week = recompute.workspace, recompute.week
        # Triggers act on the present: a past week re-scored corrects history, it starts no play.
        if week == iso_week(timezone.localdate(recompute.started_at)):
            transaction.on_commit(
                lambda: snapshots_recomputed.send(HealthRecompute, workspace=workspace, week=week)
            )
    recompute.save(update_fields=["chunks_done", "status", "finished_at"])


def recompute_as_of(week: dt.date, today: dt.date) -> dt.date:
    """The day a week is scored on: its Sunday, or today while the week is still running."""
    return min(iso_week(week) + dt.timedelta(days=6), today)


def health_recompute(
    *, workspace: Workspace, week: dt.date, by: AbstractBaseUser | None = None
) -> HealthRecompute:
    """Recompute every active account's snapshot of ``week`` here and now, chunk by chunk."""
    recompute, chunks = health_recompute_start(workspace=workspace, week=week, by=by)
    for chunk in chunks:
        health_recompute_chunk(
            recompute=recompute,
            chunk=chunk.number,
            first_id=chunk.first_account_id,
            last_id=chunk.last_account_id,
            as_of=chunk.as_of,
        )
    recompute.refresh_from_db()
    return recompute


@transaction.atomic
def health_override_set(
    *,
    workspace: Workspace,
    account: Account,
    by: AbstractBaseUser,
    band: str,
    reason: str,
    expires_on: dt.date,
    today: dt.date,
) -> HealthOverride:
    if expires_on < today:
        raise ValidationError({"expires_on": "The expiry cannot be in the past."})
    override = HealthOverride.objects.create(
        workspace=workspace,
        account=account,
        band=band,
        reason=reason,
        expires_on=expires_on,
        created_by=by,
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="health.override",
        obj=override,
        after={
            "account": account.pk,
            "band": band,
            "reason": reason,
            "expires_on": str(expires_on),
        },
    )
    return override


@transaction.atomic
def health_judgement_record(
    *, workspace: Workspace, account: Account, by: AbstractBaseUser, verdict: str, reason: str
) -> HealthJudgement:
    judgement = HealthJudgement.objects.create(
        workspace=workspace, account=account, verdict=verdict, reason=reason, created_by=by
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="health.judgement",
        obj=judgement,
        after={"account": account.pk, "verdict": verdict, "reason": reason},
    )
    return judgement
