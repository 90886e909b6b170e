"""Replaying the risk rules over recorded history: what they would have found, and when,
without writing a case — so a manager can tune a rule on past data before enabling it.

The rules are evaluated as of every step of the period, exactly as ``run_risk_checks --now``
would evaluate them (only facts recorded by then count). The first step at which each
subject matched is kept in a temporary table (``INSERT … SELECT … ON CONFLICT DO
NOTHING`` per step and rule: nothing travels to Python but the final rows). Then each
signal is judged with what is known *now*:

- a **problem order** arrived after its promised time, has not arrived and is past it, or
  had lasting carrier trouble (damaged, lost, returned to sender); a customer signal
  (repeated trouble) is a problem by definition;
- a **false alarm** is an order that arrived on time without lasting trouble;
- an order still on its way and not yet due is neither;
- a problem is **caught before contact** when the rule found it before the customer's first
  contact about it (about that order; for a customer signal, any contact from the start of
  the period on), and the **lead time** is the hours between the two.

Replays write nothing but their temporary table; backtests from the Rules page run the same
replay on a worker and keep its figures on a ``RiskBacktest`` row.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cases import tasks
from cases.models import Contact, Order, RiskBacktest, RiskRule, ShipmentEvent
from cases.risk import LASTING_CODES, RULES, is_live
from cases.services.pending import register_pending_work, requeue_waiting

logger = logging.getLogger(__name__)

REPLAY_TABLE = "risk_replay_first"
# A year at one-hour steps; beyond that a replay is a mistake, not a question.
MAX_STEPS = 24 * 366


@dataclass(frozen=True)
class RuleReplay:
    """What one rule would have found over the period."""

    key: str
    label: str
    signals: int  # subjects it matched at some step
    problem_orders: int  # signals that were real problems
    with_contact: int  # problems the customer contacted us about
    caught_before_contact: int  # of those, found before the first contact
    median_lead_hours: float | None  # over the caught ones
    false_alarms: int  # orders that arrived on time after all


@dataclass(frozen=True)
class ReplayReport:
    start: dt.datetime
    end: dt.datetime
    step: dt.timedelta
    steps: int
    rules: list[RuleReplay]
    params: dict[str, dict[str, int]]  # the parameters each rule was replayed with
    # (rule, subject) -> the first step it matched at
    detections: dict[tuple[str, str], dt.datetime] = field(
        default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict:
        """The JSON a backtest keeps and ``replay_risk --json`` prints."""
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "step_minutes": int(self.step.total_seconds() // 60), "steps": self.steps,
            "params": self.params,
            "rules": [asdict(rule) for rule in self.rules],
        }


@dataclass(frozen=True)
class ReplayPlan:
    """A checked request: the rules and the parameters each one is replayed with."""

    start: dt.datetime
    end: dt.datetime
    step: dt.timedelta
    params: dict[str, dict[str, int]]

    @property
    def moments(self) -> list[dt.datetime]:
        return [self.start + self.step * number
                for number in range(step_count(self.start, self.end, self.step))]


def step_count(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> int:
    """The moments from ``start`` to ``end``, both included, ``step`` apart."""
    return int((end - start) / step) + 1


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def plan_replay(*, start: dt.datetime, end: dt.datetime, step: dt.timedelta,
                keys: Iterable[str] | None = None, params: dict | None = None) -> ReplayPlan:
    """Check a replay request; ``ValidationError`` keyed by the argument that is wrong
    (``rule_key``, ``params``, ``start``, ``end``, ``step``) with a message naming the value.

    ``keys`` default to every registered rule. ``params`` maps ``KEY`` (every chosen rule
    with that parameter) or ``RULE.KEY`` (one rule) to a value, overriding the rule's saved
    parameters (its defaults when it has never been saved).
    """
    errors: dict[str, str] = {}
    keys = list(keys or RULES)
    unknown = [key for key in keys if key not in RULES]
    if unknown:
        errors["rule_key"] = _("There is no risk rule %(key)s.") % {"key": unknown[0]}
    start, end = _aware(start), _aware(end)
    if end <= start:
        errors["end"] = _("The period must end after it starts.")
    elif end > timezone.now() + dt.timedelta(minutes=1):
        errors["end"] = _("A replay looks at recorded history: the period must end by now.")
    if step <= dt.timedelta(0):
        errors["step"] = _("The step must be longer than zero.")
    elif end > start and step_count(start, end, step) > MAX_STEPS:
        errors["step"] = _(
            "From %(start)s to %(end)s in steps of %(step)s is %(count)s steps; at most "
            "%(max)s are allowed: make the step longer or the period shorter."
        ) % {"start": start.isoformat(), "end": end.isoformat(), "step": step,
             "count": number_format(step_count(start, end, step), force_grouping=True),
             "max": number_format(MAX_STEPS, force_grouping=True)}
    if errors:
        raise ValidationError(errors)
    try:
        chosen = _parameters(keys, params or {})
    except ValueError as error:
        raise ValidationError({"params": str(error)}) from None
    return ReplayPlan(start=start, end=end, step=step, params=chosen)


def _parameters(keys: list[str], overrides: dict) -> dict[str, dict[str, int]]:
    saved = dict(RiskRule.objects.filter(key__in=keys).values_list("key", "params"))
    raw = {key: dict(saved.get(key) or {}) for key in keys}
    for name, value in overrides.items():
        rule_key, _dot, param = str(name).rpartition(".")
        targets = [rule_key] if rule_key else [
            key for key in keys if param in RULES[key].params]
        if rule_key and rule_key not in keys:
            raise ValueError(_("%(name)s: %(rule)s is not one of the rules replayed.")
                             % {"name": name, "rule": rule_key})
        if not targets or param not in RULES[targets[0]].params:
            raise ValueError(_("No rule replayed has a parameter %(name)s.") % {"name": name})
        for key in targets:
            raw[key][param] = value
    # Saved parameters a rule no longer has are dropped; a bad value names its parameter.
    return {key: RULES[key].clean_params(
        {name: value for name, value in raw[key].items() if name in RULES[key].params})
        for key in keys}


def replay_risk(*, start: dt.datetime, end: dt.datetime, step: dt.timedelta = dt.timedelta(
        hours=1), keys: Iterable[str] | None = None, params: dict | None = None,
        progress=None, incremental: bool = True) -> ReplayReport:
    """Replay the rules over ``start``..``end`` (both included) at every ``step``; writes
    nothing. ``progress(done, total)`` is called after each step when given.

    After the first step each rule is asked only for what can have started matching during
    the step (``matches(since=…)``): a replay only wants each subject's first match.
    ``incremental=False`` evaluates every rule in full at every step (the same answer,
    slower; the tests compare both)."""
    plan = plan_replay(start=start, end=end, step=step, keys=keys, params=params)
    moments = plan.moments
    with transaction.atomic(), connection.cursor() as cursor:
        datetime_type = connection.data_types["DateTimeField"]
        cursor.execute(f"DROP TABLE IF EXISTS {REPLAY_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {REPLAY_TABLE} (rule_key varchar(50) NOT NULL, "
            f"subject_key varchar(100) NOT NULL, customer_id bigint NOT NULL, order_id bigint, "
            f"detected_at {datetime_type} NOT NULL, PRIMARY KEY (rule_key, subject_key))"
        )
        full = {key: RuleStatement(key, values) for key, values in plan.params.items()}
        newly = ({key: RuleStatement(key, values, plan.step)
                  for key, values in plan.params.items()} if incremental else full)
        for number, moment in enumerate(moments, start=1):
            for key in plan.params:
                statement = (full if number == 1 else newly)[key]
                sql, sql_params = statement.at(moment)
                cursor.execute(
                    f"""
                    INSERT INTO {REPLAY_TABLE}
                        (rule_key, subject_key, customer_id, order_id, detected_at)
                    SELECT %s, m.subject_key, m.customer_id, m.order_id, %s
                    FROM ({sql}) m WHERE true
                    ON CONFLICT (rule_key, subject_key) DO NOTHING
                    """,  # noqa: S608 (the table is ours; values are parameters)
                    [key, *_adapted(moment), *sql_params],
                )
            if progress is not None:
                progress(number, len(moments))
        rules, detections = _judge(cursor, plan)
        cursor.execute(f"DROP TABLE {REPLAY_TABLE}")
    return ReplayReport(start=plan.start, end=plan.end, step=plan.step, steps=len(moments),
                        rules=rules, params=plan.params, detections=detections)


class RuleStatement:
    """A rule's match query as of any moment, compiled by Django once instead of at every
    step (compiling costs more than running it on a small database).

    A rule's SQL as of two moments differs only in its parameters, each a constant or the
    moment plus a fixed offset (``as_of - grace``). The query is compiled as of three
    moments; when the text is the same and every parameter is a constant or moves with the
    moment, later moments only shift the parameters. Otherwise (a rule whose SQL depends on
    the moment in another way, or a database that passes times as text) it is compiled at
    every step. Moments near the present (``is_live``) are always compiled: the rules read
    other columns there.

    With ``step``, the query is the rule's incremental one (``since`` = one step earlier):
    only the subjects that can have started matching during the step."""

    PROBES = (dt.datetime(2001, 1, 1, tzinfo=dt.UTC), dt.datetime(2002, 3, 5, 7, tzinfo=dt.UTC),
              dt.datetime(2003, 6, 9, 11, 13, tzinfo=dt.UTC))

    def __init__(self, key: str, params: dict[str, int],
                 step: dt.timedelta | None = None) -> None:
        self.rule, self.params, self.step = RULES[key], params, step
        compiled = [self._compile(moment) for moment in self.PROBES]
        self.sql = compiled[0][0]
        self.shifts: list[tuple[bool, object]] | None = None
        if all(sql == self.sql for sql, _params in compiled):
            self.shifts = self._shifts(compiled)

    def _compile(self, moment: dt.datetime) -> tuple[str, tuple]:
        since = None if self.step is None else moment - self.step
        return self.rule.matches(moment, self.params, since=since).query.sql_with_params()

    def _shifts(self, compiled: list[tuple[str, tuple]]) -> list[tuple[bool, object]] | None:
        """Per parameter (moves with the moment, offset or constant); None when one does
        neither."""
        shifts = []
        for values in zip(*(params for _sql, params in compiled), strict=True):
            if all(value == values[0] for value in values):
                shifts.append((False, values[0]))
            elif all(isinstance(value, dt.datetime) for value in values) and len(
                    {value - probe for value, probe in zip(values, self.PROBES,
                                                           strict=True)}) == 1:
                shifts.append((True, values[0] - self.PROBES[0]))
            else:
                return None
        return shifts

    def at(self, moment: dt.datetime) -> tuple[str, list]:
        if self.shifts is None or is_live(moment):
            sql, params = self._compile(moment)
            return sql, list(params)
        return self.sql, [moment + value if moves else value for moves, value in self.shifts]


def _adapted(moment: dt.datetime) -> list:
    return [connection.ops.adapt_datetimefield_value(moment)]


def _judge(cursor, plan: ReplayPlan) -> tuple[list[RuleReplay], dict]:
    """Each first detection beside the order's outcome and the customer's first contact."""
    qn = connection.ops.quote_name
    orders, events, contacts = (qn(model._meta.db_table)
                                for model in (Order, ShipmentEvent, Contact))
    lasting = ", ".join(["%s"] * len(LASTING_CODES))
    cursor.execute(
        f"""
        SELECT r.rule_key, r.subject_key, r.order_id, r.detected_at, o.promised_delivery_at,
            o.delivered_at,
            EXISTS (SELECT 1 FROM {events} e
                    WHERE e.order_id = r.order_id AND e.code IN ({lasting})),
            CASE WHEN r.order_id IS NOT NULL
                THEN (SELECT min(c.occurred_at) FROM {contacts} c WHERE c.order_id = r.order_id)
                ELSE (SELECT min(c.occurred_at) FROM {contacts} c
                      WHERE c.customer_id = r.customer_id AND c.occurred_at >= %s)
            END
        FROM {REPLAY_TABLE} r LEFT JOIN {orders} o ON o.id = r.order_id
        """,  # noqa: S608
        [*LASTING_CODES, *_adapted(plan.start)],
    )
    now = timezone.now()
    tallies = {key: {"signals": 0, "problems": 0, "contact": 0, "caught": 0, "false": 0,
                     "leads": []} for key in plan.params}
    detections = {}
    for key, subject, order_id, detected, promised, delivered, troubled, contact in (
            cursor.fetchall()):
        detected, promised, delivered, contact = map(
            _moment, (detected, promised, delivered, contact))
        detections[key, subject] = detected
        tally = tallies[key]
        tally["signals"] += 1
        if order_id is None:
            problem = True
        else:
            late = promised is not None and (
                (delivered is not None and delivered > promised)
                or (delivered is None and promised < now))
            problem = late or bool(troubled)
            if not problem and delivered is not None:
                tally["false"] += 1
        if not problem:
            continue
        tally["problems"] += 1
        if contact is not None:
            tally["contact"] += 1
            if detected < contact:
                tally["caught"] += 1
                tally["leads"].append((contact - detected).total_seconds() / 3600)
    rules = [
        RuleReplay(
            key=key, label=str(RULES[key].label), signals=tally["signals"],
            problem_orders=tally["problems"], with_contact=tally["contact"],
            caught_before_contact=tally["caught"],
            median_lead_hours=(round(statistics.median(tally["leads"]), 1)
                               if tally["leads"] else None),
            false_alarms=tally["false"],
        )
        for key, tally in tallies.items()
    ]
    return rules, detections


def _moment(value) -> dt.datetime | None:
    """A datetime from a raw row: aware on PostgreSQL, text (UTC) on SQLite."""
    if value is None or isinstance(value, dt.datetime):
        return value if value is None or timezone.is_aware(value) else value.replace(
            tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


# --- backtests: the same replay on a worker, asked for from the Rules page --------------------


def start_backtest(*, rule_key: str = "", params: dict | None = None, start: dt.datetime,
                   end: dt.datetime, step: dt.timedelta, requested_by=None) -> RiskBacktest:
    """Check the request, record it, and hand it to a worker once the transaction commits."""
    plan = plan_replay(start=start, end=end, step=step,
                       keys=[rule_key] if rule_key else None, params=params)
    backtest = RiskBacktest.objects.create(
        rule_key=rule_key, params={str(name): str(value) for name, value in
                                   (params or {}).items()},
        start=plan.start, end=plan.end, step_minutes=int(step.total_seconds() // 60),
        requested_by=requested_by,
    )
    transaction.on_commit(partial(tasks.run_risk_backtest.delay, backtest_id=backtest.pk))
    return backtest


def run_backtest(*, backtest_id: int) -> RiskBacktest | None:
    """Run a waiting backtest (None when another worker has it or it is finished). A replay
    writes nothing, so running one again after a worker died is harmless."""
    claimed = RiskBacktest.objects.filter(
        pk=backtest_id, status=RiskBacktest.Status.PENDING,
    ).update(status=RiskBacktest.Status.RUNNING, started_at=timezone.now())
    if not claimed:
        return None
    backtest = RiskBacktest.objects.get(pk=backtest_id)
    try:
        report = replay_risk(
            start=backtest.start, end=backtest.end,
            step=dt.timedelta(minutes=backtest.step_minutes),
            keys=[backtest.rule_key] if backtest.rule_key else None, params=backtest.params,
        )
    except Exception as error:
        logger.exception("Risk backtest %s failed", backtest_id)
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else (
            f"{type(error).__name__}: {error}")
        backtest.status, backtest.error = RiskBacktest.Status.FAILED, message[:2000]
    else:
        backtest.status, backtest.result = RiskBacktest.Status.DONE, report.as_dict()
    backtest.finished_at = timezone.now()
    backtest.save(update_fields=["status", "error", "result", "finished_at"])
    return backtest


@register_pending_work("risk backtests")
def requeue_stale_backtests() -> int:
    """Backtests whose task the broker lost, or whose worker died mid-way: asked for again."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.PENDING_WORK_STALE_AFTER)
    lost = now - dt.timedelta(seconds=settings.RUNNING_WORK_TIMEOUT)
    waiting = (Q(status=RiskBacktest.Status.PENDING, enqueued_at__lt=stale)
               | Q(status=RiskBacktest.Status.RUNNING, started_at__lt=lost))
    return requeue_waiting(
        RiskBacktest, waiting, lambda pk: tasks.run_risk_backtest.delay(backtest_id=pk),
        limit=100, status=RiskBacktest.Status.PENDING, enqueued_at=now, started_at=None)
