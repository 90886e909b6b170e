"""Orders, their customers and carrier events, as integrations and imports send them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.models import (
    Customer,
    Order,
    ShipmentEvent,
)
from cases.schemas import OrderIn, ShipmentEventIn
from cases.services.bulk import update_rows

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
            # Only what the sender gave changes: an order posted with just the customer's
            # reference and name keeps the email, language and segment the desk holds.
            given = incoming.model_dump(exclude={"external_ref"}, exclude_unset=True)
            values = {name: getattr(current, name) for name in CUSTOMER_FIELDS} | given
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
    """Recompute status, expected and actual delivery of these orders from their events,
    and stamp them updated: they have news.

    Bounded by the batch that touched them (at most one API batch or import chunk).
    """
    if not order_refs:
        return
    orders = list(
        Order.objects.filter(external_ref__in=order_refs).only(
            "pk", "promised_delivery_at", "shipped_at", "delivered_at", "status",
            "expected_delivery_at", "last_scan_at",
        )
    )
    events = _events_by_order([order.pk for order in orders])
    now = timezone.now()
    for order in orders:
        _apply_events(order, events.get(order.pk, []))
        # Stamped even when nothing on the order itself changed: a new event is news about
        # it, and the live risk runs re-check what was stamped since their last run.
        order.updated_at = now
    update_rows(Order, orders, ["status", "expected_delivery_at", "delivered_at",
                                "last_scan_at", "updated_at"])


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
    order.last_scan_at = max((event.occurred_at for event in events), default=None)


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
