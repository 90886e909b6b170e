"""Demo data other apps add to ``load_demo`` without ``cases`` importing them: an app
registers a loader in its ``AppConfig.ready``; ``load_demo`` runs them after its own data,
in the same transaction, and prints what each says it loaded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

DEMO_LOADERS: dict[str, Callable[[dt.datetime], str]] = {}
# What the loaded demo says about itself, printed at the end of every run of load_demo.
DEMO_SUMMARIES: dict[str, Callable[[], str]] = {}


def register_demo_loader(name: str) -> Callable:
    def register(loader: Callable[[dt.datetime], str]) -> Callable[[dt.datetime], str]:
        DEMO_LOADERS[name] = loader
        return loader
    return register


def register_demo_summary(name: str) -> Callable:
    def register(summary: Callable[[], str]) -> Callable[[], str]:
        DEMO_SUMMARIES[name] = summary
        return summary
    return register


def team_formed_at(now: dt.datetime) -> dt.datetime:
    """The demo's turning point: the day, three months before ``now``'s month (the 8th of
    that month), when the customer-advocacy team was formed, a third feedback source was
    added and the ranked needs started being reviewed. Before it the demo organisation is at
    maturity level 1 (one advocate helping customers who ask), after it at level 2; a day
    of a month, not a number of days ago, so the monthly history tells the same story
    whatever the day the demo is loaded."""
    month = timezone.localtime(now).date().replace(day=1)
    for _months in range(3):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return timezone.make_aware(dt.datetime.combine(month.replace(day=8), dt.time(9)))
