"""Benchmark of a CSM's attention queue against a bare ranking query and a minimal template.

Run from the project root against PostgreSQL (see bench/README.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csos_bench python bench/attention.py [--quick]

The last line of output is one JSON object; everything before it goes to stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from dataclasses import dataclass

from harness import (
    SEED,
    WARMUP,
    analyze,
    bench_workspace,
    database_prepare,
    log,
    peak_mb,
    percentiles,
    steady_query_count,
)

# isort: split
# harness has configured Django: the project's modules can be imported now.
from django.contrib.auth import get_user_model
from django.db import connection
from django.template import Context, Engine
from django.test import Client
from django.utils import timezone
from portfolio import SMALL_BOOK, small_csm

from accounts.demo import DemoOptions, demo_email
from accounts.models import Account
from playbooks.attention import AttentionWeights
from playbooks.queue import QUEUE_SIZE

SLUG = "bench"
CSMS = 10


@dataclass(frozen=True)
class Size:
    accounts: int
    iterations: int


FULL = Size(accounts=20_000, iterations=100)
QUICK = Size(accounts=2_000, iterations=30)

# The same inputs and the same formula as playbooks/queue.py and playbooks/attention.py, at the
# default weights, in one statement: the floor PostgreSQL sets for ranking these accounts.
ANCHOR_SQL = """
WITH inputs AS (
  SELECT a.id, a.name, a.renewal_date - %(today)s::date AS renewal_days,
    (SELECT s.band FROM health_healthsnapshot s
      WHERE s.workspace_id = a.workspace_id AND s.account_id = a.id
      ORDER BY s.week DESC LIMIT 1) AS band,
    (SELECT s.change FROM health_healthsnapshot s
      WHERE s.workspace_id = a.workspace_id AND s.account_id = a.id
      ORDER BY s.week DESC LIMIT 1) AS change,
    a.arr * CASE WHEN a.currency = w.default_currency THEN 1 ELSE
      (SELECT r.rate FROM csos_exchangerate r WHERE r.workspace_id = a.workspace_id
        AND r.currency = a.currency AND r.valid_from <= %(today)s
        ORDER BY r.valid_from DESC LIMIT 1) END AS arr_converted,
    COALESCE((SELECT SUM(u.assisted_value) FROM value_accountusecase p
      JOIN value_usecase u ON u.id = p.use_case_id
      WHERE p.workspace_id = a.workspace_id AND p.account_id = a.id AND p.level < 3), 0)
      AS value_delta,
    (SELECT COUNT(*) FROM playbooks_task t WHERE t.workspace_id = a.workspace_id
      AND t.account_id = a.id AND t.status = 'open'
      AND (t.snoozed_until IS NULL OR t.snoozed_until <= %(today)s)) AS open_tasks,
    (SELECT COUNT(*) FROM playbooks_task t WHERE t.workspace_id = a.workspace_id
      AND t.account_id = a.id AND t.status = 'open' AND t.due_on < %(today)s
      AND (t.snoozed_until IS NULL OR t.snoozed_until <= %(today)s)) AS overdue_tasks,
    (SELECT COUNT(*) FROM stakeholders_milestone m
      JOIN stakeholders_successplan sp ON sp.id = m.plan_id
      WHERE m.workspace_id = a.workspace_id AND sp.account_id = a.id
      AND sp.status = 'active' AND m.due_on < %(today)s
      AND m.status IN ('planned', 'in_progress')) AS overdue_milestones,
    (SELECT COUNT(*) FROM stakeholders_stakeholder p WHERE p.workspace_id = a.workspace_id
      AND p.account_id = a.id AND p.left_on BETWEEN %(since)s AND %(today)s)
    + (SELECT COUNT(*) FROM stakeholders_stakeholderstate st
      JOIN stakeholders_stakeholder p ON p.id = st.stakeholder_id
      WHERE st.workspace_id = a.workspace_id AND p.account_id = a.id
      AND st.since BETWEEN %(since)s AND %(today)s
      AND EXISTS (SELECT 1 FROM stakeholders_stakeholderstate e
        WHERE e.stakeholder_id = st.stakeholder_id AND e.since < st.since
        AND e.role <> st.role)) AS people_changes,
    %(today)s::date - (SELECT i.occurred_on FROM stakeholders_interaction i
      WHERE i.workspace_id = a.workspace_id AND i.account_id = a.id
      AND i.occurred_on <= %(today)s AND EXISTS (SELECT 1 FROM
        stakeholders_interactionparticipant ip WHERE ip.interaction_id = i.id)
      ORDER BY i.occurred_on DESC LIMIT 1) AS silence_days,
    (SELECT COUNT(*) FROM value_evidence e WHERE e.workspace_id = a.workspace_id
      AND e.account_id = a.id AND e.status IN ('unproven', 'disputed')) AS unproven
  FROM accounts_account a JOIN csos_workspace w ON w.id = a.workspace_id
  WHERE a.workspace_id = %(workspace)s AND a.owner_id = %(owner)s AND a.status = 'active'
    AND a.motion <> 'digital'
), factors AS (
  SELECT id, name,
    CASE band WHEN 'red' THEN 1.0 WHEN 'yellow' THEN 0.5 ELSE 0 END AS risk,
    LEAST(GREATEST(-COALESCE(change, 0) / 20.0, 0), 1) AS trend,
    COALESCE(LEAST(GREATEST(1 - renewal_days / %(horizon)s::float, 0), 1), 0) AS renewal,
    COALESCE(arr_converted / NULLIF(MAX(arr_converted) OVER (), 0), 0) AS arr,
    COALESCE(value_delta / NULLIF(MAX(value_delta) OVER (), 0), 0) AS value_delta,
    LEAST((open_tasks + overdue_milestones + overdue_tasks) / 6.0, 1) AS work,
    LEAST(people_changes / 2.0, 1) AS people,
    COALESCE(LEAST(silence_days / %(silence)s::float, 1), 1) AS silence,
    CASE WHEN renewal_days <= %(horizon)s THEN LEAST(unproven / 3.0, 1) ELSE 0 END AS unproven
  FROM inputs
)
SELECT id, name, ROUND((%(w_risk)s * risk + %(w_trend)s * trend + %(w_renewal)s * renewal
  + %(w_arr)s * arr + %(w_value)s * value_delta + %(w_work)s * work
  + %(w_people)s * people + %(w_silence)s * silence + %(w_unproven)s * unproven)::numeric, 2)
  AS score
FROM factors ORDER BY score DESC, id LIMIT %(limit)s
"""

ANCHOR_TEMPLATE = """<table><tbody>{% for row in rows %}
<tr><td>{{ forloop.counter }}</td><td><a href="/accounts/{{ row.0 }}/">{{ row.1 }}</a></td>
<td>{{ row.2 }}</td></tr>{% endfor %}</tbody></table>"""


def anchor_renderer(*, workspace_id: int, owner_id: int):
    weights = AttentionWeights()
    today = timezone.localdate()
    parameters = {
        "today": today,
        "since": today - dt.timedelta(days=30),
        "workspace": workspace_id,
        "owner": owner_id,
        "horizon": weights.renewal_horizon_days,
        "silence": weights.silence_horizon_days,
        "w_risk": weights.risk,
        "w_trend": weights.trend,
        "w_renewal": weights.renewal,
        "w_arr": weights.arr,
        "w_value": weights.value_delta,
        "w_work": weights.work,
        "w_people": weights.stakeholders,
        "w_silence": weights.silence,
        "w_unproven": weights.unproven,
        "limit": QUEUE_SIZE,
    }
    template = Engine().from_string(ANCHOR_TEMPLATE)

    def render() -> str:
        with connection.cursor() as cursor:
            cursor.execute(ANCHOR_SQL, parameters)
            rows = cursor.fetchall()
        return template.render(Context({"rows": rows}))

    return render


def ranked_names(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [part.split("</a>", 1)[0] for part in body.split('/">')[1:]]


def measure(*, client: Client, anchor, iterations: int):
    """Seconds per request of the queue page (full stack, real layout) and of the anchor,
    taken in turns so the machine's load at any moment weighs on both alike."""

    def ours() -> None:
        response = client.get("/queue/")
        assert response.status_code == 200, response.status_code

    for _ in range(WARMUP):
        ours()
        anchor()
    ours_timings, anchor_timings = [], []
    for _ in range(iterations):
        for run, timings in ((ours, ours_timings), (anchor, anchor_timings)):
            started = time.perf_counter()
            run()
            timings.append(time.perf_counter() - started)
    return ours_timings, anchor_timings


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 accounts, 30 iterations")
    size = QUICK if parser.parse_args().quick else FULL
    database_prepare()
    options = DemoOptions(
        today=timezone.localdate(),
        seed=SEED,
        accounts=size.accounts,
        csms=CSMS,
        slug=SLUG,
        name="Bench Analytics",
    )
    workspace, build_s = bench_workspace(options=options)
    small = small_csm(workspace=workspace, options=options)
    analyze()
    csm = get_user_model().objects.get(email=demo_email(options=options, local="csm1"))
    csm_accounts = Account.dangerously_unscoped.filter(workspace=workspace, owner=csm).count()
    client = signed_in(csm)
    anchor = anchor_renderer(workspace_id=workspace.pk, owner_id=csm.pk)
    # Same ranking: the page's top accounts are the anchor's, in the same order.
    ours_top = ranked_names(client.get("/queue/").content.decode().split("<caption", 1)[1])
    assert ours_top == ranked_names(anchor()), (ours_top[:5], ranked_names(anchor())[:5])
    log(f"Measuring {size.iterations} queue requests of a CSM with {csm_accounts:,} accounts")
    ours, anchored = measure(client=client, anchor=anchor, iterations=size.iterations)
    ours_p50, ours_p95 = percentiles(ours)
    anchor_p50, anchor_p95 = percentiles(anchored)
    queries_large = steady_query_count(signed_in(csm), "/queue/")
    queries_small = steady_query_count(signed_in(small), "/queue/")
    log(
        f"ours p50 {ours_p50} ms, p95 {ours_p95} ms; anchor p50 {anchor_p50} ms, "
        f"p95 {anchor_p95} ms; queries {queries_large} ({csm_accounts:,} accounts) vs "
        f"{queries_small} ({SMALL_BOOK} accounts)"
    )
    print(
        json.dumps(
            {
                "bench": "attention",
                "unit": "ms_p95",
                "ours": ours_p95,
                "anchor": anchor_p95,
                "ratio": round(ours_p95 / anchor_p95, 2),
                "peak_mb": peak_mb(),
                "size": Account.dangerously_unscoped.filter(workspace=workspace).count(),
                "ours_p50": ours_p50,
                "anchor_p50": anchor_p50,
                "csm_accounts": csm_accounts,
                "queries_large": queries_large,
                "queries_small": queries_small,
                "demo_build_s": None if build_s is None else round(build_s, 1),
                "iterations": size.iterations,
            }
        )
    )


if __name__ == "__main__":
    main()
