"""Reads of the feedback for the manager dashboard's KPIs: volume and sentiment of a period
against the one before, and the customer needs with their progress.

(Selectors, in a module of their own beside ``selectors.py``, which stays a module while
other work edits it.)

Volume and sentiment come from ``AnalysisDay``, the feedback counted by day, as the
analysis page reads it, plus the items stored since its last count: one aggregate over a
few hundred rows of counts whatever the number of items. ``AnalysisDay`` does not know the
customer; narrowed to a segment or value tier, the figures count the items of the
segment's known customers, in one aggregate over the items of both periods.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, IntegerField, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from cases.dates import day_start
from feedback.models import AnalysisDay, FeedbackItem, Need
from feedback.selectors import ranked_needs


@dataclass(frozen=True)
class FeedbackFigures:
    items: int = 0
    sentiment_total: float = 0.0
    sentiment_count: int = 0

    @property
    def sentiment(self) -> float | None:
        """The items' mean sentiment, -1 (negative) to 1 (positive); None without any."""
        return self.sentiment_total / self.sentiment_count if self.sentiment_count else None


@dataclass(frozen=True)
class FeedbackKpis:
    current: FeedbackFigures
    previous: FeedbackFigures
    by_customer: bool  # narrowed to customers: only items matched to a customer count


def feedback_kpis(
    *,
    start: dt.date,
    end: dt.date,
    previous_start: dt.date,
    segment: str = "",
    value_tier: str = "",
) -> FeedbackKpis:
    """Items posted from ``start`` to ``end`` (days included, the desk's time zone) and from
    ``previous_start`` to the day before ``start``, with their sentiment. One query."""
    this = (day_start(start), day_start(end + dt.timedelta(days=1)))
    before = (day_start(previous_start), this[0])
    if segment or value_tier:
        narrowing = {
            f"customer__{name}": value
            for name, value in (("segment", segment), ("value_tier", value_tier))
            if value
        }
        now = Q(posted_at__gte=this[0])
        found = (
            # Said explicitly, "a customer" lets PostgreSQL read the items of each of the
            # segment's customers from the partial index (migration ``kpi_indexes``).
            FeedbackItem.objects.filter(
                customer__isnull=False,
                posted_at__gte=before[0],
                posted_at__lt=this[1],
                **narrowing,
            )
            .order_by()
            .aggregate(
                # Columns the index holds (not the id): an index-only scan.
                volume=Count("posted_at", filter=now),
                previous=Count("posted_at", filter=~now),
                total=Sum("sentiment", filter=now),
                previous_total=Sum("sentiment", filter=~now),
                n=Count("sentiment", filter=now),
                previous_n=Count("sentiment", filter=~now),
            )
        )
        rows = [found]
    else:
        # Counted days, then the items stored since the count (as the analysis page adds
        # them up), in one statement.
        counted_to = Coalesce(
            Subquery(AnalysisDay.objects.order_by().values("counted_to")[:1]),
            Value(0),
            output_field=IntegerField(),
        )
        now = Q(day__gte=start)
        counted = (
            AnalysisDay.objects.filter(theme__isnull=True, day__gte=previous_start, day__lte=end)
            .order_by()
            .annotate(group=Value(1))
            .values("group")
            .annotate(
                volume=Sum("items", filter=now),
                previous=Sum("items", filter=~now),
                total=Sum("sentiment_total", filter=now),
                previous_total=Sum("sentiment_total", filter=~now),
                n=Sum("sentiment_count", filter=now),
                previous_n=Sum("sentiment_count", filter=~now),
            )
        )
        now = Q(posted_at__gte=this[0])
        new = FeedbackItem.objects.filter(
            posted_at__gte=before[0], posted_at__lt=this[1], pk__gt=counted_to
        )
        new = (
            new.order_by()
            .annotate(group=Value(1))
            .values("group")
            .annotate(
                volume=Count("pk", filter=now),
                previous=Count("pk", filter=~now),
                total=Sum("sentiment", filter=now),
                previous_total=Sum("sentiment", filter=~now),
                n=Count("sentiment", filter=now),
                previous_n=Count("sentiment", filter=~now),
            )
        )
        rows = list(counted.union(new, all=True))

    def figures(items: str, total: str, count: str) -> FeedbackFigures:
        return FeedbackFigures(
            int(sum(row[items] or 0 for row in rows)),
            float(sum(row[total] or 0 for row in rows)),
            int(sum(row[count] or 0 for row in rows)),
        )

    return FeedbackKpis(
        current=figures("volume", "total", "n"),
        previous=figures("previous", "previous_total", "previous_n"),
        by_customer=bool(segment or value_tier),
    )


@dataclass(frozen=True)
class NeedKpis:
    top: list[Need]  # the highest ranked, with theme and department
    by_status: dict[str, int]  # every Need.Status value

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def acted_on(self) -> int:
        """Needs someone has taken up: acknowledged, planned or done."""
        return self.total - self.by_status.get(Need.Status.NEW, 0)


TOP_NEEDS = 5


def need_kpis(*, top: int = TOP_NEEDS) -> NeedKpis:
    """The top needs by score and how many needs are at each status: two queries (the
    ranked needs are the needs page's, refreshed by ``services.refresh_needs``)."""
    counts = dict(Need.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return NeedKpis(
        top=list(ranked_needs()[:top]),
        by_status={status: counts.get(status, 0) for status in Need.Status.values},
    )
