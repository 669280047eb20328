"""The demo's product usage: six months of daily records per account and metric, each account
following a trend (growing, flat, decaying or collapsing) drawn from its seed."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
from django.db import connection

from accounts.demo import Progress
from accounts.models import LifecycleStage
from csos.models import Workspace
from value.models import Aggregation, UsageMetric, UsageRecord

# key, name, unit, aggregation, daily amount per licensed seat
METRICS = (
    ("active_users", "Active users", "users", Aggregation.MAX, 0.7),
    ("tickets_triaged", "Automated triages", "tickets", Aggregation.SUM, 1.2),
    ("workflows_run", "Workflows run", "runs", Aggregation.SUM, 0.8),
    ("reports_viewed", "Reports viewed", "views", Aggregation.SUM, 0.5),
    ("integrations_live", "Live integrations", "integrations", Aggregation.LAST, 0.05),
)
USAGE_DAYS = 182
BATCH_ROWS = 20_000
# Share of usage accounts per trend: how their usage moves over the six months.
TRENDS = (("growing", 0.3), ("flat", 0.35), ("decaying", 0.27), ("collapsing", 0.08))
# Accounts realising value or expanding are in use: their usage never collapses, and someone
# is active every day.
IN_USE_STAGES = frozenset({LifecycleStage.VALUE, LifecycleStage.EXPANSION})


def usage_trend(kind: str, days: int, rng: np.random.Generator) -> np.ndarray:
    t = np.linspace(0.0, 1.0, days)
    if kind == "growing":
        return 0.45 + 0.75 * t
    if kind == "decaying":
        return 1.1 - 0.7 * t
    if kind == "collapsing":
        cliff = rng.uniform(0.5, 0.85)
        return np.where(t < cliff, 1.0, 0.05)
    return np.full(days, 0.95)


def demo_usage_write(
    *,
    workspace: Workspace,
    accounts: list[tuple[int, int, str]],
    metrics: dict[str, UsageMetric],
    rng: random.Random,
    today: date,
    progress: Progress,
) -> None:
    generator = np.random.default_rng(rng.getrandbits(32))
    days = [today - timedelta(days=offset) for offset in range(USAGE_DAYS - 1, -1, -1)]
    weekday_factor = np.array([0.35 if day.weekday() >= 5 else 1.0 for day in days])
    kinds, weights = zip(*TRENDS, strict=True)
    table = UsageRecord._meta.db_table
    sql = (
        f"INSERT INTO {table} (workspace_id, account_id, metric_id, day, value) "
        "VALUES (%s, %s, %s, %s, %s)"
    )
    per_seat = {key: amount for key, _n, _u, _a, amount in METRICS}
    batch: list[tuple] = []
    total = len(accounts) * len(metrics) * USAGE_DAYS
    with progress(total=total, desc="usage records") as bar, connection.cursor() as cursor:
        for account_id, seats, stage in accounts:
            in_use = stage in IN_USE_STAGES
            kind = rng.choices(kinds, weights)[0]
            if in_use and kind == "collapsing":
                kind = "flat"
            shape = usage_trend(kind, USAGE_DAYS, generator)
            # Customers adopt each capability to a different depth.
            adoption = generator.uniform(0.3, 1.3, size=len(metrics))
            for (key, metric), depth in zip(metrics.items(), adoption, strict=True):
                noise = generator.normal(1.0, 0.12, size=USAGE_DAYS).clip(0.5, 1.5)
                daily = max(seats, 1) * per_seat[key] * depth * shape * noise
                if metric.aggregation != Aggregation.LAST:
                    daily = daily * weekday_factor
                values = np.round(daily, 0 if metric.aggregation != Aggregation.LAST else 2)
                if in_use and key == "active_users":
                    values = np.maximum(values, 1)
                batch.extend(
                    zip(
                        [workspace.pk] * USAGE_DAYS,
                        [account_id] * USAGE_DAYS,
                        [metric.pk] * USAGE_DAYS,
                        days,
                        values.tolist(),
                        strict=True,
                    )
                )
                if len(batch) >= BATCH_ROWS:
                    cursor.executemany(sql, batch)
                    bar.update(len(batch))
                    batch = []
        if batch:
            cursor.executemany(sql, batch)
            bar.update(len(batch))
