"""NPS reports: the score with its margin of error, the counts per category, the response
rate, by survey, segment, language, value tier and month, and the comments beside scores.

The maths. Each answer scores +1 (promoter, 9-10), 0 (passive, 7-8) or -1 (detractor,
0-6); the NPS is their mean times 100, i.e. % promoters - % detractors. With p and d the
promoter and detractor shares of n answers, the scores' variance is p + d - (p - d)², and
the 95 % margin of error is 1.96 · sqrt(variance / n), in NPS points (times 100).

The queries. The answers of a report are read once, in one statement: the period is cut
into month-range pieces (the trend's months, the two years before them, then the rest) and
each piece is one conditional aggregate over its range of ``answered_at`` (``UNION ALL``),
which PostgreSQL answers with one index range scan per piece from the covering indexes on
``(answered_at, score)``, ``(survey, answered_at, score)`` or ``(segment, answered_at,
score)``, its parallel workers sharing the pieces. The headline is the sum of the pieces,
so it costs nothing more; ``GROUP BY date_trunc`` would sort every answer instead. The
response rate adds up the invitation tallies (``nps.services.reports``) of the months the
period covers, in a second query.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.dates import day_start
from cases.models import Customer
from nps.models import LANGUAGES, Category, InvitationTally, Response, Survey
from nps.services.reports import month_start, next_month

Z_95 = 1.96
BREAKDOWNS = {
    "survey": gettext_lazy("Survey"),
    "segment": gettext_lazy("Segment"),
    "language": gettext_lazy("Language"),
    "value_tier": gettext_lazy("Value tier"),
}
PROMOTER = Q(score__gte=9)
DETRACTOR = Q(score__lte=6)


# --- the figures of one slice of answers --------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Answers per category (and the invitations behind them, when known) of one slice."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    sent: int | None = None  # invitations sent, from the tallies
    answered: int | None = None  # of those, answered

    def __add__(self, other: Figures) -> Figures:
        def plus(a: int | None, b: int | None) -> int | None:
            return None if a is None and b is None else (a or 0) + (b or 0)

        return Figures(self.promoters + other.promoters, self.passives + other.passives,
                       self.detractors + other.detractors, plus(self.sent, other.sent),
                       plus(self.answered, other.answered))

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    def share(self, count: int) -> float | None:
        return 100 * count / self.responses if self.responses else None

    @property
    def promoter_share(self) -> float | None:
        return self.share(self.promoters)

    @property
    def passive_share(self) -> float | None:
        return self.share(self.passives)

    @property
    def detractor_share(self) -> float | None:
        return self.share(self.detractors)

    @property
    def nps(self) -> float | None:
        """% promoters - % detractors; None without answers."""
        if not self.responses:
            return None
        return 100 * (self.promoters - self.detractors) / self.responses

    @property
    def margin_of_error(self) -> float | None:
        """Half the 95 % interval of the NPS, in NPS points."""
        n = self.responses
        if not n:
            return None
        p, d = self.promoters / n, self.detractors / n
        variance = max(0.0, p + d - (p - d) ** 2)
        return 100 * Z_95 * math.sqrt(variance / n)

    @property
    def low(self) -> float | None:
        """The interval's lower end, as far as the scale goes (-100)."""
        return None if self.nps is None else max(-100.0, self.nps - self.margin_of_error)

    @property
    def high(self) -> float | None:
        return None if self.nps is None else min(100.0, self.nps + self.margin_of_error)

    @property
    def response_rate(self) -> float | None:
        """Answered invitations per invitation sent (0..1); None when none were sent."""
        return self.answered / self.sent if self.sent else None

    @property
    def response_rate_percent(self) -> float | None:
        rate = self.response_rate
        return None if rate is None else 100 * rate


# --- filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """Which answers a report reads: all of them unless narrowed. ``start`` and ``end`` are
    days, both included, in the desk's time zone."""

    survey: Survey | None = None
    segment: str = ""
    language: str = ""
    value_tier: str = ""
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def start_at(self) -> dt.datetime | None:
        return None if self.start is None else day_start(self.start)

    @property
    def end_at(self) -> dt.datetime | None:
        """The first instant after the period."""
        return None if self.end is None else day_start(self.end + dt.timedelta(days=1))

    def audience(self) -> dict[str, object]:
        """The narrowing that answers and invitation tallies share, as field lookups."""
        lookups: dict[str, object] = {}
        if self.survey is not None:
            lookups["survey_id"] = self.survey.pk
        for name in ("segment", "language", "value_tier"):
            if getattr(self, name):
                lookups[name] = getattr(self, name)
        return lookups

    def as_query(self) -> dict[str, str]:
        """The filters as the page's and the API's query parameters."""
        query = {"survey": self.survey.slug if self.survey else "", "segment": self.segment,
                 "language": self.language, "value_tier": self.value_tier,
                 "from": self.start.isoformat() if self.start else "",
                 "to": self.end.isoformat() if self.end else ""}
        return {key: value for key, value in query.items() if value}


MAX_SEGMENT_CHARS = Response._meta.get_field("segment").max_length


def report_filters(*, survey: str = "", segment: str = "", language: str = "",
                   value_tier: str = "", start: dt.date | None = None,
                   end: dt.date | None = None,
                   surveys: Iterable[Survey] | None = None) -> ReportFilters:
    """Filters from their public spelling (the survey's short name), or ``ValidationError``
    naming each bad one. ``surveys``, when the caller has them, saves looking the survey
    up."""
    errors: dict[str, str] = {}
    chosen = None
    if survey:
        if surveys is None:
            chosen = Survey.objects.filter(slug=survey).first()
        else:
            chosen = next((item for item in surveys if item.slug == survey), None)
        if chosen is None:
            errors["survey"] = _("No survey has the short name “%(slug)s”.") % {"slug": survey}
    if len(segment) > MAX_SEGMENT_CHARS:
        errors["segment"] = _("A segment has at most %(count)d characters.") % {
            "count": MAX_SEGMENT_CHARS}
    if language and language not in LANGUAGES:
        errors["language"] = _("Choose one of %(choices)s.") % {"choices": ", ".join(LANGUAGES)}
    if value_tier and value_tier not in Customer.ValueTier.values:
        errors["value_tier"] = _("Choose one of %(choices)s.") % {
            "choices": ", ".join(Customer.ValueTier.values)}
    if start and end and start > end:
        errors["to"] = _("The period must end on or after its first day.")
    if errors:
        raise ValidationError(errors)
    return ReportFilters(survey=chosen, segment=segment, language=language,
                         value_tier=value_tier, start=start, end=end)


# --- the report: headline and trend --------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """One month of the trend; ``partial`` when the period covers only part of it; ``drop``
    when its NPS fell below the previous month's interval."""

    start: dt.date
    figures: Figures
    partial: bool = False
    drop: bool = False

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


@dataclass(frozen=True)
class Report:
    filters: ReportFilters
    total: Figures
    trend: list[Month] = field(default_factory=list)

    @property
    def drops(self) -> list[Month]:
        return [month for month in self.trend if month.drop]


def _answers(filters: ReportFilters) -> QuerySet[Response]:
    return Response.objects.filter(**filters.audience()).order_by()


def _counts(answers: QuerySet[Response]) -> QuerySet[Response]:
    """Promoters, detractors and all answers (passives are the rest), from ``score`` alone so
    an index holding it suffices."""
    return answers.annotate(promoters=Count("score", filter=PROMOTER),
                            detractors=Count("score", filter=DETRACTOR), responses=Count("*"))


def trend_months(filters: ReportFilters, *, months: int, now: dt.datetime) -> list[dt.date]:
    """The first days of the trend's months: ``months`` of them, ending with the month the
    period ends in (this month when it runs on), none before the period starts."""
    last_day = timezone.localtime(min(filters.end_at or now, now) - dt.timedelta(microseconds=1))
    first = dt.date(last_day.year, last_day.month, 1)
    days = [first]
    for _step in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        days.append(first)
    start = filters.start_at
    return [day for day in reversed(days)
            if start is None or month_start(next_month(day)) > start]


# Months before the trend's are cut apart too (then whatever lies before them is one piece),
# so the parallel workers that share the pieces get even shares of the answers.
EARLIER_MONTHS = 24


def _pieces(filters: ReportFilters, months: list[dt.date]) -> list[tuple[dt.datetime | None,
                                                                          dt.datetime | None]]:
    """The period cut at month boundaries: the months before the trend's (as far as the
    period reaches), then the trend's months; the last piece runs to the period's end."""
    start, end = filters.start_at, filters.end_at
    if not months:
        return [(start, end)]
    earlier: list[tuple[dt.datetime | None, dt.datetime | None]] = []
    month, upper = months[0], month_start(months[0])
    while start is None or start < upper:
        if len(earlier) == EARLIER_MONTHS:
            earlier.append((start, upper))
            break
        month = (month - dt.timedelta(days=1)).replace(day=1)
        lower = month_start(month)
        if start is not None and start >= lower:
            earlier.append((start, upper))
            break
        earlier.append((lower, upper))
        upper = lower
    pieces = list(reversed(earlier))
    for index, month in enumerate(months):
        lower = max(month_start(month), start) if start else month_start(month)
        upper = end if index == len(months) - 1 else month_start(next_month(month))
        pieces.append((lower, upper))
    return pieces


def _tallies(filters: ReportFilters) -> QuerySet[InvitationTally]:
    """The invitation tallies of the filtered audience in the months the period touches."""
    tallies = InvitationTally.objects.filter(**filters.audience()).order_by()
    if filters.start is not None:
        tallies = tallies.filter(month__gte=filters.start.replace(day=1))
    if filters.end is not None:
        tallies = tallies.filter(month__lte=filters.end.replace(day=1))
    return tallies


# Placeholders in the one compiled aggregate that each piece repeats with its own values.
EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)  # no lower bound
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)  # no upper bound
PIECE = -7_000_001


def _piece_counts(answers: QuerySet[Response], pieces: list[tuple[dt.datetime | None,
                                                                   dt.datetime | None]]
                  ) -> dict[int, Figures]:
    """The answers per category of each piece of the period, in one ``UNION ALL`` statement
    whose pieces PostgreSQL's parallel workers share. The ORM compiles one piece's
    aggregate, with placeholder bounds and key; the statement repeats it with each piece's
    own (compiling a few dozen querysets took longer than running them). The invitation
    tallies stay a query of their own: as one more branch they kept PostgreSQL from running
    the pieces in parallel."""
    template = _counts(answers.filter(answered_at__gte=EARLIEST, answered_at__lt=LATEST)
                       .annotate(piece=Value(PIECE)).values("piece")).values(
        "piece", "promoters", "detractors", "responses")
    sql, params = template.query.sql_with_params()
    field = Response._meta.get_field("answered_at")

    def prepared(moment: dt.datetime) -> object:
        return field.get_db_prep_value(moment, connection)

    earliest, latest = prepared(EARLIEST), prepared(LATEST)
    values: list[object] = []
    for index, (lower, upper) in enumerate(pieces):
        for param in params:
            if isinstance(param, int) and param == PIECE:
                values.append(index)
            elif param == earliest:
                values.append(earliest if lower is None else prepared(lower))
            elif param == latest:
                values.append(latest if upper is None else prepared(upper))
            else:
                values.append(param)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join([sql] * len(pieces)), values)
        return {piece: Figures(promoters, responses - promoters - detractors, detractors)
                for piece, promoters, detractors, responses in cursor.fetchall()}


def nps_report(*, filters: ReportFilters, months: int | None = None,
               now: dt.datetime | None = None) -> Report:
    """The headline figures of the filtered answers and their monthly trend (the last
    ``months``, 12 by default, of the period), each month with its interval, response rate
    and drop flag. Two queries, whatever the number of answers: the answers, and the
    invitation tallies."""
    now = now or timezone.now()
    months = settings.NPS_TREND_MONTHS if months is None else months
    days = trend_months(filters, months=months, now=now)
    pieces = _pieces(filters, days)
    counted = _piece_counts(_answers(filters), pieces)
    invited = {row["month"]: (row["sent"], row["answered"]) for row in _tallies(filters)
               .values("month").annotate(sent=Sum("sent"), answered=Sum("answered"))}
    offset = len(pieces) - len(days)  # the pieces before the trend's months
    trend = []
    for index, day in enumerate(days):
        sent, answered = invited.get(day, (0, 0))
        figures = replace(counted.get(index + offset, Figures()), sent=sent, answered=answered)
        lower, upper = pieces[index + offset]
        partial = (lower is not None and lower > month_start(day)) or (
            upper is not None and upper < month_start(next_month(day)))
        trend.append(Month(day, figures, partial=partial))
    total = sum(counted.values(), Figures())
    total = replace(total, sent=sum(sent for sent, _answered in invited.values()),
                    answered=sum(answered for _sent, answered in invited.values()))
    return Report(filters=filters, total=total, trend=flag_drops(trend))


def flag_drops(trend: list[Month]) -> list[Month]:
    """Flag each month whose NPS fell below the previous month's interval (NPS - margin of
    error). Both months need ``NPS_TREND_MIN_RESPONSES`` answers: below that an interval is
    too rough to compare against."""
    least = max(1, settings.NPS_TREND_MIN_RESPONSES)
    flagged = []
    for index, month in enumerate(trend):
        before = trend[index - 1].figures if index else None
        now = month.figures
        drop = (before is not None and before.responses >= least and now.responses >= least
                and now.nps < before.nps - before.margin_of_error)
        flagged.append(replace(month, drop=drop))
    return flagged


# --- breakdowns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Slice:
    key: str
    label: str
    figures: Figures


def _period(answers: QuerySet[Response], filters: ReportFilters) -> QuerySet[Response]:
    if filters.start_at is not None:
        answers = answers.filter(answered_at__gte=filters.start_at)
    if filters.end_at is not None:
        answers = answers.filter(answered_at__lt=filters.end_at)
    return answers


def nps_breakdown(*, filters: ReportFilters, by: str) -> list[Slice]:
    """The filtered answers' figures per survey, segment, language or value tier, largest
    first. Two queries: the answers grouped, and the invitation tallies grouped."""
    if by not in BREAKDOWNS:
        raise ValueError(f"cannot break down by {by!r}")
    column = "survey_id" if by == "survey" else by
    rows = _counts(_period(_answers(filters), filters).values(column)).values(
        column, "promoters", "detractors", "responses",
        **({"name": F("survey__name"), "slug": F("survey__slug")} if by == "survey" else {}))
    invited = {row[column]: (row["sent"], row["answered"]) for row in _tallies(filters)
               .values(column).annotate(sent=Sum("sent"), answered=Sum("answered"))}
    labels = {"language": dict(settings.LANGUAGES),
              "value_tier": dict(Customer.ValueTier.choices)}.get(by, {})
    slices = []
    for row in rows:
        key = row[column]
        sent, answered = invited.get(key, (0, 0))
        figures = Figures(row["promoters"], row["responses"] - row["promoters"]
                          - row["detractors"], row["detractors"], sent, answered)
        if by == "survey":
            slices.append(Slice(row["slug"], row["name"], figures))
        else:
            slices.append(Slice(key, str(labels.get(key, key)) if key else _("(none)"),
                                figures))
    return sorted(slices, key=lambda item: (-item.figures.responses, item.label))


# --- comments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentPage:
    comments: list[Response]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1


def nps_comments(*, filters: ReportFilters, category: str = "", page: int = 1,
                 per_page: int | None = None) -> CommentPage:
    """The comments of the filtered answers, newest first, a page at a time. One query: the
    page and one more row tell whether another page follows, so no count of every comment
    is made (the newest-first order is the answered-at index's)."""
    per_page = per_page or settings.NPS_COMMENTS_PER_PAGE
    page = max(1, page)
    comments = _period(_answers(filters), filters).exclude(comment="")
    if category in Category.values:
        comments = comments.filter(category=category)
    offset = (page - 1) * per_page
    rows = list(comments.select_related("survey", "customer")
                .only("score", "category", "comment", "language", "answered_at", "segment",
                      "survey__name", "survey__slug", "customer__name",
                      "customer__external_ref")
                .order_by("-answered_at")[offset:offset + per_page + 1])
    return CommentPage(rows[:per_page], page, len(rows) > per_page)


# --- the trend chart ----------------------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    low: float
    high: float
    month: Month

    @property
    def drop_mark(self) -> str:
        """A downward triangle under the point (SVG path)."""
        return f"M{self.x - 6:g} {self.y + 7:g}h12l-6 10z"


@dataclass(frozen=True)
class TrendChart:
    """The trend drawn on the server: coordinates in a ``width`` x ``height`` box."""

    width: int
    height: int
    left: float  # the plot's edges
    right: float
    baseline: float  # where the month labels sit
    top: float  # the NPS at the top edge of the plot
    bottom: float
    ticks: list[tuple[float, int]]  # (y, NPS) gridlines
    labels: list[tuple[float, str]]  # (x, month)
    lines: list[str]  # polyline points, one per run of months with answers
    bands: list[str]  # polygon points of the interval around each run
    points: list[ChartPoint]


CHART_WIDTH, CHART_HEIGHT = 640, 240
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 12, 12, 28


def trend_chart(trend: list[Month]) -> TrendChart | None:
    """Where the trend's line, interval band, points and drop marks go; None when no month
    has answers. The scale spans the intervals in steps of 10 (within -100..100) and keeps
    zero in sight."""
    shown = [month for month in trend if month.figures.responses]
    if not shown:
        return None
    lows = [month.figures.low for month in shown] + [0.0]
    highs = [month.figures.high for month in shown] + [0.0]
    bottom = max(-100.0, math.floor(min(lows) / 10) * 10)
    top = min(100.0, math.ceil(max(highs) / 10) * 10)
    if top - bottom < 20:
        top = min(100.0, bottom + 20)
        bottom = top - 20
    plot_width = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_height = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    step = plot_width / max(1, len(trend) - 1) if len(trend) > 1 else 0

    def x_of(index: int) -> float:
        return round(PLOT_LEFT + (index * step if len(trend) > 1 else plot_width / 2), 1)

    def y_of(value: float) -> float:
        return round(PLOT_TOP + (top - value) / (top - bottom) * plot_height, 1)

    span = top - bottom
    tick_step = 10 if span <= 60 else 20 if span <= 120 else 25 if span <= 150 else 50
    first_tick = math.ceil(bottom / tick_step) * tick_step
    ticks = [(y_of(value), value) for value in range(first_tick, int(top) + 1, tick_step)]
    points: list[ChartPoint] = []
    runs: list[list[ChartPoint]] = [[]]
    for index, month in enumerate(trend):
        figures = month.figures
        if not figures.responses:
            if runs[-1]:
                runs.append([])
            continue
        point = ChartPoint(x_of(index), y_of(figures.nps), y_of(figures.low),
                           y_of(figures.high), month)
        points.append(point)
        runs[-1].append(point)
    runs = [run for run in runs if run]

    def joined(coordinates: Iterable[tuple[float, float]]) -> str:
        return " ".join(f"{x:g},{y:g}" for x, y in coordinates)

    lines = [joined((point.x, point.y) for point in run) for run in runs]
    bands = []
    for run in runs:
        if len(run) == 1:  # a lone month: a narrow box around its point
            point = run[0]
            run = [replace(point, x=point.x - 4), replace(point, x=point.x + 4)]
        bands.append(joined([(point.x, point.high) for point in run]
                            + [(point.x, point.low) for point in reversed(run)]))
    every = max(1, math.ceil(len(trend) / 12))
    labels = [(x_of(index), month.label) for index, month in enumerate(trend)
              if index % every == 0 or index == len(trend) - 1]
    return TrendChart(CHART_WIDTH, CHART_HEIGHT, PLOT_LEFT, CHART_WIDTH - PLOT_RIGHT,
                      CHART_HEIGHT - 8, top, bottom, ticks, labels, lines, bands, points)
