"""The desk's figures for the manager dashboard's KPIs: cases open and overdue, cases
opened, SLA attainment, time to first response and to resolution, caught before
complaint, outcomes, the customers' recorded loss and the remedies' cost, and cases opened
per week.

Each function answers a period and the one before it (equal length) in one aggregate
query over the rows of both, so the dashboard's query count never follows the data. The
definitions are the desk's own: the SLA clocks of ``selectors.case.SlaClock`` (a case's
due dates come from the SLA target of its priority when it opens or changes priority),
"caught before complaint" and "lead time" as the Rules page counts them
(``selectors.risk.proactivity``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from cases.dates import day_start
from cases.models import Case, Impact, Remedy
from cases.selectors.risk import Median


@dataclass(frozen=True)
class Audience:
    """Which customers the figures cover: all unless a segment or value tier is chosen."""

    segment: str = ""
    value_tier: str = ""

    def lookups(self, prefix: str = "customer__") -> dict[str, str]:
        found = {}
        if self.segment:
            found[f"{prefix}segment"] = self.segment
        if self.value_tier:
            found[f"{prefix}value_tier"] = self.value_tier
        return found


@dataclass(frozen=True)
class Window:
    """A period of whole local days, ``start`` to ``end`` included."""

    start: dt.date
    end: dt.date

    @property
    def start_at(self) -> dt.datetime:
        return day_start(self.start)

    @property
    def end_at(self) -> dt.datetime:
        """The first instant after the period."""
        return day_start(self.end + dt.timedelta(days=1))

    def holds(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.start_at, f"{name}__lt": self.end_at})


@dataclass(frozen=True)
class CaseFigures:
    """One period's case figures (the snapshot ones, open and overdue, only for now)."""

    opened: int = 0
    sla_met: int = 0
    sla_missed: int = 0
    with_response: int = 0
    median_first_response_hours: float | None = None
    resolved: int = 0
    median_resolution_hours: float | None = None
    with_contact: int = 0
    caught: int = 0
    median_lead_hours: float | None = None
    retained: int = 0
    at_risk: int = 0
    lost: int = 0

    @property
    def sla_decided(self) -> int:
        return self.sla_met + self.sla_missed

    @property
    def sla_attainment(self) -> float | None:
        """Cases that met both clocks per case whose clocks are decided (0..1)."""
        return self.sla_met / self.sla_decided if self.sla_decided else None

    @property
    def caught_share(self) -> float | None:
        """Caught before complaint per case the customer contacted us about (0..1)."""
        return self.caught / self.with_contact if self.with_contact else None

    def outcome_share(self, outcome: str) -> float | None:
        return getattr(self, outcome) / self.resolved if self.resolved else None


@dataclass(frozen=True)
class DeskKpis:
    open_cases: int
    overdue_cases: int
    current: CaseFigures
    previous: CaseFigures


def _hours(value: dt.timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 3600


def _span(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def _sla_conditions(now: dt.datetime) -> tuple[Q, Q]:
    """Met: both clocks done in time. Missed: a clock done late, or past due and not done.
    A case with a clock still running and none missed is neither (not decided yet)."""
    first_met = Q(first_response_at__isnull=False) & (
        Q(first_response_due_at__isnull=True) | Q(first_response_at__lte=F("first_response_due_at"))
    )
    resolution_met = Q(resolved_at__isnull=False) & (
        Q(due_at__isnull=True) | Q(resolved_at__lte=F("due_at"))
    )
    first_missed = Q(first_response_at__gt=F("first_response_due_at")) | Q(
        first_response_at__isnull=True, first_response_due_at__lt=now
    )
    resolution_missed = Q(resolved_at__gt=F("due_at")) | Q(resolved_at__isnull=True, due_at__lt=now)
    return first_met & resolution_met, first_missed | resolution_missed


CAUGHT = Q(opened_at__lt=F("first_customer_contact_at")) & ~Q(opened_by_rule="")
OUTCOMES = tuple(Case.Outcome.values)


def desk_kpis(
    *, current: Window, previous: Window, audience: Audience, now: dt.datetime | None = None
) -> DeskKpis:
    """The case figures of both periods and the open and overdue cases now.

    One aggregate over the cases opened or resolved in either period, or open now (on
    PostgreSQL the medians are in it too, as ``percentile_cont``; elsewhere the few
    thousand durations of a laptop database are read and their medians taken in Python: a
    second query)."""
    now = now or timezone.now()
    met, missed = _sla_conditions(now)
    cases = Case.objects.filter(**audience.lookups()).order_by()
    cases = cases.filter(
        Q(opened_at__gte=previous.start_at, opened_at__lt=current.end_at)
        | Q(resolved_at__gte=previous.start_at, resolved_at__lt=current.end_at)
        | Q(status__in=Case.OPEN_STATUSES)
    )
    response, resolution = (
        _span("first_response_at", "opened_at"),
        _span("resolved_at", "opened_at"),
    )
    lead = _span("first_customer_contact_at", "opened_at")
    aggregates = {
        "open_cases": Count("pk", filter=Q(status__in=Case.OPEN_STATUSES)),
        "overdue_cases": Count("pk", filter=Q(status__in=Case.OPEN_STATUSES, due_at__lt=now)),
    }
    medians: dict[str, tuple[Q, ExpressionWrapper]] = {}
    for name, window in (("current", current), ("previous", previous)):
        opened, resolved = window.holds("opened_at"), window.holds("resolved_at")
        with_contact = opened & Q(first_customer_contact_at__isnull=False)
        aggregates |= {
            f"{name}_opened": Count("pk", filter=opened),
            f"{name}_sla_met": Count("pk", filter=opened & met),
            f"{name}_sla_missed": Count("pk", filter=opened & missed),
            f"{name}_with_response": Count(
                "pk", filter=opened & Q(first_response_at__isnull=False)
            ),
            f"{name}_resolved": Count("pk", filter=resolved & ~Q(outcome="")),
            f"{name}_with_contact": Count("pk", filter=with_contact),
            f"{name}_caught": Count("pk", filter=with_contact & CAUGHT),
            **{
                f"{name}_{outcome}": Count("pk", filter=resolved & Q(outcome=outcome))
                for outcome in OUTCOMES
            },
        }
        medians |= {
            f"{name}_median_first_response_hours": (
                opened & Q(first_response_at__isnull=False),
                response,
            ),
            f"{name}_median_resolution_hours": (resolved & ~Q(outcome=""), resolution),
            f"{name}_median_lead_hours": (with_contact & CAUGHT, lead),
        }
    if connection.vendor == "postgresql":
        aggregates |= {
            key: Median(expression, filter=condition, output_field=DurationField())
            for key, (condition, expression) in medians.items()
        }
        found = cases.aggregate(**aggregates)
        found |= {key: _hours(found[key]) for key in medians}
    else:
        found = cases.aggregate(**aggregates)
        found |= _medians_in_python(cases, medians)

    def figures(name: str) -> CaseFigures:
        return CaseFigures(
            **{
                key.removeprefix(f"{name}_"): value
                for key, value in found.items()
                if key.startswith(f"{name}_")
            }
        )

    return DeskKpis(
        open_cases=found["open_cases"],
        overdue_cases=found["overdue_cases"],
        current=figures("current"),
        previous=figures("previous"),
    )


def _medians_in_python(cases: QuerySet[Case], medians: dict) -> dict[str, float | None]:
    """Without ``percentile_cont`` (SQLite): each median's durations read (a query apiece,
    a fixed number) and the median taken here."""
    found = {}
    for key, (condition, expression) in medians.items():
        values = [
            _hours(value) for value in cases.filter(condition).values_list(expression, flat=True)
        ]
        found[key] = statistics.median(values) if values else None
    return found


@dataclass(frozen=True)
class Money:
    currency: str
    current: Decimal
    previous: Decimal


@dataclass(frozen=True)
class CostKpis:
    """Per currency (never added across currencies): what the problems cost the customers
    (loss impacts recorded in the period) and what the remedies cost the company (approved
    or within the advocate's authority, decided in the period)."""

    loss: list[Money] = field(default_factory=list)
    remedies: list[Money] = field(default_factory=list)
    loss_cases: int = 0  # impacts recorded in the current period
    remedy_count: int = 0  # remedies counted in the current period


GRANTED = (Remedy.Decision.APPROVED, Remedy.Decision.NOT_NEEDED)


def cost_kpis(*, current: Window, previous: Window, audience: Audience) -> CostKpis:
    """Two grouped queries: impacts by currency, remedies by currency. A remedy within the
    advocate's authority has no decision time: the time it was proposed counts."""
    impacts = (
        Impact.objects.filter(
            previous.holds("recorded_at") | current.holds("recorded_at"),
            **audience.lookups("case__customer__"),
        )
        .order_by()
        .values("currency")
        .annotate(
            current=Sum("money_lost", filter=current.holds("recorded_at")),
            previous=Sum("money_lost", filter=previous.holds("recorded_at")),
            count=Count("pk", filter=current.holds("recorded_at")),
        )
        .order_by("currency")
    )
    remedies = (
        Remedy.objects.filter(decision__in=GRANTED, **audience.lookups("case__customer__"))
        .annotate(granted_at=Coalesce("decided_at", "proposed_at"))
        .filter(previous.holds("granted_at") | current.holds("granted_at"))
        .order_by()
        .values("currency")
        .annotate(
            current=Sum("cost", filter=current.holds("granted_at")),
            previous=Sum("cost", filter=previous.holds("granted_at")),
            count=Count("pk", filter=current.holds("granted_at")),
        )
        .order_by("currency")
    )
    loss, paid = list(impacts), list(remedies)

    def money(rows: list[dict]) -> list[Money]:
        return [
            Money(row["currency"], row["current"] or Decimal("0"), row["previous"] or Decimal("0"))
            for row in rows
        ]

    return CostKpis(
        loss=money(loss),
        remedies=money(paid),
        loss_cases=sum(row["count"] for row in loss),
        remedy_count=sum(row["count"] for row in paid),
    )


@dataclass(frozen=True)
class Week:
    start: dt.date  # the Monday
    proactive: int
    reactive: int

    @property
    def total(self) -> int:
        return self.proactive + self.reactive


def cases_per_week(*, window: Window, audience: Audience) -> list[Week]:
    """Cases opened per week of the period (Monday to Sunday, local time; the first and
    last may be partial), proactive (a risk rule opened them) against the rest. One
    grouped query; weeks without cases are listed with zeros."""
    zone = timezone.get_current_timezone()
    rows = (
        Case.objects.filter(window.holds("opened_at"), **audience.lookups())
        .order_by()
        .annotate(week=TruncWeek("opened_at", tzinfo=zone))
        .values("week")
        .annotate(proactive=Count("pk", filter=Q(origin=Case.Origin.PROACTIVE)), total=Count("pk"))
    )
    counted = {}
    for row in rows:
        week = row["week"]
        day = week.date() if isinstance(week, dt.datetime) else week
        counted[day] = (row["proactive"], row["total"] - row["proactive"])
    monday = window.start - dt.timedelta(days=window.start.weekday())
    weeks = []
    while monday <= window.end:
        proactive, reactive = counted.get(monday, (0, 0))
        weeks.append(Week(monday, proactive, reactive))
        monday += dt.timedelta(days=7)
    return weeks
