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
from enum import Enum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from cases import tasks
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
    SlaTarget,
    Team,
    TeamAlert,
)
from cases.risk import RULES, Rule, get_rule
from cases.services.bulk import update_rows
from cases.services.desk import PRIORITY_FACTORS, SEVERITY_POINTS, TIER_POINTS
from cases.services.email import LANGUAGES, draft_customer_email
from cases.services.pending import register_pending_work

logger = logging.getLogger(__name__)

MATCHES_TABLE = "risk_matches"
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


def run_rule(*, key: str, as_of: dt.datetime | None = None) -> RuleRun:
    """Run one rule as of ``as_of`` (now by default) and record the run. A rule that raises
    leaves its error on the run and changes nothing else; the caller carries on."""
    as_of = as_of or timezone.now()
    rule = get_rule(key)
    row = rule_row(key)
    run = RuleRun.objects.create(rule=row, as_of=as_of)
    try:
        with transaction.atomic():
            counts = _evaluate(rule, row, run, as_of)
    except Exception as error:
        logger.exception("Risk rule %s failed as of %s", key, as_of.isoformat())
        RuleRun.objects.filter(pk=run.pk).update(
            status=RuleRun.Status.FAILED, finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000])
    else:
        RuleRun.objects.filter(pk=run.pk).update(
            status=RuleRun.Status.SUCCEEDED, finished_at=timezone.now(), **counts)
    run.refresh_from_db()
    return run


def run_enabled_rules(*, as_of: dt.datetime | None = None,
                      keys: list[str] | None = None) -> list[RuleRun]:
    """Run every enabled rule (or just ``keys``, enabled or not) in this process."""
    sync_rules()
    chosen = keys or list(RiskRule.objects.filter(enabled=True).values_list("key", flat=True))
    return [run_rule(key=key, as_of=as_of) for key in chosen if key in RULES]


def _evaluate(rule: Rule, row: RiskRule, run: RuleRun, as_of: dt.datetime) -> dict:
    params = rule.clean_params(row.params)
    sql, sql_params = rule.matches(as_of, params).query.sql_with_params()
    table = connection.ops.quote_name(RiskSignal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {MATCHES_TABLE}")
        # The keys only: PostgreSQL then skips building the facts of matches it knows.
        cursor.execute(
            f"CREATE TEMPORARY TABLE {MATCHES_TABLE} AS SELECT m.subject_key FROM ({sql}) m",  # noqa: S608 (our SQL; values are parameters)
            sql_params,
        )
        # Indexed, so clearing probes it instead of scanning it once per open signal.
        cursor.execute(f"CREATE INDEX {MATCHES_TABLE}_key ON {MATCHES_TABLE} (subject_key)")
        cursor.execute(f"SELECT count(*) FROM {MATCHES_TABLE}")  # noqa: S608
        (matched,) = cursor.fetchone()
        unseen = f"""
            SELECT t.subject_key FROM {MATCHES_TABLE} t WHERE NOT EXISTS (
                SELECT 1 FROM {table} s WHERE s.rule_id = %s AND s.subject_key = t.subject_key)
        """  # noqa: S608 (table names are ours; values are parameters)
        cursor.execute(f"SELECT count(*) FROM ({unseen}) u", [row.pk])  # noqa: S608
        (new_count,) = cursor.fetchone()
        if new_count:
            # The new ones, facts and all: the rule's query again, joined to its unseen keys.
            cursor.execute(
                f"""
                INSERT INTO {table}
                    (rule_id, subject_key, customer_id, order_id, severity, facts, detected_at)
                SELECT %s, m.subject_key, m.customer_id, m.order_id, m.severity, m.facts, %s
                FROM ({sql}) m WHERE m.subject_key IN ({unseen})
                ON CONFLICT (rule_id, subject_key) DO NOTHING
                RETURNING id
                """,  # noqa: S608
                [row.pk, as_of, *sql_params, row.pk],
            )
        new_ids = [pk for (pk,) in cursor.fetchall()] if new_count else []
        cursor.execute(
            f"""
            UPDATE {table} SET cleared_at = %s
            WHERE rule_id = %s AND cleared_at IS NULL AND NOT EXISTS (
                SELECT 1 FROM {MATCHES_TABLE} m WHERE m.subject_key = {table}.subject_key)
            RETURNING id
            """,  # noqa: S608
            [as_of, row.pk],
        )
        cleared_ids = [pk for (pk,) in cursor.fetchall()]
        cursor.execute(f"DROP TABLE {MATCHES_TABLE}")
    candidates = rule.candidates(as_of, params)
    examined = matched if candidates is None else candidates.count()
    opened = _act_on_new_signals(rule, row, run, new_ids, as_of)
    _note_cleared(rule, cleared_ids, as_of)
    return {
        "rows_examined": examined, "signals_new": len(new_ids),
        "signals_open": matched - len(new_ids), "signals_cleared": len(cleared_ids),
        "cases_opened": opened,
    }


# --- acting on what a rule found --------------------------------------------------------------


def _priority(rule: Rule, signal: RiskSignal) -> int:
    """The desk's usual priority for this customer and order, or the rule's default when
    that is more urgent."""
    points = SEVERITY_POINTS.get(signal.severity, 1)
    points += TIER_POINTS.get(signal.customer.value_tier, 0)
    if signal.order is not None and signal.order.critical:
        points += 1
    points += sum(factor(Case(customer=signal.customer)) for factor in PRIORITY_FACTORS)
    computed = (Priority.URGENT if points >= 5 else Priority.HIGH if points >= 3
                else Priority.NORMAL if points >= 1 else Priority.LOW)
    return min(computed, rule.default_priority)


def _signal_data(rule: Rule, signal: RiskSignal) -> dict:
    """What the timeline keeps of a signal: the facts and the predicted impact."""
    predicted = {}
    if signal.order is not None:
        order = signal.order
        predicted = {"value_at_stake": str(order.value), "currency": order.currency}
        if order.promised_delivery_at and signal.detected_at > order.promised_delivery_at:
            late = signal.detected_at - order.promised_delivery_at
            predicted["days_late"] = round(late.total_seconds() / 86400, 1)
    return {"rule": rule.key, "signal": signal.pk, "facts": signal.facts,
            "severity": signal.severity, "predicted_impact": predicted,
            "orders": [signal.order.external_ref] if signal.order else []}


def _act_on_new_signals(rule: Rule, row: RiskRule, run: RuleRun, new_ids: list[int],
                        as_of: dt.datetime) -> int:
    """Attach each new signal to its customer's open case, or open a proactive case for
    it; returns how many cases were opened."""
    if not new_ids:
        return 0
    # This run's new signals are the rule's open ones without a case: selected by that, not
    # by a list of ten thousand ids, and only with the columns used here.
    waiting = RiskSignal.objects.filter(rule=row, case__isnull=True, cleared_at__isnull=True)
    signals = list(
        waiting.select_related("customer", "order").order_by("customer_id", "pk").only(
            "id", "rule_id", "customer_id", "order_id", "facts", "severity", "detected_at",
            "customer__value_tier", "customer__language", "customer__email",
            "customer__name", "order__external_ref", "order__value", "order__currency",
            "order__critical", "order__promised_delivery_at",
        )
    )
    by_customer: dict[int, list[RiskSignal]] = defaultdict(list)
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

    new_cases: list[tuple[Case, list[RiskSignal]]] = []
    attached: list[tuple[Case, list[RiskSignal]]] = []
    for customer_id, group in by_customer.items():
        if customer_id in open_cases:
            attached.append((open_cases[customer_id], group))
            continue
        first = group[0]
        priority = min(_priority(rule, signal) for signal in group)
        case = Case(
            customer=first.customer, origin=Case.Origin.PROACTIVE, kind=rule.case_kind,
            title=rule.title(first.facts)[:200], description=rule.describe(first.facts),
            status=Case.Status.NEW, team=row.owner_team, opened_at=as_of, priority=priority,
            opened_by_rule=rule.key,
        )
        target = targets.get(priority)
        if target is not None:
            case.first_response_due_at = as_of + dt.timedelta(hours=target.first_response_hours)
            case.due_at = as_of + dt.timedelta(hours=target.resolution_hours)
        new_cases.append((case, group))
    insert_rows(Case, [case for case, _group in new_cases])

    events: list[CaseEvent] = []
    links, attached_links = [], []
    label = str(rule.label)
    for case, group in new_cases:
        events.append(CaseEvent(
            case=case, kind=CaseEvent.Kind.OPENED, actor_kind=CaseEvent.ActorKind.RULE,
            actor_label=label, created_at=as_of, message=case.description,
            data={"origin": case.origin, "kind": case.kind, "rule": rule.key,
                  "orders": [s.order.external_ref for s in group if s.order]},
        ))
    for case, group in new_cases + attached:
        # A new case has no orders yet; an open one may already have this order.
        into = attached_links if case.customer_id in open_cases else links
        for signal in group:
            signal.case = case
            events.append(CaseEvent(
                case=case, kind=CaseEvent.Kind.SIGNAL, actor_kind=CaseEvent.ActorKind.RULE,
                actor_label=label, created_at=as_of, message=rule.describe(signal.facts),
                data=_signal_data(rule, signal),
            ))
            if signal.order_id:
                into.append(Case.orders.through(case_id=case.pk, order_id=signal.order_id))
    insert_rows(CaseEvent, events)
    insert_rows(Case.orders.through, links)
    Case.orders.through.objects.bulk_create(attached_links, ignore_conflicts=True,
                                            batch_size=2000)
    update_rows(RiskSignal, signals, ["case"])
    _escalate(rule, attached, targets, as_of)

    opened = [case for case, _group in new_cases]
    if row.outreach:
        for case, group in new_cases:
            _reach_out(rule, case, group[0], as_of)
    if rule.notify_team and opened:
        _alert_team(rule, row, run, opened + [case for case, _g in attached])
    return len(opened)


def insert_rows(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert many new rows and give them their ids. On PostgreSQL with ``COPY`` (ids taken
    from the table's sequence first): ``bulk_create`` spent seconds turning ten thousand
    cases and their events into SQL parameters. Elsewhere ``bulk_create``."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=2000)
        return
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
        fields = meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row([_copy_value(field, getattr(obj, field.attname))
                                for field in fields])
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def _copy_value(field: models.Field, value: object) -> object:
    if isinstance(field, models.JSONField):
        return Jsonb(value)
    if isinstance(value, Enum):  # psycopg writes an enum by its name, not its value
        return value.value
    return value


def _escalate(rule: Rule, attached: list[tuple[Case, list[RiskSignal]]],
              targets: dict[int, SlaTarget], as_of: dt.datetime) -> None:
    """Open cases whose new signals are more urgent than their priority get the rule's
    priority and its SLA, unless a person set the priority by hand: one UPDATE per batch,
    checked in SQL against the case as it is now."""
    changes = []
    for case, group in attached:
        priority = min(_priority(rule, signal) for signal in group)
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
    CaseEvent.objects.bulk_create([
        CaseEvent(case=case, kind=CaseEvent.Kind.PRIORITY, actor_kind=CaseEvent.ActorKind.RULE,
                  actor_label=str(rule.label), created_at=as_of,
                  data={"from": case.priority, "to": priority, "computed": True,
                        "rule": rule.key})
        for case, priority, _first_due, _due in changes if case.pk in raised
    ], batch_size=2000)


def _note_cleared(rule: Rule, cleared_ids: list[int], as_of: dt.datetime) -> None:
    if not cleared_ids:
        return
    events = []
    for signal in (RiskSignal.objects.filter(pk__in=cleared_ids, case__isnull=False)
                   .select_related("order")):
        subject = signal.order.external_ref if signal.order else _("this customer")
        events.append(CaseEvent(
            case_id=signal.case_id, kind=CaseEvent.Kind.SIGNAL,
            actor_kind=CaseEvent.ActorKind.RULE, actor_label=str(rule.label),
            created_at=as_of,
            message=_("Cleared: the problem with %(subject)s is no longer there.")
            % {"subject": subject},
            data={"rule": rule.key, "signal": signal.pk, "cleared": True},
        ))
    CaseEvent.objects.bulk_create(events, batch_size=2000)


# --- telling the customer and the team ------------------------------------------------------


def _reach_out(rule: Rule, case: Case, signal: RiskSignal, as_of: dt.datetime) -> None:
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

