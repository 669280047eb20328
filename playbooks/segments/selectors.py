"""Reads of segmentation: the facts rules test, where each account stands, what a change of
rules would move, and the history of placements."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import Case, DecimalField, F, QuerySet, Value, When

from accounts.models import (
    SEGMENTATION_ATTRIBUTES,
    Account,
    AccountStatus,
    LifecycleStage,
    Motion,
    ValueProblem,
)
from csos.selectors import rate_to_workspace_currency
from health.models import Band
from health.selectors import latest_band_subquery
from playbooks.segments import conditions as c
from playbooks.segments.models import (
    SegmentationRun,
    SegmentChange,
    SegmentRule,
    SegmentSettings,
)
from value.selectors import highest_level_subquery

RENEWAL_EXPOSURE_DAYS = 180

FIELDS: dict[str, c.Field] = {
    field.key: field
    for field in (
        c.Field("arr", "ARR (workspace currency)", c.NUMBER),
        *(
            c.Field(name, Account._meta.get_field(name).verbose_name.capitalize(), c.SCALE)
            for name in SEGMENTATION_ATTRIBUTES
        ),
        c.Field(
            "renewal_exposure",
            f"ARR renewing within {RENEWAL_EXPOSURE_DAYS} days",
            c.NUMBER,
        ),
        c.Field("lifecycle_stage", "Lifecycle stage", c.CHOICE, tuple(LifecycleStage.choices)),
        c.Field("health_band", "Health band", c.CHOICE, tuple(Band.choices)),
        c.Field("proven_level", "Proven ladder level", c.LEVEL),
    )
}
MONEY = DecimalField(max_digits=24, decimal_places=2)


@dataclass(frozen=True)
class Ruleset:
    """Rules in the order they are tried, their parsed conditions, and the default outcome."""

    rules: list[SegmentRule]
    conditions: list[c.Condition]
    default_motion: str
    default_value_problem: str

    def outcome(self, position: int) -> tuple[str, str, int | None, str]:
        """Motion, value problem, rule id and rule name for a position of ``rules_match``."""
        if position == c.DEFAULT:
            return self.default_motion, self.default_value_problem, None, "Default"
        rule = self.rules[position]
        return rule.motion, rule.value_problem, rule.pk, rule.name


def segment_settings() -> SegmentSettings:
    """The workspace's segment settings, or the defaults (unsaved) where it has set none."""
    return SegmentSettings.objects.first() or SegmentSettings()


def rule_list() -> QuerySet[SegmentRule]:
    return SegmentRule.objects.select_related("updated_by").order_by("priority", "pk")


def rule_condition(rule: SegmentRule) -> c.Condition:
    return c.condition_parse({"match": rule.match, "clauses": rule.clauses}, fields=FIELDS)


def rule_texts(rule: SegmentRule) -> list[str]:
    """The rule's conditions as a person reads them."""
    return [c.clause_text(clause, FIELDS[clause.field]) for clause in rule_condition(rule).clauses]


def ruleset(
    *, rules: list[SegmentRule] | None = None, settings: SegmentSettings | None = None
) -> Ruleset:
    """The saved rules and default, or the candidates a dry run passes in their place."""
    rules = list(rule_list()) if rules is None else sorted(rules, key=lambda r: r.priority)
    settings = settings or segment_settings()
    return Ruleset(
        rules=rules,
        conditions=[rule_condition(rule) for rule in rules],
        default_motion=settings.default_motion,
        default_value_problem=settings.default_value_problem,
    )


def converted_arr(*, on: date) -> F:
    """An expression: the account's ARR in the workspace's currency at the rates of ``on``;
    NULL when its currency has no rate."""
    return F("arr") * rate_to_workspace_currency(currency_field="currency", on=on)


def account_facts(*, today: date, account_ids: list[int] | None = None) -> pd.DataFrame:
    """One row per active account: every fact rules may test, its current placement, its ARR
    converted; one query."""
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    horizon = today + timedelta(days=RENEWAL_EXPOSURE_DAYS)
    rows = (
        accounts.order_by()
        .annotate(
            arr_converted=converted_arr(on=today),
            renewal_exposure=Case(
                When(renewal_date__gte=today, renewal_date__lte=horizon, then=F("arr_converted")),
                default=Value(Decimal(0)),
                output_field=MONEY,
            ),
            health_band=latest_band_subquery(),
            proven_level=highest_level_subquery(),
        )
        .values_list(
            "pk",
            "motion",
            "value_problem",
            "arr_converted",
            "renewal_exposure",
            *SEGMENTATION_ATTRIBUTES,
            "lifecycle_stage",
            "health_band",
            "proven_level",
        )
    )
    columns = [
        "account_id",
        "motion",
        "value_problem",
        "arr",
        "renewal_exposure",
        *SEGMENTATION_ATTRIBUTES,
        "lifecycle_stage",
        "health_band",
        "proven_level",
    ]
    frame = pd.DataFrame.from_records(list(rows), columns=columns)
    for money in ("arr", "renewal_exposure"):
        frame[money] = pd.to_numeric(frame[money], errors="coerce").astype(float)
    # Where the currency has no rate, the renewal exposure is unknown, not zero.
    frame.loc[frame["arr"].isna(), "renewal_exposure"] = np.nan
    return frame


def placements(frame: pd.DataFrame, rules: Ruleset) -> pd.DataFrame:
    """Each account's placement under ``rules``: position, motion, value problem, rule."""
    positions = c.rules_match(frame, rules.conditions)
    outcomes = {p: rules.outcome(p) for p in positions.unique()}
    placed = pd.DataFrame(
        [outcomes[p] for p in positions],
        columns=["to_motion", "to_value_problem", "rule_id", "rule_name"],
        index=frame.index,
    )
    placed["position"] = positions
    return placed


@dataclass
class Move:
    """Accounts one change of rules moves from one placement to another."""

    from_motion: str
    from_value_problem: str
    to_motion: str
    to_value_problem: str
    accounts: int
    arr: Decimal
    unconverted: int

    @property
    def from_label(self) -> str:
        return placement_label(self.from_motion, self.from_value_problem)

    @property
    def to_label(self) -> str:
        return placement_label(self.to_motion, self.to_value_problem)


def placement_label(motion: str, value_problem: str) -> str:
    if not motion:
        return "Not placed"
    return f"{Motion(motion).label} · {ValueProblem(value_problem).label}"


def dry_run(*, rules: Ruleset, today: date) -> list[Move]:
    """What applying ``rules`` would move, per (from → to): how many accounts and how much ARR
    in the workspace's currency (``unconverted``: accounts whose currency has no rate)."""
    frame = account_facts(today=today)
    placed = placements(frame, rules)
    moved = frame.join(placed)
    moved = moved[
        (moved["motion"] != moved["to_motion"])
        | (moved["value_problem"] != moved["to_value_problem"])
    ]
    groups = moved.groupby(
        ["motion", "value_problem", "to_motion", "to_value_problem"], sort=True
    ).agg(
        accounts=("account_id", "size"),
        arr=("arr", "sum"),
        unconverted=("arr", lambda arr: int(arr.isna().sum())),
    )
    return [
        Move(
            *key,
            accounts=int(row.accounts),
            arr=Decimal(str(round(row.arr, 2))),
            unconverted=row.unconverted,
        )
        for key, row in groups.sort_values("accounts", ascending=False, kind="stable").iterrows()
    ]


def current_placements(*, account_ids: list[int] | None = None) -> pd.DataFrame:
    """Each account's latest placement (the rule and its name), one query."""
    changes = SegmentChange.objects.order_by("account_id", "-at", "-pk").distinct("account_id")
    if account_ids is not None:
        changes = changes.filter(account_id__in=account_ids)
    return pd.DataFrame.from_records(
        list(changes.values_list("account_id", "rule_id", "rule_name")),
        columns=["account_id", "placed_rule_id", "placed_rule_name"],
    )


def run_list() -> QuerySet[SegmentationRun]:
    return SegmentationRun.objects.select_related("started_by")


def run_progress(*, run: SegmentationRun) -> dict:
    """What the run's page shows: accounts examined so far of those to examine."""
    return {"done": run.account_count if run.is_finished else 0, "total": run.account_count}


def change_list() -> QuerySet[SegmentChange]:
    return SegmentChange.objects.select_related("account").order_by("-at", "-pk")


def account_segment_panel(*, request, account: Account) -> dict:
    """The account page's panel: its placement, the rule behind it and why, its history."""
    changes = list(SegmentChange.objects.filter(account=account).order_by("-at", "-pk")[:6])
    return {
        "account": account,
        "placement": changes[0] if changes else None,
        "history": changes[:5],
        "more": len(changes) > 5,
    }
