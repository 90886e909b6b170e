"""The manager dashboard's KPIs tab at volume: ``/dashboard/kpis/`` over the last 30 days
(the default), the last 365 days, and one segment over both, each computed afresh (the
cache made stale before every request: what the first manager to open it after a refresh
waits) and served from the cache; and its CSV export. The page reads every case, NPS
answer and feedback item through the apps' aggregate selectors, so its query count is the
same for each."""

from __future__ import annotations

from urllib.parse import urlencode

from django.test import Client
from django.urls import reverse

from advocacy.kpis import refresh_kpi_figures
from cases.models import Case
from feedback.models import FeedbackItem
from nps.models import Response
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

SEGMENT = "restaurants"


def fresh_row(what: str, volume: str, client: Client, url: str, *, runs: int) -> Row:
    """Median and p95 of GET ``url`` with the cached figures made stale before each one."""

    def get() -> None:
        expect_ok(client.get(url), f"GET {url}")

    def fresh() -> float:
        refresh_kpi_figures()
        return timed(get)[0]

    for _ in range(WARMUP_RUNS):
        fresh()
    refresh_kpi_figures()
    queries = count_queries(get)
    timing = Timing([fresh() for _ in range(runs)])
    return Row(what, volume, timing.median_ms, timing.p95_ms, queries)


def kpis(options: Options) -> list[Row]:
    cases, answers = Case.objects.count(), Response.objects.count()
    items = FeedbackItem.objects.count()
    if not (cases and answers and items):
        raise BenchError("No cases, NPS answers or feedback: load the bench data first.")
    volume = f"{cases:,} cases, {answers:,} answers, {items:,} feedback items"
    page, export = reverse("dashboard-kpis"), reverse("dashboard-kpis-csv")
    manager, runs = manager_client(), options.runs
    views = {
        "last 30 days": {},
        "last 365 days": {"period": "365"},
        f"{SEGMENT!r}, 30 days": {"segment": SEGMENT},
        f"{SEGMENT!r}, 365 days": {"segment": SEGMENT, "period": "365"},
    }
    rows = []
    for name, query in views.items():
        url = f"{page}?{urlencode(query)}" if query else page
        rows.append(fresh_row(f"KPIs dashboard, {name}, computed", volume, manager, url, runs=runs))
    for name, query in views.items():
        url = f"{page}?{urlencode(query)}" if query else page
        rows.append(
            page_row(f"KPIs dashboard, {name}, from the cache", volume, manager, url, runs=runs)
        )
    rows.append(
        fresh_row("KPIs CSV export, last 30 days, computed", volume, manager, export, runs=runs)
    )
    return rows
