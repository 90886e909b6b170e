"""The maturity dashboard at volume: the page (manager) as beat leaves it, with this
month's evaluation stored, and the evaluation itself (``evaluate_maturity``: what beat's
refresh, "Re-evaluate now" and a threshold change cost), with its slowest measure."""

from __future__ import annotations

import time

from django.urls import reverse
from django.utils import timezone

from advocacy import maturity, services
from cases.models import Case, Order
from feedback.models import FeedbackItem
from nps.models import Response
from tests.bench.measure import (
    Options,
    Row,
    Timing,
    count_queries,
    manager_client,
    page_row,
    timed,
)

MEASURES = {
    "cases": lambda window: maturity.desk.case_activity(**window),
    "teams": lambda window: maturity.desk.team_strength(until=window["until"]),
    "staff": lambda window: maturity.desk.staff_participation(**window),
    "retention": lambda window: maturity.desk.customer_retention(**window),
    "sources": lambda window: maturity.feedback.collecting_sources(**window),
    "catalogue": lambda window: maturity.feedback.catalogue_coverage(**window),
    "needs": lambda window: maturity.feedback.need_activity(**window),
    "nps": lambda window: maturity.nps.nps_windows(**window),
    "care": lambda window: maturity.nps.advocate_care(**window),
}


def maturity_dashboard(options: Options) -> list[Row]:
    volume = (
        f"{Case.objects.count():,} cases, {Order.objects.count():,} orders, "
        f"{Response.objects.count():,} answers, {FeedbackItem.objects.count():,} "
        "feedback items"
    )
    snapshot = services.snapshot_maturity()  # as beat leaves it
    runs = options.runs
    evaluations = max(3, runs // 4)

    def evaluate() -> maturity.Evaluation:
        return maturity.evaluate_maturity()

    evaluate()  # warm-up
    queries = count_queries(evaluate)
    timing = Timing([timed(evaluate)[0] for _ in range(evaluations)])

    window = {"since": maturity.window_start(timezone.now()), "until": timezone.now()}
    slowest = {}
    for name, call in MEASURES.items():
        started = time.perf_counter()
        call(window)
        slowest[name] = (time.perf_counter() - started) * 1000
    name, milliseconds = max(slowest.items(), key=lambda pair: pair[1])
    print(
        "Maturity measures (ms): "
        + ", ".join(
            f"{key} {value:,.1f}"
            for key, value in sorted(slowest.items(), key=lambda pair: -pair[1])
        ),
        flush=True,
    )
    return [
        page_row(
            f"Maturity dashboard (stored evaluation, level {snapshot.level})",
            volume,
            manager_client(),
            reverse("dashboard"),
            runs=runs,
        ),
        Row(
            "Maturity evaluation (beat's refresh, re-evaluate, thresholds)",
            volume,
            timing.median_ms,
            timing.p95_ms,
            queries,
            f"{evaluations} runs",
        ),
        Row(
            f"Maturity evaluation: slowest measure ({name})",
            volume,
            milliseconds,
            None,
            None,
            "one run",
        ),
    ]
