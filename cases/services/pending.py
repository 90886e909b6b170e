"""Work the broker may have lost, found in the database and enqueued again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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


def sweep_pending_work() -> Sweep:
    """Re-enqueue work the broker may have lost: the database, not the queue, is the truth."""
    return Sweep(requeued={name: function() for name, function in PENDING_WORK.items()})
