"""The case desk at volume: the queue (default, filtered, searches), the case page, the API."""

from __future__ import annotations

from django.db.models import Count
from django.test import Client
from django.urls import reverse

from cases import services
from cases.models import Case, Order
from tests.bench.measure import Options, Row, manager_client, measure_get, page_row


def queue(options: Options) -> list[Row]:
    client = manager_client()
    total = Case.objects.count()
    volume = f"{total:,} cases"
    order_ref = Order.objects.filter(cases__isnull=False).values_list(
        "external_ref", flat=True).first()
    url = reverse("cases:queue")
    views = [
        ("Queue, default (open cases)", url),
        ("Queue, filtered (urgent, unassigned)", f"{url}?priority=1&owner=unassigned"),
        ("Queue, all statuses, late deliveries", f"{url}?status=all&kind=late_delivery"),
        ("Queue, search a surname", f"{url}?q=haugen"),
        ("Queue, search an order ref", f"{url}?q={order_ref}"),
    ]
    return [page_row(what, volume, client, link, runs=options.runs) for what, link in views]


def case_page(options: Options) -> list[Row]:
    client = manager_client()
    typical = Case.objects.order_by("pk")[Case.objects.count() // 2]
    largest = Case.objects.annotate(n=Count("events")).order_by("-n").first()
    rows = []
    for label, case in (("typical", typical), ("most events", largest)):
        events = case.events.count()
        rows.append(page_row(f"Case page, {label}", f"{events} events", client,
                             reverse("cases:case", args=[case.pk]), runs=options.runs))
    return rows


def case_api(options: Options) -> list[Row]:
    api_key, raw = services.create_api_key(name="bench-cases", scopes=["cases:read"], actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    try:
        timing, queries = measure_get(client, "/api/v1/cases?page_size=50", runs=options.runs)
    finally:
        api_key.delete()
    return [Row("API GET /cases, 50 per page", f"{Case.objects.count():,} cases",
                timing.median_ms, timing.p95_ms, queries)]
