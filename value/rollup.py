"""Daily usage rolled up from stored product events, in SQL.

Its own module, below both the event ingest (which queues a ladder refresh through the tasks)
and the services (which the tasks call), so that neither imports the other through it.
"""

from django.db import connection

from csos.api.bulk import UpsertCounts, workspace_lock
from csos.models import Workspace
from value.models import EventMapping, EventMeasure, ProductEvent, UsageRecord

# The roll-up in one statement: the (account, metric, day) groups the selection touches, their
# totals over every matching event, written where positive and removed where nothing is left.
ROLLUP_SQL = """
    WITH touched AS (
        SELECT DISTINCT e.account_id, m.metric_id,
            (e.timestamp AT TIME ZONE %(zone)s)::date AS day
        FROM {events} e
        JOIN {mappings} m ON m.workspace_id = e.workspace_id AND m.event = e.event
        WHERE e.workspace_id = %(workspace)s AND {touching}
    ), totals AS (
        SELECT t.account_id, t.metric_id, t.day,
            CASE WHEN bool_or(m.measure = %(distinct)s) THEN count(DISTINCT e.user_id)
            ELSE count(e.id) END AS value
        FROM touched t
        JOIN {mappings} m
            ON m.workspace_id = %(workspace)s AND m.metric_id = t.metric_id
        LEFT JOIN {events} e
            ON e.workspace_id = %(workspace)s AND e.account_id = t.account_id
            AND e.event = m.event AND e.properties @> m.property_filter
            AND e.timestamp >= t.day::timestamp AT TIME ZONE %(zone)s
            AND e.timestamp < (t.day + 1)::timestamp AT TIME ZONE %(zone)s
        GROUP BY t.account_id, t.metric_id, t.day
    ), written AS (
        INSERT INTO {records} AS r (workspace_id, account_id, metric_id, day, value)
        SELECT %(workspace)s, account_id, metric_id, day, value FROM totals
        WHERE value > 0
        ON CONFLICT (workspace_id, account_id, metric_id, day)
        DO UPDATE SET value = EXCLUDED.value WHERE r.value IS DISTINCT FROM EXCLUDED.value
        RETURNING (xmax = 0) AS inserted
    ), removed AS (
        DELETE FROM {records} r USING totals z
        WHERE z.value = 0 AND r.workspace_id = %(workspace)s
            AND r.account_id = z.account_id AND r.metric_id = z.metric_id
            AND r.day = z.day
        RETURNING r.id
    )
    SELECT (SELECT count(*) FROM totals),
        count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
        (SELECT count(*) FROM removed)
    FROM written
"""


def usage_rollup(
    *, workspace: Workspace, message_ids: list[str] | None = None, metric_id: int | None = None
) -> UpsertCounts:
    """Recompute from the stored events the daily records of the (account, metric, day) groups
    that the events ``message_ids`` (or every event of the metric ``metric_id``) fall in.

    A day is the calendar day of the event's timestamp in the workspace's time zone. An event
    counts into a metric through a mapping of its name whose property filter it matches. When a
    whole metric is recomputed, a day whose events no longer match any of its mappings loses
    its record (counted as updated), as a day without events has none.
    """
    events = connection.ops.quote_name(ProductEvent._meta.db_table)
    mappings = connection.ops.quote_name(EventMapping._meta.db_table)
    records = connection.ops.quote_name(UsageRecord._meta.db_table)
    if message_ids is not None:
        touching = "e.message_id = ANY(%(selected)s) AND e.properties @> m.property_filter"
        value = message_ids
    else:
        touching, value = "m.metric_id = %(selected)s", metric_id
    params = {
        "workspace": workspace.pk,
        "selected": value,
        "zone": workspace.time_zone,
        "distinct": EventMeasure.DISTINCT_USERS,
    }
    # Roll-ups of a workspace run one at a time, so each sees the events of the batches that
    # committed before it and no concurrent batch's total overwrites a later one.
    workspace_lock("usage-rollup")
    with connection.cursor() as cursor:
        cursor.execute(
            ROLLUP_SQL.format(events=events, mappings=mappings, records=records, touching=touching),
            params,
        )
        total, created, updated, removed = cursor.fetchone()
    return UpsertCounts(
        created=created,
        updated=updated + removed,
        unchanged=total - created - updated - removed,
    )
