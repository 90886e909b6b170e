"""The proactive risk engine: run a rule as of a moment, store what it found, open cases
before the customer complains, clear what is no longer true.

One run of one rule is one transaction. The rule's matches are computed once into a
temporary table; new signals go in with ``INSERT … SELECT … ON CONFLICT DO NOTHING`` under
the unique (rule, subject key) constraint, so two workers running the same rule at once, or
a run retried after its worker was killed, store each signal once and open one case for it.
Signals whose condition no longer holds are marked cleared in the same pass. Everything the
run writes (signals, cases, timeline) carries the run's ``as_of`` time, so a month can be
simulated hour by hour with ``run_risk_checks --now``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import zlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import tasks
from cases.models import (
    Case,
    CaseEvent,
    Customer,
    Order,
    OutboundEmail,
    Priority,
    ProactiveOutreach,
    RiskRule,
    RiskSignal,
    RuleRun,
    SlaTarget,
    Team,
    TeamAlert,
)
from cases.risk import LIVE_WINDOW, RULES, Rule, get_rule, is_live
from cases.services.bulk import copy_rows, in_ids, insert_rows, new_ids
from cases.services.desk import PRIORITY_FACTORS, SEVERITY_POINTS, TIER_POINTS
from cases.services.email import customer_language, draft_customer_email
from cases.services.pending import register_pending_work

logger = logging.getLogger(__name__)

MATCHES_TABLE = "risk_matches"
SUBJECTS_TABLE = "risk_changed_subjects"
# Advisory locks (two-key form) of the risk engine: one per rule, held by its run.
RISK_LOCK_SPACE = 70_001
SIGNAL_COLUMNS = ("id", "rule", "subject_key", "customer", "order", "facts", "severity",
                  "detected_at", "cleared_at", "case")
# The timeline entries a run writes, as rows in this order.
EVENT_COLUMNS = ("case", "created_at", "kind", "actor_kind", "actor", "actor_label", "message",
                 "data")
STALE_RUN_AFTER = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class RuleSettings:
    """What a manager may change about a rule; ``params`` as typed, validated here."""

    enabled: bool
    params: dict
    owner_team: Team | None
    outreach: bool


def rule_row(key: str) -> RiskRule:
    """The rule's settings row, created (disabled, default parameters) on first use."""
    rule = get_rule(key)
    row, _created = RiskRule.objects.get_or_create(
        key=key, defaults={"params": rule.clean_params({})})
    return row


def sync_rules() -> list[RiskRule]:
    """A settings row for every registered rule, in the registry's order."""
    return [rule_row(key) for key in RULES]


def update_rule(*, key: str, changes: RuleSettings, actor=None) -> RiskRule:
    """Save a manager's settings, with who changed them; a bad parameter is refused with a
    message naming it."""
    rule = get_rule(key)
    try:
        params = rule.clean_params(changes.params)
    except ValueError as error:
        raise ValidationError({"params": str(error)}) from None
    row = rule_row(key)
    row.enabled, row.params = changes.enabled, params
    row.owner_team, row.outreach = changes.owner_team, changes.outreach
    row.updated_by = actor
    row.save()
    return row


# --- running a rule -------------------------------------------------------------------------


def run_rule(*, key: str, as_of: dt.datetime | None = None, full: bool = False) -> RuleRun:
    """Run one rule as of ``as_of`` (now by default) and record the run. A rule that raises
    leaves its error on the run and changes nothing else; the caller carries on.

    A run in the present re-checks only what changed since the rule's previous run (see
    ``_incremental_window``); ``full`` forces an evaluation over every order."""
    as_of = as_of or timezone.now()
    rule = get_rule(key)
    row = rule_row(key)
    window = None if full else _incremental_window(row, as_of)
    run = RuleRun.objects.create(rule=row, as_of=as_of, full=window is None)
    try:
        with transaction.atomic():
            watermark = _watermark()
            counts = _evaluate(rule, row, run, as_of, window)
    except Exception as error:
        logger.exception("Risk rule %s failed as of %s", key, as_of.isoformat())
        RuleRun.objects.filter(pk=run.pk).update(
            status=RuleRun.Status.FAILED, finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000])
    else:
        RuleRun.objects.filter(pk=run.pk).update(
            status=RuleRun.Status.SUCCEEDED, finished_at=timezone.now(), watermark=watermark,
            **counts)
    run.refresh_from_db()
    return run


def run_enabled_rules(*, as_of: dt.datetime | None = None,
                      keys: list[str] | None = None, full: bool = False) -> list[RuleRun]:
    """Run every enabled rule (or just ``keys``, enabled or not) in this process."""
    sync_rules()
    chosen = keys or list(RiskRule.objects.filter(enabled=True).values_list("key", flat=True))
    return [run_rule(key=key, as_of=as_of, full=full) for key in chosen if key in RULES]


@dataclass(frozen=True)
class Window:
    """What an incremental run re-checks: time thresholds crossed since ``since`` (the
    previous run's moment) and orders stamped updated after ``changed_since``."""

    since: dt.datetime
    changed_since: dt.datetime


def _watermark() -> dt.datetime:
    """The moment from which the next incremental run must look for changed orders: now,
    or the start of the oldest transaction still open on the database, whose writes this
    run cannot see yet but whose ``updated_at`` stamps cannot be older than its start."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        return now
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")
        (oldest,) = cursor.fetchone()
    return now if oldest is None else min(now, oldest)


def _incremental_window(row: RiskRule, as_of: dt.datetime) -> Window | None:
    """What a live run may re-check instead of evaluating everything, or None for a full
    run.

    Between two runs in the present a rule's answer changes only for orders whose data
    changed (ingestion and the orders API stamp ``updated_at`` on every order they learn
    something about, a carrier event included), for orders crossing one of the rule's time
    thresholds (its ``matches(since=…)``) and for matches that time alone ends (its
    ``expiring``). Changed orders are looked for from the previous run's watermark (see
    ``_watermark``) less ``RISK_RECHECK_MARGIN`` seconds for clocks that disagree between
    the application and the database. A full run happens when there is no previous run
    in the present, when the rule's settings changed after it, when time went backwards (a
    simulation), and at least every ``RISK_FULL_RUN_INTERVAL``, as a safety net for any
    change no stamp shows (a row edited by hand, a database restored)."""
    if not is_live(as_of):
        return None
    succeeded = RuleRun.objects.filter(rule=row, status=RuleRun.Status.SUCCEEDED)
    previous = succeeded.order_by("-started_at", "-pk").only(
        "as_of", "started_at", "watermark").first()
    if (previous is None or previous.watermark is None or previous.as_of >= as_of
            or previous.started_at <= row.updated_at):
        return None
    if previous.as_of < previous.started_at - LIVE_WINDOW:  # a simulated past moment
        return None
    every = dt.timedelta(seconds=settings.RISK_FULL_RUN_INTERVAL)
    if not succeeded.filter(full=True, as_of__gt=as_of - every,
                            started_at__gt=row.updated_at).exists():
        return None
    margin = dt.timedelta(seconds=settings.RISK_RECHECK_MARGIN)
    return Window(since=previous.as_of, changed_since=previous.watermark - margin)


def _subjects_changed(rule: Rule, params: dict, as_of: dt.datetime,
                      window: Window) -> tuple[str, list]:
    """The SQL of the subject ids a live run must re-check: those of orders stamped
    updated in the window, and those whose match time alone may have ended."""
    touched = Order.objects.filter(updated_at__gt=window.changed_since).order_by()
    subjects = rule.subjects_of(touched, as_of, params)
    expiring = rule.expiring(as_of, params, window.since)
    if expiring is not None:
        subjects = subjects.order_by().union(expiring.order_by())
    sql, sql_params = subjects.query.sql_with_params()
    return sql, list(sql_params)


def _evaluate(rule: Rule, row: RiskRule, run: RuleRun, as_of: dt.datetime,
              window: Window | None = None) -> dict:
    params = rule.clean_params(row.params)
    table = connection.ops.quote_name(RiskSignal._meta.db_table)
    # The signal column holding a subject's id; a rule about something else (a feedback
    # item) clears only in full runs.
    subject_column = {"customer": "customer_id", "order": "order_id"}.get(rule.subject)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One run of a rule at a time: a second worker running it at the same moment
            # waits here, then finds the first one's signals already stored.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                           [RISK_LOCK_SPACE, zlib.crc32(rule.key.encode()) - 2**31])
        cursor.execute(f"DROP TABLE IF EXISTS {MATCHES_TABLE}")
        cursor.execute(f"DROP TABLE IF EXISTS {SUBJECTS_TABLE}")
        if window is None:
            sql, sql_params = rule.matches(as_of, params).query.sql_with_params()
            sql_params = list(sql_params)
        else:
            # The subjects to re-check, in a table of their own (analysed, so the planner
            # knows they are few), then what can have started matching by time since the
            # last run plus those subjects evaluated afresh.
            changed_sql, changed_params = _subjects_changed(rule, params, as_of, window)
            cursor.execute(f"CREATE TEMPORARY TABLE {SUBJECTS_TABLE} (id bigint)")
            cursor.execute(f"INSERT INTO {SUBJECTS_TABLE} SELECT * FROM ({changed_sql}) c",  # noqa: S608
                           changed_params)
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {SUBJECTS_TABLE}")
            among = RawSQL(f"SELECT id FROM {SUBJECTS_TABLE}", ())  # noqa: S608, S611 (our table)
            entering, entering_params = rule.matches(
                as_of, params, window.since).query.sql_with_params()
            rechecked, rechecked_params = rule.recheck(
                as_of, params, among).query.sql_with_params()
            sql = f"SELECT * FROM ({entering}) e UNION ALL SELECT * FROM ({rechecked}) r"  # noqa: S608
            sql_params = [*entering_params, *rechecked_params]
        # The matches, once: each new signal's facts are read from here.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {MATCHES_TABLE} AS SELECT * FROM ({sql}) m",  # noqa: S608 (our SQL; values are parameters)
            sql_params,
        )
        # Indexed, so clearing probes it instead of scanning it once per open signal.
        cursor.execute(f"CREATE INDEX {MATCHES_TABLE}_key ON {MATCHES_TABLE} (subject_key)")
        cursor.execute(f"SELECT count(DISTINCT subject_key) FROM {MATCHES_TABLE}")  # noqa: S608
        (matched,) = cursor.fetchone()
        # The new ones (no signal of this rule for the subject, ever), with what a case needs.
        cursor.execute(
            f"""
            SELECT m.subject_key, m.customer_id, m.order_id, m.facts, m.severity,
                   c.value_tier, o.external_ref, o.value, o.currency, o.critical,
                   o.promised_delivery_at, o.delivered_at
            FROM {MATCHES_TABLE} m
            JOIN {quote(Customer._meta.db_table)} c ON c.id = m.customer_id
            LEFT JOIN {quote(Order._meta.db_table)} o ON o.id = m.order_id
            WHERE NOT EXISTS (
                SELECT 1 FROM {table} s WHERE s.rule_id = %s AND s.subject_key = m.subject_key)
            ORDER BY m.customer_id, m.subject_key
            """,  # noqa: S608 (table names are ours; values are parameters)
            [row.pk],
        )
        new_signals = list({
            subject_key: NewSignal(None, subject_key, customer_id, order_id, _json(facts),
                                   severity, as_of, tier, ref, _money(value), currency,
                                   critical, _aware(promised), _aware(delivered))
            for (subject_key, customer_id, order_id, facts, severity, tier, ref, value,
                 currency, critical, promised, delivered) in cursor.fetchall()
        }.values())  # each subject once (an incremental run may find it twice)
        # Cleared: every open signal no longer matching; in an incremental run, among the
        # subjects re-checked (nothing else can have stopped matching).
        only_changed = (
            "" if window is None else "AND FALSE" if subject_column is None
            else f"AND {table}.{subject_column} IN (SELECT id FROM {SUBJECTS_TABLE})")  # noqa: S608
        cursor.execute(
            f"""
            UPDATE {table} SET cleared_at = %s
            WHERE rule_id = %s AND cleared_at IS NULL {only_changed} AND NOT EXISTS (
                SELECT 1 FROM {MATCHES_TABLE} m WHERE m.subject_key = {table}.subject_key)
            RETURNING id
            """,  # noqa: S608
            [as_of, row.pk],
        )
        cleared_ids = [pk for (pk,) in cursor.fetchall()]
        if window is None:
            still_open = matched - len(new_signals)
        else:
            cursor.execute(f"SELECT count(*) FROM {SUBJECTS_TABLE}")  # noqa: S608
            (examined,) = cursor.fetchone()
            # The open signals, read from their partial index.
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE rule_id = %s AND cleared_at IS NULL",  # noqa: S608
                [row.pk])
            (open_now,) = cursor.fetchone()
            still_open = open_now  # before this run's new ones are stored
            examined += matched
            cursor.execute(f"DROP TABLE {SUBJECTS_TABLE}")
        cursor.execute(f"DROP TABLE {MATCHES_TABLE}")
    if window is None:
        candidates = rule.candidates(as_of, params)
        examined = matched if candidates is None else candidates.count()
    opened = _act_on_new_signals(rule, row, run, new_signals, as_of)
    _note_cleared(rule, cleared_ids, as_of)
    return {
        "rows_examined": examined, "signals_new": len(new_signals),
        "signals_open": still_open, "signals_cleared": len(cleared_ids),
        "cases_opened": opened,
    }


# --- acting on what a rule found --------------------------------------------------------------


@dataclass(slots=True)
class NewSignal:
    """A new signal with what opening or joining a case needs of it: read as plain rows,
    since ten thousand model instances (and their customers and orders) cost seconds."""

    id: int | None  # taken from the table's sequence when stored
    subject_key: str
    customer_id: int
    order_id: int | None
    facts: dict
    severity: int
    detected_at: dt.datetime
    value_tier: str
    order_ref: str | None
    order_value: object
    currency: str | None
    critical: bool | None
    promised_at: dt.datetime | None
    delivered_at: dt.datetime | None  # as recorded now; after ``detected_at`` it is not yet
    description: str = ""  # what the timeline says of it, when already worded

    def data(self, rule: Rule) -> dict:
        """What the timeline keeps of it: the facts and the predicted impact."""
        predicted = {}
        if self.order_id is not None:
            predicted = {"value_at_stake": str(self.order_value), "currency": self.currency}
            # Late until it arrived (a complaint about a delivered order is not a delay
            # still growing), or until now if it has not arrived.
            arrived = self.delivered_at
            until = arrived if arrived and arrived <= self.detected_at else self.detected_at
            if self.promised_at and until > self.promised_at:
                late = until - self.promised_at
                predicted["days_late"] = round(late.total_seconds() / 86400, 1)
        return {"rule": rule.key, "signal": self.id, "facts": self.facts,
                "severity": self.severity, "predicted_impact": predicted,
                "orders": [self.order_ref] if self.order_ref else []}


@dataclass(slots=True)
class OpenCase:
    """A customer's open case, as much of it as new signals joining it need."""

    pk: int
    customer_id: int
    title: str
    priority: int
    priority_override_reason: str
    opened_at: dt.datetime
    first_response_due_at: dt.datetime | None
    due_at: dt.datetime | None
    customer: Customer | None = None


def _priority(rule: Rule, signal: NewSignal, customer_points: int) -> int:
    """The desk's usual priority for this customer and order, or the rule's default when
    that is more urgent."""
    points = SEVERITY_POINTS.get(signal.severity, 1)
    points += TIER_POINTS.get(signal.value_tier, 0) + customer_points
    if signal.critical:
        points += 1
    computed = (Priority.URGENT if points >= 5 else Priority.HIGH if points >= 3
                else Priority.NORMAL if points >= 1 else Priority.LOW)
    return min(computed, rule.default_priority)


def _act_on_new_signals(rule: Rule, row: RiskRule, run: RuleRun, signals: list[NewSignal],
                        as_of: dt.datetime) -> int:
    """Store the new signals, each attached to its customer's open case or to the proactive
    case opened for it; returns how many cases were opened."""
    if not signals:
        return 0
    by_customer: dict[int, list[NewSignal]] = defaultdict(list)
    for signal in signals:
        by_customer[signal.customer_id].append(signal)
    customers = in_ids(list(by_customer))
    # Lock the customers so that two rules finding trouble for one customer at once open
    # one case between them, not two.
    list(Customer.objects.select_for_update().filter(pk__in=customers).order_by("pk")
         .values_list("pk", flat=True))
    open_cases: dict[int, OpenCase] = {}
    for values in (Case.objects.filter(customer_id__in=customers, status__in=Case.OPEN_STATUSES)
                   .order_by("customer_id", "-opened_at", "-pk")
                   .values_list("id", "customer_id", "title", "priority",
                                "priority_override_reason", "opened_at",
                                "first_response_due_at", "due_at")):
        open_cases.setdefault(values[1], OpenCase(*values))
    targets = {target.priority: target for target in SlaTarget.objects.all()}
    # The customers themselves only when something needs them: other apps' priority
    # factors, the customer's email, the team's alert.
    people: dict[int, Customer] = {}
    if PRIORITY_FACTORS or row.outreach or rule.notify_team:
        people = Customer.objects.in_bulk(list(by_customer))
    customer_points = {
        customer_id: sum(factor(Case(customer=people[customer_id]))
                         for factor in PRIORITY_FACTORS) if PRIORITY_FACTORS else 0
        for customer_id in by_customer
    }

    new_cases: list[tuple[Case, list[NewSignal]]] = []
    attached: list[tuple[OpenCase, list[NewSignal], int]] = []  # with the signals' priority
    for customer_id, group in by_customer.items():
        priority = min(_priority(rule, signal, customer_points[customer_id])
                       for signal in group)
        if customer_id in open_cases:
            attached.append((open_cases[customer_id], group, priority))
            continue
        first = group[0]
        first.description = rule.describe(first.facts)
        case = Case(
            customer_id=customer_id, origin=rule.case_origin, kind=rule.case_kind,
            title=rule.title(first.facts)[:200], description=first.description,
            status=Case.Status.NEW, team=row.owner_team, opened_at=as_of, priority=priority,
            opened_by_rule=rule.key,
        )
        if customer_id in people:
            case.customer = people[customer_id]
        target = targets.get(priority)
        if target is not None:
            case.first_response_due_at = as_of + dt.timedelta(hours=target.first_response_hours)
            case.due_at = as_of + dt.timedelta(hours=target.resolution_hours)
        new_cases.append((case, group))
    insert_rows(Case, [case for case, _group in new_cases])

    events: list[tuple] = []
    links, attached_links, signal_rows = [], [], []
    for signal, pk in zip(signals, new_ids(RiskSignal, len(signals)), strict=True):
        signal.id = pk
    label, actor_kind = str(rule.label), CaseEvent.ActorKind.RULE.value
    opened_kind, signal_kind = CaseEvent.Kind.OPENED.value, CaseEvent.Kind.SIGNAL.value
    for case, group in new_cases:
        events.append((case.pk, as_of, opened_kind, actor_kind, None, label, case.description,
                       {"origin": case.origin, "kind": case.kind, "rule": rule.key,
                        "orders": [s.order_ref for s in group if s.order_ref]}))
    for case, group in [*new_cases, *((case, group) for case, group, _p in attached)]:
        # A new case has no orders yet; an open one may already have this order.
        into = attached_links if case.customer_id in open_cases else links
        for signal in group:
            signal_rows.append((signal.id, row.pk, signal.subject_key, signal.customer_id,
                                signal.order_id, signal.facts, signal.severity, as_of, None,
                                case.pk))
            events.append((case.pk, as_of, signal_kind, actor_kind, None, label,
                           signal.description or rule.describe(signal.facts),
                           signal.data(rule)))
            if signal.order_id:
                into.append((case.pk, signal.order_id))
    copy_rows(CaseEvent, EVENT_COLUMNS, events)
    through = Case.orders.through
    # Two signals of a new case may name one order (two reviews of the same delivery).
    copy_rows(through, ["case", "order"], list(dict.fromkeys(links)))
    _link_orders(attached_links)
    copy_rows(RiskSignal, SIGNAL_COLUMNS, signal_rows)
    _escalate(rule, attached, targets, as_of)

    opened = [case for case, _group in new_cases]
    if row.outreach:
        for case, group in new_cases:
            _reach_out(rule, case, group[0], as_of)
    if rule.notify_team and opened:
        for case, _group, _p in attached:
            case.customer = people[case.customer_id]
        _alert_team(rule, row, run, opened + [case for case, _group, _p in attached])
    return len(opened)


def _link_orders(pairs: list[tuple[int, int]]) -> None:
    """Add orders to open cases, skipping those a case already has."""
    through = Case.orders.through
    if connection.vendor != "postgresql":
        through.objects.bulk_create([through(case_id=case_id, order_id=order_id)
                                     for case_id, order_id in pairs], ignore_conflicts=True)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(through._meta.db_table)} "  # noqa: S608 (our table)
            "(case_id, order_id) SELECT * FROM unnest(%s::bigint[], %s::bigint[]) "
            "ON CONFLICT DO NOTHING",
            [[case_id for case_id, _order in pairs], [order_id for _case, order_id in pairs]])


# Values read by a raw query come typed from PostgreSQL; SQLite gives text, numbers and
# naive datetimes, which these make what the ORM would have made.
def _json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def _money(value: object) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _changes_relation(count: int) -> str:
    """The (id, priority, first due, due) rows of an UPDATE as a relation ``v`` with
    columns column1…column4: four typed arrays on PostgreSQL, a VALUES list elsewhere."""
    if connection.vendor == "postgresql":
        return ("unnest(%s::bigint[], %s::smallint[], %s::timestamptz[], %s::timestamptz[]) "
                "AS v (column1, column2, column3, column4)")
    return "(VALUES " + ", ".join(["(%s, %s, %s, %s)"] * count) + ") AS v"


def _change_params(rows: list[tuple]) -> list:
    if connection.vendor == "postgresql":
        return [list(column) for column in zip(*rows, strict=True)]
    return [value for row in rows for value in row]


def _escalate(rule: Rule, attached: list[tuple[OpenCase, list[NewSignal], int]],
              targets: dict[int, SlaTarget], as_of: dt.datetime) -> None:
    """Open cases whose new signals are more urgent than their priority get the rule's
    priority and its SLA, unless a person set the priority by hand: one UPDATE per batch,
    checked in SQL against the case as it is now."""
    changes = []
    for case, _group, priority in attached:
        if case.priority_override_reason or priority >= case.priority:
            continue
        target = targets.get(priority)
        first_due, due = case.first_response_due_at, case.due_at
        if target is not None:
            first_due = case.opened_at + dt.timedelta(hours=target.first_response_hours)
            due = case.opened_at + dt.timedelta(hours=target.resolution_hours)
        changes.append((case, priority, first_due, due))
    table = connection.ops.quote_name(Case._meta.db_table)
    raised = {}
    with connection.cursor() as cursor:
        for start in range(0, len(changes), 5000):
            chunk = changes[start:start + 5000]
            cursor.execute(
                f"UPDATE {table} SET priority = v.column2, "  # noqa: S608 (our table)
                f"first_response_due_at = v.column3, due_at = v.column4, "
                f"version = {table}.version + 1 FROM {_changes_relation(len(chunk))} "
                f"WHERE {table}.id = v.column1 AND {table}.priority > v.column2 "
                f"AND {table}.priority_override_reason = '' RETURNING {table}.id",
                _change_params([(case.pk, *rest) for case, *rest in chunk]),
            )
            raised.update(dict.fromkeys(pk for (pk,) in cursor.fetchall()))
    label = str(rule.label)
    copy_rows(CaseEvent, EVENT_COLUMNS, [
        (case.pk, as_of, CaseEvent.Kind.PRIORITY.value, CaseEvent.ActorKind.RULE.value, None,
         label, "",
         {"from": case.priority, "to": priority, "computed": True, "rule": rule.key})
        for case, priority, _first_due, _due in changes if case.pk in raised
    ])


def _note_cleared(rule: Rule, cleared_ids: list[int], as_of: dt.datetime) -> None:
    if not cleared_ids:
        return
    message = _("Cleared: the problem with %(subject)s is no longer there.")
    nobody, label = _("this customer"), str(rule.label)
    cleared = RiskSignal.objects.filter(pk__in=cleared_ids, case__isnull=False).values_list(
        "pk", "case_id", "order__external_ref")
    copy_rows(CaseEvent, EVENT_COLUMNS, [
        (case_id, as_of, CaseEvent.Kind.SIGNAL.value, CaseEvent.ActorKind.RULE.value, None,
         label, message % {"subject": order_ref or nobody},
         {"rule": rule.key, "signal": pk, "cleared": True})
        for pk, case_id, order_ref in cleared
    ])


# --- telling the customer and the team ------------------------------------------------------


def _reach_out(rule: Rule, case: Case, signal: NewSignal, as_of: dt.datetime) -> None:
    """Email the customer at once, in their language: at most once per customer per day."""
    customer = case.customer
    if not customer.email:
        return
    language = customer_language(customer.language)
    with translation.override(language):
        situation = rule.describe(signal.facts)
    draft = draft_customer_email(case=case, template="proactive",
                                 extra={"situation": situation})
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                case=case, to=draft.to, reply_to=draft.reply_to, language=draft.language,
                subject=draft.subject[:200], body=draft.body, created_at=as_of,
                enqueued_at=as_of,
                message_id=f"<case-{case.pk}.{secrets.token_hex(12)}@{domain}>",
            )
            ProactiveOutreach.objects.create(customer=customer, day=timezone.localdate(as_of),
                                             case=case, email=email, created_at=as_of)
    except IntegrityError:
        return  # already told today
    Case.objects.filter(pk=case.pk, first_proactive_contact_at__isnull=True).update(
        first_proactive_contact_at=as_of)
    transaction.on_commit(lambda: tasks.send_customer_email.delay(email_id=email.pk))


def _alert_team(rule: Rule, row: RiskRule, run: RuleRun, cases: list[Case]) -> None:
    team = row.owner_team or Team.objects.filter(kind=Team.Kind.ADVOCACY).exclude(
        email="").first()
    if team is None or not team.email:
        return
    lines = [f"#{case.pk} {case.title} ({case.customer.name})" for case in cases]
    alert = TeamAlert.objects.create(
        team=team, run=run, to=team.email,
        subject=_("%(count)s critical orders need you now") % {"count": len(cases)}
        if len(cases) > 1 else _("A critical order needs you now"),
        body="\n".join([str(rule.description), "", *lines]),
    )
    transaction.on_commit(lambda: tasks.send_team_alert.delay(alert_id=alert.pk))


def send_team_alert(*, alert_id: int) -> TeamAlert | None:
    """Send a team alert once: claimed first, so a retried task never sends it twice."""
    from django.core.mail import send_mail

    claimed = TeamAlert.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=timezone.now() - STALE_RUN_AFTER),
        pk=alert_id, sent_at__isnull=True,
    ).update(claimed_at=timezone.now())
    if not claimed:
        return None
    alert = TeamAlert.objects.get(pk=alert_id)
    send_mail(alert.subject, alert.body, None, [alert.to])
    alert.sent_at = timezone.now()
    alert.save(update_fields=["sent_at"])
    return alert


# Stored in English, shown in the reader's language (the Rules page translates it).
STOPPED = gettext_noop("The worker stopped before the run finished; nothing it did was kept.")


@register_pending_work("risk runs")
def fail_stale_runs() -> int:
    """Runs whose worker died mid-way (their transaction rolled back): marked failed, so the
    Rules page does not show them running forever. The next scheduled run redoes the work."""
    return RuleRun.objects.filter(
        status=RuleRun.Status.RUNNING, started_at__lt=timezone.now() - STALE_RUN_AFTER,
    ).update(status=RuleRun.Status.FAILED, finished_at=timezone.now(),
             error=STOPPED)

