"""Measurements of the proactive risk engine on the full order book: each rule's match query
(PostgreSQL's own execution time, from ``EXPLAIN ANALYZE``), the first run of every rule
(a full run, which opens the cases for every order already in trouble), a second run with
nothing changed and a run after 10k new carrier events (both incremental: they re-check
what changed since the previous run), and a 30-day replay at one-hour steps.

Everything happens inside one transaction that is rolled back at the end, so the benchmark
database keeps its data and every ``make bench`` measures the same first run. Memory is the
process's peak resident size after each run and how much the run raised it: a worker's
memory is flat when later runs do not raise it.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import connection, transaction
from django.utils import timezone

from cases import services
from cases.models import Case, Order, RiskRule, RuleRun, ShipmentEvent
from cases.risk import RULES
from cases.schemas import ShipmentEventIn
from tests.bench.measure import Options, Row

NEW_EVENTS = 10_000
EVENT_BATCH = 1_000  # an API batch
REPLAY_DAYS = 30

T = TypeVar("T")


class Rollback(Exception):
    """Raised to leave the measuring transaction without keeping anything."""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measured(call: Callable[[], T]) -> tuple[float, float, T]:
    """Milliseconds, the growth of the process's peak resident size in MB, and the result.
    (``tracemalloc`` would slow the ORM's Python threefold and distort the timing.)"""
    before = peak_rss_mb()
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, peak_rss_mb() - before, result


def vacuum(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


def explain_ms(sql: str, params: tuple) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    plan = plan[0] if isinstance(plan, list) else plan
    return plan["Execution Time"]


def new_events(now: dt.datetime, count: int, rng: random.Random) -> list[ShipmentEventIn]:
    """What carriers send in a busy few minutes: scans of parcels on their way, most of them
    ordinary, some delivered, a few in trouble."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_ref FROM cases_order WHERE delivered_at IS NULL AND "
            "shipped_at IS NOT NULL ORDER BY id DESC LIMIT %s", [count])
        refs = [ref for (ref,) in cursor.fetchall()]
    codes = ([ShipmentEvent.Code.IN_TRANSIT] * 70 + [ShipmentEvent.Code.OUT_FOR_DELIVERY] * 10
             + [ShipmentEvent.Code.DELIVERED] * 15 + [ShipmentEvent.Code.DELAYED] * 3
             + [ShipmentEvent.Code.EXCEPTION] * 2)
    events = []
    for number in range(count):
        code = rng.choice(codes)
        occurred = now - dt.timedelta(minutes=rng.uniform(1, 30))
        events.append(ShipmentEventIn(
            order_ref=refs[number % len(refs)], code=code.value,
            occurred_at=occurred, location="Oslo", description="",
            estimated_delivery_at=(now + dt.timedelta(days=3)
                                   if code == ShipmentEvent.Code.DELAYED else None),
        ))
    return events


def run_row(what: str, volume: str, call: Callable[[], list[RuleRun]]) -> Row:
    elapsed, grown_mb, runs = measured(call)
    failed = [run.rule.key for run in runs if run.status != RuleRun.Status.SUCCEEDED]
    if failed:
        raise RuntimeError(f"{what}: rules failed: {', '.join(failed)}")
    new = sum(run.signals_new for run in runs)
    cleared = sum(run.signals_cleared for run in runs)
    opened = sum(run.cases_opened for run in runs)
    return Row(what, volume, elapsed, None, None,
               f"{new:,} new / {cleared:,} cleared signals, {opened:,} cases opened; "
               f"RSS peak {peak_rss_mb():,.0f} MB (+{grown_mb:,.0f})")


def risk_engine(options: Options) -> list[Row]:
    orders = Order.objects.count()
    events = ShipmentEvent.objects.count()
    volume = f"{orders:,} orders, {events:,} events"
    rows: list[Row] = []
    now = timezone.now()
    try:
        with transaction.atomic():
            for row in services.sync_rules():
                RiskRule.objects.filter(pk=row.pk).update(enabled=True)
            for key, rule in RULES.items():
                params = rule.clean_params(services.rule_row(key).params)
                sql, params_ = rule.matches(now, params).query.sql_with_params()
                rows.append(Row(f"Risk rule {key}: match query (EXPLAIN ANALYZE)", volume,
                                explain_ms(sql, params_)))
            cases_before = Case.objects.count()
            rows.append(run_row("Risk checks, first run of all rules", volume,
                                lambda: services.run_enabled_rules(as_of=now)))
            first_runs = RuleRun.objects.filter(as_of=now).select_related("rule")
            for run in first_runs.order_by("rule__key"):
                rows.append(Row(f"  first run: {run.rule.key}", f"{run.rows_examined:,} examined",
                                run.duration_ms, None, None,
                                f"{run.signals_new:,} signals, {run.cases_opened:,} cases"))
            later = now + dt.timedelta(minutes=5)
            rows.append(run_row("Risk checks, unchanged run", volume,
                                lambda: services.run_enabled_rules(as_of=later)))
            batch = new_events(later, NEW_EVENTS, random.Random(20261130))
            ingest_ms = 0.0
            for start in range(0, len(batch), EVENT_BATCH):
                started = time.perf_counter()
                services.record_shipment_events(events=batch[start:start + EVENT_BATCH])
                ingest_ms += (time.perf_counter() - started) * 1000
            rows.append(Row("Carrier events recorded (API batches of 1,000)",
                            f"{NEW_EVENTS:,} events", ingest_ms, None, None,
                            f"{NEW_EVENTS / ingest_ms * 1000:,.0f} events/s"))
            after = later + dt.timedelta(minutes=5)
            rows.append(run_row(f"Risk checks, after {NEW_EVENTS:,} new events", volume,
                                lambda: services.run_enabled_rules(as_of=after)))
            opened = Case.objects.count() - cases_before
            rows.append(Row("Cases the runs opened", volume, throughput=f"{opened:,} cases"))
            raise Rollback
    except Rollback:
        pass
    # The rolled-back run left its rows behind as dead tuples (about 28k cases, 60k
    # signals, their timeline): clean them up now, or every later page (and the next
    # ``make bench``) reads through them — the queue measured 40 ms instead of 22.
    vacuum(["cases_case", "cases_case_orders", "cases_caseevent", "cases_risksignal",
            "cases_impact", "cases_impact_orders", "cases_rulerun", "cases_outboundemail"])
    # Vacuum frees the dead entries but not the pages the open-case indexes grew by (the
    # queue's partial index went from 0.9 to 25 MB over a few runs, and the queue's counts
    # read all of it): rebuild the cases' indexes, a second at this size.
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_case_orders"):
            cursor.execute(f'REINDEX TABLE "{table}"')

    end = now.replace(minute=0, second=0, microsecond=0)
    elapsed, grown_mb, report = measured(lambda: services.replay_risk(
        start=end - dt.timedelta(days=REPLAY_DAYS), end=end, step=dt.timedelta(hours=1)))
    found = ", ".join(f"{rule.key} {rule.signals:,}" for rule in report.rules)
    rows.append(Row(f"replay_risk, {REPLAY_DAYS} days at 1-hour steps, all rules", volume,
                    elapsed, None, None,
                    f"{report.steps:,} steps; signals: {found}; RSS peak {peak_rss_mb():,.0f} MB "
                    f"(+{grown_mb:,.0f})"))
    return rows
