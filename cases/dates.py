"""Days as the desk counts them: whole days in its time zone (``TIME_ZONE``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the desk's time zone; ``day_start(last + 1 day)`` is
    the first instant after a period that ends on ``last``."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
