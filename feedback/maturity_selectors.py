"""Reads for the advocacy maturity model (``advocacy.maturity``): how the company collects,
catalogues and acts on feedback over a window ``[since, until)``, each one aggregate query.

A module of its own beside ``selectors.py`` (which the feedback pages keep busy); it reads
the same tables and rules (the selected sources, the themes an advocate did not remove)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef

from cases.models import Department
from feedback.models import FeedbackItem, ItemTheme, Need, NeedChange, Source


def _items(*, since: dt.datetime, until: dt.datetime):
    return FeedbackItem.objects.filter(posted_at__gte=since, posted_at__lt=until)


def collecting_sources(*, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """Selected sources, and those of them that brought feedback posted in the window.
    One query (an index probe on the items' (source, posted_at) per source)."""
    brought = Exists(_items(since=since, until=until).filter(source=OuterRef("pk")))
    return (
        Source.objects.filter(selected=True)
        .order_by()
        .aggregate(selected=Count("pk"), collecting=Count("pk", filter=brought))
    )


def catalogue_coverage(*, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """Feedback posted in the window from the selected sources, and how much of it carries
    at least one theme. One query: an index range on the items' posting time, a probe of
    the (item, theme) index per item."""
    themed = Exists(
        ItemTheme.objects.filter(item=OuterRef("pk")).exclude(origin=ItemTheme.Origin.REMOVED)
    )
    return (
        _items(since=since, until=until)
        .filter(source__selected=True)
        .order_by()
        .aggregate(items=Count("pk"), themed=Count("pk", filter=themed))
    )


def need_activity(*, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    """Needs a person reviewed in the window (changed their owner, status or note); all
    departments, and those owning a need whose status moved in the window. Two queries."""
    changes = NeedChange.objects.filter(changed_at__gte=since, changed_at__lt=until)
    moved = changes.filter(field="status", need__department=OuterRef("pk"))
    found = Department.objects.order_by().aggregate(
        departments=Count("pk"), acting_departments=Count("pk", filter=Exists(moved))
    )
    found["reviewed"] = (
        Need.objects.order_by()
        .filter(Exists(changes.filter(need=OuterRef("pk"), actor__isnull=False)))
        .count()
    )
    return found
