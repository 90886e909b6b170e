"""Reads used by views, the API and the dashboard, with their joins and annotations."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet, Sum

from cases.models import ApiKey, Customer, Order, OrderImport, ShipmentEvent
from cases.services import hash_api_key


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    customers = Customer.objects.all()
    search = search.strip()
    if search:
        customers = customers.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(external_ref__iexact=search)
            | Q(company__icontains=search)
        )
    return customers.order_by("name", "pk")


def customer_detail(*, external_ref: str) -> Customer:
    return Customer.objects.annotate(
        order_count=Count("orders"),
        order_value=Sum("orders__value"),
        last_order_at=Max("orders__ordered_at"),
    ).get(external_ref=external_ref)


def customer_orders(*, customer: Customer) -> QuerySet[Order]:
    return customer.orders.order_by("-ordered_at", "-pk")


def latest_shipment_events(*, orders: list[Order]) -> dict[int, ShipmentEvent]:
    """The newest carrier event of each order in this page of orders (one query)."""
    latest: dict[int, ShipmentEvent] = {}
    events = ShipmentEvent.objects.filter(order__in=orders).order_by("order_id", "-occurred_at")
    for event in events:
        latest.setdefault(event.order_id, event)
    return latest


def api_key_for_token(*, token: str) -> ApiKey | None:
    return ApiKey.objects.filter(key_hash=hash_api_key(token), revoked_at=None).first()


def api_keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")


def order_imports() -> QuerySet[OrderImport]:
    return OrderImport.objects.defer("content").select_related("created_by")
