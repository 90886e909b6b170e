"""Reads for the Rules page: each risk rule's settings and recent runs, whether it has
stopped succeeding, and how often the desk got to a problem before the customer did.

The page costs a fixed number of queries whatever the number of rules and runs: the
settings rows in one query (with the time of their last successful run as a subquery), the
last runs of every rule in one more, the proactivity figures in two. Runs pile up (one per
rule every few minutes): every read of them is an index range on (rule, started_at).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.dates import day_start
from cases.models import Case, RiskBacktest, RiskRule, RuleRun
from cases.risk import RULES, Rule

RECENT_RUNS = 10
# A rule that has not succeeded for this many check intervals is shown as stale.
STALE_INTERVALS = 3
PROACTIVITY_DAYS = 30


# --- rules and their runs -----------------------------------------------------------------


def risk_rules() -> QuerySet[RiskRule]:
    """The rules' settings rows with their owner team, ``last_success_at`` (when the
    newest successful run finished, or None) and ``runs_since`` (when the
    ``RECENT_RUNS``-th newest run started; None when there are fewer): each an index probe
    on (rule, started_at)."""
    runs = RuleRun.objects.filter(rule=OuterRef("pk")).order_by("-started_at", "-pk")
    return (
        RiskRule.objects.select_related("owner_team", "updated_by")
        .annotate(
            last_success_at=Subquery(
                runs.filter(status=RuleRun.Status.SUCCEEDED).values("finished_at")[:1]),
            runs_since=Subquery(runs.values("started_at")[RECENT_RUNS - 1:RECENT_RUNS]),
        )
        .order_by("key")
    )


def recent_runs(*, rules: Sequence[RiskRule]) -> dict[int, list[RuleRun]]:
    """The newest ``RECENT_RUNS`` runs of each of ``risk_rules()``, newest first, in one
    query that reads each rule's runs from its ``runs_since`` on: an index range per rule,
    however long the history (a window function would number every run ever made)."""
    if not rules:
        return {}
    wanted = reduce(or_, (
        Q(rule_id=rule.pk, started_at__gte=rule.runs_since) if rule.runs_since
        else Q(rule_id=rule.pk) for rule in rules))
    runs: dict[int, list[RuleRun]] = defaultdict(list)
    for run in RuleRun.objects.filter(wanted).order_by("rule_id", "-started_at", "-pk"):
        if len(runs[run.rule_id]) < RECENT_RUNS:  # runs started at the same moment
            runs[run.rule_id].append(run)
    return runs


@dataclass(frozen=True)
class RuleOverview:
    """One card of the Rules page: the rule as code, its settings and its recent runs."""

    rule: Rule
    row: RiskRule  # unsaved, with the defaults, until the rule first runs or is saved
    runs: list[RuleRun]
    last_success_at: dt.datetime | None
    stale: bool  # enabled, and no success within STALE_INTERVALS check intervals

    @property
    def key(self) -> str:
        return self.rule.key


def stale_after() -> dt.timedelta:
    """How long an enabled rule may go without a successful run before the page warns."""
    return dt.timedelta(seconds=STALE_INTERVALS * settings.RISK_CHECK_INTERVAL)


def rule_overviews(*, now: dt.datetime | None = None) -> list[RuleOverview]:
    """Every registered rule, in the registry's order. Reading writes nothing: a rule
    without a settings row yet is shown with the row ``rule_row`` would create."""
    now = now or timezone.now()
    rows = {row.key: row for row in risk_rules()}
    runs = recent_runs(rules=[row for key, row in rows.items() if key in RULES])
    limit = now - stale_after()
    overviews = []
    for key, rule in RULES.items():
        row = rows.get(key) or RiskRule(key=key, params=rule.clean_params({}))
        last = getattr(row, "last_success_at", None)
        overviews.append(RuleOverview(
            rule=rule, row=row, runs=runs.get(row.pk, []), last_success_at=last,
            stale=row.enabled and (last is None or last < limit),
        ))
    return overviews


# --- proactivity: caught before the customer complained -------------------------------------


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)``: the (interpolated) median, in the database."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    name = "Median"


@dataclass(frozen=True)
class ProactivityRow:
    """Cases opened in the period that the customer contacted us about, and how many of
    them a rule had opened before that first contact, with the median head start."""

    key: str  # a rule key; "" for cases no rule opened; "*" for all cases
    label: str
    with_contact: int
    caught: int
    median_lead_hours: float | None  # over the caught cases; None when none was caught

    @property
    def share(self) -> float | None:
        """Caught / with contact, from 0 to 1; None when no case had a contact."""
        return self.caught / self.with_contact if self.with_contact else None

    @property
    def percent(self) -> float | None:
        return None if self.share is None else self.share * 100


@dataclass(frozen=True)
class Proactivity:
    since: dt.date
    until: dt.date  # inclusive
    overall: ProactivityRow
    rules: list[ProactivityRow]  # every registered rule, then keys no longer registered
    no_rule: ProactivityRow  # cases no rule opened: never caught by one


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last ``PROACTIVITY_DAYS`` days, today included."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=PROACTIVITY_DAYS - 1), today


def _hours(value: dt.timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 3600


def proactivity(*, since: dt.date, until: dt.date) -> Proactivity:
    """For the cases opened from ``since`` to ``until`` (whole days, local time) that have
    a ``first_customer_contact_at``: per rule that opened them and overall, how many were
    caught before complaint (opened by a rule before the customer's first contact) and the
    median lead time in hours (first contact - opened) over the caught ones.

    Cases no rule opened (``opened_by_rule`` blank: contacts, manual, NPS, feedback) count in
    the overall figures as not caught by a rule.

    Two queries. The counts are one ``GROUP BY``. The medians, per rule and overall, are
    one aggregate computed by PostgreSQL (``percentile_cont``); on other databases (SQLite
    has no median) the caught cases' lead times are read with ``values_list`` and the
    medians taken in Python, which is fine for the few thousand cases a period holds on a
    laptop database. No case caught: no second query.
    """
    start, end = day_start(since), day_start(until + dt.timedelta(days=1))
    cases = Case.objects.filter(opened_at__gte=start, opened_at__lt=end,
                                first_customer_contact_at__isnull=False).order_by()
    caught = Q(opened_at__lt=F("first_customer_contact_at")) & ~Q(opened_by_rule="")
    lead = ExpressionWrapper(F("first_customer_contact_at") - F("opened_at"),
                             output_field=DurationField())

    counts = {
        group["opened_by_rule"]: group
        for group in cases.values("opened_by_rule").annotate(
            with_contact=Count("pk"), caught=Count("pk", filter=caught))
    }
    medians: dict[str, float | None] = {}
    overall_median = None
    caught_keys = sorted(key for key, group in counts.items() if group["caught"])
    if caught_keys and connection.vendor == "postgresql":
        # One query: the overall median is not a function of the per-rule medians.
        found = cases.filter(caught).aggregate(
            overall=Median(lead, output_field=DurationField()),
            **{f"rule_{number}": Median(lead, filter=Q(opened_by_rule=key),
                                        output_field=DurationField())
               for number, key in enumerate(caught_keys)},
        )
        overall_median = _hours(found["overall"])
        medians = {key: _hours(found[f"rule_{number}"])
                   for number, key in enumerate(caught_keys)}
    elif caught_keys:
        leads: dict[str, list[float]] = {}
        for key, value in cases.filter(caught).values_list("opened_by_rule", lead):
            leads.setdefault(key, []).append(_hours(value))
        medians = {key: statistics.median(values) for key, values in leads.items()}
        overall_median = statistics.median(
            [value for values in leads.values() for value in values])

    def row(key: str, label: str) -> ProactivityRow:
        group = counts.get(key, {})
        return ProactivityRow(key=key, label=label, with_contact=group.get("with_contact", 0),
                              caught=group.get("caught", 0), median_lead_hours=medians.get(key))

    rules = [row(key, str(rule.label)) for key, rule in RULES.items()]
    rules += [row(key, key) for key in sorted(counts) if key and key not in RULES]
    return Proactivity(
        since=since, until=until,
        overall=ProactivityRow(
            key="*", label=str(_("All cases")),
            with_contact=sum(group["with_contact"] for group in counts.values()),
            caught=sum(group["caught"] for group in counts.values()),
            median_lead_hours=overall_median,
        ),
        rules=rules,
        no_rule=row("", str(_("No rule (contact, manual, NPS, feedback)"))),
    )


# --- backtests ----------------------------------------------------------------------------

BACKTEST_FINISHED = (RiskBacktest.Status.DONE, RiskBacktest.Status.FAILED)
RECENT_BACKTESTS = 5


def risk_backtest(*, pk: int) -> RiskBacktest:
    """One backtest with who asked for it; ``RiskBacktest.DoesNotExist`` when there is none."""
    return RiskBacktest.objects.select_related("requested_by").get(pk=pk)


def recent_backtests() -> list[RiskBacktest]:
    """The newest backtests, for the Rules page to link to."""
    return list(RiskBacktest.objects.select_related("requested_by")
                .order_by("-created_at", "-pk")[:RECENT_BACKTESTS])


@dataclass(frozen=True)
class BacktestRow:
    """One rule's figures in a finished backtest."""

    key: str
    label: str
    signals: int
    problem_orders: int
    caught_before_contact: int
    with_contact: int
    median_lead_hours: float | None
    false_alarms: int

    @property
    def percent(self) -> float | None:
        """Of the problem orders the customer contacted us about, the share caught first."""
        if not self.with_contact:
            return None
        return self.caught_before_contact / self.with_contact * 100


def backtest_rows(*, backtest: RiskBacktest) -> list[BacktestRow]:
    """The per-rule figures of a backtest's result (none until it is done)."""
    rows = []
    for figures in (backtest.result or {}).get("rules", []):
        key = figures.get("key", "")
        rule = RULES.get(key)
        rows.append(BacktestRow(
            key=key, label=str(rule.label) if rule else figures.get("label") or key,
            signals=figures.get("signals", 0), problem_orders=figures.get("problem_orders", 0),
            caught_before_contact=figures.get("caught_before_contact", 0),
            with_contact=figures.get("with_contact", 0),
            median_lead_hours=figures.get("median_lead_hours"),
            false_alarms=figures.get("false_alarms", 0),
        ))
    return rows
