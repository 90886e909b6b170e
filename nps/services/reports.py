"""The response-rate tallies behind the NPS reports.

A response rate divides the invitations answered by those sent. Counting millions of
invitations on every report is too slow, so the counts are kept per survey, month sent and
audience in ``InvitationTally`` and recounted by beat: a run recounts only the months in
which invitations were sent or answered since the run before (through the indexes on
``Invitation.sent_at`` and ``Response.answered_at``), so its cost follows the new activity,
not the history. The NPS itself is never tallied: reports count the answers live.
"""

from __future__ import annotations

import datetime as dt
import zlib

from django.db import connection, transaction
from django.db.models import Count, DateField, Max, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from nps.models import Invitation, InvitationTally, Response

# Invitations sent or answered in a transaction that committed after a run had started are
# caught by the next run, which looks this far behind the last one.
TALLY_OVERLAP = dt.timedelta(minutes=10)
TALLY_LOCK = zlib.crc32(b"nps.refresh_invitation_tallies")


def month_start(day: dt.date) -> dt.datetime:
    """The first instant of ``day``'s month in the desk's time zone."""
    return timezone.make_aware(dt.datetime(day.year, day.month, 1))


def next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _touched_months(since: dt.datetime) -> set[dt.date]:
    month = TruncMonth("sent_at", output_field=DateField())
    sent = (Invitation.objects.filter(sent_at__gte=since).order_by()
            .annotate(month=month).values_list("month", flat=True).distinct())
    answered = (Response.objects.filter(answered_at__gte=since, invitation__sent_at__isnull=False)
                .order_by().annotate(month=TruncMonth("invitation__sent_at",
                                                      output_field=DateField()))
                .values_list("month", flat=True).distinct())
    return set(sent) | set(answered)


def _lock() -> bool:
    """One recount at a time (PostgreSQL; SQLite runs one writer anyway)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [TALLY_LOCK])
        return cursor.fetchone()[0]


@transaction.atomic
def refresh_invitation_tallies(*, full: bool = False) -> int:
    """Recount the tallies of the months touched since the last run (all months when
    ``full`` or on the first run); returns how many tallies were written. Another run
    already counting makes this one a no-op."""
    if not _lock():
        return 0
    started = timezone.now()
    last = None if full else InvitationTally.objects.aggregate(last=Max("counted_at"))["last"]
    invitations = Invitation.objects.filter(sent_at__isnull=False).order_by()
    tallies = InvitationTally.objects.all()
    if last is not None:
        months = _touched_months(last - TALLY_OVERLAP)
        if not months:
            return 0
        sent_in = Q()
        for month in months:
            sent_in |= Q(sent_at__gte=month_start(month),
                         sent_at__lt=month_start(next_month(month)))
        invitations = invitations.filter(sent_in)
        tallies = tallies.filter(month__in=months)
    counts = (invitations
              .annotate(month=TruncMonth("sent_at", output_field=DateField()))
              .values_list("survey_id", "month", "language", "customer__segment",
                           "customer__value_tier")
              .annotate(sent=Count("pk"), answered=Count("answered_at")))
    tallies.delete()
    # One INSERT ... SELECT: the counts never pass through Python.
    select, params = counts.query.sql_with_params()
    table = connection.ops.quote_name(InvitationTally._meta.db_table)
    statement = (f"INSERT INTO {table} (survey_id, month, language, segment, "  # noqa: S608
                 f"value_tier, sent, answered, counted_at) "
                 f"SELECT counted.*, %s FROM ({select}) AS counted")  # our table, ORM's query
    with connection.cursor() as cursor:
        cursor.execute(statement, [started, *params])
        return cursor.rowcount
