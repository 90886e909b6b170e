"""Reads of the feedback app for its pages, the API and the import command."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Max, Q, QuerySet
from django.db.models.functions import Round, TruncMonth

from feedback.models import (
    FeedbackItem,
    ImportBatch,
    ImportRowError,
    ItemTheme,
    Need,
    Source,
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


def ranked_needs() -> QuerySet:
    return (Need.objects.select_related("theme", "theme__parent", "department")
            .order_by("-score", "pk"))


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

RATING_BANDS = ((0.0, "1"), (0.25, "2"), (0.5, "3"), (0.75, "4"), (1.0, "5"))


@dataclass
class Bar:
    label: str
    value: float
    share: float  # of the largest bar, 0..100, for the chart
    extra: dict = field(default_factory=dict)


@dataclass
class Analysis:
    start: dt.datetime
    end: dt.datetime
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


def feedback_analysis(*, start: dt.datetime, end: dt.datetime, source: str = "",
                      language: str = "", theme: str = "") -> Analysis:
    """The analysis page's figures over a period, under its filters: volume by source and
    month, the rating distribution, sentiment by theme and the themes rising most against
    the period before. A handful of aggregate queries, whatever the volume."""
    def narrowed(items, prefix=""):
        if source:
            items = items.filter(**{f"{prefix}source__slug": source})
        if language:
            items = items.filter(**{f"{prefix}language": language})
        return items

    items = narrowed(FeedbackItem.objects.filter(posted_at__gte=start, posted_at__lt=end))
    if theme:
        items = items.filter(item_themes__theme__slug=theme).exclude(
            item_themes__origin="removed")
    by_month: dict[dt.date, dict[str, int]] = {}
    for month, name, count in (items.annotate(month=TruncMonth("posted_at"))
                               .values("month", "source__name").annotate(n=Count("pk"))
                               .order_by("month").values_list("month", "source__name", "n")):
        by_month.setdefault(month, {})[name] = count
    sources = sorted({name for counts in by_month.values() for name in counts})
    months = _bars([(f"{month:%Y-%m}", sum(counts.values()),
                     {"by_source": [counts.get(name, 0) for name in sources]})
                    for month, counts in by_month.items()])
    ratings = dict(items.filter(rating_normalised__isnull=False).annotate(
        band=Round(F("rating_normalised") * 4)).values("band").annotate(n=Count("pk"))
        .values_list("band", "n"))
    rating_bars = _bars([(stars, ratings.get(round(bound * 4), 0), {})
                         for bound, stars in RATING_BANDS])
    links = narrowed(ItemTheme.objects.exclude(origin="removed"), "item__")
    current = links.filter(item__posted_at__gte=start, item__posted_at__lt=end)
    themes = list(current.values("theme__name").annotate(
        n=Count("item"), sentiment=Avg("item__sentiment")).order_by("-n"))
    theme_bars = _bars([(row["theme__name"], round(row["sentiment"] or 0, 2),
                         {"count": row["n"]}) for row in themes])
    previous = dict(links.filter(item__posted_at__gte=start - (end - start),
                                 item__posted_at__lt=start)
                    .values("theme__name").annotate(n=Count("item"))
                    .values_list("theme__name", "n"))
    growth = sorted(((row["theme__name"], row["n"] - previous.get(row["theme__name"], 0),
                      {"now": row["n"], "before": previous.get(row["theme__name"], 0)})
                     for row in themes), key=lambda bar: -bar[1])
    return Analysis(start=start, end=end, total=items.count(), months=months, sources=sources,
                    ratings=rating_bars, themes=theme_bars,
                    rising=_bars([bar for bar in growth if bar[1] > 0][:8]))
