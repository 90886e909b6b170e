"""Orders CSV uploads: pending work in the database, imported row by row by a worker."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from cases import tasks
from cases.models import (
    OrderImport,
)
from cases.schemas import OrderIn
from cases.services.orders import CUSTOMER_FIELDS, upsert_orders
from cases.services.pending import register_pending_work, requeue_waiting

ORDER_CSV_COLUMNS = (
    "external_ref",
    "customer_ref",
    "customer_name",
    "customer_email",
    "customer_language",
    "customer_company",
    "customer_segment",
    "value",
    "currency",
    "critical",
    "ordered_at",
    "promised_delivery_at",
    "shipped_at",
    "delivered_at",
    "carrier",
    "tracking_number",
)
REQUIRED_CSV_COLUMNS = (
    "external_ref", "customer_ref", "customer_name", "value", "currency", "ordered_at",
)
IMPORT_CHUNK = 500
TRUE_WORDS = {"1", "true", "yes", "y", "x"}
FALSE_WORDS = {"", "0", "false", "no", "n"}


def _read_csv_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": _("The file is not UTF-8 text. Save it as CSV UTF-8 and upload it again.")}
        ) from None


def _check_csv_header(text: str) -> None:
    header = next(csv.reader(io.StringIO(text)), None)
    if not header:
        raise ValidationError({"file": _("The file is empty.")})
    columns = {column.strip().lower() for column in header}
    missing = [column for column in REQUIRED_CSV_COLUMNS if column not in columns]
    if missing:
        raise ValidationError(
            {"file": _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}}
        )


@transaction.atomic
def start_order_import(*, filename: str, raw: bytes, actor: AbstractBaseUser) -> OrderImport:
    """Keep the uploaded file as pending work and nudge a worker to import it."""
    if len(raw) > settings.ORDER_CSV_MAX_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(limit)d MB.")
             % {"limit": settings.ORDER_CSV_MAX_BYTES // (1024 * 1024)}}
        )
    if not filename.lower().endswith((".csv", ".txt")):
        raise ValidationError({"file": _("Upload a .csv file.")})
    text = _read_csv_text(raw)
    _check_csv_header(text)
    order_import = OrderImport(
        filename=filename[:255],
        content=text,
        created_by=actor,
        rows_total=max(0, sum(1 for _row in csv.reader(io.StringIO(text))) - 1),
    )
    order_import.save()
    transaction.on_commit(lambda: tasks.import_orders.delay(order_import_id=order_import.pk))
    return order_import


def _csv_row_to_order(row: dict[str, str]) -> dict:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    critical = cell("critical").lower()
    return {
        "external_ref": cell("external_ref"),
        "customer": {
            "external_ref": cell("customer_ref"),
            "name": cell("customer_name"),
            "email": cell("customer_email"),
            "language": cell("customer_language") or "en",
            "company": cell("customer_company"),
            "segment": cell("customer_segment"),
        },
        "value": cell("value"),
        "currency": cell("currency"),
        "critical": True if critical in TRUE_WORDS else False if critical in FALSE_WORDS
        else critical,
        **{
            name: cell(name) or None
            for name in ("ordered_at", "promised_delivery_at", "shipped_at", "delivered_at")
        },
        "carrier": cell("carrier"),
        "tracking_number": cell("tracking_number"),
    }


CSV_FIELD_BY_LOC = {("customer", name): f"customer_{name}" for name in CUSTOMER_FIELDS}
CSV_FIELD_BY_LOC[("customer", "external_ref")] = "customer_ref"


def _csv_errors(error: PydanticValidationError) -> list[dict]:
    found = []
    for item in error.errors():
        loc = tuple(str(part) for part in item["loc"])
        column = CSV_FIELD_BY_LOC.get(loc[:2]) or (loc[0] if loc else "")
        found.append({"field": column, "message": item["msg"]})
    return found


def claim_order_import(*, order_import_id: int) -> OrderImport | None:
    """Take a pending import for this worker; None if another worker has it or it is done."""
    now = timezone.now()
    claimed = OrderImport.objects.filter(
        pk=order_import_id, status=OrderImport.Status.PENDING
    ).update(status=OrderImport.Status.RUNNING, started_at=now, finished_at=None)
    if not claimed:
        return None
    order_import = OrderImport.objects.get(pk=order_import_id)
    order_import.attempts += 1
    order_import.rows_processed = order_import.rows_imported = 0
    order_import.row_errors = []
    order_import.save(update_fields=["attempts", "rows_processed", "rows_imported", "row_errors"])
    return order_import


def import_orders(*, order_import_id: int) -> OrderImport | None:
    """Import each valid row, list each bad one with its row number; safe to run again."""
    order_import = claim_order_import(order_import_id=order_import_id)
    if order_import is None:
        return None
    reader = csv.DictReader(io.StringIO(order_import.content))
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
    errors: list[dict] = []
    chunk: list[OrderIn] = []
    seen: dict[str, int] = {}
    line = 1  # row 1 is the header
    for line, row in enumerate(reader, start=2):
        try:
            order = OrderIn.model_validate(_csv_row_to_order(row))
        except PydanticValidationError as error:
            errors.extend({"row": line, **found} for found in _csv_errors(error))
            continue
        if order.external_ref in seen:
            errors.append({
                "row": line, "field": "external_ref",
                "message": f"{order.external_ref!r} is also on row {seen[order.external_ref]}",
            })
            continue
        seen[order.external_ref] = line
        chunk.append(order)
        if len(chunk) >= IMPORT_CHUNK:
            _import_chunk(order_import, chunk, errors, processed=line - 1)
            chunk = []
    _import_chunk(order_import, chunk, errors, processed=line - 1)
    order_import.status = OrderImport.Status.DONE
    order_import.finished_at = timezone.now()
    order_import.rows_total = line - 1
    order_import.save(update_fields=["status", "finished_at", "rows_total"])
    return order_import


def _import_chunk(
    order_import: OrderImport, chunk: list[OrderIn], errors: list[dict], processed: int
) -> None:
    if chunk:
        upsert_orders(orders=chunk)
    order_import.rows_imported += len(chunk)
    order_import.rows_processed = processed
    order_import.row_errors = errors
    order_import.save(update_fields=["rows_imported", "rows_processed", "row_errors"])


@register_pending_work("order imports")
def requeue_stale_order_imports() -> int:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PENDING_WORK_STALE_AFTER)
    lost = now - timedelta(seconds=settings.RUNNING_WORK_TIMEOUT)
    # A worker that died mid-import left it running; the import is safe to run again.
    waiting_too_long = Q(status=OrderImport.Status.PENDING, enqueued_at__lt=stale) | Q(
        status=OrderImport.Status.RUNNING, started_at__lt=lost
    )
    return requeue_waiting(
        OrderImport, waiting_too_long,
        lambda pk: tasks.import_orders.delay(order_import_id=pk),
        status=OrderImport.Status.PENDING, enqueued_at=now,
    )
