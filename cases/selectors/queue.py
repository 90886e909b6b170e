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
from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, F, Q, QuerySet, Value, When
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
DONE_STATUSES = tuple(s for s in Case.Status.values if s not in Case.OPEN_STATUSES)
COUNT_CAP = 1000
QUEUE_FIELDS = (
    "title", "kind", "origin", "status", "priority", "due_at", "opened_at", "owner_id",
    "customer__name", "customer__segment", "customer__value_tier",
    "owner__username", "owner__first_name", "owner__last_name",
)


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
    more: bool  # there are more than ``count`` (a capped count)
    selected: bool


@dataclass(frozen=True)
class QueueCounts:
    """Counts per filter option, each under all the *other* filters chosen."""

    statuses: list[FilterOption]
    priorities: list[FilterOption]
    mine: int
    unassigned: int
    overdue: int
    shown: int | None = None  # rows in the chosen view, when counted exactly


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
    the title or words in a note.

    Each way of matching is its own indexed lookup of case ids (trigram indexes on
    PostgreSQL, migration ``case_search_trigram_indexes``), and the case must be in their
    union: one OR across the joined tables made PostgreSQL test every open case against
    every condition (240 ms for an order reference at 100k cases). A case with two matching
    notes is still one row."""
    search = search.strip()
    if not search:
        return Q()
    number = CASE_NUMBER.fullmatch(search)
    if number and search.startswith("#"):
        return Q(pk=int(number.group(1)))
    customers = Customer.objects.filter(
        Q(name__icontains=search) | Q(email__icontains=search)
    ).values("pk")
    by_customer = Case.objects.filter(customer__in=customers).values("pk").order_by()
    by_title = Case.objects.filter(title__icontains=search).values("pk").order_by()
    by_order = Case.orders.through.objects.filter(
        order__external_ref=search).values("case_id").order_by()
    by_note = CaseEvent.objects.filter(
        kind=CaseEvent.Kind.NOTE, message__icontains=search).values("case_id").order_by()
    matches = Q(pk__in=by_customer.union(by_title, by_order, by_note))
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
    """The queue's rows with customer and owner (only the columns a row shows), and
    ``due_state``: "overdue",
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
        cases.select_related("customer", "owner")
        .only(*QUEUE_FIELDS)
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


def _capped_count(cases: QuerySet[Case]) -> tuple[int, bool]:
    """How many rows, counting no further than ``COUNT_CAP``; True when there are more."""
    count = cases.order_by()[: COUNT_CAP + 1].count()
    return (COUNT_CAP, True) if count > COUNT_CAP else (count, False)


def _open_counts_and_capped_done(filters, narrowed, by_option, *, priority, owner, status,
                                 overdue, now) -> tuple[dict, dict[str, tuple[int, bool]]]:
    # Within the open cases, "open" and "overdue" need no status test of their own.
    open_status = Q() if filters.status == "" else status
    open_overdue = Q(due_at__lt=now) if filters.overdue else Q()
    chosen_open = filters.status == "" or filters.status in Case.OPEN_STATUSES
    open_row = narrowed.filter(status__in=Case.OPEN_STATUSES).aggregate(
        status_=_count(priority, owner, open_overdue),
        **{f"status_{s}": _count(Q(status=s), priority, owner, open_overdue)
           for s in Case.OPEN_STATUSES},
        **(by_option(open_status, open_overdue, Q(due_at__lt=now)) if chosen_open else {}),
    )
    row = open_row if chosen_open else {
        **open_row,
        **narrowed.aggregate(**by_option(status, overdue, overdue_cases(now))),
    }
    done: dict[str, tuple[int, bool]] = {}
    for done_status in DONE_STATUSES:
        if filters.overdue:  # only open cases can be overdue
            done[done_status] = (0, False)
        else:
            done[done_status] = _capped_count(
                narrowed.filter(Q(status=done_status), priority, owner))
    return row, done


def queue_counts(
    *, user: AbstractBaseUser, filters: QueueFilters, now: dt.datetime | None = None
) -> QueueCounts:
    """How many cases each status and priority option, "mine", "unassigned" and "overdue"
    would show with the other filters kept.

    Open cases are counted exactly, in one aggregate over the open cases only (the queue's
    partial index answers it). Resolved and closed cases pile up for years and only matter
    to someone browsing the archive, so their options count up to ``COUNT_CAP`` and then
    say "1,000+"; only when a done status or "all" is the chosen view are the other counts
    taken over the done cases too, exactly. A search counts every status exactly."""
    now = now or timezone.now()
    status = _status_q(filters.status)
    priority = _priority_q(filters.priority)
    owner = _owner_q(filters.owner, user)
    overdue = overdue_cases(now) if filters.overdue else Q()
    narrowed = _narrowed(filters)
    priorities = {"": Q(), **{str(p): Q(priority=p) for p in Priority.values}}

    def by_option(status: Q, overdue: Q, overdue_option: Q) -> dict[str, Count]:
        return {
            **{f"priority_{key}": _count(q, status, owner, overdue)
               for key, q in priorities.items()},
            "mine": _count(Q(owner=user), status, priority, overdue),
            "unassigned": _count(Q(owner=None), status, priority, overdue),
            "overdue": _count(overdue_option, status, priority, owner),
        }

    if filters.search:
        # A search narrows the desk to a few hundred cases: count them all, exactly, in
        # one pass, so the search runs once for the counts.
        row = narrowed.aggregate(
            status_=_count(_status_q(""), priority, owner, overdue),
            **{f"status_{s}": _count(Q(status=s), priority, owner, overdue)
               for s in Case.Status.values},
            **by_option(status, overdue, overdue_cases(now)),
        )
        done = {s: (row[f"status_{s}"], False) for s in DONE_STATUSES}
    else:
        row, done = _open_counts_and_capped_done(
            filters, narrowed, by_option, priority=priority, owner=owner, status=status,
            overdue=overdue, now=now)
    everything = (row["status_"] + sum(count for count, _more in done.values()),
                  any(more for _count, more in done.values()))

    status_labels = {"": _("Open"), "all": _("All"), **dict(Case.Status.choices)}
    status_counts = {
        "": (row["status_"], False), "all": everything,
        **{s: (row[f"status_{s}"], False) for s in Case.OPEN_STATUSES}, **done,
    }
    priority_labels = {"": _("Any"), **{str(p): label for p, label in Priority.choices}}
    chosen_priority = str(filters.priority or "")
    shown, shown_more = status_counts[filters.status if filters.status in status_counts else ""]
    return QueueCounts(
        statuses=[
            FilterOption(key, status_labels[key], *status_counts[key],
                         selected=key == filters.status)
            for key in ("", "all", *Case.Status.values)
        ],
        priorities=[FilterOption(key, priority_labels[key], row[f"priority_{key}"], False,
                                 key == chosen_priority) for key in priorities],
        mine=row["mine"],
        unassigned=row["unassigned"],
        overdue=row["overdue"],
        shown=None if shown_more else shown,
    )


def teams() -> list[Team]:
    return list(Team.objects.order_by("name"))


def customer_segments() -> list[str]:
    """The segments customers are in, for the queue's segment filter.

    A loose index scan: each step asks the segment index for the next value, so the cost
    follows the number of segments (a handful), not of customers (``DISTINCT`` read all
    100k of them on every queue page)."""
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE segments(segment) AS (
                SELECT MIN(segment) FROM {table} WHERE segment > ''
                UNION ALL
                SELECT (SELECT MIN(segment) FROM {table} WHERE segment > segments.segment)
                FROM segments WHERE segments.segment IS NOT NULL
            )
            SELECT segment FROM segments WHERE segment IS NOT NULL
            """  # noqa: S608 (the table name is the model's, quoted)
        )
        return [segment for (segment,) in cursor.fetchall()]
