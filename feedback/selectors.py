"""Reads of the feedback app for its pages, the API and the import command."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from feedback.models import (
    AnalysisDay,
    FeedbackItem,
    ImportBatch,
    ImportRowError,
    ItemTheme,
    Need,
    Source,
    Theme,
)

# CSV cells a spreadsheet would run as a formula (CWE-1236).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading formula character gets a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_csv(stream, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    writer = csv.writer(stream)
    writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])


def import_errors(*, batch: ImportBatch) -> QuerySet[ImportRowError]:
    return batch.row_errors.order_by("line", "pk")


def write_error_report(*, batch: ImportBatch, stream) -> None:
    """The records an import kept out, as CSV: row, field, reason."""
    write_csv(stream, ["row", "field", "reason"],
              import_errors(batch=batch).values_list("line", "field", "reason").iterator())


def sources_overview() -> QuerySet[Source]:
    """Every source with its volume, last intake, average rating and sentiment."""
    return (Source.objects.select_related("owner", "department")
            .annotate(volume=Count("items"), average_rating=Avg("items__rating_normalised"),
                      average_sentiment=Avg("items__sentiment"),
                      last_item_at=Max("items__received_at"))
            .order_by("-selected", "name"))


def recent_batches(*, source: Source | None = None, limit: int = 10) -> QuerySet[ImportBatch]:
    batches = ImportBatch.objects.select_related("source", "created_by")
    if source is not None:
        batches = batches.filter(source=source)
    return batches.order_by("-created_at", "-pk")[:limit]


CUSTOMER_FEEDBACK_SHOWN = 10


def customer_feedback(*, customer) -> dict:
    """The customer's feedback for their page: the newest items, how many, how they feel."""
    items = customer.feedback_items.all()
    summary = items.aggregate(count=Count("pk"), sentiment=Avg("sentiment"),
                              rating=Avg("rating_normalised"))
    return {
        "items": list(items.select_related("source").prefetch_related("themes")
                      .order_by("-posted_at", "-pk")[:CUSTOMER_FEEDBACK_SHOWN]),
        **summary,
    }


def ranked_needs(*, department=None) -> QuerySet:
    """The needs by score; only those one department owns when ``department`` is given."""
    needs = (Need.objects.select_related("theme", "theme__parent", "department")
             .order_by("-score", "pk"))
    return needs if department is None else needs.filter(department=department)


def need_evidence(*, need, source: str = "", language: str = "",
                  negative: bool = False) -> QuerySet:
    """The items behind a need, newest first, with the filters of its evidence list."""
    items = (FeedbackItem.objects.filter(
        item_themes__theme=need.theme).exclude(item_themes__origin=ItemTheme.Origin.REMOVED)
        .select_related("source", "customer"))
    if source:
        items = items.filter(source__slug=source)
    if language:
        items = items.filter(language=language)
    if negative:
        items = items.filter(Q(sentiment__lt=0) | Q(rating_normalised__lte=0.25))
    return items.order_by("-posted_at", "-pk")


def write_needs_csv(*, stream) -> None:
    write_csv(stream, ["rank", "need", "items", "negative", "negative share", "trend",
                       "customers", "customer value", "department", "status", "score"],
              ([rank, need.theme.name, need.volume, need.negative,
                "" if need.negative_share is None else f"{need.negative_share:.2f}",
                "" if need.trend is None else f"{need.trend:+.2f}", need.customers,
                need.customer_value, need.department or "", need.get_status_display(),
                need.score]
               for rank, need in enumerate(ranked_needs(), start=1)))


# --- the analysis page -----------------------------------------------------------------------

STARS = (1, 2, 3, 4, 5)


def stars_filter(stars: int, prefix: str = "") -> Q:
    """The ratings (0..1) shown as ``stars`` out of 5: the nearest star, so 0.3 is 2 stars;
    halfway goes to the even one of 0..4, as PostgreSQL rounds a float (0.125 is 1 star)."""
    field = f"{prefix}rating_normalised"
    low, high = (stars - 1.5) / 4, (stars - 0.5) / 4
    if stars % 2:
        return Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return Q(**{f"{field}__gt": low, f"{field}__lt": high})


@dataclass
class Bar:
    label: str
    value: float
    share: float  # of the largest bar, 0..100, for the chart
    extra: dict = field(default_factory=dict)


@dataclass
class Analysis:
    start: dt.date
    end: dt.date
    total: int
    months: list[Bar]
    sources: list[str]
    ratings: list[Bar]
    themes: list[Bar]
    rising: list[Bar]


def _bars(rows: list[tuple[str, float, dict]]) -> list[Bar]:
    top = max((abs(value) for _label, value, _extra in rows), default=0) or 1
    return [Bar(label, value, round(100 * abs(value) / top, 1), extra)
            for label, value, extra in rows]


def feedback_analysis(*, days: int, today: dt.date | None = None, source: str = "",
                      language: str = "", theme: str = "") -> Analysis:
    """The analysis page's figures over the last ``days`` days (today included), under its
    filters: volume by source and month, the rating distribution, sentiment by theme and
    the themes rising most against the days before.

    The figures come from ``AnalysisDay``, the feedback counted by day, source, language
    and theme (``services.refresh_analysis``), plus the items stored since that count,
    counted here: two aggregate queries whatever the volume, each reading a few thousand
    rows of counts and the few new items. (A refresh committing between the first read
    and the last would count its newest items twice in that one answer.)"""
    zone = timezone.get_default_timezone()
    today = today or timezone.localdate(timezone=zone)
    first = today - dt.timedelta(days=days - 1)
    before = first - dt.timedelta(days=days)
    sources_by_id, narrowing = {}, {}
    for pk, name, slug in Source.objects.values_list("pk", "name", "slug"):
        sources_by_id[pk] = name
        if slug == source:
            narrowing["source_id"] = pk
    if source and not narrowing:
        return Analysis(start=first, end=today, total=0, months=[], sources=[],
                        ratings=_bars([(str(stars), 0, {}) for stars in STARS]), themes=[],
                        rising=[])
    if language:
        narrowing["language"] = language
    themes = {pk: (name, slug) for pk, name, slug in Theme.objects.values_list(
        "pk", "name", "slug")}
    counted_to = AnalysisDay.objects.values_list("counted_to", flat=True).first() or 0

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=zone)

    period = (midnight(first), midnight(today + dt.timedelta(days=1)))
    theme_id = next((pk for pk, (_name, slug) in themes.items() if slug == theme), None)
    by_month: dict[dt.date, dict[str, int]] = {}
    ratings = dict.fromkeys(STARS, 0)
    if not theme or theme_id is not None:
        for row in _items_by_month(first=first, last=today, period=period, theme_id=theme_id,
                                   counted_to=counted_to, zone=zone, narrowing=narrowing):
            name = sources_by_id.get(row["source_id"], "")
            counts = by_month.setdefault(row["month"], {})
            counts[name] = counts.get(name, 0) + row["volume"]
            for stars in STARS:
                ratings[stars] += row[f"stars_{stars}"]
    by_month = dict(sorted(by_month.items()))
    sources = sorted({name for counts in by_month.values() for name in counts})
    months = _bars([(f"{month:%Y-%m}", sum(counts.values()),
                     {"by_source": [counts.get(name, 0) for name in sources]})
                    for month, counts in by_month.items()])

    figures: dict[int, dict[str, float]] = {}
    for row in _themes_by_period(first=first, before=before, last=today,
                                 period=(midnight(before), *period), counted_to=counted_to,
                                 narrowing=narrowing):
        sums = figures.setdefault(row["theme_id"], dict.fromkeys(row, 0))
        for key, value in row.items():
            if key != "theme_id":
                sums[key] += value or 0
    shown = sorted(((themes[pk][0], sums) for pk, sums in figures.items() if sums["volume"]),
                   key=lambda pair: (-pair[1]["volume"], pair[0]))
    theme_bars = _bars([
        (name, round(sums["sentiment_sum"] / sums["sentiment_n"], 2)
         if sums["sentiment_n"] else 0, {"count": sums["volume"]})
        for name, sums in shown])
    growth = sorted(((name, sums["volume"] - sums["previous"],
                      {"now": sums["volume"], "before": sums["previous"]})
                     for name, sums in shown), key=lambda bar: -bar[1])
    return Analysis(start=first, end=today, total=sum(bar.value for bar in months),
                    months=months, sources=sources,
                    ratings=_bars([(str(stars), ratings[stars], {}) for stars in STARS]),
                    themes=theme_bars, rising=_bars([bar for bar in growth if bar[1] > 0][:8]))


def _items_by_month(*, first: dt.date, last: dt.date, period: tuple[dt.datetime, dt.datetime],
                    theme_id: int | None, counted_to: int, zone: dt.tzinfo,
                    narrowing: dict) -> QuerySet:
    """Items by month and source with their ratings as stars: counted days, then the
    items stored since. ``theme_id``: only the items with that theme."""
    counted = (AnalysisDay.objects.filter(day__gte=first, day__lte=last, theme_id=theme_id,
                                          **narrowing)
               .annotate(month=TruncMonth("day")).order_by().values("month", "source_id")
               .annotate(volume=Sum("items"),
                         **{f"stars_{stars}": Sum(f"rated_{stars}") for stars in STARS}))
    new = FeedbackItem.objects.filter(pk__gt=counted_to, posted_at__gte=period[0],
                                      posted_at__lt=period[1], **narrowing)
    if theme_id is not None:
        new = new.filter(Exists(ItemTheme.objects.filter(item=OuterRef("pk"), theme_id=theme_id)
                                .exclude(origin=ItemTheme.Origin.REMOVED)))
    new = (new.annotate(month=TruncMonth(TruncDate("posted_at", tzinfo=zone))).order_by()
           .values("month", "source_id")
           .annotate(volume=Count("pk"), **{f"stars_{stars}": Count("pk", filter=stars_filter(
               stars)) for stars in STARS}))
    return counted.union(new, all=True)


def _themes_by_period(*, first: dt.date, before: dt.date, last: dt.date,
                      period: tuple[dt.datetime, dt.datetime, dt.datetime], counted_to: int,
                      narrowing: dict) -> QuerySet:
    """Per theme: its items in the period and in the one before, and the sentiment of
    those of the period (total and how many have one). Counted days, then new items."""
    now = Q(day__gte=first)
    counted = (AnalysisDay.objects.filter(theme__isnull=False, day__gte=before, day__lte=last,
                                          **narrowing)
               .order_by().values("theme_id")
               .annotate(volume=Sum("items", filter=now), previous=Sum("items", filter=~now),
                         sentiment_sum=Sum("sentiment_total", filter=now),
                         sentiment_n=Sum("sentiment_count", filter=now)))
    now = Q(item__posted_at__gte=period[1])
    new = (ItemTheme.objects.exclude(origin=ItemTheme.Origin.REMOVED)
           .filter(item_id__gt=counted_to, item__posted_at__gte=period[0],
                   item__posted_at__lt=period[2],
                   **{f"item__{name}": value for name, value in narrowing.items()})
           .order_by().values("theme_id")
           .annotate(volume=Count("pk", filter=now), previous=Count("pk", filter=~now),
                     sentiment_sum=Sum("item__sentiment", filter=now),
                     sentiment_n=Count("item__sentiment", filter=now)))
    return counted.union(new, all=True)
