"""What every measurement uses: the results row, timing of requests, query counts, clients.

Time and query count come from separate runs: ``CaptureQueriesContext`` turns on Django's
debug cursor, whose bookkeeping must not be timed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.models import MANAGERS

WARMUP_RUNS = 10
MANAGER_USERNAME = "bench-manager"

T = TypeVar("T")


class BenchError(Exception):
    """A measurement could not measure what it claims (wrong status, unexpected result)."""


@dataclass(frozen=True)
class Options:
    """Chosen on the command line and handed to every measurement."""

    scale: float
    runs: int


@dataclass(frozen=True)
class Row:
    """One line of the results table; blank cells are None or ""."""

    what: str
    volume: str
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    throughput: str = ""


Measurement = Callable[[Options], list[Row]]


@dataclass(frozen=True)
class Timing:
    """Wall-clock samples of one operation, in milliseconds."""

    samples_ms: Sequence[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95_ms(self) -> float:
        if len(self.samples_ms) < 2:
            return self.samples_ms[0]
        return statistics.quantiles(self.samples_ms, n=20, method="inclusive")[-1]

    @property
    def total_seconds(self) -> float:
        return sum(self.samples_ms) / 1000


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """Milliseconds one call takes, and what it returned."""
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def count_queries(call: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as context:
        call()
    return len(context.captured_queries)


def expect_ok(response: HttpResponse, what: str) -> HttpResponse:
    if response.status_code != 200:
        raise BenchError(f"{what} answered {response.status_code}, not 200")
    return response


def measure_get(client: Client, url: str, *, runs: int) -> tuple[Timing, int]:
    """Median-worthy timings of GET ``url`` after a warm-up, and its query count."""

    def get() -> HttpResponse:
        return expect_ok(client.get(url), f"GET {url}")

    for _ in range(WARMUP_RUNS):
        get()
    queries = count_queries(get)
    return Timing([timed(get)[0] for _ in range(runs)]), queries


def page_row(what: str, volume: str, client: Client, url: str, *, runs: int) -> Row:
    timing, queries = measure_get(client, url, runs=runs)
    return Row(what, volume, timing.median_ms, timing.p95_ms, queries)


def manager_client() -> Client:
    """A test client logged in as a member of the managers group (who sees every page)."""
    user, _created = get_user_model().objects.get_or_create(username=MANAGER_USERNAME)
    user.groups.add(Group.objects.get(name=MANAGERS))
    client = Client()
    client.force_login(user)
    return client
