"""Reads for the case queue, the advocate's home page: which cases, in what order, and how
many each filter option would show.

The queue and its counts share one set of filter rules, so the number next to an option is
the number of rows that option shows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import reduce
from operator import and_

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent, Customer, Priority, Team

DUE_SOON = dt.timedelta(hours=24)
CASE_NUMBER = re.compile(r"#?\s*(\d{1,9})")

# Orderings by name; "priority" (most urgent first, then the nearest due date) is the default.
QUEUE_SORTS: dict[str, tuple] = {
    "priority": ("priority", F("due_at").asc(nulls_last=True), "pk"),
    "due": (F("due_at").asc(nulls_last=True), "priority", "pk"),
    "newest": ("-opened_at", "-pk"),
    "oldest": ("opened_at", "pk"),
}
DEFAULT_SORT = "priority"


@dataclass(frozen=True)
class QueueFilters:
    """What the advocate asked the queue for; the defaults show every open case."""

    status: str = ""  # "" open cases, "all" every case, or one Case.Status value
    priority: int | None = None
    kind: str = ""
    origin: str = ""
    owner: str = ""  # "" anyone, "mine", "unassigned", or a user id as text
    team: int | None = None
    segment: str = ""
    overdue: bool = False
    search: str = ""
    sort: str = DEFAULT_SORT

    @property
    def narrowed(self) -> bool:
        """Anything beyond the default view is chosen (for "clear filters")."""
        return self != QueueFilters(sort=self.sort)


@dataclass(frozen=True)
class FilterOption:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class QueueCounts:
    """Counts per filter option, each under all the *other* filters chosen."""

    statuses: list[FilterOption]
    priorities: list[FilterOption]
    mine: int
    unassigned: int
    overdue: int


# --- the filter rules ---------------------------------------------------------------------


def _status_q(status: str) -> Q:
    if status == "all":
        return Q()
    return Q(status=status) if status else Q(status__in=Case.OPEN_STATUSES)


def _priority_q(priority: int | None) -> Q:
    return Q(priority=priority) if priority else Q()


def _owner_q(owner: str, user: AbstractBaseUser) -> Q:
    if owner == "mine":
        return Q(owner=user)
    if owner == "unassigned":
        return Q(owner=None)
    return Q(owner_id=int(owner)) if owner.isdigit() else Q()


def overdue_cases(now: dt.datetime) -> Q:
    return Q(status__in=Case.OPEN_STATUSES, due_at__lt=now)


def case_search(search: str) -> Q:
    """Case number (``123`` or ``#123``), customer name or email, a whole order reference,
    the title or words in a note. Orders and notes are ``EXISTS`` subqueries, so a case with
    two matching notes is still one row."""
    search = search.strip()
    if not search:
        return Q()
    number = CASE_NUMBER.fullmatch(search)
    if number and search.startswith("#"):
        return Q(pk=int(number.group(1)))
    orders = Case.orders.through.objects.filter(
        case_id=OuterRef("pk"), order__external_ref=search
    )
    notes = CaseEvent.objects.filter(
        case_id=OuterRef("pk"), kind=CaseEvent.Kind.NOTE, message__icontains=search
    )
    matches = (
        Q(customer__name__icontains=search)
        | Q(customer__email__icontains=search)
        | Q(title__icontains=search)
        | Q(Exists(orders))
        | Q(Exists(notes))
    )
    return (matches | Q(pk=int(number.group(1)))) if number else matches


def _narrowed(filters: QueueFilters) -> QuerySet[Case]:
    """Cases under the filters that have no counts of their own."""
    cases = Case.objects.filter(case_search(filters.search))
    if filters.kind:
        cases = cases.filter(kind=filters.kind)
    if filters.origin:
        cases = cases.filter(origin=filters.origin)
    if filters.team:
        cases = cases.filter(team_id=filters.team)
    if filters.segment:
        cases = cases.filter(customer__segment=filters.segment)
    return cases


# --- reads --------------------------------------------------------------------------------


def case_queue(
    *, user: AbstractBaseUser, filters: QueueFilters, now: dt.datetime | None = None
) -> QuerySet[Case]:
    """The queue's rows with customer, owner and team, and ``due_state``: "overdue",
    "soon" (within 24 hours), "later", "none" (no due date) or "done" (not open)."""
    now = now or timezone.now()
    cases = _narrowed(filters).filter(
        _status_q(filters.status),
        _priority_q(filters.priority),
        _owner_q(filters.owner, user),
    )
    if filters.overdue:
        cases = cases.filter(overdue_cases(now))
    return (
        cases.select_related("customer", "owner", "team")
        .annotate(due_state=SqlCase(
            When(~Q(status__in=Case.OPEN_STATUSES), then=Value("done")),
            When(due_at=None, then=Value("none")),
            When(due_at__lt=now, then=Value("overdue")),
            When(due_at__lt=now + DUE_SOON, then=Value("soon")),
            default=Value("later"),
            output_field=CharField(),
        ))
        .order_by(*QUEUE_SORTS.get(filters.sort, QUEUE_SORTS[DEFAULT_SORT]))
    )


def _count(*conditions: Q) -> Count:
    condition = reduce(and_, conditions, Q())
    return Count("pk", filter=condition) if condition else Count("pk")


def queue_counts(
    *, user: AbstractBaseUser, filters: QueueFilters, now: dt.datetime | None = None
) -> QueueCounts:
    """How many cases each status and priority option, "mine", "unassigned" and "overdue"
    would show with the other filters kept: one aggregate query."""
    now = now or timezone.now()
    status = _status_q(filters.status)
    priority = _priority_q(filters.priority)
    owner = _owner_q(filters.owner, user)
    overdue = overdue_cases(now) if filters.overdue else Q()
    statuses = {"": _status_q(""), "all": Q(), **{s: Q(status=s) for s in Case.Status.values}}
    priorities = {"": Q(), **{str(p): Q(priority=p) for p in Priority.values}}
    row = _narrowed(filters).aggregate(
        **{f"status_{key}": _count(q, priority, owner, overdue) for key, q in statuses.items()},
        **{f"priority_{key}": _count(q, status, owner, overdue) for key, q in priorities.items()},
        mine=_count(Q(owner=user), status, priority, overdue),
        unassigned=_count(Q(owner=None), status, priority, overdue),
        overdue=_count(overdue_cases(now), status, priority, owner),
    )
    status_labels = {"": _("Open"), "all": _("All"), **dict(Case.Status.choices)}
    priority_labels = {"": _("Any"), **{str(p): label for p, label in Priority.choices}}
    chosen_priority = str(filters.priority or "")
    return QueueCounts(
        statuses=[FilterOption(key, status_labels[key], row[f"status_{key}"],
                               key == filters.status) for key in statuses],
        priorities=[FilterOption(key, priority_labels[key], row[f"priority_{key}"],
                                 key == chosen_priority) for key in priorities],
        mine=row["mine"],
        unassigned=row["unassigned"],
        overdue=row["overdue"],
    )


def teams() -> list[Team]:
    return list(Team.objects.order_by("name"))


def customer_segments() -> list[str]:
    """The segments customers are in, for the queue's segment filter."""
    return list(
        Customer.objects.exclude(segment="").order_by("segment")
        .values_list("segment", flat=True).distinct()
    )
