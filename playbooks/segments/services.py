"""Writes of segmentation and allocation. Only ``segmentation_apply`` writes an account's motion
and value problem; only ``rebalancing_apply`` moves accounts between owners from here."""

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from accounts.selectors import OWNER_ROLES
from csos.models import Membership, Workspace
from csos.services import audit_record, audit_record_many
from playbooks.segments import conditions as c
from playbooks.segments import selectors
from playbooks.segments.allocation import Move
from playbooks.segments.models import (
    CsmCapacity,
    RunStatus,
    SegmentationRun,
    SegmentChange,
    SegmentRule,
    SegmentSettings,
)

RULE_FIELDS = ("name", "priority", "match", "clauses", "motion", "value_problem")


def rule_clauses_clean(*, match: str, clauses: list[dict]) -> list[dict]:
    """The clauses in their stored form; a ValidationError on ``clauses`` names the one that
    does not fit."""
    try:
        condition = c.condition_parse({"match": match, "clauses": clauses}, fields=selectors.FIELDS)
    except c.ConditionError as error:
        where = f"Condition {error.position}: " if error.position else ""
        raise ValidationError({"clauses": f"{where}{error}"}) from None
    return c.condition_stored(condition)["clauses"]


@transaction.atomic
def rule_save(
    *, workspace: Workspace, by: AbstractBaseUser, rule: SegmentRule | None, data: dict[str, Any]
) -> SegmentRule:
    """Create or change a rule; a priority or name another rule holds is a field error."""
    rule = rule or SegmentRule(workspace=workspace)
    clauses = rule_clauses_clean(match=data["match"], clauses=data["clauses"])
    others = SegmentRule.objects.exclude(pk=rule.pk)
    errors = {}
    if others.filter(priority=data["priority"]).exists():
        errors["priority"] = f"Another rule already has priority {data['priority']}."
    if others.filter(name=data["name"]).exists():
        errors["name"] = f"Another rule is already named {data['name']!r}."
    if errors:
        raise ValidationError(errors)
    before = {field: getattr(rule, field) for field in RULE_FIELDS} if rule.pk else {}
    for field in RULE_FIELDS:
        setattr(rule, field, clauses if field == "clauses" else data[field])
    rule.updated_by = by
    rule.save()
    after = {field: getattr(rule, field) for field in RULE_FIELDS}
    action = "segment_rule.update" if before else "segment_rule.create"
    audit_record(workspace=workspace, actor=by, action=action, obj=rule, before=before, after=after)
    return rule


@transaction.atomic
def rule_delete(*, workspace: Workspace, by: AbstractBaseUser, rule: SegmentRule) -> None:
    before = {field: getattr(rule, field) for field in RULE_FIELDS}
    audit_record(
        workspace=workspace, actor=by, action="segment_rule.delete", obj=rule, before=before
    )
    rule.delete()


@transaction.atomic
def segment_settings_save(
    *, workspace: Workspace, by: AbstractBaseUser, data: dict[str, Any]
) -> SegmentSettings:
    current = SegmentSettings.objects.select_for_update().first() or SegmentSettings(
        workspace=workspace
    )
    before = {field: str(getattr(current, field)) for field in data}
    for field, value in data.items():
        setattr(current, field, value)
    current.full_clean()
    current.save()
    audit_record(
        workspace=workspace,
        actor=by,
        action="segment_settings.update",
        obj=current,
        before=before,
        after={field: str(value) for field, value in data.items()},
    )
    return current


def run_start(
    *, workspace: Workspace, by: AbstractBaseUser | None, trigger: str
) -> SegmentationRun:
    return SegmentationRun.objects.create(workspace=workspace, started_by=by, trigger=trigger)


def run_execute(*, run: SegmentationRun, today: date) -> SegmentationRun:
    """Claim a queued run and re-segment every active account; a second delivery does nothing."""
    claimed = SegmentationRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING
    )
    if not claimed:
        return run
    try:
        examined, changed = segmentation_apply(workspace=run.workspace, today=today, run=run)
    except Exception:
        SegmentationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now()
        )
        raise
    SegmentationRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE,
        account_count=examined,
        changed_count=changed,
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run


@transaction.atomic
def segmentation_apply(
    *,
    workspace: Workspace,
    today: date,
    account_ids: Sequence[int] | None = None,
    run: SegmentationRun | None = None,
) -> tuple[int, int]:
    """Place active accounts (all, or ``account_ids``) by the saved rules and record each one
    whose motion, value problem or placing rule changed. The same handful of queries however
    many accounts: one read of facts, one of placements, one UPDATE and one INSERT from arrays.
    Returns (accounts examined, accounts changed)."""
    ids = None if account_ids is None else list(account_ids)
    rules = selectors.ruleset()
    frame = selectors.account_facts(today=today, account_ids=ids)
    if frame.empty:
        return 0, 0
    placed = frame.join(selectors.placements(frame, rules))
    placed = placed.merge(
        selectors.current_placements(account_ids=ids), on="account_id", how="left"
    )
    moved = (placed["motion"] != placed["to_motion"]) | (
        placed["value_problem"] != placed["to_value_problem"]
    )
    unrecorded = (
        placed["placed_rule_name"].isna()
        | (placed["placed_rule_name"] != placed["rule_name"])
        | (placed["placed_rule_id"].fillna(0) != placed["rule_id"].fillna(0))
    )
    changed = placed[moved | unrecorded]
    if changed.empty:
        return len(frame), 0
    reasons = _reasons(frame.loc[changed.index], changed, rules)
    _write(workspace=workspace, changed=changed[moved.loc[changed.index]])
    _record(workspace=workspace, changed=changed, reasons=reasons, run=run)
    return len(frame), len(changed)


def _reasons(frame: pd.DataFrame, changed: pd.DataFrame, rules: selectors.Ruleset) -> pd.Series:
    """Why each account was placed: the clauses of its rule that held for it."""
    reasons = pd.Series("No rule matched: the default placed it.", index=changed.index)
    for position, condition in enumerate(rules.conditions):
        rows = changed.index[changed["position"] == position]
        if rows.empty:
            continue
        texts = [
            c.clause_text(clause, selectors.FIELDS[clause.field]) for clause in condition.clauses
        ]
        held = np.column_stack(
            [c.clause_holds(frame.loc[rows], clause).to_numpy() for clause in condition.clauses]
        )
        reasons.loc[rows] = [
            "; ".join(text for text, hit in zip(texts, row, strict=True) if hit)[:500]
            for row in held
        ]
    return reasons


def _write(*, workspace: Workspace, changed: pd.DataFrame) -> None:
    if changed.empty:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Account._meta.db_table} AS a
               SET motion = v.motion, value_problem = v.value_problem, updated_at = now()
              FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, motion, value_problem)
             WHERE a.id = v.id AND a.workspace_id = %s
            """,
            [
                changed["account_id"].astype(int).tolist(),
                changed["to_motion"].tolist(),
                changed["to_value_problem"].tolist(),
                workspace.pk,
            ],
        )


def _record(
    *,
    workspace: Workspace,
    changed: pd.DataFrame,
    reasons: pd.Series,
    run: SegmentationRun | None,
) -> None:
    rule_ids = [None if pd.isna(rule) else int(rule) for rule in changed["rule_id"]]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SegmentChange._meta.db_table}
                (workspace_id, account_id, from_motion, from_value_problem, to_motion,
                 to_value_problem, rule_id, rule_name, reason, run_id, at)
            SELECT %s, v.account_id, v.from_motion, v.from_value_problem, v.to_motion,
                   v.to_value_problem, v.rule_id, v.rule_name, v.reason, %s, %s
              FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
                          %s::bigint[], %s::text[], %s::text[])
                AS v(account_id, from_motion, from_value_problem, to_motion, to_value_problem,
                     rule_id, rule_name, reason)
            """,
            [
                workspace.pk,
                run.pk if run else None,
                timezone.now(),
                changed["account_id"].astype(int).tolist(),
                changed["motion"].tolist(),
                changed["value_problem"].tolist(),
                changed["to_motion"].tolist(),
                changed["to_value_problem"].tolist(),
                rule_ids,
                changed["rule_name"].tolist(),
                reasons.tolist(),
            ],
        )


@transaction.atomic
def capacity_save(
    *, workspace: Workspace, by: AbstractBaseUser, membership: Membership, data: dict[str, Any]
) -> CsmCapacity:
    """Set a member's capacity and allowed motions; a capacity of zero or less is refused."""
    if data["capacity"] is None or data["capacity"] <= 0:
        raise ValidationError({"capacity": "A capacity must be above zero points."})
    current = CsmCapacity.objects.filter(membership=membership).first()
    before = {"capacity": str(current.capacity), "motions": current.motions} if current else {}
    capacity, _ = CsmCapacity.objects.update_or_create(
        membership=membership,
        defaults={"capacity": data["capacity"], "motions": sorted(data["motions"])},
        create_defaults={
            "workspace": workspace,
            "capacity": data["capacity"],
            "motions": sorted(data["motions"]),
        },
    )
    audit_record(
        workspace=workspace,
        actor=by,
        action="csm_capacity.update",
        obj=capacity,
        before=before,
        after={"capacity": str(capacity.capacity), "motions": capacity.motions},
    )
    return capacity


@transaction.atomic
def rebalancing_apply(*, workspace: Workspace, by: AbstractBaseUser, moves: list[Move]) -> int:
    """Give each moved account its new owner, all or none, audited. A move whose account has
    changed owner since the suggestion, or whose new owner cannot own accounts, is refused."""
    accounts = {
        account.pk: account
        for account in Account.objects.select_for_update().filter(
            pk__in=[move.account_id for move in moves]
        )
    }
    owners = set(
        Membership.objects.filter(
            role__in=OWNER_ROLES, user_id__in={move.to_id for move in moves}
        ).values_list("user_id", flat=True)
    )
    problems = []
    for move in moves:
        account = accounts.get(move.account_id)
        if account is None:
            problems.append(f"Account {move.account_id} is not in this workspace.")
        elif account.owner_id != move.from_id:
            problems.append(f"{account.name} changed owner since the suggestion; refresh it.")
        elif move.to_id not in owners:
            problems.append(f"{account.name}: its new owner cannot own accounts.")
    if problems:
        raise ValidationError(problems)
    changes = []
    for move in moves:
        account = accounts[move.account_id]
        account.owner_id = move.to_id
        changes.append((account, {"owner": move.from_id}, {"owner": move.to_id}))
    now = timezone.now()
    for account in accounts.values():
        account.updated_at = now
    Account.objects.bulk_update(list(accounts.values()), ["owner", "updated_at"], batch_size=1000)
    audit_record_many(workspace=workspace, actor=by, action="account.rebalance", changes=changes)
    return len(moves)
