"""Invitations: created set-based by beat, handed out within each survey's rate, emailed once.

The life of an invitation, and which fields tell it:

- **created** by ``create_invitations`` (beat, every ``NPS_CREATE_INTERVAL``): one INSERT …
  SELECT per survey, never a loop over customers. PENDING, or SUPPRESSED with the reason
  when the customer has no email address or no consent (never emailed).
- **handed out** by ``dispatch_invitations`` (beat, every ``NPS_DISPATCH_INTERVAL``): at
  most the survey's ``send_per_minute`` in any minute, counted across every worker in the
  database (``claimed_at`` within the last minute), and enqueued in batches. Still
  PENDING, now with ``claimed_at`` set: the dispatcher never hands it out again.
- **claimed** by a worker: PENDING → SENDING in one ``UPDATE … WHERE status = 'pending'``
  that also stores the new token's hash, the expiry and the Message-ID. A second worker
  (a redelivered task, the sweeper's nudge) finds nothing to claim: never emailed twice.
- **SENT** once the mail server accepted it. A refused connection puts it back to PENDING
  for a retry with backoff; after ``MAX_ATTEMPTS`` (or a permanent refusal of the address)
  it is FAILED with the reason.
- A worker that dies mid-send leaves it SENDING: the message may have left. The sweeper
  marks it FAILED ("interrupted") after ``RUNNING_WORK_TIMEOUT`` instead of sending it
  again; its token stays valid, so if the email did arrive the customer can still answer.

One reminder, if the survey has ``reminder_days``: handed out by the dispatcher (within the
same rate) to sent invitations not answered whose link has not expired (``reminded_at``
set), claimed by a worker that stores a new token's hash in ``reminder_token_hash`` (the
first link keeps working), and never claimed again. A reminder the mail server refuses
for good, or still fails on its last retry, keeps that hash with ``reminded_at`` cleared:
not sent, and not tried again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from cases.models import Customer, Order
from cases.services.email import customer_language
from cases.services.pending import register_pending_work, requeue_waiting
from nps.models import Invitation, Survey
from nps.tokens import new_token

Status = Invitation.Status

MAX_ATTEMPTS = 5
REMINDER_RETRIES = 3
RETRY_BACKOFF = 30  # seconds before the first retry, doubled each time
RETRY_BACKOFF_MAX = 600
RATE_WINDOW = dt.timedelta(minutes=1)
# pg_advisory_xact_lock(space, key): one creation run and one dispatcher at a time.
LOCK_SPACE = 70_002
CREATE_LOCK = 1
DISPATCH_LOCK = 2

# Why an invitation was not sent. Stored in English, shown translated (gettext at display).
NO_EMAIL = gettext_noop("The customer has no email address.")
NO_CONSENT = gettext_noop("The customer has not agreed to receive emails.")
REFUSED = gettext_noop("The mail server refused the address.")
UNREACHABLE = gettext_noop("The mail server could not be reached, after several attempts.")
INTERRUPTED = gettext_noop(
    "Sending was interrupted: the email may have arrived, so it is not sent again.")
REASONS = (NO_EMAIL, NO_CONSENT, REFUSED, UNREACHABLE, INTERRUPTED)
REMINDER_NOT_SENT = "Reminder not sent: "

# Statuses that count against the throttle: asked, or about to be.
ASKING = (Status.PENDING, Status.SENDING, Status.SENT)


class RetryLater(Exception):
    """The mail server failed for a reason that may pass: the task retries ``remaining``
    (the batch from the failed invitation on) after ``countdown`` seconds."""

    def __init__(self, *, countdown: int, remaining: list[int]) -> None:
        super().__init__(f"retry {len(remaining)} in {countdown}s")
        self.countdown, self.remaining = countdown, remaining


@dataclass(frozen=True)
class Dispatched:
    invitations: int
    reminders: int


# --- Creation ------------------------------------------------------------------------------


def _advisory_lock(key: int) -> None:
    """PostgreSQL: wait for the other holder's transaction. SQLite takes its write lock when
    a transaction begins (``transaction_mode=IMMEDIATE``), which serialises us already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, key])


def surveys_creating(*, now: dt.datetime) -> list[Survey]:
    """Surveys that create invitations now: active, within their window, campaigns once
    launched."""
    running = (Survey.objects.filter(active=True, starts_at__lte=now)
               .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
               .exclude(trigger=Survey.Trigger.CAMPAIGN, launched_at__isnull=True))
    return list(running.order_by("pk"))


@transaction.atomic
def create_invitations(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Invite whom each running survey asks now; returns the rows created per survey.

    One INSERT … SELECT per survey (the query count does not grow with customers). The
    throttle holds across surveys: a customer with an invitation sent or waiting in the
    last ``throttle_days`` (of the survey asking) is skipped, and asked on a later run once
    the throttle allows (while the survey still runs). Runs one at a time (advisory lock),
    so two beats at once neither duplicate nor break the throttle; the unique constraints
    per (survey, order) and per campaign (survey, customer) stand behind that.
    """
    now = now or timezone.now()
    _advisory_lock(CREATE_LOCK)
    created = {}
    for survey in surveys_creating(now=now):
        if survey.trigger == Survey.Trigger.CAMPAIGN:
            sql, params = _campaign_sql(survey, now)
        else:
            sql, params = _after_delivery_sql(survey, now)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            created[survey.slug] = max(cursor.rowcount, 0)
    return created


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _audience(survey: Survey, alias: str) -> tuple[str, list]:
    """The survey's audience as SQL conditions on the customer table (empty: everyone)."""
    sql, params = "", []
    for column, values in (("segment", survey.segments), ("value_tier", survey.value_tiers),
                           ("language", survey.languages)):
        if values:
            sql += f" AND {alias}.{_quote(column)} IN ({', '.join(['%s'] * len(values))})"
            params.extend(values)
    return sql, params


def _insert_sql(select: str) -> str:
    """INSERT the rows ``select`` yields: survey_id, customer_id, order_id, language, and the
    customer's email and consent (which decide pending or suppressed, and why)."""
    table = _quote(Invitation._meta.db_table)
    return f"""
        INSERT INTO {table} (survey_id, customer_id, order_id, language, status, reason,
                             message_id, created_at, enqueued_at, attempts, failure)
        SELECT picked.survey_id, picked.customer_id, picked.order_id, picked.language,
               CASE WHEN picked.email = '' OR NOT picked.email_consent THEN %s ELSE %s END,
               CASE WHEN picked.email = '' THEN %s
                    WHEN NOT picked.email_consent THEN %s ELSE '' END,
               '', %s, %s, 0, ''
        FROM ({select}) picked
        WHERE picked.choice = 1
        ON CONFLICT DO NOTHING
    """  # noqa: S608 (table names are ours; every value is a parameter)


def _insert_params(now: dt.datetime) -> list:
    return [Status.SUPPRESSED, Status.PENDING, NO_EMAIL, NO_CONSENT, now, now]


def _throttle_sql(survey: Survey, now: dt.datetime, customer: str) -> tuple[str, list]:
    """NOT EXISTS an invitation of any survey, sent or waiting, within the throttle."""
    table = _quote(Invitation._meta.db_table)
    sql = (f" AND NOT EXISTS (SELECT 1 FROM {table} asked WHERE asked.customer_id = {customer}"  # noqa: S608
           f" AND asked.status IN (%s, %s, %s) AND asked.created_at > %s)")
    return sql, [*ASKING, now - dt.timedelta(days=survey.throttle_days)]


def _after_delivery_sql(survey: Survey, now: dt.datetime) -> tuple[str, list]:
    """Orders delivered ``delay_days`` ago (within NPS_DELIVERY_WINDOW_DAYS, and not before
    the survey started): one invitation per customer, about their latest such order."""
    orders, customers = _quote(Order._meta.db_table), _quote(Customer._meta.db_table)
    invitations = _quote(Invitation._meta.db_table)
    latest = now - dt.timedelta(days=survey.delay_days)
    earliest = max(latest - dt.timedelta(days=settings.NPS_DELIVERY_WINDOW_DAYS),
                   survey.starts_at)
    audience, audience_params = _audience(survey, "c")
    throttle, throttle_params = _throttle_sql(survey, now, "o.customer_id")
    select = f"""
        SELECT %s AS survey_id, o.customer_id, o.id AS order_id, c.language, c.email,
               c.email_consent,
               ROW_NUMBER() OVER (PARTITION BY o.customer_id
                                  ORDER BY o.delivered_at DESC, o.id DESC) AS choice
        FROM {orders} o JOIN {customers} c ON c.id = o.customer_id
        WHERE o.delivered_at IS NOT NULL AND o.delivered_at >= %s AND o.delivered_at <= %s
          {audience}
          AND NOT EXISTS (SELECT 1 FROM {invitations} done
                          WHERE done.survey_id = %s AND done.order_id = o.id)
          {throttle}
    """  # noqa: S608 (our table names; values are parameters)
    params = [survey.pk, earliest, latest, *audience_params, survey.pk, *throttle_params]
    return _insert_sql(select), _ordered_params(now, params)


def _ordered_params(now: dt.datetime, select_params: list) -> list:
    """The INSERT's own parameters come first in the SQL text, then the SELECT's."""
    return [*_insert_params(now), *select_params]


def _campaign_sql(survey: Survey, now: dt.datetime) -> tuple[str, list]:
    """The audience as it was when the campaign was launched, each customer once."""
    customers, invitations = _quote(Customer._meta.db_table), _quote(Invitation._meta.db_table)
    audience, audience_params = _audience(survey, "c")
    throttle, throttle_params = _throttle_sql(survey, now, "c.id")
    select = f"""
        SELECT %s AS survey_id, c.id AS customer_id, CAST(NULL AS bigint) AS order_id,
               c.language, c.email, c.email_consent, 1 AS choice
        FROM {customers} c
        WHERE c.created_at <= %s
          {audience}
          AND NOT EXISTS (SELECT 1 FROM {invitations} done WHERE done.survey_id = %s
                          AND done.customer_id = c.id AND done.order_id IS NULL)
          {throttle}
    """  # noqa: S608 (our table names; values are parameters)
    params = [survey.pk, survey.launched_at, *audience_params, survey.pk, *throttle_params]
    return _insert_sql(select), _ordered_params(now, params)


# --- Handing out, within each survey's rate ------------------------------------------------


@transaction.atomic
def dispatch_invitations(*, now: dt.datetime | None = None) -> dict[str, Dispatched]:
    """Hand out what each active survey may send in this minute: its pending invitations
    first, then its due reminders, together at most ``send_per_minute`` within any minute
    (counted in the database, so however many workers and dispatchers run). Enqueues them
    after commit in batches of ``NPS_SEND_BATCH``. Returns what each survey handed out."""
    now = now or timezone.now()
    _advisory_lock(DISPATCH_LOCK)
    handed = {}
    for survey in Survey.objects.filter(active=True).order_by("pk"):
        budget = survey.send_per_minute - Invitation.objects.filter(
            survey=survey, claimed_at__gt=now - RATE_WINDOW).count()
        if budget <= 0:
            continue
        waiting = (Invitation.objects.filter(survey=survey, status=Status.PENDING,
                                             claimed_at__isnull=True).order_by("pk"))
        invitation_ids = list(waiting.values_list("pk", flat=True)[:budget])
        if invitation_ids:
            Invitation.objects.filter(pk__in=invitation_ids).update(claimed_at=now,
                                                                    enqueued_at=now)
            _enqueue(invitation_ids, reminder=False)
        reminder_ids = []
        budget -= len(invitation_ids)
        if survey.reminder_days is not None and budget > 0:
            due = reminders_due(survey=survey, now=now).order_by("sent_at", "pk")
            reminder_ids = list(due.values_list("pk", flat=True)[:budget])
            if reminder_ids:
                Invitation.objects.filter(pk__in=reminder_ids).update(
                    reminded_at=now, claimed_at=now, enqueued_at=now)
                _enqueue(reminder_ids, reminder=True)
        if invitation_ids or reminder_ids:
            handed[survey.slug] = Dispatched(len(invitation_ids), len(reminder_ids))
    return handed


def reminders_due(*, survey: Survey, now: dt.datetime):
    """Sent invitations of ``survey`` not answered after ``reminder_days``, whose link has
    not expired and that were never reminded."""
    return Invitation.objects.filter(
        survey=survey, status=Status.SENT, answered_at__isnull=True,
        reminded_at__isnull=True, reminder_token_hash__isnull=True,
        sent_at__lte=now - dt.timedelta(days=survey.reminder_days or 0), expires_at__gt=now,
    )


def _enqueue(invitation_ids: list[int], *, reminder: bool) -> None:
    from nps import tasks

    size = max(settings.NPS_SEND_BATCH, 1)
    batches = [invitation_ids[start:start + size] for start in range(0, len(invitation_ids), size)]

    def enqueue() -> None:
        for batch in batches:
            tasks.send_invitations.delay(invitation_ids=batch, reminder=reminder)

    transaction.on_commit(enqueue)


# --- Sending -------------------------------------------------------------------------------


def send_invitations(*, invitation_ids: Iterable[int], reminder: bool = False,
                     retries: int = 0) -> int:
    """Email each of these invitations (or its reminder) that is still to be sent, over one
    SMTP connection; returns how many went out. Each is claimed first, so one another
    worker has, or that is already sent, is skipped.

    A failure that may pass raises ``RetryLater`` for the rest of the batch (``retries``:
    how often the task has retried already, which decides a reminder's last try).
    """
    invitation_ids = list(invitation_ids)
    # The batch in one query; each invitation's claim (one UPDATE) then decides.
    batch = Invitation.objects.select_related("survey", "customer", "order").in_bulk(
        invitation_ids)
    sent = 0
    smtp = mail.get_connection()
    try:
        for index, invitation_id in enumerate(invitation_ids):
            invitation = batch.get(invitation_id)
            if invitation is None:
                continue
            token = _claim_reminder(invitation) if reminder else _claim_invitation(invitation)
            if token is None:
                continue
            message = invitation_email(invitation=invitation, token=token, reminder=reminder)
            message.connection = smtp
            try:
                smtp.open()
                message.send()
            except OSError as error:
                countdown = (_reminder_failed(invitation, error, retries) if reminder
                             else _invitation_failed(invitation, error))
                if countdown is None:
                    continue
                raise RetryLater(countdown=countdown,
                                 remaining=invitation_ids[index:]) from error
            _mark_sent(invitation, reminder=reminder)
            sent += 1
    finally:
        # A broken connection fails to close: what was sent is recorded, the rest retries.
        with contextlib.suppress(OSError):
            smtp.close()
    return sent


def _claim_invitation(invitation: Invitation) -> str | None:
    """PENDING → SENDING with a new token's hash, in one UPDATE that only one worker can
    make; returns the token. Only a handed-out invitation (``claimed_at`` set by the
    dispatcher) is sent, so a stray task cannot overtake the survey's rate."""
    if invitation.status != Status.PENDING or invitation.claimed_at is None:
        return None  # as read with the batch; the UPDATE below is what decides
    pending = Invitation.objects.filter(pk=invitation.pk, status=Status.PENDING,
                                        claimed_at__isnull=False)
    reason = _unreachable_customer(invitation.customer)
    if reason:  # consent withdrawn (an unsubscribe) or address removed since it was created
        pending.update(status=Status.SUPPRESSED, reason=reason)
        return None
    now = timezone.now()
    token, digest = new_token()
    changes = {
        "status": Status.SENDING, "claimed_at": now, "token_hash": digest,
        "expires_at": now + dt.timedelta(days=invitation.survey.expiry_days),
        "message_id": _message_id(invitation),
    }
    if not pending.update(**changes):
        return None
    for field, value in changes.items():
        setattr(invitation, field, value)
    return token


def _claim_reminder(invitation: Invitation) -> str | None:
    """A handed-out reminder gets its own token (the first link keeps working); storing its
    hash is the claim: a reminder whose hash is set is never sent again."""
    if _unreachable_customer(invitation.customer):
        return None  # consent withdrawn meanwhile: no reminder
    now = timezone.now()
    waiting = Invitation.objects.filter(
        pk=invitation.pk, status=Status.SENT, answered_at__isnull=True,
        reminded_at__isnull=False, reminder_token_hash__isnull=True, expires_at__gt=now)
    token, digest = new_token()
    if not waiting.update(reminder_token_hash=digest, claimed_at=now):
        return None  # answered, expired, or another worker's
    invitation.reminder_token_hash, invitation.claimed_at = digest, now
    return token


def _unreachable_customer(customer: Customer) -> str:
    if not customer.email:
        return NO_EMAIL
    if not customer.email_consent:
        return NO_CONSENT
    return ""


def _message_id(invitation: Invitation) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<nps-{invitation.pk}.{secrets.token_hex(12)}@{domain}>"


def _mark_sent(invitation: Invitation, *, reminder: bool) -> None:
    """Recorded without waiting for the disk (``synchronous_commit`` off): a database crash
    may lose this mark, never the claim before the email, so the invitation is then left
    SENDING (the sweeper's "interrupted"), never sent again."""
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if reminder:
            Invitation.objects.filter(pk=invitation.pk).update(reminded_at=now)
        else:
            Invitation.objects.filter(pk=invitation.pk, status=Status.SENDING).update(
                status=Status.SENT, sent_at=now, attempts=F("attempts") + 1, reason="")


def _backoff(attempt: int) -> int:
    return min(RETRY_BACKOFF * 2 ** max(attempt - 1, 0), RETRY_BACKOFF_MAX)


def _refused_for_good(error: OSError) -> bool:
    """The server refused this address or message permanently (5xx): retrying won't help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _failure_text(error: OSError) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _invitation_failed(invitation: Invitation, error: OSError) -> int | None:
    """Back to PENDING for a retry in the returned seconds, or FAILED (None) for good."""
    claimed = Invitation.objects.filter(pk=invitation.pk, status=Status.SENDING)
    attempts = claimed.values_list("attempts", flat=True).first() or 0
    attempts += 1
    if _refused_for_good(error) or attempts >= MAX_ATTEMPTS:
        claimed.update(status=Status.FAILED, attempts=attempts, failure=_failure_text(error),
                       reason=REFUSED if _refused_for_good(error) else UNREACHABLE)
        return None
    countdown = _backoff(attempts)
    # enqueued_at: when the retry is due, so the sweeper leaves it to the retry till then.
    claimed.update(status=Status.PENDING, attempts=attempts, failure=_failure_text(error),
                   enqueued_at=timezone.now() + dt.timedelta(seconds=countdown))
    return countdown


def _reminder_failed(invitation: Invitation, error: OSError, retries: int) -> int | None:
    """Released for a retry in the returned seconds, or given up (None): the hash stays and
    ``reminded_at`` is cleared, so it is neither sent nor tried again."""
    failure = REMINDER_NOT_SENT + _failure_text(error)
    mine = Invitation.objects.filter(pk=invitation.pk,
                                     reminder_token_hash=invitation.reminder_token_hash)
    if _refused_for_good(error) or retries >= REMINDER_RETRIES:
        mine.update(reminded_at=None, failure=failure)
        return None
    countdown = _backoff(retries + 1)
    mine.update(reminder_token_hash=None, failure=failure,
                enqueued_at=timezone.now() + dt.timedelta(seconds=countdown))
    return countdown


# --- The email -----------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def invitation_email(*, invitation: Invitation, token: str,
                     reminder: bool = False) -> EmailMultiAlternatives:
    """The invitation (or reminder) in the customer's language, English where the survey
    has no wording of its own: HTML and plain text, the eleven scores as one-click links,
    and the RFC 8058 one-click unsubscribe headers."""
    language = customer_language(invitation.language)
    wording = invitation.survey.wording(language)
    unsubscribe_url = absolute_url(reverse("nps:unsubscribe", kwargs={"token": token}))
    context = {
        "language": language,
        "customer_name": invitation.customer.name,
        "question": wording["question"],
        "order_ref": invitation.order.external_ref if invitation.order else "",
        "score_links": [
            {"score": score,
             "url": absolute_url(reverse("nps:answer", kwargs={"token": token, "score": score}))}
            for score in range(11)
        ],
        "unsubscribe_url": unsubscribe_url,
        "expires_at": invitation.expires_at,
    }
    kind = "reminder" if reminder else "invitation"
    with translation.override(language):
        text = render_to_string(f"nps/emails/{kind}/{language}.txt", context)
        subject, _newline, body = text.partition("\n")
        context["subject"] = subject.strip()
        html = render_to_string(f"nps/emails/{kind}/{language}.html", context)
    message = EmailMultiAlternatives(
        subject=subject.strip(), body=body.strip() + "\n", to=[invitation.customer.email],
        headers={
            "Message-ID": invitation.message_id or _message_id(invitation),
            "Content-Language": language,
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# --- The sweeper ---------------------------------------------------------------------------


@register_pending_work("nps invitations")
def requeue_stale_invitations() -> int:
    """Nudges the broker lost: handed-out invitations and reminders waiting too long are
    enqueued again (undispatched ones are the dispatcher's, within the rate). One a worker
    was sending when it died is marked FAILED, not sent blindly a second time."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.PENDING_WORK_STALE_AFTER)
    lost = now - dt.timedelta(seconds=settings.RUNNING_WORK_TIMEOUT)
    Invitation.objects.filter(status=Status.SENDING, claimed_at__lt=lost).update(
        status=Status.FAILED, reason=INTERRUPTED,
        failure="The worker stopped while sending; the email may have arrived.")
    from nps import tasks

    waiting = Q(status=Status.PENDING, claimed_at__isnull=False, enqueued_at__lt=stale)
    requeued = requeue_waiting(
        Invitation, waiting, lambda pk: tasks.send_invitations.delay(invitation_ids=[pk]),
        enqueued_at=now)
    reminders = (Q(status=Status.SENT, answered_at__isnull=True, reminded_at__isnull=False,
                   reminder_token_hash__isnull=True, expires_at__gt=now, enqueued_at__lt=stale,
                   customer__email_consent=True) & ~Q(customer__email=""))
    requeued += requeue_waiting(
        Invitation, reminders,
        lambda pk: tasks.send_invitations.delay(invitation_ids=[pk], reminder=True),
        enqueued_at=now)
    return requeued
