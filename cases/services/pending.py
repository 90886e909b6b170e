"""Work the broker may have lost, found in the database and enqueued again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models


@dataclass
class Sweep:
    requeued: dict[str, int] = field(default_factory=dict)


PENDING_WORK: dict[str, Callable[[], int]] = {}


def register_pending_work(name: str) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register a function that re-enqueues one kind of stale work and returns its count.

    Apps above ``cases`` (feedback imports, NPS invitations) register theirs in
    ``AppConfig.ready``; the sweeper runs them all.
    """
    def register(function: Callable[[], int]) -> Callable[[], int]:
        PENDING_WORK[name] = function
        return function

    return register


def requeue_waiting(model: type[models.Model], waiting: models.Q,
                    enqueue: Callable[[int], object], *, limit: int = 1000,
                    **changes: object) -> int:
    """Enqueue again the rows matching ``waiting`` (at most ``limit``), each after an UPDATE
    that sets ``changes`` and checks ``waiting`` once more: a row a worker claimed meanwhile
    is left to it. Returns how many were enqueued."""
    ids = list(model.objects.filter(waiting).values_list("pk", flat=True)[:limit])
    ids = [pk for pk in ids if model.objects.filter(waiting, pk=pk).update(**changes)]
    for pk in ids:
        enqueue(pk)
    return len(ids)


def sweep_pending_work() -> Sweep:
    """Re-enqueue work the broker may have lost: the database, not the queue, is the truth."""
    return Sweep(requeued={name: function() for name, function in PENDING_WORK.items()})
