"""Evaluate the maturity model and store the month's snapshot; optionally fill the history
of past months, each evaluated as of its end."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from advocacy import services


def moment(text: str) -> dt.datetime:
    """An ISO date or date and time; a date means the end of that day (its evidence)."""
    when = parse_datetime(text)
    if when is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"--as-of: {text!r} is not an ISO date or date and time.")
        when = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(when) if timezone.is_naive(when) else when


class Command(BaseCommand):
    help = (
        "Evaluate the advocacy maturity model and store the snapshot of the month the "
        "evidence ends in; with --backfill-months N, first the N months before, each as "
        "of its end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            type=moment,
            default=None,
            help="Evaluate as of this ISO date or date and time (default: now).",
        )
        parser.add_argument(
            "--backfill-months",
            type=int,
            default=0,
            help="Also evaluate the N months before, each as of its end.",
        )

    def handle(self, *args, as_of: dt.datetime | None, backfill_months: int, **options) -> None:
        if backfill_months < 0:
            raise CommandError("--backfill-months must be 0 or more.")
        snapshots = services.backfill_maturity(months=backfill_months, as_of=as_of)
        for snapshot in snapshots:
            self.stdout.write(
                f"{snapshot.month:%Y-%m}: level {snapshot.level} "
                f"({snapshot.met_count} of {len(snapshot.criteria)} criteria met, "
                f"evidence up to {snapshot.as_of:%Y-%m-%d %H:%M})"
            )
