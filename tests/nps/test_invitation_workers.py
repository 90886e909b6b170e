"""Invitations through real Celery workers on Redis, to a real SMTP server: two workers
sending one campaign send each email exactly once; beat alone makes, hands out and sends."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import redis
from django.utils import timezone

from nps import tasks
from nps.models import Invitation, Survey
from nps.services import invitations
from tests.cases.factories import CustomerFactory, OrderFactory
from tests.celery_worker import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = Invitation.Status
TEXTS = {"en": {"question": "How likely are you to recommend us to a friend or colleague?"}}


@pytest.fixture
def broker(redis_url):
    """Redis with an empty queue (its database is this test run's own)."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


def mail_env(smtp_server, **env: str) -> dict[str, str]:
    """A worker's environment that sends to the test's SMTP server."""
    from django.conf import settings

    return {"EMAIL_HOST": settings.EMAIL_HOST, "EMAIL_PORT": str(settings.EMAIL_PORT), **env}


def drained(broker: redis.Redis):
    """No task waiting in the queue nor held unacknowledged by a worker."""
    return lambda: broker.llen("celery") == 0 and broker.hlen("unacked") == 0


def chunks(ids: list[int], size: int) -> list[list[int]]:
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def test_two_workers_sending_the_same_campaign_send_each_email_exactly_once(
    redis_url, broker, smtp_server,
):
    yesterday = timezone.now() - dt.timedelta(days=1)
    customers = [CustomerFactory(created_at=yesterday, email=f"customer{n}@example.com")
                 for n in range(80)]
    Survey.objects.create(name="Autumn campaign", slug="autumn", texts=TEXTS,
                          trigger=Survey.Trigger.CAMPAIGN, launched_at=timezone.now(),
                          send_per_minute=10_000)
    assert invitations.create_invitations() == {"autumn": 80}
    ids = list(Invitation.objects.order_by("pk").values_list("pk", flat=True))
    env = mail_env(smtp_server, NPS_SEND_BATCH="7")

    with running_worker(redis_url=redis_url, **env) as first, \
            running_worker(redis_url=redis_url, **env) as second:
        # Both workers dispatch at once (one waits for the other's lock); every invitation
        # is also nudged twice more, in batches cut differently, as a redelivered task and
        # the sweeper would: the workers race for the same invitations.
        tasks.dispatch_invitations.delay()
        tasks.dispatch_invitations.delay()
        for batch in chunks(ids, 5) + chunks(ids[::-1], 9):
            tasks.send_invitations.delay(invitation_ids=batch)
        wait_for(lambda: not Invitation.objects.exclude(status=Status.SENT).exists(),
                 worker=first, timeout=120, what="every invitation sent")
        wait_for(drained(broker), worker=second, timeout=60, what="the queue to drain")

    received = Counter(message["To"] for message in smtp_server.messages)
    assert len(smtp_server.messages) == 80
    assert received == Counter(customer.email for customer in customers)
    assert set(Invitation.objects.values_list("attempts", flat=True)) == {1}
    # Both workers did part of the sending.
    assert "send_invitations" in first.output() and "send_invitations" in second.output()


def test_beat_alone_invites_hands_out_and_sends(redis_url, broker, smtp_server):
    """Nothing but the schedule: a delivered order and a launched campaign become emails."""
    yesterday = timezone.now() - dt.timedelta(days=1)
    Survey.objects.create(name="After delivery", slug="after-delivery", texts=TEXTS,
                          delay_days=3, starts_at=timezone.now() - dt.timedelta(days=30))
    Survey.objects.create(name="Campaign", slug="campaign", texts=TEXTS, segments=["key"],
                          trigger=Survey.Trigger.CAMPAIGN, launched_at=timezone.now())
    ordered = OrderFactory(customer=CustomerFactory(email="ordered@example.com"),
                           status="delivered",
                           delivered_at=timezone.now() - dt.timedelta(days=3, hours=2))
    CustomerFactory(segment="key", email="key@example.com", created_at=yesterday)
    env = mail_env(smtp_server, NPS_CREATE_INTERVAL="1", NPS_DISPATCH_INTERVAL="1")

    with running_worker(redis_url=redis_url, beat=True, **env) as worker:
        wait_for(lambda: Invitation.objects.filter(status=Status.SENT).count() == 2,
                 worker=worker, timeout=90, what="beat to send both invitations")

    assert sorted(message["To"] for message in smtp_server.messages) == [
        "key@example.com", "ordered@example.com"]
    assert Invitation.objects.get(customer=ordered.customer).order == ordered
