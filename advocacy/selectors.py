"""Reads of the programme view: the stored maturity snapshots the dashboard shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format

from advocacy.models import TOP_LEVEL, MaturitySnapshot

HISTORY_MONTHS = 12


def maturity_history(*, months: int = HISTORY_MONTHS) -> list[MaturitySnapshot]:
    """The last ``months`` monthly snapshots, oldest first: one query."""
    return list(reversed(MaturitySnapshot.objects.order_by("-month")[:months]))


def current_snapshot(history: list[MaturitySnapshot]) -> MaturitySnapshot | None:
    """This month's snapshot, if ``history`` has it."""
    this_month = timezone.localdate().replace(day=1)
    return next((row for row in history if row.month == this_month), None)


@dataclass(frozen=True)
class HistoryBar:
    x: float
    y: float
    height: float
    center: float
    label: str  # the month, e.g. "Mar 26"
    level: int


@dataclass(frozen=True)
class HistoryChart:
    width: int
    height: int
    baseline: float
    bar_width: float
    bars: list[HistoryBar]
    ticks: list[tuple[float, int]]  # y, level


CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT, CHART_STEP = 150, 10, 24, 28, 44


def history_chart(history: list[MaturitySnapshot]) -> HistoryChart | None:
    """The levels month by month as bars, drawn on the server (the table beside it carries
    the same figures for screen readers)."""
    if not history:
        return None
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    baseline = CHART_HEIGHT - CHART_BOTTOM

    def y_of(level: int) -> float:
        # Level 0 keeps a sliver of a bar, so its month is visibly evaluated.
        return round(baseline - max(plot * level / TOP_LEVEL, 2), 1)

    bar_width = CHART_STEP * 0.6
    bars = [
        HistoryBar(
            x=round(CHART_LEFT + CHART_STEP * index + (CHART_STEP - bar_width) / 2, 1),
            y=y_of(row.level),
            height=round(baseline - y_of(row.level), 1),
            center=round(CHART_LEFT + CHART_STEP * index + CHART_STEP / 2, 1),
            label=date_format(row.month, "M y"),
            level=row.level,
        )
        for index, row in enumerate(history)
    ]
    return HistoryChart(
        width=CHART_LEFT + CHART_STEP * len(history) + 8,
        height=CHART_HEIGHT,
        baseline=baseline,
        bar_width=bar_width,
        bars=bars,
        ticks=[
            (round(baseline - plot * level / TOP_LEVEL, 1), level) for level in range(TOP_LEVEL + 1)
        ],
    )
