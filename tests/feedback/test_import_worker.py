"""A feedback import on a real Celery worker and PostgreSQL, killed with SIGKILL in the
middle of the file and resumed by another worker: nothing lost, nothing twice.

To catch the worker mid-import without sleeping, the test takes the row lock of the
import's batch row after the first chunk has committed: the worker's next chunk stops when
it records its progress there, and ``pg_stat_activity`` tells when it waits.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import time

import psycopg
import pytest
from django.core.files.base import ContentFile

from feedback import services
from feedback.models import FeedbackItem, ImportBatch, Source
from tests.celery_worker import database_url, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RECORDS = 20_000  # ten chunks: the test catches the worker after the first




def amazon_reviews(count: int) -> bytes:
    """Amazon Reviews 2023 lines, as the dataset ships them."""
    start = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
    return "\n".join(json.dumps({
        "rating": 1.0 + number % 5, "title": f"Review {number}",
        "text": "Arrived late and the box was crushed." if number % 3 else "Great value.",
        "images": [], "asin": f"B0{number:08d}", "parent_asin": f"B0{number:08d}",
        "user_id": f"AE{number:010d}", "timestamp": start + number * 1000,
        "helpful_vote": 0, "verified_purchase": True,
    }) for number in range(count)).encode()


class BatchLock:
    """The batch row's lock, held by a connection of the test's own."""

    def __init__(self, batch_id: int):
        self.connection = psycopg.connect(database_url(), autocommit=False)
        self.connection.execute(
            "SELECT id FROM feedback_importbatch WHERE id = %s FOR UPDATE", [batch_id]
        ).fetchall()

    @staticmethod
    def waiting() -> int:
        with psycopg.connect(database_url(), autocommit=True) as probe:
            return probe.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).fetchone()[0]

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def batch() -> ImportBatch:
    return ImportBatch.objects.get()


def test_an_import_killed_mid_file_resumes_without_losing_or_duplicating(redis_url, postgres):
    source = Source.objects.create(name="Amazon", slug="amazon", platform="amazon")
    with running_worker(redis_url=redis_url) as doomed:
        started = services.start_import(
            source=source, file=ContentFile(amazon_reviews(RECORDS), name="reviews.jsonl"),
            filename="reviews.jsonl", format_name="amazon-2023-jsonl")  # enqueued on commit
        wait_for(lambda: batch().rows_done >= services.CHUNK, worker=doomed,
                 what="the first chunk")
        lock = BatchLock(started.pk)
        wait_for(lambda: lock.waiting() >= 1, worker=doomed, what="the next chunk to wait")
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait(timeout=10)
    lock.release()
    deadline = time.monotonic() + 30
    while BatchLock.waiting() and time.monotonic() < deadline:  # its session ends, rolled back
        time.sleep(0.1)

    killed = batch()
    assert killed.status == ImportBatch.Status.RUNNING  # until the sweeper sees it stale
    assert services.CHUNK <= killed.rows_done < RECORDS
    assert FeedbackItem.objects.count() == killed.imported == killed.rows_done

    ImportBatch.objects.filter(pk=killed.pk).update(
        heartbeat_at=killed.heartbeat_at - dt.timedelta(hours=1))
    with running_worker(redis_url=redis_url) as retry:
        assert services.requeue_stale_imports() == 1
        wait_for(lambda: batch().status == ImportBatch.Status.DONE, worker=retry,
                 what="the resumed import")

    done = batch()
    assert (done.rows_done, done.imported, done.duplicates, done.errors) == (RECORDS, RECORDS,
                                                                             0, 0)
    assert done.attempts == 2
    assert FeedbackItem.objects.count() == RECORDS
    assert FeedbackItem.objects.values("external_id").distinct().count() == RECORDS
