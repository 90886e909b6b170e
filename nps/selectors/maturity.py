"""Reads for the advocacy maturity model (``advocacy.maturity``): whether NPS is measured
and moving, and how the company cares for its brand advocates, over a window
``[since, until)``; each function one aggregate query."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from nps.models import AdvocateProfile, CareAction, Response


def nps_windows(*, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """Answers, promoters and detractors in the window and in the window of the same
    length before it. One query, from the (answered_at, score) index alone."""
    before = since - (until - since)
    current = Q(answered_at__gte=since)
    previous = Q(answered_at__lt=since)
    return (
        Response.objects.filter(answered_at__gte=before, answered_at__lt=until)
        .order_by()
        .aggregate(
            answers=Count("pk", filter=current),
            promoters=Count("pk", filter=current & Q(score__gte=9)),
            detractors=Count("pk", filter=current & Q(score__lte=6)),
            previous_answers=Count("pk", filter=previous),
            previous_promoters=Count("pk", filter=previous & Q(score__gte=9)),
            previous_detractors=Count("pk", filter=previous & Q(score__lte=6)),
        )
    )


def advocate_care(*, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """Brand advocates confirmed by ``until`` (and still confirmed), how many of them got a
    care action in the window, and how many of the six practices those actions used. Two
    small queries (advocates are hundreds, not millions)."""
    # Care actions carry a day: the window's days, in the desk's time zone.
    first = timezone.localdate(since)
    last = timezone.localdate(until - dt.timedelta(microseconds=1))
    in_window = CareAction.objects.filter(
        done_on__gte=first, done_on__lte=last, advocate__status=AdvocateProfile.Status.CONFIRMED
    )
    found = (
        AdvocateProfile.objects.filter(
            status=AdvocateProfile.Status.CONFIRMED, confirmed_at__lt=until
        )
        .order_by()
        .aggregate(
            advocates=Count("pk"),
            cared=Count("pk", filter=Exists(in_window.filter(advocate=OuterRef("pk")))),
        )
    )
    found["practices"] = in_window.order_by().values("practice").distinct().count()
    return found
