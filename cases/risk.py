"""Proactive risk rules: small classes that say, in set-based SQL, which orders or customers
are in trouble as of a moment, and the registry the engine runs them from.

A rule never loops over the orders table in Python: ``matches`` returns a queryset whose
rows are the signals (``subject_key``, ``customer_id``, ``order_id``, ``severity``,
``facts``), and the engine stores them with one ``INSERT … SELECT`` (see
``cases.services.risk``). Every rule is evaluated *as of* a time: only orders placed, events
that occurred and were received, and deliveries made up to then count, so a past month can
be replayed hour by hour and give the answers the desk would have given.

Other apps register their rules from their own ``risk.py`` with ``register_rule``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar

from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    JSONField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import (
    Case as SqlCase,
)
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Impact, Order, Priority, ShipmentEvent

# Evaluations within this window of the clock count as "the present" (see ``is_live``).
LIVE_WINDOW = dt.timedelta(minutes=5)
# Carrier events that mean the parcel is in trouble, not merely slow.
EXCEPTION_CODES = ("exception", "failed_attempt", "damaged", "lost", "returned_to_sender")
# Of those, the troubles a delivery does not end.
LASTING_CODES = ("damaged", "lost", "returned_to_sender")


@dataclass(frozen=True)
class Param:
    """One setting of a rule, with its type and the range a manager may set."""

    label: Any
    default: int
    minimum: int = 0
    maximum: int = 10_000
    help: Any = ""

    def clean(self, name: str, raw: object) -> int:
        """The value as an int, or ``ValueError`` with a message naming the parameter."""
        if isinstance(raw, bool):
            raise ValueError(_("%(name)s must be a whole number.") % {"name": name})
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError(
                _("%(name)s must be a whole number, not %(value)r.") % {"name": name,
                                                                     "value": raw}
            ) from None
        if not self.minimum <= value <= self.maximum:
            raise ValueError(
                _("%(name)s must be between %(min)s and %(max)s; %(value)s is not.")
                % {"name": name, "min": self.minimum, "max": self.maximum, "value": value}
            )
        return value


class Rule:
    """A risk rule. Subclasses set the class attributes and implement ``matches``."""

    key: ClassVar[str]
    label: ClassVar[Any]
    description: ClassVar[Any]
    params: ClassVar[dict[str, Param]] = {}
    case_kind: ClassVar[str]
    case_origin: ClassVar[str] = Case.Origin.PROACTIVE  # what a case it opens says it came from
    default_priority: ClassVar[int] = Priority.NORMAL
    notify_team: ClassVar[bool] = False  # tell the owner team at once (critical orders)
    # What a signal is about: "order" (subject ids are order pks), "customer", or
    # something of another app's (its ``subjects_of`` then says which changed).
    subject: ClassVar[str] = "order"

    def matches(self, as_of: dt.datetime, params: dict[str, int],
                since: dt.datetime | None = None) -> QuerySet:
        """The signals as of ``as_of``: a ``values()`` queryset with ``subject_key``,
        ``customer_id``, ``order_id`` (or None), ``severity`` (1 to 4) and ``facts``.

        With ``since`` (earlier than ``as_of``) a rule *may* leave out subjects that
        already matched as of ``since``: the result must hold every subject that matches as
        of ``as_of`` and did not as of ``since``, and nothing that does not match as of
        ``as_of``. A replay, which only wants each subject's first match, then reads a
        narrow index range per step instead of every open order. A rule that ignores
        ``since`` is correct, only slower to replay."""
        raise NotImplementedError

    def recheck(self, as_of: dt.datetime, params: dict[str, int], among: Any) -> QuerySet:
        """The signals as of ``as_of`` among these subjects only (``among``: an expression
        of subject ids usable as ``pk__in=among``, such as a subquery): what a live run
        asks about the few orders that changed since the last run. Must give the same rows
        as ``matches`` restricted to ``among``; a rule whose ``matches`` reads more than
        it needs when narrowed afterwards overrides this."""
        return self.matches(as_of, params).filter(pk__in=among)

    def expiring(self, as_of: dt.datetime, params: dict[str, int],
                 since: dt.datetime) -> QuerySet | None:
        """Subject ids whose match may have *ended* between ``since`` and ``as_of`` by the
        passing of time alone, with no data changed (at risk: the promise passed). A live
        run re-checks them with the subjects whose data changed. None when time alone ends
        no match."""
        return None

    def subjects_of(self, orders: QuerySet[Order], as_of: dt.datetime,
                    params: dict[str, int]) -> QuerySet:
        """The subject ids a change to these orders (an ``Order`` queryset) may concern: a
        live run re-checks them. By default every order (or its customer); a rule may leave
        out those it can tell at a glance neither match now nor have an open signal."""
        if self.subject == "customer":
            return Order.objects.filter(pk__in=orders).values("customer_id")
        return orders.values("pk")

    def open_signals(self) -> QuerySet:
        """This rule's signals not yet cleared."""
        from cases.models import RiskSignal

        return RiskSignal.objects.filter(rule__key=self.key, cleared_at__isnull=True)

    def candidates(self, as_of: dt.datetime, params: dict[str, int]) -> QuerySet | None:
        """The rows the rule had to look at (its run history reports how many); None when
        counting them would cost a second evaluation: the matches are reported instead."""
        return open_orders(as_of)

    def title(self, facts: dict) -> str:
        return str(self.label)

    def describe(self, facts: dict) -> str:
        """What is happening, in a sentence for the timeline and the customer's email."""
        return str(self.description)

    # --- helpers --------------------------------------------------------------------------

    def clean_params(self, raw: dict | None) -> dict[str, int]:
        """Defaults overlaid with ``raw``; ``ValueError`` names the first bad parameter."""
        raw = raw or {}
        unknown = sorted(set(raw) - set(self.params))
        if unknown:
            raise ValueError(_("This rule has no parameter %(name)s.") % {"name": unknown[0]})
        return {name: param.clean(name, raw.get(name, param.default))
                for name, param in self.params.items()}


RULES: dict[str, Rule] = {}


def register_rule(rule_class: type[Rule]) -> type[Rule]:
    """Add a rule to the engine; its ``RiskRule`` row is created (disabled) on first use."""
    RULES[rule_class.key] = rule_class()
    return rule_class


def get_rule(key: str) -> Rule:
    try:
        return RULES[key]
    except KeyError:
        raise ValueError(_("There is no risk rule %(key)s.") % {"key": key}) from None


# --- building blocks, all as of a moment ---------------------------------------------------


def open_orders(as_of: dt.datetime) -> QuerySet[Order]:
    """Orders placed by ``as_of`` and not delivered by then."""
    return Order.objects.filter(
        Q(delivered_at__isnull=True) | Q(delivered_at__gt=as_of), ordered_at__lte=as_of
    )


def known_events(as_of: dt.datetime) -> QuerySet[ShipmentEvent]:
    """Carrier events that had happened and reached the desk by ``as_of``."""
    return ShipmentEvent.objects.filter(occurred_at__lte=as_of, received_at__lte=as_of)


def order_key() -> Concat:
    return Concat(Value("order:"), Cast("pk", CharField()), output_field=CharField())


def severity_by_value(critical_severity: int = Impact.Severity.SEVERE) -> SqlCase:
    """A critical order's trouble is severe; any other order's is moderate."""
    return SqlCase(When(critical=True, then=Value(critical_severity)),
                   default=Value(Impact.Severity.MODERATE), output_field=IntegerField())


def order_facts(**extra) -> JSONObject:
    return JSONObject(
        order=F("external_ref"), value=Cast("value", CharField()), currency=F("currency"),
        critical=F("critical"), promised=F("promised_delivery_at"), carrier=F("carrier"),
        **extra,
    )


def late_orders(as_of: dt.datetime, params: dict[str, int],
                since: dt.datetime | None = None, among: Any = None) -> QuerySet[Order]:
    """Not delivered as of ``as_of`` and past the promise by the grace period. With
    ``since``: only those whose grace ran out after it, or placed after it (a delivery
    only clears). With ``among``: only those orders."""
    grace = dt.timedelta(hours=params["grace_hours"])
    orders = open_orders(as_of).filter(promised_delivery_at__lt=as_of - grace)
    if among is not None:
        orders = orders.filter(pk__in=among)
    if since is not None:  # two narrow index ranges (order_promised_idx, order_placed_idx)
        orders = orders.filter(
            Q(promised_delivery_at__gte=since - grace, promised_delivery_at__lt=as_of - grace)
            | Q(ordered_at__gt=since, ordered_at__lte=as_of))
    return orders


def latest_estimate(as_of: dt.datetime) -> Subquery:
    return Subquery(
        known_events(as_of).filter(order=OuterRef("pk"), estimated_delivery_at__isnull=False)
        .order_by("-occurred_at").values("estimated_delivery_at")[:1]
    )


def latest_scan(as_of: dt.datetime) -> Subquery:
    return Subquery(
        known_events(as_of).filter(order=OuterRef("pk"))
        .order_by("-occurred_at").values("occurred_at")[:1]
    )


def is_live(as_of: dt.datetime) -> bool:
    """Evaluating the present: what ingestion keeps on the order (the carrier's newest
    estimate, the last scan) is then exactly what the events say as of ``as_of``."""
    return as_of >= timezone.now() - LIVE_WINDOW


def at_risk_orders(as_of: dt.datetime, params: dict[str, int],
                   since: dt.datetime | None = None, among: Any = None) -> QuerySet[Order]:
    """Not late yet, but the carrier's newest estimate is after the promise, or the parcel
    has not been scanned for hours while in transit, or it has not left close to the
    promised date.

    In the present the newest estimate and scan come from the order's own columns (kept by
    ``refresh_delivery``); as of a past moment, from the events known then (one index probe
    per open order on ``shipment_order_recent_idx``). Tests check both give one answer.

    With ``since``, only the orders for which something that can start a match happened
    after it: placed; shipped; the carrier's silence or the ship-by time running out
    (its scans and shipping ``silent_hours`` ago, its promise ``ship_by_hours`` ahead); an
    event becoming known (a new estimate). Everything else only ends a match: a delivery,
    a scan, the promise passing."""
    silence = dt.timedelta(hours=params["silent_hours"])
    silent = as_of - silence
    ship_by = as_of + dt.timedelta(hours=params["ship_by_hours"])
    shipped = Q(shipped_at__isnull=False, shipped_at__lte=as_of)
    orders = open_orders(as_of).filter(promised_delivery_at__gte=as_of)
    if among is not None:
        orders = orders.filter(pk__in=among)
    if since is not None:
        events = ShipmentEvent.objects.filter(
            Q(occurred_at__gt=since, occurred_at__lte=as_of)
            | Q(received_at__gt=since, received_at__lte=as_of)
            | Q(occurred_at__gte=since - silence, occurred_at__lt=silent)
        ).values("order_id")
        # Each a narrow index range; their union (a few hundred orders an hour) drives.
        narrow = [
            Q(ordered_at__gt=since, ordered_at__lte=as_of),
            Q(shipped_at__gt=since, shipped_at__lte=as_of),
            Q(shipped_at__gte=since - silence, shipped_at__lt=silent),
            Q(promised_delivery_at__gte=since + (ship_by - as_of),
              promised_delivery_at__lt=ship_by),
        ]
        touched = events.order_by().union(
            *(Order.objects.filter(condition).values("pk").order_by() for condition in narrow))
        orders = orders.filter(pk__in=touched)
    if is_live(as_of):
        orders = orders.annotate(estimate=F("expected_delivery_at"), last_scan=F("last_scan_at"))
    else:
        orders = orders.annotate(estimate=latest_estimate(as_of), last_scan=latest_scan(as_of))
    return (
        orders
        .annotate(reason=SqlCase(
            When(estimate__gt=F("promised_delivery_at"), then=Value("estimate_after_promise")),
            When(shipped & (Q(last_scan__lt=silent) | Q(last_scan__isnull=True,
                                                        shipped_at__lt=silent)),
                 then=Value("no_scan")),
            When(~shipped & Q(promised_delivery_at__lt=ship_by), then=Value("not_shipped")),
            default=Value(""), output_field=CharField(),
        ))
        .exclude(reason="")
    )


def at_risk_expiring(as_of: dt.datetime, since: dt.datetime) -> QuerySet:
    """Open orders whose promise passed between ``since`` and ``as_of``."""
    return open_orders(as_of).filter(
        promised_delivery_at__gte=since, promised_delivery_at__lt=as_of).values("pk")


def exception_orders(as_of: dt.datetime, since: dt.datetime | None = None,
                     among: Any = None) -> QuerySet[Order]:
    """Orders with a carrier exception, failed attempt, damage, loss or return on record.
    An exception or failed attempt clears when the order arrives; the others stay. With
    ``since``: only orders whose trouble became known after it, the only ones that can
    have started matching since (a delivery only clears). With ``among``: only those
    orders, each one's events read through its index."""
    every_report = known_events(as_of).filter(code__in=EXCEPTION_CODES)
    troubled = every_report.filter(order=OuterRef("pk"))
    reported = every_report
    if since is not None:  # (a carrier's events happen after the order was placed)
        reported = every_report.filter(Q(occurred_at__gt=since) | Q(received_at__gt=since))
    lasting = troubled.filter(code__in=LASTING_CODES)
    delivered = Q(delivered_at__isnull=False, delivered_at__lte=as_of)
    newest = troubled.order_by("-occurred_at").values(
        event=JSONObject(code=F("code"), at=F("occurred_at"), note=F("description")))[:1]
    if among is not None:  # from the few orders to their events
        return (
            Order.objects.filter(pk__in=among, ordered_at__lte=as_of)
            .filter(Exists(troubled)).filter(~delivered | Q(Exists(lasting)))
            .annotate(newest_event=Subquery(newest, output_field=JSONField()))
        )
    return (
        # From the (few) exception events to their orders, never the other way round.
        Order.objects.filter(pk__in=reported.values("order_id"), ordered_at__lte=as_of)
        .filter(~delivered | Q(Exists(lasting)))
        .annotate(newest_event=Subquery(newest, output_field=JSONField()))
    )


def _order_signals(orders: QuerySet[Order], critical_severity: int, **facts) -> QuerySet:
    return orders.order_by().values(
        "customer_id",
        subject_key=order_key(), order_id=F("pk"),
        severity=severity_by_value(critical_severity), facts=order_facts(**facts),
    )


# --- the rules shipped with the desk ---------------------------------------------------------


@register_rule
class LateDelivery(Rule):
    key = "late_delivery"
    label = _("Late delivery")
    description = _("Not delivered, and past the promised delivery date.")
    params = {"grace_hours": Param(_("Grace period (hours)"), 2, 0, 24 * 14,
                                   _("How long after the promised time an order counts as "
                                     "late."))}
    case_kind = Case.Kind.LATE_DELIVERY
    default_priority = Priority.NORMAL

    def matches(self, as_of, params, since=None):
        return _order_signals(late_orders(as_of, params, since), Impact.Severity.SEVERE)

    def candidates(self, as_of, params):
        return open_orders(as_of).filter(promised_delivery_at__lt=as_of)

    def title(self, facts):
        return _("Order %(order)s is late") % {"order": facts.get("order", "")}

    def describe(self, facts):
        return _("Order %(order)s has not arrived and is past the delivery date we "
                 "promised.") % {"order": facts.get("order", "")}


@register_rule
class AtRisk(Rule):
    key = "at_risk"
    label = _("Delivery at risk")
    description = _("The carrier's newest estimate is after the promised date, the parcel "
                    "has not been scanned for hours, or it has not shipped close to the "
                    "promised date.")
    params = {
        "silent_hours": Param(_("No carrier scan for (hours)"), 48, 1, 24 * 30),
        "ship_by_hours": Param(_("Not shipped this close to the promise (hours)"), 24, 1,
                               24 * 30),
    }
    case_kind = Case.Kind.LATE_DELIVERY
    default_priority = Priority.NORMAL

    def matches(self, as_of, params, since=None):
        orders = at_risk_orders(as_of, params, since)
        return _order_signals(orders, Impact.Severity.MODERATE, reason=F("reason"),
                              estimate=F("estimate"), last_scan=F("last_scan"))

    def expiring(self, as_of, params, since):
        # Once the promise has passed an order is late, no longer "at risk".
        return at_risk_expiring(as_of, since)

    def candidates(self, as_of, params):
        return open_orders(as_of).filter(promised_delivery_at__gte=as_of)

    def title(self, facts):
        return _("Order %(order)s may arrive late") % {"order": facts.get("order", "")}

    def describe(self, facts):
        reasons = {
            "estimate_after_promise": _("the carrier now expects to deliver it after the "
                                        "date we promised"),
            "no_scan": _("the carrier has not scanned it for a long time"),
            "not_shipped": _("it has not left our warehouse and the promised date is close"),
        }
        return _("Order %(order)s may arrive late: %(reason)s.") % {
            "order": facts.get("order", ""), "reason": reasons.get(facts.get("reason"), "")}


@register_rule
class CarrierException(Rule):
    key = "carrier_exception"
    label = _("Carrier exception")
    description = _("The carrier reported an exception, a failed delivery attempt, damage, "
                    "loss or a return to sender.")
    case_kind = Case.Kind.DAMAGED_OR_LOST
    default_priority = Priority.HIGH

    def matches(self, as_of, params, since=None):
        return _order_signals(exception_orders(as_of, since), Impact.Severity.SEVERE,
                              event=F("newest_event"))

    def recheck(self, as_of, params, among):
        return _order_signals(exception_orders(as_of, among=among), Impact.Severity.SEVERE,
                              event=F("newest_event"))

    def candidates(self, as_of, params):
        return known_events(as_of).filter(code__in=EXCEPTION_CODES)

    def title(self, facts):
        return _("Carrier problem with order %(order)s") % {"order": facts.get("order", "")}

    def describe(self, facts):
        events = dict(ShipmentEvent.Code.choices)
        code = (facts.get("event") or {}).get("code", "")
        return _("The carrier reported for order %(order)s: %(event)s.") % {
            "order": facts.get("order", ""), "event": str(events.get(code, code)).lower()}


@register_rule
class CriticalOrderWatch(Rule):
    key = "critical_order_watch"
    label = _("Critical order watch")
    description = _("Any of the other checks on an order the customer depends on: opens at "
                    "the highest priority and tells the owner team at once.")
    params = {
        "grace_hours": Param(_("Grace period (hours)"), 0, 0, 24 * 14),
        "silent_hours": Param(_("No carrier scan for (hours)"), 24, 1, 24 * 30),
        "ship_by_hours": Param(_("Not shipped this close to the promise (hours)"), 48, 1,
                               24 * 30),
    }
    case_kind = Case.Kind.LATE_DELIVERY
    default_priority = Priority.URGENT
    notify_team = True

    def matches(self, as_of, params, since=None):
        return self._signals(as_of, params, since=since)

    def recheck(self, as_of, params, among):
        return self._signals(as_of, params, among=among)

    def expiring(self, as_of, params, since):
        return at_risk_expiring(as_of, since).filter(critical=True)

    def subjects_of(self, orders, as_of, params):
        # Critical orders only, and those with an open signal (no longer flagged critical).
        return orders.filter(Q(critical=True) | Q(pk__in=self.open_signals().values(
            "order_id"))).values("pk")

    def _signals(self, as_of, params, since=None, among=None):
        # The orders that became late, at risk or troubled (since ``since``; among
        # ``among``), each then named by its worst trouble from its own row and events.
        new_late = late_orders(as_of, params, since, among).filter(critical=True).values("pk")
        new_trouble = exception_orders(as_of, since, among).filter(critical=True).values("pk")
        risky = at_risk_orders(as_of, params, since, among).filter(critical=True).values("pk")
        grace = dt.timedelta(hours=params["grace_hours"])
        orders = Order.objects.filter(
            pk__in=new_late.order_by().union(risky.order_by(), new_trouble.order_by())
        ).annotate(reason=SqlCase(
            # Delivered orders are here only for lasting trouble; open ones for any.
            When(Exists(known_events(as_of).filter(order=OuterRef("pk"),
                                                   code__in=EXCEPTION_CODES)),
                 then=Value("carrier_exception")),
            When(promised_delivery_at__lt=as_of - grace, then=Value("late")),
            default=Value("at_risk"), output_field=CharField(),
        ))
        return _order_signals(orders, Impact.Severity.CRITICAL, reason=F("reason"))

    def candidates(self, as_of, params):
        return open_orders(as_of).filter(critical=True)

    def title(self, facts):
        return _("Critical order %(order)s in trouble") % {"order": facts.get("order", "")}

    def describe(self, facts):
        reasons = {"late": _("it is late"), "at_risk": _("it may arrive late"),
                   "carrier_exception": _("the carrier reported a problem")}
        return _("Critical order %(order)s: %(reason)s. The customer depends on it.") % {
            "order": facts.get("order", ""), "reason": reasons.get(facts.get("reason"), "")}


@register_rule
class RepeatedTrouble(Rule):
    key = "repeated_trouble"
    label = _("Repeated trouble")
    description = _("A customer with several problem orders in a short time: a churn risk, "
                    "even when each order alone was minor.")
    params = {
        "problem_orders": Param(_("Problem orders"), 2, 2, 100),
        "window_days": Param(_("Within (days)"), 90, 1, 730),
        "grace_hours": Param(_("Grace period (hours)"), 2, 0, 24 * 14),
    }
    case_kind = Case.Kind.CHURN_RISK
    default_priority = Priority.HIGH
    subject = "customer"

    def problem_orders(self, as_of, params, since=None, among=None) -> QuerySet[Order]:
        """Orders placed in the window that were late, arrived late or had carrier
        trouble, as of ``as_of``; with ``since``, only those of customers with a problem
        order that became one after it (or was placed after it): a customer's count can
        only have grown through such an order, since the window moving on only drops
        orders. With ``among``: only those customers' orders."""
        window = as_of - dt.timedelta(days=params["window_days"])
        grace = dt.timedelta(hours=params["grace_hours"])
        # Three indexed lookups (undelivered orders past their promise, late deliveries in
        # the window, exception events in the window), each narrowed to the orders placed in
        # the window, so the orders table is only read by primary key afterwards.
        placed = Q(ordered_at__gt=window, ordered_at__lte=as_of)
        still_late = late_orders(as_of, params).filter(placed).values("pk")
        arrived_late = (
            Order.objects.filter(placed, delivered_at__gt=window, delivered_at__lte=as_of)
            # delivered_at > promised: the partial index of late deliveries
            .filter(delivered_at__gt=F("promised_delivery_at"))
            .filter(delivered_at__gt=F("promised_delivery_at") + grace).values("pk")
        )
        reports = known_events(as_of).filter(code__in=EXCEPTION_CODES, occurred_at__gt=window)
        troubled = Order.objects.filter(placed, pk__in=reports.values("order_id")).values("pk")
        if since is None and among is None:
            problems = still_late.order_by().union(arrived_late.order_by(),
                                                   troubled.order_by())
            return Order.objects.filter(placed, pk__in=problems)
        if among is not None:
            # A few customers: each one's orders in the window through order_customer_idx,
            # and each order's exception reports through its own index.
            return Order.objects.filter(customer_id__in=among).filter(
                self.is_problem(as_of, params))
        open_then = Q(delivered_at__isnull=True) | Q(delivered_at__gt=as_of)
        problem = (
            Q(open_then, promised_delivery_at__lt=as_of - grace)
            | (Q(delivered_at__gt=window, delivered_at__lte=as_of)
               & Q(delivered_at__gt=F("promised_delivery_at") + grace))
        )
        # The few customers with an order that became a problem during the step, and each
        # one's orders in the window read through order_customer_idx.
        newly = (
            late_orders(as_of, params, since).filter(placed).values("customer_id")
            .order_by()
            .union(
                arrived_late.filter(delivered_at__gt=since).values("customer_id").order_by(),
                Order.objects.filter(placed, pk__in=reports.filter(
                    Q(occurred_at__gt=since) | Q(received_at__gt=since)).values(
                    "order_id")).values("customer_id").order_by(),
            )
        )
        return Order.objects.filter(placed, customer_id__in=newly).filter(
            problem | Q(pk__in=reports.values("order_id")))

    def is_problem(self, as_of, params) -> Q:
        """An order's own test, for one order at a time: placed in the window and late,
        delivered late or with carrier trouble reported in the window."""
        window = as_of - dt.timedelta(days=params["window_days"])
        grace = dt.timedelta(hours=params["grace_hours"])
        open_then = Q(delivered_at__isnull=True) | Q(delivered_at__gt=as_of)
        reports = known_events(as_of).filter(code__in=EXCEPTION_CODES, occurred_at__gt=window,
                                             order=OuterRef("pk"))
        return Q(ordered_at__gt=window, ordered_at__lte=as_of) & (
            Q(open_then, promised_delivery_at__lt=as_of - grace)
            | (Q(delivered_at__gt=window, delivered_at__lte=as_of)
               & Q(delivered_at__gt=F("promised_delivery_at") + grace))
            | Q(Exists(reports))
        )

    def subjects_of(self, orders, as_of, params):
        # A customer's count changes only through an order that is a problem now (it may
        # have just become one) or, for a customer already flagged, any change at all.
        return orders.filter(
            Q(self.is_problem(as_of, params))
            | Q(customer_id__in=self.open_signals().values("customer_id"))
        ).values("customer_id")

    def matches(self, as_of, params, since=None):
        return self._signals(self.problem_orders(as_of, params, since), params)

    def recheck(self, as_of, params, among):
        return self._signals(self.problem_orders(as_of, params, among=among), params)

    def expiring(self, as_of, params, since):
        # The window moving on drops the orders placed just before it.
        window = dt.timedelta(days=params["window_days"])
        return Order.objects.filter(ordered_at__gt=since - window,
                                    ordered_at__lte=as_of - window).values("customer_id")

    def _signals(self, problems, params):
        return (
            problems.values("customer_id")
            .annotate(problems=Count("pk"), latest=Max("ordered_at"))
            .filter(problems__gte=params["problem_orders"])
            .values(
                "customer_id",
                subject_key=Concat(Value("customer:"), Cast("customer_id", CharField()),
                                   output_field=CharField()),
                order_id=Cast(Value(None), BigIntegerField()),
                severity=Value(Impact.Severity.MODERATE),
                facts=JSONObject(problem_orders=F("problems"), latest=F("latest"),
                                 window_days=Value(params["window_days"])),
            )
        )

    def candidates(self, as_of, params):
        return None  # the problem orders are the rule's whole cost: not counted twice

    def title(self, facts):
        return _("Repeated trouble: %(count)s problem orders") % {
            "count": facts.get("problem_orders", "")}

    def describe(self, facts):
        return _("%(count)s problem orders in %(days)s days: this customer may be "
                 "thinking of leaving.") % {"count": facts.get("problem_orders", ""),
                                            "days": facts.get("window_days", "")}
