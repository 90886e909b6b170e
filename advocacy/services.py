"""Writes of the programme view: the maturity thresholds and the monthly snapshots."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from advocacy.maturity import Evaluation, evaluate_maturity
from advocacy.models import MaturitySettings, MaturitySnapshot
from cases.dates import day_start


def month_of(moment: dt.datetime) -> dt.date:
    """The first day of the month ``moment`` falls in, in the desk's time zone."""
    return timezone.localdate(moment).replace(day=1)


def month_end(month: dt.date) -> dt.datetime:
    """The first instant after ``month`` (the desk's time zone): its evidence's end."""
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return day_start(following)


def snapshot_maturity(*, as_of: dt.datetime | None = None) -> MaturitySnapshot:
    """Evaluate the model as of ``as_of`` (now by default) and store it as the snapshot of
    the month the evidence ends in, replacing that month's row: running it twice leaves
    one row per month (an upsert on the unique month)."""
    now = timezone.now()
    as_of = min(as_of or now, now)
    evaluation = evaluate_maturity(as_of=as_of)
    # A month's end is the first instant of the next month: its evidence ends in the month.
    month = month_of(as_of - dt.timedelta(microseconds=1))
    snapshot = MaturitySnapshot(
        month=month,
        level=evaluation.level,
        as_of=as_of,
        evaluated_at=now,
        criteria=evaluation.to_json(),
    )
    MaturitySnapshot.objects.bulk_create(
        [snapshot],
        update_conflicts=True,
        unique_fields=["month"],
        update_fields=["level", "as_of", "evaluated_at", "criteria"],
    )
    return MaturitySnapshot.objects.get(month=month)


def backfill_maturity(*, months: int, as_of: dt.datetime | None = None) -> list[MaturitySnapshot]:
    """The ``months`` months before ``as_of``'s month, each evaluated as of its end, then
    ``as_of``'s month as of ``as_of``: a history for a new installation or a demo."""
    as_of = as_of or timezone.now()
    month = month_of(as_of - dt.timedelta(microseconds=1))
    past = []
    for _ in range(months):
        month = (month - dt.timedelta(days=1)).replace(day=1)  # the month before
        past.append(month)
    snapshots = [snapshot_maturity(as_of=month_end(month)) for month in reversed(past)]
    return [*snapshots, snapshot_maturity(as_of=as_of)]


@transaction.atomic
def update_thresholds(
    *, thresholds: dict[str, Decimal], actor: AbstractBaseUser | None
) -> Evaluation:
    """Managers set the criteria's thresholds; the current month is re-evaluated under them
    at once, so the dashboard never shows a level computed with the old ones. Raises
    ``ValidationError`` keyed by criterion for a value out of range."""
    settings_row = MaturitySettings.objects.select_for_update().get_or_create(pk=1)[0]
    settings_row.thresholds = {key: str(value) for key, value in thresholds.items()}
    settings_row.updated_at = timezone.now()
    settings_row.updated_by = actor
    settings_row.full_clean()
    settings_row.save()
    return snapshot_maturity().evaluation
