"""NPS sending at volume: a 10,000-invitation campaign made by one set-based INSERT …
SELECT, then handed out and emailed by two real Celery worker processes to a local SMTP
sink (aiosmtpd, started here), as production sends: one SMTP connection per batch of
``NPS_SEND_BATCH``, each invitation claimed before its email. Throughput in emails per
second, from the dispatcher's run to the last invitation marked sent; duplicates (emails
received beyond one per invitation) must be 0.

The campaign has customers of its own (segment ``bench-nps``); they, the survey and its
invitations are deleted afterwards, so every run measures a first send and leaves the
other measurements' data as it found it. The workers use Redis when ``REDIS_URL`` is set,
else the filesystem queue (``make run``'s broker).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import time
from collections import Counter

from django.db import connection
from django.utils import timezone

from cases.models import Customer
from nps.models import Invitation, Survey
from nps.services import invitations
from tests.bench.measure import BenchError, Options, Row, timed
from tests.mail import smtp_serving

INVITATIONS = 10_000
SEGMENT = "bench-nps"
SLUG = "bench-nps-campaign"
WORKERS = 2
SEND_TIMEOUT = 900  # seconds
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class CountingSink:
    """Accepts everything; keeps the recipients and Message-IDs, not the messages."""

    def __init__(self) -> None:
        self.recipients: Counter[str] = Counter()
        self.message_ids: Counter[bytes] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
            self.message_ids[found.group(1) if found else b""] += 1
        return "250 Message accepted for delivery"

    @property
    def received(self) -> int:
        return sum(self.recipients.values())

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.recipients.values() if count > 1)


def campaign_customers() -> int:
    """The campaign's audience (kept from an interrupted run, else made): customers since
    last year, with consent, analysed as the generators leave their tables."""
    existing = Customer.objects.filter(segment=SEGMENT).count()
    if existing < INVITATIONS:
        since = timezone.now() - dt.timedelta(days=365)
        Customer.objects.bulk_create(
            [Customer(external_ref=f"BENCH-NPS-{number:06d}", name=f"Bench customer {number}",
                      email=f"bench-nps-{number}@example.com", segment=SEGMENT,
                      language=("en", "it", "nb", "ro")[number % 4], email_consent=True,
                      created_at=since)
             for number in range(existing, INVITATIONS)],
            batch_size=2_000)
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{Customer._meta.db_table}"')
    return Customer.objects.filter(segment=SEGMENT).count()


def fresh_campaign() -> Survey:
    Survey.objects.filter(slug=SLUG).delete()
    return Survey.objects.create(
        name="Bench campaign", slug=SLUG, segments=[SEGMENT],
        trigger=Survey.Trigger.CAMPAIGN, launched_at=timezone.now(), send_per_minute=1_000_000,
        texts={"en": {"question": "How likely are you to recommend us to a friend or colleague?"},
               "it": {"question": "Quanto è probabile che ci raccomandi a un amico o a un "
                                  "collega?"}})


def wait_until_sent(survey: Survey, workers: list, started: float) -> float:
    """Seconds from ``started`` until no invitation of ``survey`` is left to send."""
    deadline = started + SEND_TIMEOUT
    while time.perf_counter() < deadline:
        left = Invitation.objects.filter(
            survey=survey, status__in=[Invitation.Status.PENDING, Invitation.Status.SENDING]
        ).count()
        if not left:
            return time.perf_counter() - started
        for worker in workers:
            if worker.process.poll() is not None:
                raise BenchError(f"a worker exited:\n{worker.output()[-3000:]}")
        time.sleep(0.1)
    raise BenchError(f"the campaign was not sent within {SEND_TIMEOUT} s")


def nps_send(options: Options) -> list[Row]:


    audience = campaign_customers()
    survey = fresh_campaign()
    # The campaign alone: the generator's after-delivery surveys rest meanwhile, or the
    # first run would also measure their catch-up over a million orders (1.2M invitations
    # made, 33k more emails sent before the campaign's).
    resting = list(Survey.objects.filter(active=True).exclude(pk=survey.pk)
                   .values_list("pk", flat=True))
    Survey.objects.filter(pk__in=resting).update(active=False)
    try:
        return send_campaign(survey, audience)
    finally:
        Survey.objects.filter(pk__in=resting).update(active=True)


def send_campaign(survey: Survey, audience: int) -> list[Row]:
    from contextlib import ExitStack

    from tests.celery_worker import filesystem_broker, running_worker

    create_ms, created = timed(invitations.create_invitations)
    if created.get(SLUG) != INVITATIONS or audience != INVITATIONS:
        raise BenchError(f"the campaign made {created.get(SLUG)} invitations, not {INVITATIONS}")

    sink = CountingSink()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    redis_url = os.environ.get("REDIS_URL", "")
    with smtp_serving(sink) as smtp, ExitStack() as stack:
        # Workers as in production (DEBUG off: compiled templates cached).
        env = {"EMAIL_HOST": smtp.hostname, "EMAIL_PORT": str(smtp.port), "DEBUG": "0"}
        var_dir = None if redis_url else stack.enter_context(filesystem_broker())
        workers = [stack.enter_context(running_worker(redis_url=redis_url, var_dir=var_dir,
                                                      **env))
                   for _ in range(WORKERS)]
        for worker in workers:
            wait_for_ready(worker)
        started = time.perf_counter()
        invitations.dispatch_invitations()
        seconds = wait_until_sent(survey, workers, started)
        settle = time.perf_counter() + 5  # any second copy would arrive now
        while time.perf_counter() < settle and sink.received < INVITATIONS:
            time.sleep(0.1)
        time.sleep(1)
    sent = Invitation.objects.filter(survey=survey, status=Invitation.Status.SENT).count()
    survey.delete()
    Customer.objects.filter(segment=SEGMENT).delete()
    with connection.cursor() as cursor:
        for model in (Invitation, Customer):
            cursor.execute(f'VACUUM (ANALYZE) "{model._meta.db_table}"')
    if sent != INVITATIONS or sink.received < INVITATIONS:
        raise BenchError(f"{sent} marked sent, {sink.received} received of {INVITATIONS}")
    if sink.duplicates:
        raise BenchError(f"{sink.duplicates} duplicate emails")
    return [
        Row("NPS campaign: invitations made (one INSERT … SELECT, throttled)",
            f"{INVITATIONS:,} customers", create_ms, None, None,
            f"{INVITATIONS / create_ms * 1000:,.0f} invitations/s"),
        Row(f"NPS campaign sent over SMTP ({WORKERS} Celery workers, local sink)",
            f"{INVITATIONS:,} emails", seconds * 1000, None, None,
            f"{INVITATIONS / seconds:,.0f} emails/s; {sink.duplicates} duplicates"),
    ]


def wait_for_ready(worker, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "ready." in worker.output():
            return
        if worker.process.poll() is not None:
            raise BenchError(f"a worker exited:\n{worker.output()[-3000:]}")
        time.sleep(0.2)
    raise BenchError("a worker did not start")
