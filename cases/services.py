"""Every write of the desk that does more than save one row."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError as PydanticValidationError

from cases import tasks
from cases.models import (
    ADVOCATES,
    MANAGERS,
    ApiKey,
    Customer,
    Order,
    OrderImport,
    ShipmentEvent,
)
from cases.schemas import OrderIn, ShipmentEventIn

# --- staff groups -----------------------------------------------------------------------

GROUP_PERMISSIONS: dict[str, list[str]] = {
    ADVOCATES: [
        "cases.view_customer",
        "cases.change_customer",
        "cases.view_order",
        "cases.view_shipmentevent",
        "cases.add_orderimport",
        "cases.view_orderimport",
        "cases.view_department",
        "cases.view_team",
    ],
    MANAGERS: [
        "cases.view_customer",
        "cases.add_customer",
        "cases.change_customer",
        "cases.view_order",
        "cases.add_order",
        "cases.change_order",
        "cases.view_shipmentevent",
        "cases.add_orderimport",
        "cases.view_orderimport",
        "cases.view_apikey",
        "cases.add_apikey",
        "cases.change_apikey",
        "cases.view_department",
        "cases.add_department",
        "cases.change_department",
        "cases.delete_department",
        "cases.view_team",
        "cases.add_team",
        "cases.change_team",
        "cases.delete_team",
        "cases.add_teammembership",
        "cases.change_teammembership",
        "cases.delete_teammembership",
    ],
}


def sync_staff_groups() -> None:
    """Create the staff groups and give them exactly their permissions (idempotent)."""
    for group_name, names in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        query = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))


# --- API keys ---------------------------------------------------------------------------

API_SCOPES: dict[str, str] = {
    "orders:write": gettext_lazy("Push orders and shipment events"),
}


def hash_api_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def create_api_key(
    *, name: str, scopes: Sequence[str], actor: AbstractBaseUser | None
) -> tuple[ApiKey, str]:
    """Return the key and its secret; the secret is never stored, so show it now or never."""
    unknown = sorted(set(scopes) - set(API_SCOPES))
    if unknown:
        raise ValidationError(
            {"scopes": _("Unknown scope: %(scopes)s.") % {"scopes": ", ".join(unknown)}}
        )
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    prefix = secrets.token_hex(4)
    raw_key = f"adk_{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey(
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_api_key(raw_key),
        scopes=sorted(set(scopes)),
        created_by=actor,
    )
    api_key.full_clean()
    api_key.save()
    return api_key, raw_key


def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def touch_api_key(*, api_key: ApiKey) -> None:
    """Record use at most once a minute, so busy integrations don't write on every call."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)


# --- orders -----------------------------------------------------------------------------

CUSTOMER_FIELDS = ("name", "email", "language", "company", "segment")
ORDER_STATE = (
    "customer_id",
    "value",
    "currency",
    "critical",
    "ordered_at",
    "promised_delivery_at",
    "shipped_at",
    "delivered_at",
    "carrier",
    "tracking_number",
    # derived from the shop's data and the carrier's events:
    "status",
    "expected_delivery_at",
)


@dataclass
class OrderUpsert:
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    events_attached: int = 0


def _duplicates(keys: Sequence[str], field_name: str) -> dict[tuple, list[str]]:
    first_seen: dict[str, int] = {}
    errors: dict[tuple, list[str]] = {}
    for index, key in enumerate(keys):
        if key in first_seen:
            errors[(index, field_name)] = [
                f"{key!r} appears twice in this batch (first at index {first_seen[key]})"
            ]
        else:
            first_seen[key] = index
    return errors


class BatchError(Exception):
    """A batch refused as a whole; ``errors`` maps (index, field…) to messages."""

    def __init__(self, errors: dict[tuple, list[str]]):
        super().__init__(errors)
        self.errors = errors


@transaction.atomic
def upsert_orders(*, orders: Sequence[OrderIn]) -> OrderUpsert:
    """Create or update orders and their customers by external reference, all or nothing.

    Rows equal to what is stored are not written, so sending a payload twice changes
    nothing. Shipment events that arrived before their order attach to it here.
    """
    if duplicates := _duplicates([order.external_ref for order in orders], "external_ref"):
        raise BatchError(duplicates)
    result = OrderUpsert(received=len(orders))
    customers = _upsert_customers([order.customer for order in orders], result)

    refs = [order.external_ref for order in orders]
    existing = {order.external_ref: order for order in Order.objects.filter(external_ref__in=refs)}
    events = _events_by_order([order.pk for order in existing.values()])
    now = timezone.now()
    to_write = []
    for incoming in orders:
        order = Order(
            external_ref=incoming.external_ref,
            customer_id=customers[incoming.customer.external_ref].pk,
            updated_at=now,
            **incoming.model_dump(exclude={"customer", "external_ref"}),
        )
        current = existing.get(incoming.external_ref)
        # The carrier's word on delivery stands until the shop reports one itself.
        _apply_events(order, events.get(current.pk, []) if current else [])
        if current is None:
            result.created += 1
        elif all(getattr(current, name) == getattr(order, name) for name in ORDER_STATE):
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        to_write.append(order)
    if to_write:
        Order.objects.bulk_create(
            to_write,
            update_conflicts=True,
            unique_fields=["external_ref"],
            update_fields=[*ORDER_STATE, "updated_at"],
            batch_size=1000,
        )
        attached = _attach_unmatched_events([order.external_ref for order in to_write])
        result.events_attached = sum(attached.values())
        refresh_delivery(order_refs=list(attached))
    return result


def _upsert_customers(customers: Iterable, result: OrderUpsert) -> dict[str, Customer]:
    latest = {customer.external_ref: customer for customer in customers}  # last one wins
    stored = {c.external_ref: c for c in Customer.objects.filter(external_ref__in=list(latest))}
    to_write = []
    for ref, incoming in latest.items():
        values = incoming.model_dump(exclude={"external_ref"})
        current = stored.get(ref)
        if current is not None:
            if all(getattr(current, name) == values[name] for name in CUSTOMER_FIELDS):
                continue
            result.customers_updated += 1
        else:
            result.customers_created += 1
        to_write.append(Customer(external_ref=ref, **values))
    if to_write:
        Customer.objects.bulk_create(
            to_write,
            update_conflicts=True,
            unique_fields=["external_ref"],
            update_fields=list(CUSTOMER_FIELDS),
            batch_size=500,
        )
        stored = {c.external_ref: c for c in Customer.objects.filter(external_ref__in=list(latest))}
    return stored


def _attach_unmatched_events(order_refs: Sequence[str]) -> dict[str, int]:
    """Give waiting carrier events their order; returns events attached per order ref."""
    orders = Order.objects.filter(external_ref__in=order_refs)
    by_ref, by_tracking = {}, {}
    for pk, ref, tracking in orders.values_list("pk", "external_ref", "tracking_number"):
        by_ref[ref] = (pk, ref)
        if tracking:
            by_tracking[tracking] = (pk, ref)
    waiting = ShipmentEvent.objects.filter(order=None).filter(
        Q(order_ref__in=list(by_ref)) | Q(tracking_number__in=list(by_tracking))
    )
    attached: dict[str, int] = {}
    for event in waiting:
        order_id, ref = by_ref.get(event.order_ref) or by_tracking[event.tracking_number]
        known = ShipmentEvent.objects.filter(
            order_id=order_id, code=event.code, occurred_at=event.occurred_at
        )
        if known.exists():  # the same event also came in under the order's other reference
            event.delete()
            continue
        ShipmentEvent.objects.filter(pk=event.pk).update(order_id=order_id)
        attached[ref] = attached.get(ref, 0) + 1
    return attached


PROBLEM_CODES = {
    ShipmentEvent.Code.DELAYED,
    ShipmentEvent.Code.EXCEPTION,
    ShipmentEvent.Code.FAILED_ATTEMPT,
    ShipmentEvent.Code.DAMAGED,
    ShipmentEvent.Code.LOST,
}
STATUS_BY_CODE = {
    ShipmentEvent.Code.INFO_RECEIVED: Order.Status.PLACED,
    ShipmentEvent.Code.IN_TRANSIT: Order.Status.IN_TRANSIT,
    ShipmentEvent.Code.OUT_FOR_DELIVERY: Order.Status.OUT_FOR_DELIVERY,
    ShipmentEvent.Code.DELIVERED: Order.Status.DELIVERED,
    ShipmentEvent.Code.RETURNED_TO_SENDER: Order.Status.RETURNED,
    **dict.fromkeys(PROBLEM_CODES, Order.Status.PROBLEM),
}


def _events_by_order(order_ids: Sequence[int]) -> dict[int, list[ShipmentEvent]]:
    events: dict[int, list[ShipmentEvent]] = {}
    if order_ids:
        for event in ShipmentEvent.objects.filter(order_id__in=order_ids).order_by(
            "occurred_at", "pk"
        ):
            events.setdefault(event.order_id, []).append(event)
    return events


def refresh_delivery(*, order_refs: Sequence[str]) -> None:
    """Recompute status, expected and actual delivery of these orders from their events.

    Bounded by the batch that touched them (at most one API batch or import chunk).
    """
    if not order_refs:
        return
    orders = list(
        Order.objects.filter(external_ref__in=order_refs).only(
            "pk", "promised_delivery_at", "shipped_at", "delivered_at", "status",
            "expected_delivery_at",
        )
    )
    events = _events_by_order([order.pk for order in orders])
    changed = []
    for order in orders:
        before = (order.status, order.expected_delivery_at, order.delivered_at)
        _apply_events(order, events.get(order.pk, []))
        if (order.status, order.expected_delivery_at, order.delivered_at) != before:
            changed.append(order)
    Order.objects.bulk_update(
        changed, ["status", "expected_delivery_at", "delivered_at"], batch_size=500
    )


def _apply_events(order: Order, events: Sequence[ShipmentEvent]) -> None:
    expected = order.promised_delivery_at
    status = Order.Status.SHIPPED if order.shipped_at else Order.Status.PLACED
    delivered_at = order.delivered_at
    for event in events:
        if event.estimated_delivery_at:
            expected = event.estimated_delivery_at
        status = STATUS_BY_CODE[event.code]
        if event.code == ShipmentEvent.Code.DELIVERED and delivered_at is None:
            delivered_at = event.occurred_at
    if delivered_at is not None:
        status = Order.Status.DELIVERED
    order.status, order.expected_delivery_at, order.delivered_at = status, expected, delivered_at


@dataclass
class EventIntake:
    received: int = 0
    created: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0


@transaction.atomic
def record_shipment_events(*, events: Sequence[ShipmentEventIn]) -> EventIntake:
    """Store carrier events once each; events for orders not yet known wait for them."""
    refs = {e.order_ref for e in events if e.order_ref}
    trackings = {e.tracking_number for e in events if e.tracking_number}
    orders = Order.objects.filter(
        Q(external_ref__in=refs) | Q(tracking_number__in=trackings)
    ).values_list("pk", "external_ref", "tracking_number")
    by_ref, by_tracking = {}, {}
    for pk, ref, tracking in orders:
        by_ref[ref] = pk
        if tracking:
            by_tracking[tracking] = pk

    result = EventIntake(received=len(events))
    rows: dict[tuple, ShipmentEvent] = {}
    for incoming in events:
        order_id = by_ref.get(incoming.order_ref or "") or by_tracking.get(
            incoming.tracking_number or ""
        )
        if order_id:
            result.matched += 1
            key = (order_id, incoming.code, incoming.occurred_at)
        else:
            result.unmatched += 1
            key = (
                None, incoming.order_ref or "", incoming.tracking_number or "",
                incoming.code, incoming.occurred_at,
            )
        rows[key] = ShipmentEvent(
            order_id=order_id,
            order_ref=incoming.order_ref or "",
            tracking_number=incoming.tracking_number or "",
            code=incoming.code,
            occurred_at=incoming.occurred_at,
            location=incoming.location,
            description=incoming.description,
            estimated_delivery_at=incoming.estimated_delivery_at,
        )
    known = _known_events(list(rows))
    new = [row for key, row in rows.items() if key not in known]
    result.created = len(new)
    result.duplicates = result.received - result.created
    ShipmentEvent.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    touched = {row.order_id for row in new if row.order_id}
    if touched:
        refresh_delivery(
            order_refs=list(
                Order.objects.filter(pk__in=touched).values_list("external_ref", flat=True)
            )
        )
    return result


def _known_events(keys: Sequence[tuple]) -> set[tuple]:
    matched = [k for k in keys if k[0] is not None]
    unmatched = [k for k in keys if k[0] is None]
    known = set()
    if matched:
        query = ShipmentEvent.objects.filter(
            order_id__in={k[0] for k in matched}, code__in={k[1] for k in matched}
        ).values_list("order_id", "code", "occurred_at")
        known |= set(query) & set(matched)
    if unmatched:
        query = ShipmentEvent.objects.filter(
            order=None,
            order_ref__in={k[1] for k in unmatched},
            tracking_number__in={k[2] for k in unmatched},
        ).values_list("order_ref", "tracking_number", "code", "occurred_at")
        known |= {(None, *row) for row in query} & set(unmatched)
    return known


# --- CSV import of orders ----------------------------------------------------------------

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


# --- pending work -----------------------------------------------------------------------

@dataclass
class Sweep:
    requeued: dict[str, int] = field(default_factory=dict)


PENDING_WORK: dict[str, Callable[[], int]] = {}


def register_pending_work(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register a function that re-enqueues one kind of stale work and returns its count.

    Apps above ``cases`` (feedback imports, NPS invitations) register theirs in
    ``AppConfig.ready``; the sweeper runs them all.
    """
    def register(function: Callable[[], int]) -> Callable[[], int]:
        PENDING_WORK[name] = function
        return function

    return register


@register_pending_work("order imports")
def requeue_stale_order_imports() -> int:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.PENDING_WORK_STALE_AFTER)
    lost = now - timedelta(seconds=settings.RUNNING_WORK_TIMEOUT)
    # A worker that died mid-import left it running; the import is safe to run again.
    waiting_too_long = Q(status=OrderImport.Status.PENDING, enqueued_at__lt=stale) | Q(
        status=OrderImport.Status.RUNNING, started_at__lt=lost
    )
    ids = list(OrderImport.objects.filter(waiting_too_long).values_list("pk", flat=True)[:1000])
    # Filtered again: an import a worker claimed meanwhile is no longer waiting.
    ids = [
        pk for pk in ids
        if OrderImport.objects.filter(waiting_too_long, pk=pk).update(
            status=OrderImport.Status.PENDING, enqueued_at=now
        )
    ]
    for pk in ids:
        tasks.import_orders.delay(order_import_id=pk)
    return len(ids)


def sweep_pending_work() -> Sweep:
    """Re-enqueue work the broker may have lost: the database, not the queue, is the truth."""
    return Sweep(requeued={name: function() for name, function in PENDING_WORK.items()})
