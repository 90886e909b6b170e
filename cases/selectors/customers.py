"""Reads about customers, their orders, API keys and order imports."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from cases.models import (
    ApiKey,
    Case,
    Contact,
    Customer,
    DeliveryState,
    Order,
    OrderImport,
    ShipmentEvent,
)
from cases.services import hash_api_key

EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    """Customers by name; ``search`` matches part of a name, email or company, or a whole
    external ref. A whole email address is looked up by its index."""
    customers = Customer.objects.all()
    search = search.strip()
    if EMAIL_ADDRESS.fullmatch(search):
        customers = customers.filter(Q(email__iexact=search) | Q(external_ref=search))
    elif search:
        customers = customers.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(external_ref=search)
            | Q(company__icontains=search)
        )
    return customers.order_by("name", "pk")


def customer_detail(*, external_ref: str) -> Customer:
    """One customer with ``order_count`` and ``last_order_at``; ``Customer.DoesNotExist``."""
    return Customer.objects.annotate(
        order_count=Count("orders"),
        last_order_at=Max("orders__ordered_at"),
    ).get(external_ref=external_ref)


@dataclass(frozen=True)
class Revenue:
    currency: str
    last_12_months: Decimal
    all_time: Decimal
    orders: int


def customer_revenue(*, customer: Customer, now: dt.datetime | None = None) -> list[Revenue]:
    """Order value per currency, last 12 months and all time (one grouped query).

    Currencies are never added together: the desk has no exchange rates.
    """
    since = (now or timezone.now()) - dt.timedelta(days=365)
    rows = (
        Order.objects.filter(customer=customer)
        .values("currency")
        .annotate(
            all_time=Sum("value"),
            recent=Sum("value", filter=Q(ordered_at__gte=since)),
            orders=Count("pk"),
        )
        .order_by("currency")
    )
    return [
        Revenue(
            currency=row["currency"],
            last_12_months=row["recent"] or Decimal("0"),
            all_time=row["all_time"] or Decimal("0"),
            orders=row["orders"],
        )
        for row in rows
    ]


def customer_orders(*, customer: Customer) -> QuerySet[Order]:
    return customer.orders.order_by("-ordered_at", "-pk")


def latest_shipment_events(*, orders: Sequence[Order]) -> dict[int, ShipmentEvent]:
    """The newest carrier event of each order in this page of orders (one query)."""
    latest: dict[int, ShipmentEvent] = {}
    events = ShipmentEvent.objects.filter(order__in=orders).order_by("order_id", "-occurred_at")
    for event in events:
        latest.setdefault(event.order_id, event)
    return latest


@dataclass(frozen=True)
class OrderRow:
    order: Order
    delivery: DeliveryState
    latest_event: ShipmentEvent | None


def order_rows(*, orders: Sequence[Order], now: dt.datetime | None = None) -> list[OrderRow]:
    """A page of orders with where each stands on delivery and its carrier's latest word."""
    orders = list(orders)
    now = now or timezone.now()
    latest = latest_shipment_events(orders=orders)
    return [
        OrderRow(order=order, delivery=order.delivery_state(now), latest_event=latest.get(order.pk))
        for order in orders
    ]


def api_key_for_token(*, token: str) -> ApiKey | None:
    return ApiKey.objects.filter(key_hash=hash_api_key(token), revoked_at=None).first()


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")


def order_imports() -> QuerySet[OrderImport]:
    return OrderImport.objects.defer("content").select_related("created_by")


ROW_ERRORS_SHOWN = 500


@dataclass(frozen=True)
class ImportReport:
    order_import: OrderImport
    rows_with_errors: int
    errors: list[dict]
    errors_total: int

    @property
    def errors_hidden(self) -> int:
        return self.errors_total - len(self.errors)


def order_import_report(*, pk: int) -> ImportReport:
    """An import with its row errors, the first ``ROW_ERRORS_SHOWN`` of them for display."""
    order_import = order_imports().get(pk=pk)
    errors = order_import.row_errors or []
    return ImportReport(
        order_import=order_import,
        rows_with_errors=len({error.get("row") for error in errors}),
        errors=errors[:ROW_ERRORS_SHOWN],
        errors_total=len(errors),
    )


def customer_by_ref(*, external_ref: str) -> Customer | None:
    return Customer.objects.filter(external_ref=external_ref).first()


def order_by_ref(*, external_ref: str) -> Order | None:
    return Order.objects.filter(external_ref=external_ref).first()


def customer_cases(*, customer: Customer, limit: int = 20) -> dict:
    """The customer's cases, open ones first, with how past ones ended (two queries)."""
    cases = (
        Case.objects.filter(customer=customer).select_related("owner")
        .annotate(is_closed=Q(status__in=[Case.Status.RESOLVED, Case.Status.CLOSED]))
        .order_by("is_closed", "priority", "-opened_at")[:limit]
    )
    totals = Case.objects.filter(customer=customer).aggregate(
        open=Count("pk", filter=Q(status__in=Case.OPEN_STATUSES)),
        total=Count("pk"),
        **{outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in Case.Outcome.values},
    )
    return {"cases": list(cases), "totals": totals}


def customer_contacts(*, customer: Customer, limit: int = 10) -> dict:
    contacts = Contact.objects.filter(customer=customer).select_related("case", "order")
    return {"contacts": list(contacts.order_by("-occurred_at")[:limit])}

