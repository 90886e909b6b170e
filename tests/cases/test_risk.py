"""The proactive risk rules on hand-built timelines, and the engine that stores what they
find and opens cases: as-of correctness, boundaries, idempotence, clearing, attaching,
failures, outreach and team alerts. Time is an argument, never the clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from cases import services
from cases.models import (
    Case,
    CaseEvent,
    Customer,
    OutboundEmail,
    Priority,
    ProactiveOutreach,
    RiskRule,
    RiskSignal,
    RuleRun,
    Team,
    TeamAlert,
)
from cases.risk import RULES, Rule, get_rule, register_rule
from tests.cases.factories import CaseFactory, CustomerFactory, OrderFactory, ShipmentEventFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def found(rule_key: str, as_of: dt.datetime = NOW, **params) -> dict[str, dict]:
    """The subjects a rule finds as of a moment, with their facts."""
    rule = get_rule(rule_key)
    rows = rule.matches(as_of, rule.clean_params(params))
    return {row["subject_key"]: row for row in rows}


def key(order) -> str:
    return f"order:{order.pk}"


def order(**fields):
    """An order placed ten days before NOW, shipped eight days before, promised in three
    days; override what a test needs."""
    defaults = {"ordered_at": NOW - 10 * DAY, "shipped_at": NOW - 8 * DAY,
                "promised_delivery_at": NOW + 3 * DAY}
    return OrderFactory(**{**defaults, **fields})


def scan(order, at: dt.datetime, code: str = "in_transit", received: dt.datetime | None = None,
         **fields):
    return ShipmentEventFactory(order=order, code=code, occurred_at=at,
                                received_at=received or at, **fields)


def enable(key: str, **fields) -> RiskRule:
    row = services.rule_row(key)
    for name, value in {"enabled": True, **fields}.items():
        setattr(row, name, value)
    row.save()
    return row


# --- late delivery --------------------------------------------------------------------------


def test_late_delivery_finds_an_undelivered_order_past_its_promise():
    late = order(promised_delivery_at=NOW - 5 * HOUR)
    on_time = order(promised_delivery_at=NOW + DAY)
    arrived = order(promised_delivery_at=NOW - 5 * HOUR, delivered_at=NOW - 6 * HOUR)

    signals = found("late_delivery", grace_hours=2)

    assert set(signals) == {key(late)}
    assert {key(on_time), key(arrived)}.isdisjoint(signals)
    assert signals[key(late)]["customer_id"] == late.customer_id


def test_late_delivery_waits_for_the_grace_period():
    at_the_edge = order(promised_delivery_at=NOW - 2 * HOUR)
    just_past = order(promised_delivery_at=NOW - 2 * HOUR - dt.timedelta(seconds=1))

    assert set(found("late_delivery", grace_hours=2)) == {key(just_past)}
    assert key(at_the_edge) in found("late_delivery", grace_hours=1)


def test_late_delivery_ignores_what_was_recorded_after_the_moment():
    delivered_later = order(promised_delivery_at=NOW - 5 * HOUR, delivered_at=NOW + HOUR)
    placed_later = order(ordered_at=NOW + HOUR, promised_delivery_at=NOW - 5 * HOUR)

    signals = found("late_delivery", grace_hours=0)

    assert key(delivered_later) in signals  # as of NOW it had not arrived
    assert key(placed_later) not in signals  # as of NOW it did not exist
    assert key(delivered_later) not in found("late_delivery", as_of=NOW + 2 * HOUR)


# --- at risk --------------------------------------------------------------------------------


def test_at_risk_when_the_carrier_now_expects_it_after_the_promise():
    slipping = order()
    scan(slipping, NOW - HOUR, estimated_delivery_at=NOW + 4 * DAY)
    fine = order()
    scan(fine, NOW - HOUR, estimated_delivery_at=NOW + 2 * DAY)

    signals = found("at_risk")

    assert set(signals) == {key(slipping)}
    assert signals[key(slipping)]["facts"]["reason"] == "estimate_after_promise"


def test_at_risk_uses_the_newest_estimate_known_at_the_moment():
    recovered = order()
    scan(recovered, NOW - 5 * HOUR, estimated_delivery_at=NOW + 4 * DAY)
    scan(recovered, NOW - HOUR, code="out_for_delivery", estimated_delivery_at=NOW + DAY)
    news_after_now = order()
    scan(news_after_now, NOW - HOUR)
    scan(news_after_now, NOW + HOUR, estimated_delivery_at=NOW + 9 * DAY)
    received_late = order()
    scan(received_late, NOW - 2 * HOUR)
    scan(received_late, NOW - HOUR, received=NOW + HOUR, estimated_delivery_at=NOW + 9 * DAY)

    signals = found("at_risk")

    assert {key(recovered), key(news_after_now), key(received_late)}.isdisjoint(signals)
    assert key(news_after_now) in found("at_risk", as_of=NOW + 2 * HOUR)


def test_at_risk_when_the_carrier_has_gone_quiet():
    quiet = order()
    scan(quiet, NOW - 49 * HOUR)
    recent = order()
    scan(recent, NOW - 47 * HOUR)
    never_scanned = order(shipped_at=NOW - 3 * DAY)

    signals = found("at_risk", silent_hours=48)

    assert set(signals) == {key(quiet), key(never_scanned)}
    assert signals[key(quiet)]["facts"]["reason"] == "no_scan"


def test_at_risk_when_it_has_not_shipped_close_to_the_promise():
    close = order(shipped_at=None, promised_delivery_at=NOW + 20 * HOUR)
    far = order(shipped_at=None, promised_delivery_at=NOW + 30 * HOUR)
    shipped_after_now = order(shipped_at=NOW + HOUR, promised_delivery_at=NOW + 20 * HOUR)

    signals = found("at_risk", ship_by_hours=24)

    assert set(signals) == {key(close), key(shipped_after_now)}
    assert key(far) not in signals
    assert signals[key(close)]["facts"]["reason"] == "not_shipped"


def test_in_the_present_the_orders_columns_give_the_same_answer_as_the_events(monkeypatch):
    from django.utils import timezone

    from cases import risk
    from cases.schemas import ShipmentEventIn

    now = timezone.now()
    slipping, quiet, fine, never = (order(ordered_at=now - 10 * DAY, shipped_at=now - 8 * DAY,
                                          promised_delivery_at=now + 3 * DAY)
                                    for _ in range(4))
    events = [
        (slipping, now - 2 * HOUR, now + 5 * DAY), (slipping, now - HOUR, now + 6 * DAY),
        (quiet, now - 60 * HOUR, None), (fine, now - 70 * HOUR, now + 5 * DAY),
        (fine, now - HOUR, now + 2 * DAY),
    ]
    services.record_shipment_events(events=[ShipmentEventIn.model_validate({
        "order_ref": parcel.external_ref, "code": "in_transit", "occurred_at": at,
        "estimated_delivery_at": estimate}) for parcel, at, estimate in events])

    checked = timezone.now()  # after the events were received
    live = {k: row["facts"]["reason"] for k, row in found("at_risk", as_of=checked).items()}
    monkeypatch.setattr(risk, "LIVE_WINDOW", -DAY)  # nothing counts as the present
    from_events = {k: row["facts"]["reason"]
                   for k, row in found("at_risk", as_of=checked).items()}
    assert live == from_events == {key(slipping): "estimate_after_promise",
                                   key(quiet): "no_scan", key(never): "no_scan"}


# --- carrier exception ----------------------------------------------------------------------


def test_a_carrier_exception_is_a_signal_until_the_order_arrives():
    stuck = order()
    scan(stuck, NOW - HOUR, code="exception", description="Address not found")
    failed_then_delivered = order(delivered_at=NOW - HOUR)
    scan(failed_then_delivered, NOW - 5 * HOUR, code="failed_attempt")
    damaged = order(delivered_at=NOW - HOUR)
    scan(damaged, NOW - 2 * HOUR, code="damaged")
    reported_later = order()
    scan(reported_later, NOW + HOUR, code="lost")

    signals = found("carrier_exception")

    assert set(signals) == {key(stuck), key(damaged)}
    assert signals[key(stuck)]["facts"]["event"]["code"] == "exception"
    assert signals[key(stuck)]["facts"]["event"]["note"] == "Address not found"


# --- critical order watch -------------------------------------------------------------------


def test_the_critical_watch_only_looks_at_critical_orders():
    critical = order(critical=True, promised_delivery_at=NOW - HOUR)
    ordinary = order(critical=False, promised_delivery_at=NOW - HOUR)
    critical_exception = order(critical=True)
    scan(critical_exception, NOW - HOUR, code="exception")

    signals = found("critical_order_watch", grace_hours=0)

    assert set(signals) == {key(critical), key(critical_exception)}
    assert signals[key(critical)]["facts"]["reason"] == "late"
    assert signals[key(critical_exception)]["facts"]["reason"] == "carrier_exception"
    assert key(ordinary) not in signals


# --- repeated trouble -----------------------------------------------------------------------


def test_repeated_trouble_finds_customers_with_several_problem_orders():
    troubled = CustomerFactory()
    order(customer=troubled, ordered_at=NOW - 20 * DAY, promised_delivery_at=NOW - 15 * DAY,
          delivered_at=NOW - 12 * DAY)  # arrived late
    order(customer=troubled, promised_delivery_at=NOW - 5 * HOUR)  # late now
    once = CustomerFactory()
    order(customer=once, promised_delivery_at=NOW - 5 * HOUR)
    long_ago = CustomerFactory()
    for _ in range(2):
        order(customer=long_ago, ordered_at=NOW - 200 * DAY,
              promised_delivery_at=NOW - 190 * DAY, delivered_at=NOW - 180 * DAY)

    signals = found("repeated_trouble", problem_orders=2, window_days=90)

    assert set(signals) == {f"customer:{troubled.pk}"}
    assert signals[f"customer:{troubled.pk}"]["order_id"] is None
    assert signals[f"customer:{troubled.pk}"]["facts"]["problem_orders"] == 2


# --- parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    ({"grace_hours": "soon"}, "grace_hours must be a whole number"),
    ({"grace_hours": -1}, "grace_hours must be between 0 and"),
    ({"grace_hours": True}, "grace_hours must be a whole number"),
    ({"colour": 1}, "no parameter colour"),
])
def test_a_bad_parameter_is_refused_with_its_name(params, message):
    services.rule_row("late_delivery")
    with pytest.raises(ValidationError) as error:
        services.update_rule(key="late_delivery", changes=services.RuleSettings(
            enabled=True, params=params, owner_team=None, outreach=False))

    assert message in str(error.value)
    assert RiskRule.objects.get(key="late_delivery").enabled is False  # nothing saved


def test_parameters_are_saved_typed_with_defaults_filled_in():
    row = services.update_rule(key="at_risk", changes=services.RuleSettings(
        enabled=True, params={"silent_hours": "36"}, owner_team=None, outreach=True))

    assert row.params == {"silent_hours": 36, "ship_by_hours": 24}
    assert (row.enabled, row.outreach) == (True, True)


# --- the engine -----------------------------------------------------------------------------


def test_a_run_opens_a_proactive_case_with_the_facts_at_the_runs_time():
    team = Team.objects.create(name="Nordics", email="nordics@desk.example")
    enable("late_delivery", owner_team=team)
    late = order(promised_delivery_at=NOW - 2 * DAY, value=Decimal("800.00"), currency="NOK")

    run = services.run_rule(key="late_delivery", as_of=NOW)

    assert (run.status, run.signals_new, run.cases_opened) == ("succeeded", 1, 1)
    assert run.rows_examined == 1 and run.as_of == NOW
    case = Case.objects.get()
    assert (case.origin, case.kind, case.status) == ("proactive", "late_delivery", "new")
    assert (case.opened_at, case.opened_by_rule, case.team) == (NOW, "late_delivery", team)
    assert list(case.orders.all()) == [late]
    assert case.due_at is not None and case.first_customer_contact_at is None
    opened, signal = case.events.order_by("pk")
    assert (opened.kind, opened.actor_kind, opened.created_at) == ("opened", "rule", NOW)
    assert signal.kind == "signal" and signal.created_at == NOW
    assert signal.data["facts"]["order"] == late.external_ref
    assert signal.data["predicted_impact"] == {"value_at_stake": "800.00", "currency": "NOK",
                                               "days_late": 2.0}
    stored = RiskSignal.objects.get()
    assert (stored.case, stored.detected_at, stored.cleared_at) == (case, NOW, None)


def test_the_case_page_shows_what_the_rule_saw_and_the_predicted_impact(advocate_client):
    from django.urls import reverse

    enable("carrier_exception")
    parcel = order(value=Decimal("1249.90"), currency="EUR")
    scan(parcel, NOW - HOUR, code="damaged", description="Pallet <crushed>")
    services.run_rule(key="carrier_exception", as_of=NOW)

    page = advocate_client.get(reverse("cases:case", args=[Case.objects.get().pk]))

    content = page.content.decode()
    assert "Carrier exception" in content and "Proactive rule" in content
    assert "Order value at stake" in content and "1,249.90 EUR" in content
    assert "Damaged (Pallet &lt;crushed&gt;)" in content  # the carrier's text, escaped


def test_running_again_finds_the_signal_already_there():
    enable("late_delivery")
    order(promised_delivery_at=NOW - DAY)

    first = services.run_rule(key="late_delivery", as_of=NOW)
    second = services.run_rule(key="late_delivery", as_of=NOW + HOUR)

    assert (first.signals_new, first.cases_opened) == (1, 1)
    assert (second.signals_new, second.signals_open, second.cases_opened) == (0, 1, 0)
    assert (RiskSignal.objects.count(), Case.objects.count()) == (1, 1)


def test_a_cleared_signal_is_marked_and_its_case_says_so():
    enable("late_delivery")
    late = order(promised_delivery_at=NOW - DAY)
    services.run_rule(key="late_delivery", as_of=NOW)
    late.delivered_at = NOW + HOUR
    late.save()

    run = services.run_rule(key="late_delivery", as_of=NOW + 2 * HOUR)

    assert (run.signals_cleared, run.signals_open) == (1, 0)
    signal = RiskSignal.objects.get()
    assert signal.cleared_at == NOW + 2 * HOUR
    cleared = signal.case.events.filter(kind="signal").order_by("-pk").first()
    assert cleared.data["cleared"] is True and late.external_ref in cleared.message
    assert cleared.created_at == NOW + 2 * HOUR


def test_signals_for_a_customer_with_an_open_case_attach_to_it(advocate):
    customer = CustomerFactory()
    existing = CaseFactory(customer=customer, orders=[], actor=advocate)
    first = order(customer=customer, promised_delivery_at=NOW - DAY)
    second = order(customer=customer, promised_delivery_at=NOW - 2 * DAY)
    enable("late_delivery")

    run = services.run_rule(key="late_delivery", as_of=NOW)

    assert (run.signals_new, run.cases_opened) == (2, 0)
    assert Case.objects.count() == 1
    assert set(existing.orders.all()) == {first, second}
    assert existing.events.filter(kind="signal").count() == 2


def test_two_signals_of_one_customer_open_one_case():
    customer = CustomerFactory()
    for days in (1, 2):
        order(customer=customer, promised_delivery_at=NOW - days * DAY)
    enable("late_delivery")

    run = services.run_rule(key="late_delivery", as_of=NOW)

    assert (run.signals_new, run.cases_opened) == (2, 1)
    assert Case.objects.get().orders.count() == 2


def test_a_rule_more_urgent_than_an_open_case_raises_its_priority(advocate):
    customer = CustomerFactory()
    existing = CaseFactory(customer=customer, orders=[], actor=advocate)
    assert existing.priority > Priority.URGENT
    order(customer=customer, critical=True, promised_delivery_at=NOW - HOUR)
    enable("critical_order_watch")

    services.run_rule(key="critical_order_watch", as_of=NOW)

    existing.refresh_from_db()
    assert existing.priority == Priority.URGENT
    assert existing.events.filter(kind="priority", actor_kind="rule").exists()


class Broken(Rule):
    key = "broken_for_tests"
    label = "Broken"
    description = "Raises."
    case_kind = Case.Kind.OTHER

    def matches(self, as_of, params, since=None):
        raise RuntimeError("the carrier feed is down")


@pytest.fixture
def broken_rule():
    register_rule(Broken)
    yield RULES[Broken.key]
    del RULES[Broken.key]


def test_a_rule_that_raises_records_its_error_and_the_others_still_run(broken_rule):
    enable("late_delivery")
    enable(Broken.key)
    order(promised_delivery_at=NOW - DAY)

    runs = {run.rule.key: run for run in services.run_enabled_rules(as_of=NOW)}

    assert runs[Broken.key].status == RuleRun.Status.FAILED
    assert "RuntimeError: the carrier feed is down" in runs[Broken.key].error
    assert runs[Broken.key].finished_at is not None
    assert runs["late_delivery"].status == RuleRun.Status.SUCCEEDED
    assert Case.objects.count() == 1


def test_a_run_whose_worker_died_is_marked_failed_by_the_sweeper():
    row = services.rule_row("late_delivery")
    stale = RuleRun.objects.create(rule=row, as_of=NOW, started_at=NOW - 2 * HOUR)

    assert services.fail_stale_runs() == 1

    stale.refresh_from_db()
    assert stale.status == RuleRun.Status.FAILED and "stopped" in stale.error


# --- telling the customer and the team ------------------------------------------------------


def test_outreach_tells_the_customer_at_once_in_their_language_once_a_day(
    smtp_server, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(language=Customer.Language.IT, name="Giulia Rossi")
    first = order(customer=customer, promised_delivery_at=NOW - DAY)
    enable("late_delivery", outreach=True)
    enable("carrier_exception", outreach=True)

    with django_capture_on_commit_callbacks(execute=True):
        services.run_rule(key="late_delivery", as_of=NOW)
    case = Case.objects.get()
    case.status = Case.Status.RESOLVED
    case.outcome, case.resolved_at = Case.Outcome.RETAINED, NOW
    case.save()
    second = order(customer=customer)
    scan(second, NOW - HOUR, code="exception")
    with django_capture_on_commit_callbacks(execute=True):
        services.run_rule(key="carrier_exception", as_of=NOW + HOUR)

    assert Case.objects.count() == 2  # a second case, the same day: no second email
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert first.external_ref in message["Subject"] and "ce ne stiamo occupando" in message[
        "Subject"]
    assert message["Content-Language"] == "it"
    assert ProactiveOutreach.objects.get().case == case
    case.refresh_from_db()
    assert case.first_proactive_contact_at == NOW
    assert case.events.filter(kind="email").count() == 1
    # the send task retried: it finds the email sent and sends nothing
    email = OutboundEmail.objects.get()
    assert services.send_customer_email(email_id=email.pk) is None
    assert len(smtp_server.messages) == 1


def test_outreach_is_off_by_default():
    enable("late_delivery")
    order(promised_delivery_at=NOW - DAY)

    services.run_rule(key="late_delivery", as_of=NOW)

    assert not OutboundEmail.objects.exists()


def test_a_critical_order_tells_the_owner_team_at_once(smtp_server,
                                                        django_capture_on_commit_callbacks):
    team = Team.objects.create(name="Key accounts", email="keys@desk.example")
    enable("critical_order_watch", owner_team=team)
    critical = order(critical=True, promised_delivery_at=NOW - HOUR)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_rule(key="critical_order_watch", as_of=NOW)

    case = Case.objects.get()
    assert case.priority == Priority.URGENT
    alert = TeamAlert.objects.get()
    assert alert.run == run and alert.sent_at is not None
    assert [m["To"] for m in smtp_server.messages] == ["keys@desk.example"]
    assert critical.external_ref in smtp_server.messages[0].get_content()
    assert services.send_team_alert(alert_id=alert.pk) is None  # a retry sends nothing
    assert len(smtp_server.messages) == 1


# --- the command ----------------------------------------------------------------------------


def test_run_risk_checks_runs_as_of_the_given_time(capsys):
    order(promised_delivery_at=NOW - DAY)

    call_command("run_risk_checks", "--rule", "late_delivery", "--now", "2026-11-20T13:00:00Z")

    output = capsys.readouterr().out
    assert "Risk checks as of 2026-11-20T13:00:00+00:00" in output
    assert "late_delivery" in output and "succeeded" in output
    assert Case.objects.get().opened_at == NOW + HOUR
    assert set(CaseEvent.objects.values_list("created_at", flat=True)) == {NOW + HOUR}


def test_run_risk_checks_says_when_no_rule_is_enabled(capsys):
    call_command("run_risk_checks")

    assert "No rule is enabled" in capsys.readouterr().out


def test_run_risk_checks_refuses_a_bad_time():
    with pytest.raises(CommandError, match="not an ISO 8601 time"):
        call_command("run_risk_checks", "--now", "yesterday")
