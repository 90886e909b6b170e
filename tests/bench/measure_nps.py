"""NPS reports at volume: the reports page (manager) and ``GET /api/v1/nps/summary`` (API
key) over the generator's answers, for all of them, one segment over 90 days and a
12-month trend; the breakdown the page loads apart; the plain SQL the issue compares
against, measured on this machine; and the response-rate tallies' recount (beat's run
with nothing new, and a full rebuild).
"""

from __future__ import annotations

import datetime as dt
import itertools
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services as desk
from cases.models import ApiKey
from nps.models import Invitation, InvitationTally, Response
from nps.services.reports import month_start, next_month, refresh_invitation_tallies
from tests.bench.measure import (
    WARMUP_RUNS,
    BenchError,
    Options,
    Row,
    Timing,
    manager_client,
    page_row,
    timed,
)

SEGMENT = "restaurants"
SEGMENT_DAYS = 90
TREND_MONTHS = 12
API_KEY_NAME = "bench-nps"


def api_client() -> Client:
    ApiKey.objects.filter(name=API_KEY_NAME).delete()
    _key, secret = desk.create_api_key(name=API_KEY_NAME, scopes=["nps:read"], actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def trend_start(today: dt.date) -> dt.date:
    """The first day of the month eleven months ago: twelve months up to this one."""
    first = today.replace(day=1)
    for _ in range(TREND_MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


def sql_row(what: str, volume: str, sql: str, params: list, *, runs: int) -> Row:
    """The median of a statement run straight on the connection (no Django above it)."""

    def run() -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    for _ in range(WARMUP_RUNS):
        run()
    timing = Timing([timed(run)[0] for _ in range(runs)])
    return Row(what, volume, timing.median_ms, timing.p95_ms, 1)


COUNTS = ("count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score <= 6), "
          "count(*)")


def plain_sql(options: Options, *, since: dt.datetime, trend_from: dt.date,
              volumes: dict[str, str]) -> list[Row]:
    table = Response._meta.db_table
    months = [trend_from]
    for _ in range(TREND_MONTHS):
        months.append(next_month(months[-1]))
    bounds = [month_start(month) for month in months]
    monthly, params = [], []
    for lower, upper in itertools.pairwise(bounds):
        for condition in ("score >= 9", "score <= 6", "TRUE"):
            monthly.append(f"count(*) FILTER (WHERE answered_at >= %s AND answered_at < %s "
                           f"AND {condition})")
            params += [lower, upper]
    return [
        sql_row("Plain SQL: NPS of all answers", volumes["all"],
                f"SELECT {COUNTS} FROM {table}", [], runs=options.runs),
        sql_row(f"Plain SQL: NPS of {SEGMENT!r}, last {SEGMENT_DAYS} days", volumes["segment"],
                f"SELECT {COUNTS} FROM {table} WHERE segment = %s AND answered_at >= %s",
                [SEGMENT, since], runs=options.runs),
        sql_row("Plain SQL: 12-month trend as month-range aggregates", volumes["trend"],
                f"SELECT {', '.join(monthly)} FROM {table} WHERE answered_at >= %s",
                [*params, bounds[0]], runs=options.runs),
    ]


def nps_reports(options: Options) -> list[Row]:
    total = Response.objects.count()
    if not total:
        raise BenchError("No NPS answers: load the NPS data first.")
    invitations = Invitation.objects.count()
    today = timezone.localdate()
    since_day = today - dt.timedelta(days=SEGMENT_DAYS - 1)
    since = timezone.make_aware(dt.datetime.combine(since_day, dt.time.min))
    trend_from = trend_start(today)
    segment = Response.objects.filter(segment=SEGMENT, answered_at__gte=since).count()
    trend = Response.objects.filter(answered_at__gte=month_start(trend_from)).count()
    volumes = {
        "all": f"{total:,} answers, {invitations:,} invitations",
        "segment": f"{segment:,} of {total:,} answers",
        "trend": f"{trend:,} of {total:,} answers",
    }
    page, api = reverse("nps:reports"), "/api/v1/nps/summary"
    segment_query = urlencode({"segment": SEGMENT, "from": since_day.isoformat()})
    trend_query = urlencode({"from": trend_from.isoformat()})
    manager, integration = manager_client(), api_client()
    fragment = manager_client()
    fragment.defaults.update(HTTP_HX_REQUEST="true", HTTP_HX_TARGET="nps-breakdown")
    runs = options.runs
    rows = [
        page_row("NPS reports page, all answers", volumes["all"], manager, page, runs=runs),
        page_row("NPS summary API, all answers", volumes["all"], integration, api, runs=runs),
        page_row(f"NPS reports page, {SEGMENT!r} over {SEGMENT_DAYS} days", volumes["segment"],
                 manager, f"{page}?{segment_query}", runs=runs),
        page_row(f"NPS summary API, {SEGMENT!r} over {SEGMENT_DAYS} days", volumes["segment"],
                 integration, f"{api}?{segment_query}", runs=runs),
        page_row("NPS reports page, 12-month trend", volumes["trend"], manager,
                 f"{page}?{trend_query}", runs=runs),
        page_row("NPS summary API, 12-month trend", volumes["trend"], integration,
                 f"{api}?{trend_query}", runs=runs),
        page_row("NPS breakdown by survey (htmx, loaded after the page), all answers",
                 volumes["all"], fragment, f"{page}?by=survey", runs=runs),
        *plain_sql(options, since=since, trend_from=trend_from, volumes=volumes),
    ]
    quiet = Timing([timed(refresh_invitation_tallies)[0] for _ in range(max(3, runs // 4))])
    full_ms, tallies = timed(lambda: refresh_invitation_tallies(full=True))
    with connection.cursor() as cursor:  # as the generator leaves it, for the next run
        cursor.execute(f'VACUUM (ANALYZE) "{InvitationTally._meta.db_table}"')
    rows += [
        Row("Response-rate tallies: beat's recount (months with new invitations)",
            f"{invitations:,} invitations", quiet.median_ms, quiet.p95_ms),
        Row("Response-rate tallies: full rebuild", f"{invitations:,} invitations", full_ms,
            None, None, f"{tallies:,} tallies"),
    ]
    return rows
