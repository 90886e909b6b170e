"""Tasks through real Celery workers: the broker carries nudges, the database holds work."""

from __future__ import annotations

import pytest
import redis
from django.contrib.auth import get_user_model

from cases import services
from cases.models import Order, OrderImport
from tests.celery_worker import filesystem_broker, running_beat, running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CSV = (
    "external_ref,customer_ref,customer_name,value,currency,ordered_at\n"
    "W-1,C-1,Ada,10.00,EUR,2026-11-01T10:00:00+01:00\n"
    "W-2,C-2,Bo,20.00,NOK,2026-11-01T11:00:00+01:00\n"
    "W-3,C-2,Bo,-1,NOK,2026-11-01T11:00:00+01:00\n"
)



@pytest.fixture
def uploader():
    return get_user_model().objects.create_user("uploader")


def start_import(uploader) -> OrderImport:
    return services.start_order_import(filename="orders.csv", raw=CSV.encode(), actor=uploader)


def import_done(order_import: OrderImport):
    return lambda: OrderImport.objects.get(pk=order_import.pk).status == OrderImport.Status.DONE


def test_task_runs_through_real_worker_on_redis(redis_url, uploader):
    with running_worker(redis_url=redis_url) as worker:
        order_import = start_import(uploader)
        wait_for(import_done(order_import), worker=worker, what="the import")

    order_import.refresh_from_db()
    assert (order_import.rows_imported, len(order_import.row_errors)) == (2, 1)
    assert order_import.row_errors[0]["row"] == 4
    assert set(Order.objects.values_list("external_ref", flat=True)) == {"W-1", "W-2"}


def test_flushing_redis_loses_no_work(redis_url, uploader):
    broker = redis.Redis.from_url(redis_url)
    order_import = start_import(uploader)  # no worker yet: the nudge waits in Redis
    assert broker.llen("celery") >= 1

    broker.flushdb()  # Redis restarts without persistence: the queue is gone
    assert broker.llen("celery") == 0

    env = {"SWEEP_INTERVAL": "1", "PENDING_WORK_STALE_AFTER": "1"}
    with running_worker(redis_url=redis_url, beat=True, **env) as worker:
        wait_for(import_done(order_import), worker=worker, what="the swept import")

    order_import.refresh_from_db()
    assert order_import.rows_imported == 2
    assert order_import.attempts == 1
    assert Order.objects.count() == 2


def test_worker_and_beat_run_without_any_server(uploader):
    """`make run` on a laptop: kombu's filesystem transport, no Redis, no eager mode;
    worker and beat as separate processes, as in docker-compose."""
    with filesystem_broker() as var_dir:
        order_import = start_import(uploader)
        queued = list((var_dir / "celery" / "queue").iterdir())
        assert len(queued) == 1  # the task really went through the broker

        env = {"SWEEP_INTERVAL": "1", "PENDING_WORK_STALE_AFTER": "3600"}
        with running_worker(var_dir=var_dir, **env) as worker, running_beat(
            var_dir=var_dir, **env
        ) as beat:
            wait_for(import_done(order_import), worker=worker, what="the import")
            wait_for(lambda: "sweep_pending_work" in beat.output(), worker=beat,
                     what="beat to send the sweeper")
            wait_for(lambda: "sweep_pending_work" in worker.output(), worker=worker,
                     what="the worker to run the sweeper")

    assert Order.objects.count() == 2
