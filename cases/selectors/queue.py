"""Reads for the case queue, the advocate's home page: which cases, in what order, and how
many each filter option would show.

The queue and its counts share one set of filter rules, so the number next to an option is
the number of rows that option shows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.dates import day_start
from cases.models import Case, CaseEvent, Customer, Priority, Team
from cases.services.bulk import in_ids

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
# The owner the counts give a case that neither the reader nor the chosen owner owns (no
# user has this primary key).
OTHER_OWNER = -1
SEARCH_ID_LIMIT = 20_000
QUEUE_FIELDS = (
    "title", "kind", "origin", "status", "priority", "due_at", "opened_at", "owner_id",
    "customer__name", "customer__segment", "customer__value_tier",
    "owner__username", "owner__first_name", "owner__last_name",
)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the queue's counts need of a case (or of a group of ``count`` alike cases)."""

    status: str
    priority: int
    owner_id: int | None
    late: bool  # its due date has passed
    pk: int | None = None
    count: int = 1


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
    outcome: str = ""  # "" any, or one Case.Outcome value
    # Days (local time, both included) the case was opened or resolved in; None: any.
    opened_from: dt.date | None = None
    opened_to: dt.date | None = None
    resolved_from: dt.date | None = None
    resolved_to: dt.date | None = None
    search: str = ""
    sort: str = DEFAULT_SORT
    # The cases ``search`` finds under the narrowing filters (kind, origin, team, segment),
    # when looked up once for the page (see ``with_search_resolved``); otherwise the search
    # runs inside each query.
    found: tuple[CaseFacts, ...] | None = field(default=None, compare=False, repr=False)

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
    by_customer = Case.objects.filter(customer__in=customers).values_list("pk").order_by()
    matches = Q(pk__in=by_customer.union(*_other_matches(search)))
    return (matches | Q(pk=int(number.group(1)))) if number else matches


def with_search_resolved(filters: QueueFilters,
                         now: dt.datetime | None = None) -> QueueFilters:
    """The filters with the search's matches looked up once, with what the counts need.

    A page asks for its counts and for its rows: two queries that would each run the search
    (a union of trigram lookups) and read every case it finds. Looked up first, the search
    runs once; the counts are added up from its rows, and the rows query reads only the
    cases the page can show. The customers are read as a list, which lets PostgreSQL fetch
    their cases through the customer index (as a subquery it guessed thousands more
    customers than "haugen" finds and read every case instead). A search finding more than
    ``SEARCH_ID_LIMIT`` customers or cases stays a subquery."""
    search = filters.search.strip()
    number = CASE_NUMBER.fullmatch(search)
    if not search or (number and search.startswith("#")):
        return filters
    customers = list(Customer.objects.filter(
        Q(name__icontains=search) | Q(email__icontains=search)
    ).values_list("pk", flat=True)[:SEARCH_ID_LIMIT + 1])
    if len(customers) > SEARCH_ID_LIMIT:
        return filters
    # Each way of matching reads its cases with what the counts need, and their union is
    # the answer: joined back to the cases by id instead, PostgreSQL read the whole table.
    ways = [
        Case.objects.filter(customer__in=in_ids(customers)),
        Case.objects.filter(title__icontains=search),
        Case.objects.filter(pk__in=Case.orders.through.objects.filter(
            order__external_ref=search).values("case_id")),
        Case.objects.filter(pk__in=CaseEvent.objects.filter(
            kind=CaseEvent.Kind.NOTE, message__icontains=search).values("case_id")),
    ]
    if number:
        ways.append(Case.objects.filter(pk=int(number.group(1))))
    late = _late(now or timezone.now())
    first, *others = [
        _narrowing(cases, filters).order_by().annotate(late=late).values_list(
            "status", "priority", "owner_id", "late", "pk")
        for cases in ways
    ]
    found = [CaseFacts(*values)
             for values in first.union(*others)[:SEARCH_ID_LIMIT + 1]]
    if len(found) > SEARCH_ID_LIMIT:
        return filters
    return replace(filters, found=tuple(found))


def _other_matches(search: str) -> list[QuerySet]:
    """Case ids by title, by a whole order reference and by words in a note."""
    return [
        Case.objects.filter(title__icontains=search).values_list("pk").order_by(),
        Case.orders.through.objects.filter(
            order__external_ref=search).values_list("case_id").order_by(),
        CaseEvent.objects.filter(
            kind=CaseEvent.Kind.NOTE, message__icontains=search).values_list("case_id")
        .order_by(),
    ]


def _narrowing(cases: QuerySet[Case], filters: QueueFilters) -> QuerySet[Case]:
    """The filters that have no counts of their own (outcome and the opened and resolved
    days among them: the dashboard's KPIs link to the cases behind each figure)."""
    if filters.kind:
        cases = cases.filter(kind=filters.kind)
    if filters.origin:
        cases = cases.filter(origin=filters.origin)
    if filters.team:
        cases = cases.filter(team_id=filters.team)
    if filters.segment:
        cases = cases.filter(customer__segment=filters.segment)
    if filters.outcome:
        cases = cases.filter(outcome=filters.outcome)
    for name, first, last in (("opened_at", filters.opened_from, filters.opened_to),
                              ("resolved_at", filters.resolved_from, filters.resolved_to)):
        if first:
            cases = cases.filter(**{f"{name}__gte": day_start(first)})
        if last:
            cases = cases.filter(**{f"{name}__lt": day_start(last + dt.timedelta(days=1))})
    return cases


def _narrowed(filters: QueueFilters) -> QuerySet[Case]:
    """Cases under the search and the filters that have no counts of their own."""
    return _narrowing(Case.objects.filter(case_search(filters.search)), filters)


# --- reads --------------------------------------------------------------------------------


def case_queue(
    *, user: AbstractBaseUser, filters: QueueFilters, now: dt.datetime | None = None
) -> QuerySet[Case]:
    """The queue's rows with customer and owner (only the columns a row shows), and
    ``due_state``: "overdue",
    "soon" (within 24 hours), "later", "none" (no due date) or "done" (not open)."""
    now = now or timezone.now()
    if filters.found is not None:  # the search already said which cases pass
        chosen = _chosen(filters, user)
        cases = Case.objects.filter(pk__in=in_ids(
            [case.pk for case in filters.found if chosen(case)]))
    else:
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


def _capped_count(cases: QuerySet[Case]) -> tuple[int, bool]:
    """How many rows, counting no further than ``COUNT_CAP``; True when there are more."""
    count = cases.order_by()[: COUNT_CAP + 1].count()
    return (COUNT_CAP, True) if count > COUNT_CAP else (count, False)


def _groups(cases: QuerySet[Case], now: dt.datetime, owners: tuple[int, ...]) -> list[CaseFacts]:
    """The cases grouped by what the counts tell apart: status, priority, whether they
    are past due, and their owner as far as the counts care: nobody, one of ``owners``
    (the reader, the owner chosen in the filter), or someone else (``OTHER_OWNER``). One
    GROUP BY of at most a hundred groups, added up per option in Python: an aggregate with
    a FILTER per option tested twenty conditions on every case, and grouping by every
    owner made hundreds of groups to read."""
    owner = SqlCase(When(owner_id=None, then=Value(None)),
                    When(owner_id__in=owners, then=F("owner_id")),
                    default=Value(OTHER_OWNER), output_field=IntegerField())
    rows = (cases.order_by().annotate(late=_late(now), owner_group=owner)
            .values("status", "priority", "owner_group", "late").annotate(n=Count("pk"))
            .values_list("status", "priority", "owner_group", "late", "n"))
    return [CaseFacts(status, priority, owner_id, late, count=n)
            for status, priority, owner_id, late, n in rows]


def _late(now: dt.datetime) -> SqlCase:
    return SqlCase(When(due_at__lt=now, then=Value(True)), default=Value(False),
                   output_field=BooleanField())


def _grouped(cases: tuple[CaseFacts, ...]) -> list[CaseFacts]:
    """Cases grouped as ``_groups`` groups them, in Python."""
    groups = Counter((case.status, case.priority, case.owner_id, case.late) for case in cases)
    return [CaseFacts(*key, count=count) for key, count in groups.items()]


def _tests(filters: QueueFilters, user: AbstractBaseUser) -> dict:
    """Each counted filter as a test of one case, as the queue's SQL filters apply it."""
    owner = filters.owner
    owner_id = (user.pk if owner == "mine" else None if owner == "unassigned"
                else int(owner) if owner.isdigit() else ...)
    return {
        "status": lambda case: (case.status in Case.OPEN_STATUSES if filters.status == ""
                                else True if filters.status == "all"
                                else case.status == filters.status),
        "priority": lambda case: not filters.priority or case.priority == filters.priority,
        "owner": lambda case: owner_id is ... or case.owner_id == owner_id,
        "overdue": lambda case: not filters.overdue or _is_overdue(case),
    }


def _is_overdue(case: CaseFacts) -> bool:
    return case.late and case.status in Case.OPEN_STATUSES


def _chosen(filters: QueueFilters, user: AbstractBaseUser):
    tests = _tests(filters, user).values()
    return lambda case: all(test(case) for test in tests)


def _tally(cases: list[CaseFacts], filters: QueueFilters, user: AbstractBaseUser, *,
           statuses: tuple[str, ...]) -> dict[str, int]:
    """Every option's count under the other filters, from cases (or groups of them)."""
    status_test, priority_test, owner_test, overdue_test = _tests(filters, user).values()
    row = dict.fromkeys(["status_", *(f"status_{s}" for s in statuses),
                         "priority_", *(f"priority_{p}" for p in Priority.values),
                         "mine", "unassigned", "overdue"], 0)
    for case in cases:
        n = case.count
        # Each option keeps the other three filters: test each once per group.
        status, priority = status_test(case), priority_test(case)
        owner, overdue = owner_test(case), overdue_test(case)
        if priority and owner and overdue:
            if case.status in Case.OPEN_STATUSES:
                row["status_"] += n
            if case.status in statuses:
                row[f"status_{case.status}"] += n
        if status and owner and overdue:
            row["priority_"] += n
            if f"priority_{case.priority}" in row:
                row[f"priority_{case.priority}"] += n
        if status and priority and overdue:
            if case.owner_id == user.pk:
                row["mine"] += n
            if case.owner_id is None:
                row["unassigned"] += n
        if status and priority and owner and _is_overdue(case):
            row["overdue"] += n
    return row


def queue_counts(
    *, user: AbstractBaseUser, filters: QueueFilters, now: dt.datetime | None = None
) -> QueueCounts:
    """How many cases each status and priority option, "mine", "unassigned" and "overdue"
    would show with the other filters kept.

    Open cases are counted exactly, from one GROUP BY over the open cases only (the queue's
    partial index answers it). Resolved and closed cases pile up for years and only matter
    to someone browsing the archive, so their options count up to ``COUNT_CAP`` and then
    say "1,000+"; only when a done status or "all" is the chosen view are the other counts
    taken over the done cases too, exactly. A search counts every status exactly."""
    now = now or timezone.now()
    owners = (user.pk, *([int(filters.owner)] if filters.owner.isdigit() else []))
    if filters.search:
        # A search narrows the desk to a few hundred cases: count them all, exactly.
        found = (_grouped(filters.found) if filters.found is not None
                 else _groups(_narrowed(filters), now, owners))
        row = _tally(found, filters, user, statuses=tuple(Case.Status.values))
        done = {s: (row[f"status_{s}"], False) for s in DONE_STATUSES}
    else:
        narrowed = _narrowed(filters)
        open_groups = _groups(narrowed.filter(status__in=Case.OPEN_STATUSES), now, owners)
        row = _tally(open_groups, filters, user, statuses=Case.OPEN_STATUSES)
        if not (filters.status == "" or filters.status in Case.OPEN_STATUSES):
            # A done status or "all" chosen: its priority, owner and overdue options count
            # the done cases too.
            chosen = _groups(narrowed.filter(_status_q(filters.status)), now, owners)
            whole = _tally(chosen, filters, user, statuses=Case.OPEN_STATUSES)
            row.update({key: value for key, value in whole.items()
                        if not key.startswith("status_")})
        done = {}
        for done_status in DONE_STATUSES:
            if filters.overdue:  # only open cases can be overdue
                done[done_status] = (0, False)
            else:
                done[done_status] = _capped_count(narrowed.filter(
                    Q(status=done_status), _priority_q(filters.priority),
                    _owner_q(filters.owner, user)))
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
                                 key == chosen_priority) for key in priority_labels],
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
