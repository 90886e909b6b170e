"""Live risk runs re-check only what changed since the previous run. They must leave the
desk exactly as a full evaluation would: the same signals found, the same cleared, the same
cases opened — whether the change was a carrier event, a delivery, an order sent late
through the API with dates in the past, or only time passing (a grace period running out,
a promise passing, the repeated-trouble window moving on)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import pytest
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.models import Case, Order, RiskRule, RiskSignal, RuleRun
from cases.risk import RULES
from cases.schemas import CustomerIn, OrderIn, ShipmentEventIn
from tests.cases.factories import CustomerFactory, OrderFactory, ShipmentEventFactory
from tests.celery_worker import database_url

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def key(order: Order) -> str:
    return f"order:{order.pk}"


def event(order: Order, code: str, at: dt.datetime, **fields) -> ShipmentEventIn:
    return ShipmentEventIn(order_ref=order.external_ref, code=code, occurred_at=at, **fields)


def signals() -> dict[tuple[str, str], bool]:
    """Every signal: (rule, subject) → still open."""
    return {(rule, subject): cleared is None for rule, subject, cleared in
            RiskSignal.objects.values_list("rule__key", "subject_key", "cleared_at")}


def desk() -> tuple[dict, list]:
    cases = sorted(Case.objects.filter(origin=Case.Origin.PROACTIVE).values_list(
        "customer_id", "kind", "priority", "opened_by_rule"))
    return signals(), cases


@pytest.fixture
def history():
    """An order book as of now, written long ago (so nothing in it counts as changed), with
    every rule finding something."""
    now = timezone.now().replace(microsecond=0)
    old = now - 3 * DAY

    def order(**fields) -> Order:
        defaults = {"ordered_at": now - 10 * DAY, "shipped_at": now - 8 * DAY,
                    "promised_delivery_at": now + 3 * DAY}
        return OrderFactory(**{**defaults, **fields})

    def scan(target: Order, at: dt.datetime, code: str = "in_transit", **fields) -> None:
        ShipmentEventFactory(order=target, code=code, occurred_at=at, received_at=at, **fields)

    book = {
        "late": order(promised_delivery_at=now - DAY),
        "late_stays": order(promised_delivery_at=now - DAY),
        "becoming_late": order(promised_delivery_at=now - HOUR - 50 * dt.timedelta(minutes=1)),
        "estimate_after": order(promised_delivery_at=now + 2 * DAY),
        "promise_passing": order(promised_delivery_at=now + 10 * dt.timedelta(minutes=1),
                                 shipped_at=None),
        "going_quiet": order(shipped_at=now - 3 * DAY),
        "troubled_later": order(),
        "critical": order(promised_delivery_at=now - HOUR, critical=True),
        "quiet": order(),
    }
    scan(book["estimate_after"], now - DAY, "delayed", estimated_delivery_at=now + 4 * DAY)
    scan(book["going_quiet"], now - 48 * HOUR + 10 * dt.timedelta(minutes=1))
    scan(book["quiet"], now - 2 * HOUR)
    # A customer whose two late deliveries span the 90-day window: the older leaves it
    # during the next half hour.
    regular = CustomerFactory()
    for placed in (now - 90 * DAY + 10 * dt.timedelta(minutes=1), now - 20 * DAY):
        order(customer=regular, ordered_at=placed, shipped_at=placed + DAY,
              promised_delivery_at=placed + 3 * DAY, delivered_at=placed + 6 * DAY)
    # A customer with one late order; the shop later sends a second one, back-dated.
    book["second_late"] = order(promised_delivery_at=now - 2 * DAY)
    services.refresh_delivery(order_refs=list(Order.objects.values_list(
        "external_ref", flat=True)))
    Order.objects.update(updated_at=old)
    for rule in services.sync_rules():
        RiskRule.objects.filter(pk=rule.pk).update(enabled=True,
                                                   updated_at=now - 2 * DAY)
    return now, book


def change_the_world(now: dt.datetime, book: dict[str, Order]) -> None:
    """Half an hour of a live desk: carriers report, the shop sends an order late."""
    services.record_shipment_events(events=[
        event(book["late"], "delivered", now + 5 * dt.timedelta(minutes=1)),
        event(book["critical"], "delivered", now + 6 * dt.timedelta(minutes=1)),
        event(book["estimate_after"], "delayed", now + 7 * dt.timedelta(minutes=1),
              estimated_delivery_at=now + DAY),
        event(book["troubled_later"], "exception", now + 8 * dt.timedelta(minutes=1)),
    ])
    customer = book["second_late"].customer
    services.upsert_orders(orders=[OrderIn(
        external_ref="O-BACKDATED",
        customer=CustomerIn(external_ref=customer.external_ref, name=customer.name,
                            email=customer.email),
        value=Decimal("80.00"), currency="EUR", ordered_at=now - 5 * DAY,
        promised_delivery_at=now - DAY, shipped_at=now - 4 * DAY,
    )])


def test_an_incremental_run_leaves_the_desk_as_a_full_run_would(history):
    now, book = history
    first = services.run_enabled_rules(as_of=now)
    assert {run.full for run in first} == {True}
    assert {run.status for run in first} == {RuleRun.Status.SUCCEEDED}
    before = signals()
    assert before[("late_delivery", key(book["late"]))]
    assert before[("at_risk", key(book["promise_passing"]))]
    assert ("late_delivery", key(book["becoming_late"])) not in before

    change_the_world(now, book)
    later = now + 30 * dt.timedelta(minutes=1)
    with transaction.atomic():
        incremental = services.run_enabled_rules(as_of=later)
        assert {run.full for run in incremental} == {False}
        assert {run.status for run in incremental} == {RuleRun.Status.SUCCEEDED}
        seen = desk()
        transaction.set_rollback(True)
    full = services.run_enabled_rules(as_of=later, full=True)
    assert {run.full for run in full} == {True}
    assert seen == desk()

    found = seen[0]
    backdated = Order.objects.get(external_ref="O-BACKDATED")
    assert found[("late_delivery", key(book["late"]))] is False  # delivered: cleared
    assert found[("critical_order_watch", key(book["critical"]))] is False
    assert found[("late_delivery", key(book["late_stays"]))] is True
    assert found[("late_delivery", key(book["becoming_late"]))] is True  # grace ran out
    assert found[("at_risk", key(book["estimate_after"]))] is False  # new estimate
    assert found[("at_risk", key(book["promise_passing"]))] is False  # promise passed
    assert found[("at_risk", key(book["going_quiet"]))] is True  # silent for 48 h
    assert found[("carrier_exception", key(book["troubled_later"]))] is True
    assert found[("late_delivery", key(backdated))] is True  # sent late, dated back
    regular = f"customer:{book['second_late'].customer_id}"
    assert found[("repeated_trouble", regular)] is True
    window_left = [subject for (rule, subject), open_ in found.items()
                   if rule == "repeated_trouble" and not open_]
    assert len(window_left) == 1  # the customer whose older late order left the window


def test_an_incremental_run_reads_only_what_changed(history):
    now, book = history
    services.run_enabled_rules(as_of=now)
    services.record_shipment_events(events=[
        event(book["quiet"], "in_transit", now + dt.timedelta(minutes=1))])
    runs = services.run_enabled_rules(as_of=now + 5 * dt.timedelta(minutes=1))
    orders = Order.objects.count()
    late = next(run for run in runs if run.rule.key == "late_delivery")
    assert not late.full
    # The one order scanned, and nothing else: no late order crossed its grace period.
    assert late.rows_examined == 1
    assert late.signals_new == late.signals_cleared == 0
    assert late.signals_open == RiskSignal.objects.filter(
        rule__key="late_delivery", cleared_at__isnull=True).count() > 0
    assert all(run.rows_examined < orders for run in runs)


def test_a_run_is_full_when_the_rules_settings_changed(history):
    now, _book = history
    services.run_enabled_rules(as_of=now)
    later = now + 5 * dt.timedelta(minutes=1)
    services.update_rule(key="late_delivery", changes=services.RuleSettings(
        enabled=True, params={"grace_hours": 1}, owner_team=None, outreach=False))
    runs = {run.rule.key: run for run in services.run_enabled_rules(as_of=later)}
    assert runs["late_delivery"].full
    assert not runs["at_risk"].full


def test_a_run_is_full_when_time_goes_back_or_the_last_full_run_is_old(history, settings):
    now, _book = history
    services.run_enabled_rules(as_of=now)
    (back,) = services.run_enabled_rules(as_of=now - 2 * dt.timedelta(minutes=1),
                                         keys=["late_delivery"])
    assert back.full  # a moment before the last run: nothing to go on from
    settings.RISK_FULL_RUN_INTERVAL = 600
    (soon,) = services.run_enabled_rules(as_of=now + 5 * dt.timedelta(minutes=1),
                                         keys=["at_risk"])
    assert not soon.full
    (late,) = services.run_enabled_rules(as_of=now + 11 * dt.timedelta(minutes=1),
                                         keys=["at_risk"])
    assert late.full  # the safety net: a full run at least every RISK_FULL_RUN_INTERVAL


def test_a_simulated_past_moment_is_always_a_full_run(history):
    now, _book = history
    past = now - 30 * DAY
    services.run_enabled_rules(as_of=past)
    runs = services.run_enabled_rules(as_of=past + HOUR)
    assert {run.full for run in runs} == {True}
    assert len(runs) == len(RULES)


@pytest.mark.django_db(transaction=True)
def test_a_write_still_uncommitted_during_a_run_is_rechecked_by_the_next(history, settings,
                                                                        postgres):
    """An API batch that stamped an order before a run began but committed after it: the
    run cannot see it, so its watermark stays at that transaction's start, and the next
    run re-checks the order."""
    settings.RISK_RECHECK_MARGIN = 0  # the watermark alone must find it
    now, book = history
    services.run_enabled_rules(as_of=now, keys=["late_delivery"])
    target = book["late_stays"]
    other = psycopg.connect(database_url())
    try:
        with other.cursor() as cursor:  # delivered, stamped, not yet committed
            cursor.execute("SELECT 1")  # the transaction begins; then, as services do:
            cursor.execute("UPDATE cases_order SET delivered_at = %s, updated_at = %s "
                           "WHERE id = %s", [now, timezone.now(), target.pk])
        (blind,) = services.run_enabled_rules(as_of=now + dt.timedelta(minutes=1),
                                              keys=["late_delivery"])
        assert not blind.full and blind.signals_cleared == 0  # it cannot see the delivery
        other.commit()
    finally:
        other.close()
    (next_run,) = services.run_enabled_rules(as_of=now + 2 * dt.timedelta(minutes=1),
                                             keys=["late_delivery"])
    assert not next_run.full
    assert next_run.signals_cleared == 1
    assert signals()[("late_delivery", key(target))] is False
