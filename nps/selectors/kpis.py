"""Reads of the NPS for the manager dashboard's KPIs: the brand advocates and their care
gaps for one audience. (The NPS itself, its margin of error, trend and response rate are
``reports.nps_report``'s.)"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from nps.models import AdvocateProfile
from nps.selectors.advocates import _annotated, gap_filters


def advocate_kpis(
    *, segment: str = "", value_tier: str = "", today: dt.date | None = None
) -> dict[str, int]:
    """How many brand advocates and candidates there are among the audience's customers,
    and how many advocates each care gap concerns (as the Advocates page counts them,
    ``care_gap_counts``): one query."""
    profiles = AdvocateProfile.objects.all()
    if segment:
        profiles = profiles.filter(customer__segment=segment)
    if value_tier:
        profiles = profiles.filter(customer__value_tier=value_tier)
    confirmed = Q(status=AdvocateProfile.Status.CONFIRMED)
    return _annotated(profiles).aggregate(
        advocates=Count("pk", filter=confirmed),
        candidates=Count("pk", filter=Q(status=AdvocateProfile.Status.CANDIDATE)),
        **{
            name: Count("pk", filter=confirmed & condition)
            for name, condition in gap_filters(today=today).items()
        },
    )
