"""Reads for one case: its page, its timeline, the customer relationship and the loss.

Everything the case page and the decision brief show comes from here, in a fixed number
of queries whatever the number of orders, remedies or timeline events.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Min, Prefetch, Q, QuerySet, Sum, Window
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from cases.display import Moment, choice_label, local_format, moment, staff_name
from cases.models import (
    ADVOCATES,
    MANAGERS,
    Case,
    CaseEvent,
    Contact,
    Customer,
    DeliveryState,
    DeskSettings,
    Impact,
    Order,
    OutboundEmail,
    Priority,
    Remedy,
    ShipmentEvent,
    SlaTarget,
)
from cases.selectors.customers import latest_shipment_events

YEAR = dt.timedelta(days=365)
PREVIOUS_CASES_SHOWN = 5

# What the decision brief retells: how it started, what the customer said, what changed and
# what was decided. Notes stay on the case page.
BRIEF_EVENT_KINDS = (
    CaseEvent.Kind.OPENED, CaseEvent.Kind.SIGNAL, CaseEvent.Kind.CONTACT,
    CaseEvent.Kind.STATUS, CaseEvent.Kind.PRIORITY, CaseEvent.Kind.IMPACT,
    CaseEvent.Kind.REMEDY_PROPOSED, CaseEvent.Kind.REMEDY_DECIDED, CaseEvent.Kind.EMAIL,
    CaseEvent.Kind.RESOLVED, CaseEvent.Kind.REOPENED,
)
# The timeline's filters: what the customer and the desk said, or what changed.
TIMELINE_FILTERS = {
    "conversation": (CaseEvent.Kind.NOTE, CaseEvent.Kind.CONTACT, CaseEvent.Kind.EMAIL),
    "changes": tuple(kind for kind in BRIEF_EVENT_KINDS
                     if kind not in (CaseEvent.Kind.CONTACT, CaseEvent.Kind.EMAIL)),
}


# --- the case -----------------------------------------------------------------------------


def case_detail(*, pk: int) -> Case:
    """A case with its customer, owner, team, loss impact, orders and remedies (who
    proposed and decided each); ``Case.DoesNotExist`` when there is none."""
    remedies = Remedy.objects.select_related("proposed_by", "decided_by")
    return (
        Case.objects.select_related("customer", "owner", "team", "impact__recorded_by")
        .prefetch_related(
            Prefetch("remedies", queryset=remedies),
            Prefetch("orders", queryset=Order.objects.order_by("-ordered_at", "-pk")),
            "impact__orders",
        )
        .get(pk=pk)
    )


def case_impact(*, case: Case) -> Impact | None:
    """The recorded loss of a case from ``case_detail``, or None (no query)."""
    return getattr(case, "impact", None)


def case_timeline(*, case: Case, show: str = "") -> QuerySet[CaseEvent]:
    """The case's events, newest first; ``show`` narrows to a ``TIMELINE_FILTERS`` key."""
    events = CaseEvent.objects.filter(case=case).select_related("actor")
    if show in TIMELINE_FILTERS:
        events = events.filter(kind__in=TIMELINE_FILTERS[show])
    return events.order_by("-created_at", "-pk")


def brief_events(*, case: Case) -> QuerySet[CaseEvent]:
    """The story for decision makers, oldest first: no notes."""
    return (
        CaseEvent.objects.filter(case=case, kind__in=BRIEF_EVENT_KINDS)
        .select_related("actor")
        .order_by("created_at", "pk")
    )


def assignable_staff() -> QuerySet[AbstractBaseUser]:
    """Active advocates and managers, by name: who a case can be given to."""
    return (
        get_user_model().objects.filter(is_active=True, groups__name__in=[ADVOCATES, MANAGERS])
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def customer_orders_by_ref(*, customer: Customer, refs: Sequence[str]) -> dict[str, Order]:
    """The customer's orders among these external refs, keyed by ref (one query)."""
    return {order.external_ref: order
            for order in Order.objects.filter(customer=customer, external_ref__in=refs)}


def case_emails(*, case: Case, limit: int = 10) -> list[OutboundEmail]:
    """The newest emails to the customer from this case, queued, sent or not sent."""
    return list(OutboundEmail.objects.filter(case=case).select_related("created_by")
                .order_by("-created_at", "-pk")[:limit])


# --- SLA ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaClock:
    """One service-level promise: answer the customer, or resolve the case, by ``due_at``."""

    name: str  # first_response, resolution
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    now: dt.datetime

    @property
    def state(self) -> str:
        """met, missed (done late), overdue (not done, past due), due, or none."""
        if self.due_at is None:
            return "met" if self.done_at else "none"
        if self.done_at is not None:
            return "met" if self.done_at <= self.due_at else "missed"
        return "overdue" if self.now > self.due_at else "due"


def sla_clocks(*, case: Case, now: dt.datetime | None = None) -> list[SlaClock]:
    """First response and resolution against the case's targets (no query)."""
    now = now or timezone.now()
    return [
        SlaClock("first_response", case.first_response_due_at, case.first_response_at, now),
        SlaClock("resolution", case.due_at, case.resolved_at, now),
    ]


DEFAULT_SLA_HOURS = {1: (1, 24), 2: (4, 72), 3: (24, 120), 4: (48, 240)}  # as migration 0006


def sla_targets() -> list[SlaTarget]:
    """One target per priority, most urgent first; unsaved defaults where a row is missing."""
    existing = {target.priority: target for target in SlaTarget.objects.all()}
    return [
        existing.get(priority) or SlaTarget(
            priority=priority, first_response_hours=DEFAULT_SLA_HOURS[priority][0],
            resolution_hours=DEFAULT_SLA_HOURS[priority][1])
        for priority in Priority.values
    ]


def desk_settings() -> DeskSettings:
    return DeskSettings.current()


# --- the customer relationship ------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class CurrencyRevenue:
    currency: str
    last_12_months: Decimal
    orders_12_months: int
    all_time: Decimal


@dataclass(frozen=True)
class Relationship:
    """What the customer is worth to the company and how often we failed them lately."""

    customer: Customer
    revenue: list[CurrencyRevenue]
    orders_12_months: int
    first_order_at: dt.datetime | None
    previous_cases: list[Case]  # the newest few, this case excluded
    previous_cases_12_months: int
    lost_or_at_risk_12_months: int


def customer_relationship(
    *, customer: Customer, exclude: Case | None = None, now: dt.datetime | None = None,
) -> Relationship:
    """The customer's 12-month revenue and orders per currency (never added across
    currencies) and their other cases of the last 12 months. Two queries."""
    since = (now or timezone.now()) - YEAR
    rows = list(
        Order.objects.filter(customer=customer)
        .values("currency")
        .annotate(
            recent=Sum("value", filter=Q(ordered_at__gte=since)),
            recent_orders=Count("pk", filter=Q(ordered_at__gte=since)),
            all_time=Sum("value"),
            first=Min("ordered_at"),
        )
        .order_by("currency")
    )
    cases = Case.objects.filter(customer=customer, opened_at__gte=since)
    if exclude is not None:
        cases = cases.exclude(pk=exclude.pk)
    # The newest few, each carrying the counts of them all (window aggregates run before
    # the LIMIT): one query.
    previous = list(
        cases.annotate(
            total=Window(Count("pk")),
            troubled=Window(Count("pk", filter=Q(
                outcome__in=[Case.Outcome.AT_RISK, Case.Outcome.LOST]))),
        ).order_by("-opened_at", "-pk")[:PREVIOUS_CASES_SHOWN]
    )
    return Relationship(
        customer=customer,
        revenue=[
            CurrencyRevenue(row["currency"], row["recent"] or Decimal("0"),
                            row["recent_orders"], row["all_time"] or Decimal("0"))
            for row in rows
        ],
        orders_12_months=sum(row["recent_orders"] for row in rows),
        first_order_at=min((row["first"] for row in rows), default=None),
        previous_cases=previous,
        previous_cases_12_months=previous[0].total if previous else 0,
        lost_or_at_risk_12_months=previous[0].troubled if previous else 0,
    )


# --- the loss -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseOrder:
    order: Order
    delivery: DeliveryState
    latest_event: object | None  # ShipmentEvent


@dataclass(frozen=True)
class LossFigures:
    """What the desk can compute about the loss from the orders themselves."""

    orders: list[CaseOrder]
    at_stake: list[Money]  # order value per currency
    days_late: int  # the worst lateness among the orders
    late_orders: int
    critical_orders: int
    impact: Impact | None
    impact_orders: list[Order] = field(default_factory=list)


def _per_currency(pairs: Iterable[tuple[str, Decimal]]) -> list[Money]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in pairs:
        totals[currency] += amount
    return [Money(currency, totals[currency]) for currency in sorted(totals)]


def loss_figures(*, case: Case, now: dt.datetime | None = None) -> LossFigures:
    """Order value at stake per currency and how late the case's orders are, from a
    ``case_detail`` case (one query, for the carriers' latest events)."""
    now = now or timezone.now()
    orders: Sequence[Order] = list(case.orders.all())
    latest = latest_shipment_events(orders=orders) if orders else {}
    rows = [CaseOrder(order, order.delivery_state(now), latest.get(order.pk)) for order in orders]
    impact = case_impact(case=case)
    return LossFigures(
        orders=rows,
        at_stake=_per_currency((order.currency, order.value) for order in orders),
        days_late=max((row.delivery.days_late for row in rows), default=0),
        late_orders=sum(1 for row in rows if row.delivery.days_late),
        critical_orders=sum(1 for order in orders if order.critical),
        impact=impact,
        impact_orders=list(impact.orders.all()) if impact else [],
    )


# --- the timeline, readable ---------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _amount(amount: object, currency: object) -> str:
    try:
        return f"{number_format(Decimal(str(amount)), 2, force_grouping=True)} {currency}"
    except ArithmeticError:
        return f"{amount} {currency}"


def _when(value: object) -> str:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_naive(when):  # SQLite's JSON keeps UTC times without an offset
        when = when.replace(tzinfo=dt.UTC)
    return local_format(when)


def _orders(refs: object) -> str:
    return ", ".join(str(ref) for ref in refs) if isinstance(refs, list) else str(refs)


def event_facts(event: CaseEvent) -> list[Fact]:
    """An event's data in words (status from → to, amounts, decisions) for the timeline."""
    data, kind = event.data or {}, event.kind
    facts: list[Fact] = []
    if kind in (CaseEvent.Kind.STATUS, CaseEvent.Kind.PRIORITY):
        status = kind == CaseEvent.Kind.STATUS
        choices = Case.Status if status else Priority
        facts.append(Fact(_("Status") if status else _("Priority"),
                          f"{choice_label(choices, data.get('from'))} → "
                          f"{choice_label(choices, data.get('to'))}"))
        if kind == CaseEvent.Kind.PRIORITY:
            facts.append(Fact(_("By"), _("the desk's computation") if data.get("computed")
                              else _("hand, with a reason")))
    elif kind == CaseEvent.Kind.OPENED:
        facts.append(Fact(_("Origin"), choice_label(Case.Origin, data.get("origin"))))
        facts.append(Fact(_("Kind"), choice_label(Case.Kind, data.get("kind"))))
    elif kind == CaseEvent.Kind.ASSIGNED:
        facts.append(Fact(_("Owner"), data.get("owner_name") or data.get("owner")
                          or _("nobody")))
    elif kind == CaseEvent.Kind.IMPACT:
        facts.append(Fact(_("Severity"), choice_label(Impact.Severity, data.get("severity"))))
        facts.append(Fact(_("Money lost"), _amount(data.get("money_lost"), data.get("currency"))))
        facts.append(Fact(_("Days of disruption"), str(data.get("disruption_days"))))
    elif kind in (CaseEvent.Kind.REMEDY_PROPOSED, CaseEvent.Kind.REMEDY_DECIDED):
        facts.append(Fact(_("Remedy"), choice_label(Remedy.Kind, data.get("kind"))))
        if "cost" in data:
            facts.append(Fact(_("Cost"), _amount(data["cost"], data.get("currency"))))
        if "needs_manager" in data:
            facts.append(Fact(_("Decision"), _("a manager decides") if data["needs_manager"]
                              else _("within the advocate's authority")))
        if "decision" in data:
            facts.append(Fact(_("Decision"), choice_label(Remedy.Decision, data["decision"])))
    elif kind == CaseEvent.Kind.CONTACT:
        facts.append(Fact(_("Channel"), choice_label(Contact.Channel, data.get("channel"))))
        if data.get("occurred_at"):
            facts.append(Fact(_("When"), _when(data["occurred_at"])))
    elif kind == CaseEvent.Kind.RESOLVED:
        facts.append(Fact(_("Outcome"), choice_label(Case.Outcome, data.get("outcome"))))
        if data.get("hours_to_resolution") is not None:
            facts.append(Fact(_("Time to resolve"),
                              _("%(hours)s hours") % {"hours": data["hours_to_resolution"]}))
    elif kind == CaseEvent.Kind.REOPENED and data.get("previous_outcome"):
        facts.append(Fact(_("Previous outcome"),
                          choice_label(Case.Outcome, data["previous_outcome"])))
    elif kind == CaseEvent.Kind.SIGNAL:
        facts.extend(_signal_facts(data))
    elif kind == CaseEvent.Kind.EMAIL:
        for key, label in (("to", _("To")), ("subject", _("Subject"))):
            if data.get(key):
                facts.append(Fact(label, str(data[key])))
    if data.get("orders"):
        facts.append(Fact(_("Orders"), _orders(data["orders"])))
    elif data.get("order"):
        facts.append(Fact(_("Order"), str(data["order"])))
    return facts


def _signal_facts(data: dict) -> list[Fact]:
    """What a risk rule saw, and the impact it predicts, in words."""
    from cases.risk import RULES  # the registry fills as apps load

    rule = RULES.get(data.get("rule", ""))
    facts = [Fact(_("Rule"), str(rule.label) if rule else data.get("rule", ""))]
    if data.get("cleared"):
        facts.append(Fact(_("Status"), _("cleared")))
        return facts
    seen = data.get("facts") or {}
    predicted = data.get("predicted_impact") or {}
    if predicted.get("value_at_stake"):
        facts.append(Fact(_("Order value at stake"),
                          _amount(predicted["value_at_stake"], predicted.get("currency"))))
    if predicted.get("days_late"):
        facts.append(Fact(_("Days late"), number_format(predicted["days_late"], 1)))
    for key, label in (("promised", _("Promised")), ("estimate", _("Carrier's estimate")),
                       ("last_scan", _("Last carrier scan"))):
        if seen.get(key):
            facts.append(Fact(label, _when(seen[key])))
    event = seen.get("event")
    if isinstance(event, dict) and event.get("code"):
        note = f" ({event['note']})" if event.get("note") else ""
        facts.append(Fact(_("Carrier reported"),
                          choice_label(ShipmentEvent.Code, event["code"]) + note))
    if seen.get("problem_orders"):
        facts.append(Fact(_("Problem orders"), _("%(count)s in %(days)s days") % {
            "count": seen["problem_orders"], "days": seen.get("window_days", "")}))
    if data.get("severity"):
        facts.append(Fact(_("Severity"), choice_label(Impact.Severity, data["severity"])))
    return facts


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event as the timeline shows it, written out: the template only places it."""

    event: CaseEvent
    facts: list[Fact]
    kind_label: str
    actor_name: str  # the person, rule or customer; "" when the event names nobody
    actor_kind_label: str
    when: Moment  # "3 hours ago", the full date in its tooltip


def timeline_entries(events: Iterable[CaseEvent]) -> list[TimelineEntry]:
    now = timezone.now()
    return [
        TimelineEntry(
            event=event,
            facts=event_facts(event),
            kind_label=choice_label(CaseEvent.Kind, event.kind),
            actor_name=_actor_name(event),
            actor_kind_label=choice_label(CaseEvent.ActorKind, event.actor_kind),
            when=moment(event.created_at, now=now),
        )
        for event in events
    ]


def _actor_name(event: CaseEvent) -> str:
    if event.actor_label:
        return event.actor_label
    if event.actor_id is not None and event.actor is not None:
        return staff_name(event.actor)
    return _("The desk") if event.actor_kind == CaseEvent.ActorKind.SYSTEM else ""
