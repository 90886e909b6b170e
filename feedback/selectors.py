"""Reads of the feedback app for its pages, the API and the import command."""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.db.models import Avg, Count, Max, QuerySet

from feedback.models import ImportBatch, ImportRowError, Source

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
