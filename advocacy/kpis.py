"""The manager dashboard's KPIs: every figure of a period (and of the period before it, of
equal length, where comparing makes sense), for all customers or one segment, each with the
list behind it, and the charts' coordinates.

Everything is read through the apps' selectors (``cases.selectors.kpis``,
``feedback.kpis``, ``nps.selectors.reports`` and ``nps.selectors.advocates``), each answering
both periods in one or two aggregate queries, so the page costs the same number of queries
at ten cases or a hundred thousand:

- cases: one aggregate (counts and medians of both periods, open and overdue now), the
  losses and the remedies by currency (two), cases per week (one);
- NPS: the period, the period before and the 12-month trend, two queries each (answers,
  invitation tallies), from the covering indexes on (answered_at, score) and (segment,
  answered_at, score);
- feedback: one aggregate over the day counts (``AnalysisDay``), or over the segment's
  items; the needs (two); the advocates and their care gaps (one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from cases.models import Case
from cases.selectors import kpis as desk
from feedback import kpis as feedback
from feedback.models import Need
from nps.selectors import advocates as nps_advocates
from nps.selectors import reports as nps

PRESETS = {
    "7": gettext_lazy("Last 7 days"),
    "30": gettext_lazy("Last 30 days"),
    "90": gettext_lazy("Last 90 days"),
    "365": gettext_lazy("Last 365 days"),
}
DEFAULT_PRESET = "30"
CUSTOM = "custom"
MAX_CUSTOM_DAYS = 3 * 366  # a custom period: at most about three years
TREND_MONTHS = 12


# --- the period -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days, ``start`` to ``end`` included; ``key`` a preset or "custom"."""

    key: str
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        """The same number of days just before."""
        end = self.start - dt.timedelta(days=1)
        return Period(CUSTOM, end - dt.timedelta(days=self.days - 1), end)

    @property
    def window(self) -> desk.Window:
        return desk.Window(self.start, self.end)

    @property
    def label(self) -> str:
        return f"{date_format(self.start)} – {date_format(self.end)}"  # noqa: RUF001

    @property
    def text(self) -> str:
        """As the CSV writes it: ISO days."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def kpi_period(
    *,
    preset: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
) -> Period:
    """A preset (the last 7, 30, 90 or 365 days, today included), or a custom period when
    both days are given (in order, at most ``MAX_CUSTOM_DAYS``); otherwise the default
    preset."""
    today = today or timezone.localdate()
    if start and end and start <= end and (end - start).days < MAX_CUSTOM_DAYS:
        return Period(CUSTOM, start, end)
    preset = preset if preset in PRESETS else DEFAULT_PRESET
    return Period(preset, today - dt.timedelta(days=int(preset) - 1), today)


# --- one KPI ------------------------------------------------------------------------------

Number = int | float | Decimal


@dataclass(frozen=True)
class Kpi:
    """One figure: its value now and in the previous period (None: not compared), its
    unit (count, percent, hours, nps, sentiment, score, or a currency code) and the list
    behind it."""

    key: str
    label: str
    value: Number | None
    unit: str
    url: str
    previous: Number | None = None
    compared: bool = True  # False: a figure of now (open cases), no previous period
    better: str = "up"  # which way is good: "up", "down", or "" (neither)
    note: str = ""  # a short qualifier: margin of error, how many cases it counts

    @property
    def change(self) -> Number | None:
        if not self.compared or self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def trend(self) -> str:
        """ "better", "worse" or "same" against the previous period; "" when not compared."""
        change = self.change
        if change is None:
            return ""
        if change == 0 or not self.better:
            return "same" if change == 0 else "changed"
        return "better" if (change > 0) == (self.better == "up") else "worse"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    kpis: list[Kpi]


# --- charts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    x: float
    width: float
    segments: list[tuple[str, float, float, int]]  # (css class, y, height, value)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float
    left: float
    right: float
    ticks: list[tuple[float, int]]
    bars: list[Bar]
    labels: list[tuple[float, str]]


WEEK_CHART = (640, 220)
PLOT = {"left": 40, "right": 12, "top": 12, "bottom": 28}


def _nice_top(value: int) -> int:
    """A round top for the scale: 1, 2, 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** max(0, int(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def week_chart(weeks: list[desk.Week]) -> BarChart | None:
    """Stacked columns per week: proactive at the bottom, the rest above."""
    if not weeks or not any(week.total for week in weeks):
        return None
    width, height = WEEK_CHART
    left, right = PLOT["left"], width - PLOT["right"]
    top, bottom = PLOT["top"], height - PLOT["bottom"]
    scale_top = _nice_top(max(week.total for week in weeks))
    slot = (right - left) / len(weeks)
    bar_width = max(2.0, slot * 0.7)

    def y_of(value: float) -> float:
        return round(bottom - value / scale_top * (bottom - top), 1)

    bars = []
    for index, week in enumerate(weeks):
        x = round(left + index * slot + (slot - bar_width) / 2, 1)
        proactive_top = y_of(week.proactive)
        segments = [
            (
                "kpi-chart__bar--proactive",
                proactive_top,
                round(bottom - proactive_top, 1),
                week.proactive,
            ),
            (
                "kpi-chart__bar--reactive",
                y_of(week.total),
                round(proactive_top - y_of(week.total), 1),
                week.reactive,
            ),
        ]
        bars.append(Bar(date_format(week.start, "j M"), x, round(bar_width, 1), segments))
    every = max(1, math.ceil(len(weeks) / 10))
    labels = [
        (round(bar.x + bar.width / 2, 1), bar.label)
        for index, bar in enumerate(bars)
        if index % every == 0
    ]
    values = sorted({0, scale_top // 2, scale_top})
    ticks = [(y_of(value), value) for value in values]
    return BarChart(width, height, bottom, left, right, ticks, bars, labels)


@dataclass(frozen=True)
class OutcomeBar:
    key: str
    label: str
    count: int
    share: float | None  # percent of the resolved cases
    url: str
    y: float = 0  # where its row starts in the chart
    width: float = 0  # its bar's length in the chart

    @property
    def text_y(self) -> float:
        return self.y + OUTCOME_BAR_HEIGHT - 3

    @property
    def value_x(self) -> float:
        return OUTCOME_BAR_LEFT + self.width + 6


OUTCOME_ROW, OUTCOME_BAR_HEIGHT = 26, 18
OUTCOME_BAR_LEFT, OUTCOME_BAR_SPAN = 120, 440
OUTCOME_CHART_WIDTH = 640


def outcome_chart_height(bars: list[OutcomeBar]) -> int:
    return OUTCOME_ROW * len(bars) + 4


# --- the dashboard ------------------------------------------------------------------------


@dataclass
class Dashboard:
    period: Period
    segment: str
    sections: list[Section]
    weeks: list[desk.Week]
    week_chart: BarChart | None
    outcomes: list[OutcomeBar]
    trend: list[nps.Month]
    trend_chart: nps.TrendChart | None
    top_needs: list[Need]
    computed_at: dt.datetime | None = None
    outcome_height: int = 0
    outcome_left: int = OUTCOME_BAR_LEFT
    outcome_width: int = OUTCOME_CHART_WIDTH
    need_status_labels: dict[str, str] = field(default_factory=dict)

    @property
    def kpis(self) -> list[Kpi]:
        return [kpi for section in self.sections for kpi in section.kpis]


def _url(name: str, **query: object) -> str:
    """A list's address with its filters, leaving out the empty ones."""
    shown = {key: value for key, value in query.items() if value not in ("", None, False)}
    return reverse(name) + (f"?{urlencode(shown)}" if shown else "")


def _share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _percent(value: float | None) -> float | None:
    return None if value is None else 100 * value


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _case_section(period: Period, segment: str, figures: desk.DeskKpis) -> Section:
    now, before = figures.current, figures.previous
    opened = {
        "status": "all",
        "opened_from": period.start,
        "opened_to": period.end,
        "segment": segment,
    }
    resolved = {
        "status": "all",
        "resolved_from": period.start,
        "resolved_to": period.end,
        "segment": segment,
    }
    return Section(
        "cases",
        _("Cases"),
        [
            Kpi(
                "open_cases",
                _("Open cases"),
                figures.open_cases,
                "count",
                _url("cases:queue", segment=segment),
                compared=False,
                better="",
            ),
            Kpi(
                "overdue_cases",
                _("Overdue cases"),
                figures.overdue_cases,
                "count",
                _url("cases:queue", overdue="1", segment=segment),
                compared=False,
                better="down",
            ),
            Kpi(
                "cases_opened",
                _("Cases opened"),
                now.opened,
                "count",
                _url("cases:queue", **opened),
                before.opened,
                better="",
            ),
            Kpi(
                "sla_attainment",
                _("SLA attainment"),
                _round(_percent(now.sla_attainment)),
                "percent",
                _url("cases:queue", **opened),
                _round(_percent(before.sla_attainment)),
                note=ngettext("%(met)d of %(decided)d case met both targets",
                              "%(met)d of %(decided)d cases met both targets", now.sla_decided)
                % {"met": now.sla_met, "decided": now.sla_decided},
            ),
            Kpi(
                "first_response_hours",
                _("Time to first response (median)"),
                _round(now.median_first_response_hours),
                "hours",
                _url("cases:queue", **opened),
                _round(before.median_first_response_hours),
                better="down",
            ),
            Kpi(
                "resolution_hours",
                _("Time to resolution (median)"),
                _round(now.median_resolution_hours),
                "hours",
                _url("cases:queue", **resolved),
                _round(before.median_resolution_hours),
                better="down",
                note=ngettext("%(count)d case resolved", "%(count)d cases resolved", now.resolved)
                % {"count": now.resolved},
            ),
        ],
    )


def _proactivity_section(period: Period, segment: str, figures: desk.DeskKpis) -> Section:
    now, before = figures.current, figures.previous
    proactive = _url(
        "cases:queue",
        status="all",
        origin=Case.Origin.PROACTIVE,
        opened_from=period.start,
        opened_to=period.end,
        segment=segment,
    )
    return Section(
        "proactivity",
        _("Proactivity"),
        [
            Kpi(
                "caught_before_complaint",
                _("Caught before complaint"),
                _round(_percent(now.caught_share)),
                "percent",
                proactive,
                _round(_percent(before.caught_share)),
                note=_("%(caught)d of %(cases)d cases the customer contacted us about")
                % {"caught": now.caught, "cases": now.with_contact},
            ),
            Kpi(
                "median_lead_hours",
                _("Lead time (median)"),
                _round(now.median_lead_hours),
                "hours",
                proactive,
                _round(before.median_lead_hours),
                note=_("How long before the customer's first contact a rule opened the case"),
            ),
        ],
    )


def _outcome_section(
    period: Period, segment: str, figures: desk.DeskKpis, costs: desk.CostKpis
) -> tuple[Section, list[OutcomeBar]]:
    now, before = figures.current, figures.previous
    labels = dict(Case.Outcome.choices)
    better = {"retained": "up", "at_risk": "down", "lost": "down"}
    kpis, bars = [], []
    for outcome in desk.OUTCOMES:
        url = _url(
            "cases:queue",
            status="all",
            outcome=outcome,
            resolved_from=period.start,
            resolved_to=period.end,
            segment=segment,
        )
        share = _round(_share(getattr(now, outcome), now.resolved))
        kpis.append(
            Kpi(
                f"outcome_{outcome}",
                str(labels[outcome]),
                getattr(now, outcome),
                "count",
                url,
                getattr(before, outcome),
                better=better[outcome],
                note=""
                if share is None
                else _("%(share)s %% of resolved cases") % {"share": share},
            )
        )
        bars.append(
            OutcomeBar(
                outcome,
                str(labels[outcome]),
                getattr(now, outcome),
                share,
                url,
                y=len(bars) * OUTCOME_ROW + 2,
                width=round(OUTCOME_BAR_SPAN * (share or 0) / 100, 1),
            )
        )
    cases = _url(
        "cases:queue", status="all", opened_from=period.start, opened_to=period.end, segment=segment
    )
    for money in costs.loss:
        kpis.append(
            Kpi(
                f"customer_loss_{money.currency}",
                _("Customer loss recorded (%(currency)s)") % {"currency": money.currency},
                money.current,
                money.currency,
                cases,
                money.previous,
                better="down",
            )
        )
    for money in costs.remedies:
        kpis.append(
            Kpi(
                f"remedy_cost_{money.currency}",
                _("Remedy cost (%(currency)s)") % {"currency": money.currency},
                money.current,
                money.currency,
                cases,
                money.previous,
                better="",
            )
        )
    if not costs.loss:
        kpis.append(
            Kpi(
                "customer_loss",
                _("Customer loss recorded"),
                0,
                "count",
                cases,
                0,
                better="down",
                note=_("No loss recorded in either period"),
            )
        )
    if not costs.remedies:
        kpis.append(
            Kpi(
                "remedy_cost",
                _("Remedy cost"),
                0,
                "count",
                cases,
                0,
                better="",
                note=_("No remedy granted in either period"),
            )
        )
    return Section("outcomes", _("Outcomes and cost"), kpis), bars


def _nps_section(period: Period, segment: str, report: nps.Report, earlier: nps.Report) -> Section:
    total, before = report.total, earlier.total
    url = _url(
        "nps:reports",
        segment=segment,
        **{"from": period.start.isoformat(), "to": period.end.isoformat()},
    )
    margin = total.margin_of_error
    return Section(
        "nps",
        _("NPS"),
        [
            Kpi(
                "nps",
                _("NPS"),
                _round(total.nps),
                "nps",
                url,
                _round(before.nps),
                note=""
                if margin is None
                else ngettext("± %(margin)s (95 %%), %(count)d answer",
                              "± %(margin)s (95 %%), %(count)d answers", total.responses)
                % {"margin": round(margin, 1), "count": total.responses},
            ),
            Kpi(
                "nps_margin_of_error",
                _("NPS margin of error"),
                _round(margin),
                "nps",
                url,
                _round(before.margin_of_error),
                better="down",
            ),
            Kpi(
                "nps_answers",
                _("NPS answers"),
                total.responses,
                "count",
                url,
                before.responses,
                better="",
            ),
            Kpi(
                "response_rate",
                _("Response rate"),
                _round(total.response_rate_percent),
                "percent",
                url,
                _round(before.response_rate_percent),
                note=_("Invitations of the months the period touches"),
            ),
        ],
    )


def _analysis_period(period: Period) -> str:
    """The feedback analysis page's nearest period (it offers 30, 90 and 365 days)."""
    return "30" if period.days <= 30 else "90" if period.days <= 90 else "365"


def _feedback_section(
    period: Period,
    figures: feedback.FeedbackKpis,
    needs: feedback.NeedKpis,
    advocates: dict[str, int],
) -> Section:
    analysis = _url("feedback:analysis", period=_analysis_period(period))
    note = _("Items from the segment's known customers") if figures.by_customer else ""
    now, before = figures.current, figures.previous
    needs_url = reverse("feedback:needs")
    advocates_url = reverse("nps:advocates")
    gaps = {
        "quiet": _("Advocates without care lately"),
        "open_case": _("Advocates with a case not top priority"),
        "dropped": _("Advocates whose last answer dropped below 9"),
    }
    return Section(
        "voice",
        _("Feedback, needs and advocates"),
        [
            Kpi(
                "feedback_volume",
                _("Feedback items"),
                now.items,
                "count",
                analysis,
                before.items,
                better="",
                note=note,
            ),
            Kpi(
                "feedback_sentiment",
                _("Feedback sentiment (-1 to 1)"),
                _round(now.sentiment, 2),
                "sentiment",
                analysis,
                _round(before.sentiment, 2),
                note=note,
            ),
            Kpi(
                "needs_total",
                _("Customer needs"),
                needs.total,
                "count",
                needs_url,
                compared=False,
                better="",
            ),
            Kpi(
                "needs_acted_on",
                _("Needs taken up (acknowledged, planned or done)"),
                needs.acted_on,
                "count",
                needs_url,
                compared=False,
                note=pgettext("needs", "%(done)d done")
                % {"done": needs.by_status.get(Need.Status.DONE, 0)},
            ),
            Kpi(
                "advocates",
                _("Brand advocates"),
                advocates["advocates"],
                "count",
                advocates_url,
                compared=False,
                note=ngettext("%(count)d candidate waiting", "%(count)d candidates waiting",
                              advocates["candidates"]) % {"count": advocates["candidates"]},
            ),
            *[
                Kpi(
                    f"care_gap_{gap}",
                    label,
                    advocates[gap],
                    "count",
                    _url("nps:advocates", gap=gap),
                    compared=False,
                    better="down",
                )
                for gap, label in gaps.items()
            ],
        ],
    )


def trend_start(period: Period) -> dt.date:
    """The first day of the month ``TREND_MONTHS - 1`` months before the period's last."""
    first = period.end.replace(day=1)
    for _step in range(TREND_MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


@dataclass(frozen=True)
class Figures:
    """What the selectors answered for one period and audience: cached as they are, the
    labels and links are added per request (in the reader's language)."""

    cases: desk.DeskKpis
    costs: desk.CostKpis
    weeks: list[desk.Week]
    report: nps.Report
    earlier: nps.Report
    trend: list[nps.Month]
    voice: feedback.FeedbackKpis
    needs: feedback.NeedKpis
    advocates: dict[str, int]
    computed_at: dt.datetime


def kpi_figures(*, period: Period, segment: str = "", now: dt.datetime | None = None) -> Figures:
    """Every figure of the period and the one before, for all customers or one segment."""
    now = now or timezone.now()
    previous = period.previous
    audience = desk.Audience(segment=segment)

    def report(start: dt.date, end: dt.date, months: int) -> nps.Report:
        filters = nps.ReportFilters(segment=segment, start=start, end=end)
        return nps.nps_report(filters=filters, months=months, now=now)

    return Figures(
        cases=desk.desk_kpis(
            current=period.window, previous=previous.window, audience=audience, now=now
        ),
        costs=desk.cost_kpis(current=period.window, previous=previous.window, audience=audience),
        weeks=desk.cases_per_week(window=period.window, audience=audience),
        report=report(period.start, period.end, 1),
        earlier=report(previous.start, previous.end, 1),
        trend=report(trend_start(period), period.end, TREND_MONTHS).trend,
        voice=feedback.feedback_kpis(
            start=period.start, end=period.end, previous_start=previous.start, segment=segment
        ),
        needs=feedback.need_kpis(),
        advocates=nps_advocates.care_gap_counts(segment=segment, today=timezone.localdate(now)),
        computed_at=now,
    )


# --- the cache ----------------------------------------------------------------------------
#
# A year's figures read most of the desk's tables (at full volume 0.3-0.6 s), and managers
# open the dashboard again and again: the figures of a period and segment are kept in the
# cache for ``KPI_CACHE_SECONDS`` (300 by default; 0 turns the cache off). Invalidation is
# by age and by hand: every entry's key carries a generation, and "Refresh the figures"
# (``refresh_kpi_figures``) starts a new one, so every period and segment is computed again
# on its next view. The page says when its figures were computed.

GENERATION_KEY = "kpis:generation"


def cache_seconds() -> int:
    return settings.KPI_CACHE_SECONDS


def _cache_key(period: Period, segment: str, generation: object) -> str:
    audience = hashlib.sha256(segment.encode()).hexdigest()[:16]
    return f"kpis:{generation}:{period.start.isoformat()}:{period.end.isoformat()}:{audience}"


def cached_kpi_figures(*, period: Period, segment: str = "") -> Figures:
    """The period's figures from the cache, computed and kept when missing or stale."""
    seconds = cache_seconds()
    if seconds <= 0:
        return kpi_figures(period=period, segment=segment)
    generation = cache.get(GENERATION_KEY, 0)
    key = _cache_key(period, segment, generation)
    found = cache.get(key)
    if found is None:
        found = kpi_figures(period=period, segment=segment)
        cache.set(key, found, seconds)
    return found


def warm_kpi_figures() -> int:
    """Compute the preset periods' figures for all customers and keep them, so managers
    opening the dashboard read them from the cache (beat runs this more often than the
    figures expire). Returns how many periods were computed."""
    seconds = cache_seconds()
    if seconds <= 0:
        return 0
    generation = cache.get(GENERATION_KEY, 0)
    for preset in PRESETS:
        period = kpi_period(preset=preset)
        cache.set(_cache_key(period, "", generation), kpi_figures(period=period), seconds)
    return len(PRESETS)


def refresh_kpi_figures() -> None:
    """Make every cached period and segment stale: the next view computes its figures."""
    cache.set(GENERATION_KEY, time.time_ns(), None)


def dashboard(
    *,
    period: Period,
    segment: str = "",
    now: dt.datetime | None = None,
    cached: bool = False,
) -> Dashboard:
    """Every KPI of the period for all customers or one segment, with the charts;
    ``cached``: the figures from the cache when they are there."""
    figures = (
        cached_kpi_figures(period=period, segment=segment)
        if cached
        else kpi_figures(period=period, segment=segment, now=now)
    )
    cases, costs, needs = figures.cases, figures.costs, figures.needs
    outcomes, outcome_bars = _outcome_section(period, segment, cases, costs)
    sections = [
        _case_section(period, segment, cases),
        _proactivity_section(period, segment, cases),
        outcomes,
        _nps_section(period, segment, figures.report, figures.earlier),
        _feedback_section(period, figures.voice, needs, figures.advocates),
    ]
    return Dashboard(
        period=period,
        segment=segment,
        sections=sections,
        weeks=figures.weeks,
        week_chart=week_chart(figures.weeks),
        outcomes=outcome_bars,
        trend=figures.trend,
        trend_chart=nps.trend_chart(figures.trend),
        top_needs=needs.top,
        computed_at=figures.computed_at,
        outcome_height=outcome_chart_height(outcome_bars),
        need_status_labels={key: str(label) for key, label in Need.Status.choices},
    )


# --- CSV ----------------------------------------------------------------------------------

CSV_HEADER = ("key", "label", "value", "unit", "previous value", "period", "segment")


def top_need_kpis(needs: list[Need]) -> list[Kpi]:
    """The top needs as KPIs for the CSV (the page shows them as a table): the need's
    score, its status in the label."""
    return [
        Kpi(
            f"top_need_{rank}",
            _("Top need %(rank)d: %(need)s (%(status)s)")
            % {"rank": rank, "need": need.theme.name, "status": need.get_status_display()},
            round(need.score, 2),
            "score",
            need.get_absolute_url(),
            compared=False,
            better="",
        )
        for rank, need in enumerate(needs, start=1)
    ]


def csv_rows(board: Dashboard) -> list[list[object]]:
    """One row per KPI (the top needs too); "previous value" empty where the KPI is not
    compared."""
    rows = []
    for kpi in [*board.kpis, *top_need_kpis(board.top_needs)]:
        rows.append(
            [
                kpi.key,
                kpi.label,
                "" if kpi.value is None else kpi.value,
                kpi.unit,
                "" if not kpi.compared or kpi.previous is None else kpi.previous,
                board.period.text,
                board.segment,
            ]
        )
    return rows
