"""Measurements of the cases app: order intake by API, the customer list, a customer page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from cases import selectors, services
from cases.models import ApiKey, Customer, Order
from tests.bench.generate import SEARCH_FRAGMENT, vacuum
from tests.bench.measure import (
    WARMUP_RUNS,
    BenchError,
    Options,
    Row,
    Timing,
    count_queries,
    expect_ok,
    manager_client,
    page_row,
    timed,
)

API_PREFIX = "BENCH-API-"  # orders and customers the API measurement creates, then deletes
BATCHES = 10
BATCH_SIZE = settings.ORDER_BATCH_LIMIT
ORDERS_PER_CUSTOMER = 10
DEEP_PAGE = 2000  # at full scale; scaled down with the data


def order_batch(index: int, now: datetime) -> bytes:
    """A JSON batch of new orders, ten to each of its new customers, as a shop sends it."""
    orders = []
    for number in range(BATCH_SIZE):
        customer = index * BATCH_SIZE // ORDERS_PER_CUSTOMER + number // ORDERS_PER_CUSTOMER
        ordered_at = now - timedelta(days=number % 30 + 1, minutes=number)
        shipped_at = ordered_at + timedelta(days=1) if number % 4 else None
        delivered_at = ordered_at + timedelta(days=4) if shipped_at and number % 3 == 0 else None
        orders.append({
            "external_ref": f"{API_PREFIX}O{index:03d}-{number:04d}",
            "customer": {
                "external_ref": f"{API_PREFIX}C{customer:06d}",
                "name": f"Bench Customer {customer}",
                "email": f"bench.customer{customer}@example.com",
                "language": ("en", "it", "nb", "ro")[customer % 4],
                "company": f"Bench Kafé {customer}",
                "segment": "cafes",
            },
            "value": f"{(number * 37) % 5000 + 10}.50",
            "currency": ("EUR", "NOK", "RON", "USD")[customer % 4],
            "critical": number % 20 == 0,
            "ordered_at": ordered_at.isoformat(),
            "promised_delivery_at": (ordered_at + timedelta(days=5)).isoformat(),
            "shipped_at": shipped_at and shipped_at.isoformat(),
            "delivered_at": delivered_at and delivered_at.isoformat(),
            "carrier": "DHL" if shipped_at else "",
            "tracking_number": f"BENCH{index:03d}{number:04d}" if shipped_at else "",
        })
    return json.dumps(orders).encode()


def delete_api_rows() -> None:
    """Remove what the API measurement wrote, so every run starts from the same tables."""
    Order.objects.filter(external_ref__startswith=API_PREFIX).delete()  # events cascade
    Customer.objects.filter(external_ref__startswith=API_PREFIX).delete()
    ApiKey.objects.filter(name="bench").delete()


def order_upsert(options: Options) -> list[Row]:
    """POST /api/v1/orders: batches of new orders and customers, then the same batches again."""
    delete_api_rows()
    stored = Order.objects.count()
    _api_key, secret = services.create_api_key(name="bench", scopes=["orders:write"], actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    url = reverse("api:post_orders")
    now = datetime.now(UTC)
    batches = [order_batch(index, now) for index in range(BATCHES)]
    warmup = [order_batch(BATCHES + run, now) for run in range(WARMUP_RUNS)]
    counted = order_batch(BATCHES + WARMUP_RUNS, now)

    def post(body: bytes) -> HttpResponse:
        return client.post(url, body, content_type="application/json")

    def check(response: HttpResponse, outcome: str) -> None:
        expect_ok(response, f"POST {url}")
        if response.json()[outcome] != BATCH_SIZE:
            raise BenchError(f"POST {url}: expected {BATCH_SIZE} {outcome}, {response.json()}")

    try:
        for body in warmup:
            check(post(body), "created")
        rows = []
        for outcome, label in (("created", "new"), ("unchanged", "re-post, unchanged")):
            samples = []
            for body in batches:
                milliseconds, response = timed(lambda body=body: post(body))
                check(response, outcome)
                samples.append(milliseconds)
            timing = Timing(samples)
            queries = count_queries(lambda outcome=outcome: check(post(counted), outcome))
            rows.append(Row(
                f"API order upsert, {label}",
                f"{BATCHES} x {BATCH_SIZE:,} into {stored:,} orders",
                timing.median_ms,
                timing.p95_ms,
                queries,
                f"{BATCHES * BATCH_SIZE / timing.total_seconds:,.0f} rows/s",
            ))
        return rows
    finally:
        delete_api_rows()
        # Vacuum what the inserts and deletes left, now: else autovacuum wakes on these
        # tables during the next measurements (the customer list, the queue), sharing the
        # machine's two cores with them.
        vacuum(["cases_order", "cases_customer", "cases_shipmentevent"])


def customer_list(options: Options) -> list[Row]:
    """/customers/ for a manager: the first page, a page deep in the list, and two searches,
    a common surname (many matches) and one customer's email (a single match)."""
    client = manager_client()
    url = reverse("cases:customers")
    total = Customer.objects.count()
    email = Customer.objects.order_by("pk").values_list("email", flat=True)[total // 2]
    deep_page = max(2, round(DEEP_PAGE * options.scale))
    volume = f"{total:,} customers"
    rows = [
        page_row("Customer list, first page", volume, client, url, runs=options.runs),
        page_row(
            f"Customer list, page {deep_page:,}",
            volume,
            client,
            f"{url}?page={deep_page}",
            runs=options.runs,
        ),
    ]
    searches = ((f"search {SEARCH_FRAGMENT!r}", SEARCH_FRAGMENT), ("search an email", email))
    for label, search in searches:
        matches = selectors.customer_list(search=search).count()
        rows.append(page_row(
            f"Customer list, {label}",
            f"{matches:,} of {total:,} customers",
            client,
            f"{url}?{urlencode({'q': search})}",
            runs=options.runs,
        ))
    return rows


def customers_by_order_count() -> tuple[tuple[str, int], tuple[str, int]]:
    """A customer with the median number of orders, and the one with the most."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH counts AS (
                SELECT customer_id, count(*) AS orders FROM cases_order GROUP BY customer_id
            ), typical AS (
                SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY orders) AS orders
                FROM counts
            )
            (SELECT c.external_ref, counts.orders
             FROM counts JOIN cases_customer c ON c.id = counts.customer_id, typical
             WHERE counts.orders = typical.orders ORDER BY c.id LIMIT 1)
            UNION ALL
            (SELECT c.external_ref, counts.orders
             FROM counts JOIN cases_customer c ON c.id = counts.customer_id
             ORDER BY counts.orders DESC, c.id LIMIT 1)
            """
        )
        typical, largest = cursor.fetchall()
    return typical, largest


def customer_page(options: Options) -> list[Row]:
    """/customers/<ref>/ for a customer with the median number of orders and the largest."""
    client = manager_client()
    rows = []
    for label, (external_ref, orders) in zip(
        ("typical", "largest"), customers_by_order_count(), strict=True
    ):
        url = reverse("cases:customer", args=[external_ref])
        volume = f"{orders:,} orders"
        rows.append(page_row(f"Customer page, {label}", volume, client, url, runs=options.runs))
    return rows
