"""The risk engine on real Celery workers and PostgreSQL: two workers running one rule at
the same moment, and a worker killed in the middle of a run.

To catch the workers mid-run without sleeping, the test holds the row locks of the
customers the run is about to lock (the engine locks them before opening cases): the runs
stop there until the test lets go, and ``pg_stat_activity`` tells when they are waiting.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import psycopg
import pytest

from cases import services, tasks
from cases.models import Case, CaseEvent, RiskSignal, RuleRun
from tests.cases.factories import OrderFactory
from tests.celery_worker import database_url, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
LATE_ORDERS = 5




@pytest.fixture
def late_orders(postgres):
    services.update_rule(key="late_delivery", changes=services.RuleSettings(
        enabled=True, params={"grace_hours": 0}, owner_team=None, outreach=False))
    return [OrderFactory(ordered_at=NOW - dt.timedelta(days=9),
                         promised_delivery_at=NOW - dt.timedelta(days=1))
            for _ in range(LATE_ORDERS)]


class CustomerLocks:
    """Row locks on the customers, held by a connection of the test's own."""

    def __init__(self, customer_ids: list[int]):
        self.connection = psycopg.connect(database_url(), autocommit=False)
        self.connection.execute(
            "SELECT id FROM cases_customer WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [customer_ids],
        ).fetchall()

    def waiting(self) -> int:
        """How many other sessions wait for a lock in this database."""
        with psycopg.connect(database_url(), autocommit=True) as probe:
            return probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).fetchone()[0]

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def enqueue_run() -> None:
    tasks.run_risk_rule.delay(key="late_delivery", as_of=NOW.isoformat())


def succeeded_runs() -> int:
    return RuleRun.objects.filter(status=RuleRun.Status.SUCCEEDED).count()


def assert_one_case_per_signal() -> None:
    signals = list(RiskSignal.objects.all())
    assert len(signals) == LATE_ORDERS
    assert Case.objects.count() == LATE_ORDERS
    assert len({signal.case_id for signal in signals}) == LATE_ORDERS
    assert CaseEvent.objects.filter(kind="signal").count() == LATE_ORDERS
    assert CaseEvent.objects.filter(kind="opened").count() == LATE_ORDERS


def test_two_workers_running_one_rule_at_once_open_one_case_per_signal(
    redis_url, late_orders
):
    locks = CustomerLocks([order.customer_id for order in late_orders])
    try:
        with running_worker(redis_url=redis_url) as first:
            enqueue_run()
            wait_for(lambda: locks.waiting() >= 1, worker=first, what="the first run")
            with running_worker(redis_url=redis_url) as second:
                enqueue_run()
                # the second run waits on the first's new signals (the unique constraint)
                wait_for(lambda: locks.waiting() >= 2, worker=second, what="the second run")
                locks.release()
                wait_for(lambda: succeeded_runs() == 2, worker=second, what="both runs")
    finally:
        if not locks.connection.closed:
            locks.release()

    assert_one_case_per_signal()
    runs = sorted(RuleRun.objects.values_list("signals_new", "cases_opened"))
    assert runs == [(0, 0), (LATE_ORDERS, LATE_ORDERS)]


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(redis_url, late_orders):
    locks = CustomerLocks([order.customer_id for order in late_orders])
    with running_worker(redis_url=redis_url) as doomed:
        enqueue_run()
        # The run has stored its signals and now waits to lock the customers.
        wait_for(lambda: locks.waiting() >= 1, worker=doomed, what="the run to start")
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=10)
    locks.release()
    deadline = time.monotonic() + 30
    while locks.waiting() and time.monotonic() < deadline:  # its session ends, rolled back
        time.sleep(0.1)

    assert not RiskSignal.objects.exists()
    assert not Case.objects.exists()
    assert RuleRun.objects.get().status == RuleRun.Status.RUNNING  # until the sweeper

    with running_worker(redis_url=redis_url) as retry:
        enqueue_run()  # the next beat tick, or the broker redelivering the message
        wait_for(lambda: succeeded_runs() == 1, worker=retry, what="the retried run")

    assert_one_case_per_signal()
