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
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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
from cases.services.bulk import copy_rows, insert_rows, update_rows
from cases.services.desk import PRIORITY_FACTORS, SEVERITY_POINTS, TIER_POINTS
from cases.services.email import LANGUAGES, draft_customer_email
from cases.services.pending import register_pending_work

logger = logging.getLogger(__name__)

MATCHES_TABLE = "risk_matches"
SUBJECTS_TABLE = "risk_changed_subjects"
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
    touched = Order.objects.filter(updated_at__gt=window.changed_since)
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
    subject_column = "customer_id" if rule.subject == "customer" else "order_id"
    with connection.cursor() as cursor:
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
        cursor.execute(
            f"""
            INSERT INTO {table}
                (rule_id, subject_key, customer_id, order_id, severity, facts, detected_at)
            SELECT %s, m.subject_key, m.customer_id, m.order_id, m.severity, m.facts, %s
            FROM {MATCHES_TABLE} m WHERE NOT EXISTS (
                SELECT 1 FROM {table} s WHERE s.rule_id = %s AND s.subject_key = m.subject_key)
            ON CONFLICT (rule_id, subject_key) DO NOTHING
            RETURNING id
            """,  # noqa: S608 (table names are ours; values are parameters)
            [row.pk, as_of, row.pk],
        )
        new_ids = [pk for (pk,) in cursor.fetchall()]
        # Cleared: every open signal no longer matching; in an incremental run, among the
        # subjects re-checked (nothing else can have stopped matching).
        only_changed = (
            f"AND {table}.{subject_column} IN (SELECT id FROM {SUBJECTS_TABLE})"  # noqa: S608
            if window is not None else "")
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
            still_open = matched - len(new_ids)
        else:
            cursor.execute(f"SELECT count(*) FROM {SUBJECTS_TABLE}")  # noqa: S608
            (examined,) = cursor.fetchone()
            # The open signals, read from their partial index.
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE rule_id = %s AND cleared_at IS NULL",  # noqa: S608
                [row.pk])
            (open_now,) = cursor.fetchone()
            still_open = open_now - len(new_ids)
            examined += matched
            cursor.execute(f"DROP TABLE {SUBJECTS_TABLE}")
        cursor.execute(f"DROP TABLE {MATCHES_TABLE}")
    if window is None:
        candidates = rule.candidates(as_of, params)
        examined = matched if candidates is None else candidates.count()
    opened = _act_on_new_signals(rule, row, run, new_ids, as_of)
    _note_cleared(rule, cleared_ids, as_of)
    return {
        "rows_examined": examined, "signals_new": len(new_ids),
        "signals_open": still_open, "signals_cleared": len(cleared_ids),
        "cases_opened": opened,
    }


# --- acting on what a rule found --------------------------------------------------------------


@dataclass(slots=True)
class NewSignal:
    """A new signal with what opening or joining a case needs of it: read as plain rows,
    since ten thousand model instances (and their customers and orders) cost seconds."""

    id: int
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

    def data(self, rule: Rule) -> dict:
        """What the timeline keeps of it: the facts and the predicted impact."""
        predicted = {}
        if self.order_id is not None:
            predicted = {"value_at_stake": str(self.order_value), "currency": self.currency}
            if self.promised_at and self.detected_at > self.promised_at:
                late = self.detected_at - self.promised_at
                predicted["days_late"] = round(late.total_seconds() / 86400, 1)
        return {"rule": rule.key, "signal": self.id, "facts": self.facts,
                "severity": self.severity, "predicted_impact": predicted,
                "orders": [self.order_ref] if self.order_ref else []}


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


def _act_on_new_signals(rule: Rule, row: RiskRule, run: RuleRun, new_ids: list[int],
                        as_of: dt.datetime) -> int:
    """Attach each new signal to its customer's open case, or open a proactive case for
    it; returns how many cases were opened."""
    if not new_ids:
        return 0
    # This run's new signals are the rule's open ones without a case: selected by that, not
    # by a list of ten thousand ids.
    waiting = RiskSignal.objects.filter(rule=row, case__isnull=True, cleared_at__isnull=True)
    signals = [NewSignal(*values) for values in waiting.order_by("customer_id", "pk").values_list(
        "id", "customer_id", "order_id", "facts", "severity", "detected_at",
        "customer__value_tier", "order__external_ref", "order__value", "order__currency",
        "order__critical", "order__promised_delivery_at",
    )]
    by_customer: dict[int, list[NewSignal]] = defaultdict(list)
    for signal in signals:
        by_customer[signal.customer_id].append(signal)
    customers = waiting.values("customer_id")
    # Lock the customers so that two rules finding trouble for one customer at once open
    # one case between them, not two.
    list(Customer.objects.select_for_update().filter(pk__in=customers).order_by("pk")
         .values_list("pk", flat=True))
    open_cases: dict[int, Case] = {}
    for case in (Case.objects.filter(customer_id__in=customers, status__in=Case.OPEN_STATUSES)
                 .only("id", "customer_id", "priority", "priority_override_reason",
                       "opened_at", "first_response_due_at", "due_at")
                 .order_by("customer_id", "-opened_at", "-pk")):
        open_cases.setdefault(case.customer_id, case)
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
    attached: list[tuple[Case, list[NewSignal], int]] = []  # with the signals' priority
    for customer_id, group in by_customer.items():
        priority = min(_priority(rule, signal, customer_points[customer_id])
                       for signal in group)
        if customer_id in open_cases:
            attached.append((open_cases[customer_id], group, priority))
            continue
        first = group[0]
        case = Case(
            customer_id=customer_id, origin=Case.Origin.PROACTIVE, kind=rule.case_kind,
            title=rule.title(first.facts)[:200], description=rule.describe(first.facts),
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
    links, attached_links, signal_cases = [], [], []
    label, opened_kind, signal_kind = str(rule.label), CaseEvent.Kind.OPENED, CaseEvent.Kind.SIGNAL
    actor_kind = CaseEvent.ActorKind.RULE
    for case, group in new_cases:
        events.append((case.pk, as_of, opened_kind, actor_kind, None, label, case.description,
                       {"origin": case.origin, "kind": case.kind, "rule": rule.key,
                        "orders": [s.order_ref for s in group if s.order_ref]}))
    for case, group in [*new_cases, *((case, group) for case, group, _p in attached)]:
        # A new case has no orders yet; an open one may already have this order.
        into = attached_links if case.customer_id in open_cases else links
        for signal in group:
            signal_cases.append((signal.id, case.pk))
            events.append((case.pk, as_of, signal_kind, actor_kind, None, label,
                           rule.describe(signal.facts), signal.data(rule)))
            if signal.order_id:
                into.append((case.pk, signal.order_id))
    copy_rows(CaseEvent, EVENT_COLUMNS, events)
    through = Case.orders.through
    copy_rows(through, ["case", "order"], links)
    through.objects.bulk_create([through(case_id=case_id, order_id=order_id)
                                 for case_id, order_id in attached_links],
                                ignore_conflicts=True, batch_size=2000)
    link_signals(signal_cases)
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


def link_signals(signal_cases: list[tuple[int, int]]) -> None:
    """Set each signal's case, from (signal id, case id) pairs: on PostgreSQL one
    ``UPDATE … FROM unnest(…)`` of two arrays."""
    if connection.vendor != "postgresql":
        update_rows(RiskSignal, [RiskSignal(pk=signal_id, case_id=case_id)
                                 for signal_id, case_id in signal_cases], ["case"])
        return
    table = connection.ops.quote_name(RiskSignal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET case_id = v.case_id "  # noqa: S608 (our table)
            f"FROM unnest(%s::bigint[], %s::bigint[]) AS v (id, case_id) "
            f"WHERE {table}.id = v.id",
            [[signal_id for signal_id, _case in signal_cases],
             [case_id for _signal, case_id in signal_cases]],
        )


def _escalate(rule: Rule, attached: list[tuple[Case, list[NewSignal], int]],
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
        for start in range(0, len(changes), 1000):
            chunk = changes[start:start + 1000]
            values = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
            sql = (  # our table; the values are parameters
                f"UPDATE {table} SET priority = v.column2, first_response_due_at = v.column3, "  # noqa: S608
                f"due_at = v.column4, version = {table}.version + 1 "
                f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1 "
                f"AND {table}.priority > v.column2 AND {table}.priority_override_reason = '' "
                f"RETURNING {table}.id"
            )
            cursor.execute(sql, [value for case, *rest in chunk for value in (case.pk, *rest)])
            raised.update(dict.fromkeys(pk for (pk,) in cursor.fetchall()))
    label = str(rule.label)
    copy_rows(CaseEvent, EVENT_COLUMNS, [
        (case.pk, as_of, CaseEvent.Kind.PRIORITY, CaseEvent.ActorKind.RULE, None, label, "",
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
        (case_id, as_of, CaseEvent.Kind.SIGNAL, CaseEvent.ActorKind.RULE, None, label,
         message % {"subject": order_ref or nobody},
         {"rule": rule.key, "signal": pk, "cleared": True})
        for pk, case_id, order_ref in cleared
    ])


# --- telling the customer and the team ------------------------------------------------------


def _reach_out(rule: Rule, case: Case, signal: NewSignal, as_of: dt.datetime) -> None:
    """Email the customer at once, in their language: at most once per customer per day."""
    customer = case.customer
    if not customer.email:
        return
    language = customer.language if customer.language in LANGUAGES else "en"
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


@register_pending_work("risk runs")
def fail_stale_runs() -> int:
    """Runs whose worker died mid-way (their transaction rolled back): marked failed, so the
    Rules page does not show them running forever. The next scheduled run redoes the work."""
    return RuleRun.objects.filter(
        status=RuleRun.Status.RUNNING, started_at__lt=timezone.now() - STALE_RUN_AFTER,
    ).update(status=RuleRun.Status.FAILED, finished_at=timezone.now(),
             error="The worker stopped before the run finished; nothing it did was kept.")

