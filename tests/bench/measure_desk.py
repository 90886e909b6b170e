"""Measurements of the case desk: the queue (the default view, filtered views and two
searches), the case page (a typical case and the one with the longest timeline) and the
cases API, each as a manager or an API key sees it.

A page still answering 501 (not built yet) gets a row that says so instead of timings.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db import connection
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from cases import services
from cases.models import ApiKey, Case
from cases.selectors.queue import case_search
from tests.bench.generate import SEARCH_FRAGMENT
from tests.bench.measure import Options, Row, manager_client, page_row

API_KEY_NAME = "bench-cases"
API_CASES_URL = "/api/v1/cases?page_size=50"
NOT_BUILT = 501


def not_built(client: Client, url: str) -> bool:
    return client.get(url).status_code == NOT_BUILT


def measured(what: str, volume: str, client: Client, url: str, *, runs: int) -> Row:
    """Timings and queries of GET ``url``, or a row saying the page is not built yet."""
    if not_built(client, url):
        return Row(what, volume, throughput="not built yet (501)")
    return page_row(what, volume, client, url, runs=runs)


def open_case_order_ref() -> str:
    """An order reference of an open case, as a customer would quote it on the phone."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT o.external_ref FROM cases_case c
            JOIN cases_case_orders co ON co.case_id = c.id
            JOIN cases_order o ON o.id = co.order_id
            WHERE c.status = ANY(%s) ORDER BY c.id LIMIT 1 OFFSET (
                SELECT count(*) / 2 FROM cases_case WHERE status = ANY(%s))
            """,
            [list(Case.OPEN_STATUSES)] * 2,
        )
        row = cursor.fetchone()
    if row is None:
        raise ValueError("No open case has an order: load the desk data first.")
    return row[0]


def queue(options: Options) -> list[Row]:
    """/cases/ for a manager: open cases by priority (the default), two filtered views,
    a common surname and an order reference in the search box."""
    client = manager_client()
    url = reverse("cases:queue")
    total = Case.objects.count()
    opened = Q(status__in=Case.OPEN_STATUSES)
    order_ref = open_case_order_ref()
    views = [
        ("Queue, default (open cases)", {}, opened),
        ("Queue, urgent and unassigned", {"priority": 1, "owner": "unassigned"},
         opened & Q(priority=1, owner=None)),
        ("Queue, in progress, late deliveries",
         {"status": Case.Status.IN_PROGRESS.value, "kind": Case.Kind.LATE_DELIVERY.value},
         Q(status=Case.Status.IN_PROGRESS, kind=Case.Kind.LATE_DELIVERY)),
        (f"Queue, search {SEARCH_FRAGMENT!r}", {"q": SEARCH_FRAGMENT},
         opened & case_search(SEARCH_FRAGMENT)),
        ("Queue, search an order ref", {"q": order_ref}, opened & case_search(order_ref)),
    ]
    rows = []
    for what, query, shown in views:
        matches = Case.objects.filter(shown).count()
        link = f"{url}?{urlencode(query)}" if query else url
        rows.append(measured(what, f"{matches:,} of {total:,} cases", client, link,
                             runs=options.runs))
    return rows


def cases_by_event_count() -> tuple[tuple[int, int], tuple[int, int]]:
    """A case with the median number of timeline events, and the case with the most. The
    typical one has orders and a loss impact, as the largest has, so both pages run the
    same queries and only the timeline's length differs."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH counts AS (
                SELECT case_id, count(*) AS events FROM cases_caseevent GROUP BY case_id
            ), typical AS (
                SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY events) AS events
                FROM counts
            )
            (SELECT counts.case_id, counts.events FROM counts, typical
             WHERE counts.events = typical.events
               AND EXISTS (SELECT 1 FROM cases_impact i WHERE i.case_id = counts.case_id)
               AND EXISTS (SELECT 1 FROM cases_case_orders co
                           WHERE co.case_id = counts.case_id)
             ORDER BY counts.case_id LIMIT 1)
            UNION ALL
            (SELECT case_id, events FROM counts ORDER BY events DESC, case_id LIMIT 1)
            """
        )
        typical, largest = cursor.fetchall()
    return typical, largest


def case_page(options: Options) -> list[Row]:
    """/cases/<pk>/ for a manager: a case with the median number of events, and the case
    with the most."""
    client = manager_client()
    rows = []
    for label, (pk, events) in zip(("typical", "most events"), cases_by_event_count(),
                                   strict=True):
        url = reverse("cases:case", args=[pk])
        rows.append(measured(f"Case page, {label}", f"{events:,} events", client, url,
                             runs=options.runs))
    return rows


def case_api(options: Options) -> list[Row]:
    """GET /api/v1/cases, the first page of 50, newest first, with a cases:read key."""
    ApiKey.objects.filter(name=API_KEY_NAME).delete()
    _api_key, secret = services.create_api_key(name=API_KEY_NAME, scopes=["cases:read"],
                                               actor=None)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    try:
        return [measured("API cases list, 50 per page", f"{Case.objects.count():,} cases",
                         client, API_CASES_URL, runs=options.runs)]
    finally:
        ApiKey.objects.filter(name=API_KEY_NAME).delete()
