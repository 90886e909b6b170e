"""Replaying the risk rules over a small known history: the figures per rule, parameter
overrides, as-of correctness, that nothing is written, the command, and backtests run as
tasks. Times are fixed; the replay period lies in the past."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from cases import selectors, services
from cases.models import Case, CaseEvent, Contact, RiskBacktest, RiskSignal, RuleRun
from cases.risk import RULES
from cases.services.replay import RuleStatement
from tests.cases.factories import CustomerFactory, OrderFactory, ShipmentEventFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
START, END = NOW - 5 * DAY, NOW


def order(**fields):
    defaults = {"ordered_at": NOW - 10 * DAY, "shipped_at": NOW - 8 * DAY,
                "promised_delivery_at": NOW + 3 * DAY}
    return OrderFactory(**{**defaults, **fields})


def contact(order, at):
    return Contact.objects.create(customer=order.customer, order=order, channel="email",
                                  occurred_at=at, summary="Where is my parcel?")


@pytest.fixture
def history():
    """Four late orders and one scare, over the five days before NOW.

    - ``caught``: promised NOW-4d, never came; the customer wrote at NOW-3d. With a 2-hour
      grace the rule finds it at NOW-4d+3h (the first hourly step past the grace): 21 hours
      before the customer.
    - ``complained_first``: promised NOW-4d; the customer wrote an hour after the promise,
      before the grace was over; it came at NOW-2d.
    - ``silent``: promised NOW-3d, came at NOW-1d, nobody wrote.
    - ``barely``: promised NOW-2d, came 90 minutes late: inside the 2-hour grace, outside a
      zero one.
    - ``scare``: the carrier expected it after the promise, but it came on time.
    """
    orders = {
        "caught": order(promised_delivery_at=NOW - 4 * DAY),
        "complained_first": order(promised_delivery_at=NOW - 4 * DAY,
                                  delivered_at=NOW - 2 * DAY),
        "silent": order(promised_delivery_at=NOW - 3 * DAY, delivered_at=NOW - DAY),
        "barely": order(promised_delivery_at=NOW - 2 * DAY,
                        delivered_at=NOW - 2 * DAY + 90 * dt.timedelta(minutes=1)),
        "scare": order(promised_delivery_at=NOW - DAY, delivered_at=NOW - DAY - 2 * HOUR),
    }
    contact(orders["caught"], NOW - 3 * DAY)
    contact(orders["complained_first"], NOW - 4 * DAY + HOUR)
    ShipmentEventFactory(order=orders["scare"], code="in_transit", occurred_at=NOW - 3 * DAY,
                         received_at=NOW - 3 * DAY,
                         estimated_delivery_at=NOW - DAY + 5 * HOUR)
    return orders


def figures(report, key):
    return next(rule for rule in report.rules if rule.key == key)


def test_the_late_delivery_figures_on_a_known_history(history):
    report = services.replay_risk(start=START, end=END, step=HOUR, keys=["late_delivery"],
                                  params={"grace_hours": 2})

    late = figures(report, "late_delivery")
    assert report.steps == 5 * 24 + 1
    assert late.signals == late.problem_orders == 3  # caught, complained_first, silent
    assert late.with_contact == 2
    assert late.caught_before_contact == 1
    assert late.median_lead_hours == 21.0
    assert late.false_alarms == 0


def test_a_shorter_grace_finds_the_order_that_was_barely_late(history):
    strict = services.replay_risk(start=START, end=END, step=HOUR, keys=["late_delivery"],
                                  params={"late_delivery.grace_hours": "0"})

    late = figures(strict, "late_delivery")
    assert late.signals == 4
    # With no grace the rule finds "caught" at NOW-4d+1h: 23 hours ahead. "complained_first"
    # is found at the same step as the customer's email, which is not before it.
    assert (late.caught_before_contact, late.median_lead_hours) == (1, 23.0)
    assert strict.params["late_delivery"] == {"grace_hours": 0}


def test_a_warning_that_came_to_nothing_is_a_false_alarm(history):
    report = services.replay_risk(start=START, end=END, step=HOUR, keys=["at_risk"])

    # At the first step every order was still ahead of its promise, shipped 8 days before
    # and never scanned: the carrier had been silent for over 48 hours. Four of them came
    # late or not at all; "scare" came on time after all.
    at_risk = figures(report, "at_risk")
    assert (at_risk.signals, at_risk.problem_orders, at_risk.false_alarms) == (5, 4, 1)
    # "caught" 48 hours before its customer wrote, "complained_first" 25 hours before.
    assert (at_risk.with_contact, at_risk.caught_before_contact) == (2, 2)
    assert at_risk.median_lead_hours == 36.5


def test_a_replay_only_uses_what_was_known_at_each_step():
    # The carrier reported the loss at NOW-2d, but it reached the desk after the period.
    lost = order(promised_delivery_at=NOW + 3 * DAY)
    ShipmentEventFactory(order=lost, code="lost", occurred_at=NOW - 2 * DAY,
                         received_at=NOW + HOUR)

    before = services.replay_risk(start=START, end=END, step=HOUR, keys=["carrier_exception"])
    after = services.replay_risk(start=START, end=END + 2 * HOUR, step=HOUR,
                                 keys=["carrier_exception"])

    assert figures(before, "carrier_exception").signals == 0
    assert figures(after, "carrier_exception").signals == 1
    assert figures(after, "carrier_exception").problem_orders == 1  # lost: a real problem


def test_a_customer_signal_counts_the_customers_first_contact_in_the_period():
    customer = CustomerFactory()
    first = order(customer=customer, ordered_at=NOW - 20 * DAY,
                  promised_delivery_at=NOW - 10 * DAY, delivered_at=NOW - 9 * DAY)
    order(customer=customer, ordered_at=NOW - 6 * DAY, promised_delivery_at=NOW - 3 * DAY)
    contact(first, NOW - 9 * DAY)  # before the period: not the complaint we race
    Contact.objects.create(customer=customer, channel="phone", occurred_at=NOW - DAY,
                           summary="Again?")

    report = services.replay_risk(start=START, end=END, step=HOUR,
                                  keys=["repeated_trouble"])

    trouble = figures(report, "repeated_trouble")
    # The second order became late (past promise + 2 h) at NOW-3d+3h: 45 hours before the call.
    assert (trouble.signals, trouble.problem_orders, trouble.with_contact) == (1, 1, 1)
    assert (trouble.caught_before_contact, trouble.median_lead_hours) == (1, 45.0)


def test_a_replay_writes_nothing(history):
    services.replay_risk(start=START, end=END, step=HOUR)

    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not RiskSignal.objects.exists()
    assert not RuleRun.objects.exists()


@pytest.mark.parametrize(("arguments", "field", "message"), [
    ({"keys": ["nope"]}, "rule_key", "There is no risk rule nope."),
    ({"params": {"grace_hours": "soon"}}, "params", "grace_hours must be a whole number"),
    ({"params": {"grace_hours": "99999"}}, "params", "grace_hours must be between"),
    ({"params": {"colour": "1"}}, "params", "No rule replayed has a parameter colour."),
    ({"params": {"at_risk.silent_hours": "5"}, "keys": ["late_delivery"]}, "params",
     "at_risk is not one of the rules replayed"),
    ({"end": START}, "end", "The period must end after it starts."),
    ({"end": dt.datetime(2099, 1, 1, tzinfo=dt.UTC)}, "end", "must end by now"),
    ({"step": dt.timedelta(0)}, "step", "The step must be longer than zero."),
    ({"step": dt.timedelta(seconds=30)}, "step", "14,401 steps; at most 8,784"),
])
def test_a_bad_request_is_refused_naming_what_is_wrong(arguments, field, message):
    request = {"start": START, "end": END, "step": HOUR, **arguments}

    with pytest.raises(ValidationError) as refused:
        services.replay_risk(**request)

    assert message in " ".join(refused.value.message_dict[field])


# --- the command ------------------------------------------------------------------------------


def test_the_command_prints_a_table_per_rule(history, capsys):
    call_command("replay_risk", "--start", START.isoformat(), "--end", END.isoformat(),
                 "--rule", "late_delivery", "--param", "grace_hours=2")

    out = capsys.readouterr().out
    assert "121 steps" in out
    row = next(line for line in out.splitlines() if line.startswith("late_delivery"))
    assert row.split() == ["late_delivery", "3", "3", "2", "1", "50%", "21.0", "0"]
    assert "late_delivery: grace_hours=2" in out


def test_the_command_prints_json(history, capsys):
    call_command("replay_risk", "--start", START.isoformat(), "--end", END.isoformat(),
                 "--step", "1h", "--rule", "late_delivery", "--json")

    data = json.loads(capsys.readouterr().out)
    assert data["steps"] == 121 and data["step_minutes"] == 60
    assert data["rules"] == [{
        "key": "late_delivery", "label": "Late delivery", "signals": 3, "problem_orders": 3,
        "with_contact": 2, "caught_before_contact": 1, "median_lead_hours": 21.0,
        "false_alarms": 0}]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--step", "1 hour"], "--step '1 hour' is not a duration"),
    (["--param", "grace_hours"], "--param 'grace_hours' is not KEY=VALUE"),
    (["--param", "grace_hours=-1"], "--param: grace_hours must be between"),
    (["--end", "yesterday"], "--end 'yesterday' is not an ISO 8601 time"),
])
def test_the_command_refuses_bad_arguments(arguments, message):
    flags = {"--start": START.isoformat(), "--end": END.isoformat()}
    flags.update(zip(arguments[::2], arguments[1::2], strict=True))

    with pytest.raises(CommandError) as refused:
        call_command("replay_risk", *[part for pair in flags.items() for part in pair])

    assert message in str(refused.value)


# --- backtests from the Rules page ------------------------------------------------------------


def test_a_backtest_runs_on_a_worker_and_keeps_the_figures(
    history, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        backtest = services.start_backtest(
            rule_key="late_delivery", params={"grace_hours": "2"}, start=START, end=END,
            step=HOUR, requested_by=manager)

    backtest.refresh_from_db()
    assert backtest.status == RiskBacktest.Status.DONE
    assert backtest.started_at and backtest.finished_at
    rows = selectors.backtest_rows(backtest=backtest)
    assert [(row.key, row.signals, row.caught_before_contact, row.median_lead_hours)
            for row in rows] == [("late_delivery", 3, 1, 21.0)]
    # Run again (a retried task): nothing changes, nothing runs twice.
    assert services.run_backtest(backtest_id=backtest.pk) is None


def test_a_backtest_is_checked_before_it_is_queued(manager):
    with pytest.raises(ValidationError) as refused:
        services.start_backtest(rule_key="late_delivery", params={"grace_hours": "x"},
                                start=START, end=END, step=HOUR, requested_by=manager)

    assert "params" in refused.value.message_dict
    assert not RiskBacktest.objects.exists()


def test_a_backtest_whose_worker_died_is_asked_for_again(manager):
    backtest = RiskBacktest.objects.create(
        rule_key="late_delivery", start=START, end=END, step_minutes=60, status="running",
        started_at=NOW - DAY, requested_by=manager)

    assert services.requeue_stale_backtests() == 1  # eager: the task runs at once

    backtest.refresh_from_db()
    assert backtest.status == RiskBacktest.Status.DONE


@pytest.mark.parametrize("key", sorted(RULES))
def test_a_rule_compiled_once_gives_the_sql_compiled_at_each_step(key):
    params = RULES[key].clean_params({})
    statement = RuleStatement(key, params)

    for moment in (START, START + 7 * HOUR + dt.timedelta(minutes=13), END):
        sql, values = RULES[key].matches(moment, params).query.sql_with_params()
        assert statement.at(moment) == (sql, list(values))


def random_history(seed: int) -> None:
    """Orders of a dozen customers over the replay period and the ten days before it, in
    every state the rules look at: late, delivered late or on time, never shipped, scanned
    with estimates, silent, carrier trouble reported late, critical or not."""
    rng = random.Random(seed)
    customers = [CustomerFactory() for _ in range(12)]
    codes = ["in_transit", "in_transit", "delayed", "out_for_delivery", "exception",
             "failed_attempt", "damaged", "lost", "returned_to_sender"]
    for _ in range(90):
        ordered = START - 10 * DAY + rng.uniform(0, 14) * DAY
        promised = None if rng.random() < 0.1 else ordered + rng.uniform(1, 6) * DAY
        shipped = ordered + rng.uniform(0.1, 3) * DAY if rng.random() < 0.85 else None
        delivered = None
        if shipped and rng.random() < 0.6:
            delivered = shipped + rng.uniform(0.5, 8) * DAY
        placed = order(customer=rng.choice(customers), ordered_at=ordered,
                       promised_delivery_at=promised, shipped_at=shipped,
                       delivered_at=delivered, critical=rng.random() < 0.3)
        scan = (shipped or ordered) + rng.uniform(1, 30) * HOUR
        for _event in range(rng.randint(0, 3)):
            last = delivered or END
            if scan > last:
                break
            ShipmentEventFactory(
                order=placed, code=rng.choice(codes), occurred_at=scan,
                received_at=scan + rng.choice([1, 5, 60, 600, 3000]) * dt.timedelta(minutes=1),
                estimated_delivery_at=(scan + rng.uniform(0, 6) * DAY
                                       if rng.random() < 0.4 else None))
            scan += rng.uniform(2, 60) * HOUR


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_incremental_replay_finds_what_full_evaluation_finds(seed):
    random_history(seed)
    arguments = {"start": START, "end": END, "step": 3 * HOUR}

    fast = services.replay_risk(**arguments)
    full = services.replay_risk(**arguments, incremental=False)

    assert fast.detections == full.detections
    assert len(full.detections) > 20  # the history gives every rule something to find
    # Every rule about orders (the desk's own; feedback's has no feedback to find here).
    assert {key for key, _subject in full.detections} == {
        key for key, rule in RULES.items() if type(rule).__module__ == "cases.risk"}
    assert fast.as_dict() == full.as_dict()
