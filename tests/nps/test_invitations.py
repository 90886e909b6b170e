"""Invitations: made set-based under the throttle and consent, handed out within each
survey's rate, emailed once over real SMTP with hashed tokens, one reminder."""

from __future__ import annotations

import datetime as dt
import re
import threading
from email.message import EmailMessage
from urllib.parse import urlsplit

import factory
import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from nps import tokens
from nps.models import Invitation, Survey
from nps.services import invitations
from tests.cases.factories import CustomerFactory, OrderFactory
from tests.mail import MailSink, free_port, smtp_serving

pytestmark = pytest.mark.django_db

Status = Invitation.Status
QUESTION = "How likely are you to recommend us to a friend or colleague?"
TEXTS = {
    "en": {"question": QUESTION, "follow_up": "What is the main reason for your score?"},
    "it": {"question": "Quanto è probabile che ci raccomandi a un amico o a un collega?",
           "follow_up": "Qual è il motivo principale del suo punteggio?"},
    "ro": {"question": "Cât de probabil este să ne recomandați unui prieten sau coleg?",
           "follow_up": ""},
}
SCORE_LINK = re.compile(r"/nps/a/(?P<token>[A-Za-z0-9_-]{32})/(?P<score>\d+)/$")


class ExistingCustomerFactory(CustomerFactory):
    """A customer since yesterday: in the audience of a campaign launched now."""

    created_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))


def make_survey(**fields) -> Survey:
    number = Survey.objects.count() + 1
    defaults = {
        "name": f"Survey {number}", "slug": f"survey-{number}", "texts": TEXTS,
        "trigger": Survey.Trigger.AFTER_DELIVERY, "delay_days": 7,
        "starts_at": timezone.now() - dt.timedelta(days=60),
    }
    return Survey.objects.create(**{**defaults, **fields})


def campaign(**fields) -> Survey:
    return make_survey(trigger=Survey.Trigger.CAMPAIGN, launched_at=timezone.now(), **fields)


def delivered(customer=None, *, days_ago: float = 7.1, **fields):
    """An order delivered ``days_ago`` (a little over a week: due for a 7-day survey)."""
    return OrderFactory(customer=customer or ExistingCustomerFactory(), status="delivered",
                        delivered_at=timezone.now() - dt.timedelta(days=days_ago), **fields)


def send_all(capture, *, now: dt.datetime | None = None) -> dict:
    """The dispatcher's run, with the sends it enqueues run after commit (eager Celery)."""
    with capture(execute=True):
        return invitations.dispatch_invitations(now=now)


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def score_links(message: EmailMessage) -> list[tuple[str, int, str]]:
    """(token, score, aria-label) of each score link in the HTML part."""
    found = []
    for match in re.finditer(r'<a href="([^"]+)" aria-label="([^"]+)"[^>]*>(\d+)</a>',
                             html_of(message)):
        url, label, text = match.groups()
        link = SCORE_LINK.search(urlsplit(url).path)
        assert link, url
        assert int(link["score"]) == int(text)
        found.append((link["token"], int(text), label))
    return found


class ScriptedSink(MailSink):
    """A real SMTP server that fails on cue: the first ``busy`` messages are answered
    "451 try again later", addresses in ``refused`` "550 no such mailbox"."""

    def __init__(self):
        super().__init__()
        self.busy, self.refused = 0, set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.busy:
            self.busy -= 1
            return "451 4.3.0 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def scripted_smtp(settings):
    sink = ScriptedSink()
    with smtp_serving(sink, settings):
        yield sink


# --- Creation: who is asked ---------------------------------------------------------------


def test_orders_delivered_delay_days_ago_are_invited_once_per_customer():
    survey = make_survey(delay_days=7)
    customer = ExistingCustomerFactory()
    older, latest = delivered(customer, days_ago=9), delivered(customer, days_ago=7.5)
    too_recent = delivered(days_ago=6)
    too_old = delivered(days_ago=7 + settings.NPS_DELIVERY_WINDOW_DAYS + 1)
    undelivered = OrderFactory()

    assert invitations.create_invitations() == {survey.slug: 1}

    invitation = Invitation.objects.get()
    assert (invitation.customer, invitation.order, invitation.status) == (
        customer, latest, Status.PENDING)
    assert invitation.language == customer.language
    assert invitation.token_hash is None  # the token is made when it is sent
    assert not Invitation.objects.filter(order__in=[older, too_recent, too_old, undelivered])


def test_orders_delivered_before_the_survey_started_are_not_asked():
    survey = make_survey(starts_at=timezone.now() - dt.timedelta(days=8))
    delivered(days_ago=9)  # before the start
    recent = delivered(days_ago=7.5)

    invitations.create_invitations()

    assert list(Invitation.objects.values_list("order", flat=True)) == [recent.pk]
    assert Invitation.objects.get().survey == survey


def test_surveys_outside_their_window_or_switched_off_or_not_launched_invite_nobody():
    now = timezone.now()
    make_survey(active=False)
    make_survey(starts_at=now + dt.timedelta(days=1))
    make_survey(starts_at=now - dt.timedelta(days=30), ends_at=now - dt.timedelta(days=1))
    make_survey(trigger=Survey.Trigger.CAMPAIGN)  # not launched
    delivered()

    assert invitations.create_invitations() == {}
    assert not Invitation.objects.exists()


def test_the_audience_filters_segment_value_tier_and_language():
    make_survey(segments=["restaurants"], value_tiers=["key", "high"], languages=["it", "ro"])
    asked = delivered(ExistingCustomerFactory(segment="restaurants", value_tier="key",
                                              language="it"))
    for segment, tier, language in (("retail", "key", "it"), ("restaurants", "standard", "it"),
                                    ("restaurants", "high", "en")):
        customer = ExistingCustomerFactory(segment=segment, value_tier=tier, language=language)
        delivered(customer)

    invitations.create_invitations()

    assert list(Invitation.objects.values_list("customer", flat=True)) == [asked.customer_id]


def test_a_campaign_asks_its_audience_as_at_launch_each_customer_once():
    survey = campaign(segments=["retail"])
    audience = ExistingCustomerFactory.create_batch(3, segment="retail")
    ExistingCustomerFactory(segment="restaurants")
    survey.launched_at = timezone.now()
    survey.save()
    CustomerFactory(segment="retail")  # became a customer after the launch

    assert invitations.create_invitations() == {survey.slug: 3}
    assert invitations.create_invitations() == {survey.slug: 0}

    assert {i.customer for i in Invitation.objects.all()} == set(audience)
    assert not Invitation.objects.exclude(order=None).exists()


def test_running_creation_again_makes_no_duplicates():
    make_survey()
    campaign()
    delivered(), delivered()

    invitations.create_invitations()
    first = Invitation.objects.count()
    invitations.create_invitations()

    assert Invitation.objects.count() == first == 2  # the campaign's throttle waits


def test_creation_is_a_fixed_number_of_queries_whatever_the_number_of_customers(
    django_assert_num_queries,
):
    make_survey()
    campaign()
    for _ in range(3):
        delivered()
    # savepoint, (PostgreSQL's advisory lock), surveys, one INSERT … SELECT per survey,
    # release
    queries = 6 if connection.vendor == "postgresql" else 5
    with django_assert_num_queries(queries):
        invitations.create_invitations()
    assert Invitation.objects.count() == 3

    for _ in range(40):
        delivered()
    ExistingCustomerFactory.create_batch(20)
    with django_assert_num_queries(queries):
        invitations.create_invitations()
    assert Invitation.objects.count() == 3 + 40 + 20


# --- The throttle and consent --------------------------------------------------------------


def test_no_customer_is_asked_twice_within_the_throttle_across_surveys():
    first, second = make_survey(throttle_days=90), make_survey(throttle_days=90)
    customer = ExistingCustomerFactory()
    order = delivered(customer)

    invitations.create_invitations()

    assert Invitation.objects.filter(customer=customer).count() == 1
    asked = Invitation.objects.get()
    assert asked.survey == first
    other = campaign(throttle_days=90)
    invitations.create_invitations()
    assert Invitation.objects.filter(customer=customer).count() == 1

    # 91 days later the throttle no longer holds: one survey may ask again, one only.
    Invitation.objects.update(created_at=timezone.now() - dt.timedelta(days=91),
                              status=Status.SENT)
    created = invitations.create_invitations()
    assert created == {first.slug: 0, second.slug: 1, other.slug: 0}
    assert Invitation.objects.filter(customer=customer).count() == 2
    assert Invitation.objects.filter(survey=second, order=order).exists()


def test_each_survey_counts_its_own_throttle_days_against_every_survey():
    strict, relaxed = campaign(throttle_days=90), campaign(throttle_days=30)
    customer = ExistingCustomerFactory()
    Invitation.objects.create(survey=make_survey(), customer=customer, language="en",
                              status=Status.SENT,
                              created_at=timezone.now() - dt.timedelta(days=60))

    created = invitations.create_invitations()

    assert (created[strict.slug], created[relaxed.slug]) == (0, 1)


@pytest.mark.parametrize("status", [Status.SUPPRESSED, Status.FAILED])
def test_invitations_never_sent_do_not_count_against_the_throttle(status):
    customer = ExistingCustomerFactory()
    Invitation.objects.create(survey=make_survey(), customer=customer, language="en",
                              status=status)
    survey = campaign()

    assert invitations.create_invitations()[survey.slug] == 1


def test_customers_without_consent_or_address_are_suppressed_with_the_reason_and_never_emailed(
    smtp_server, django_capture_on_commit_callbacks,
):
    survey = make_survey()
    no_consent = delivered(ExistingCustomerFactory(email_consent=False)).customer
    no_email = delivered(ExistingCustomerFactory(email="", email_consent=True)).customer
    willing = delivered(ExistingCustomerFactory(email="willing@example.com")).customer

    invitations.create_invitations()
    send_all(django_capture_on_commit_callbacks)

    rows = {i.customer: i for i in Invitation.objects.filter(survey=survey)}
    assert (rows[no_consent].status, rows[no_consent].reason) == (
        Status.SUPPRESSED, invitations.NO_CONSENT)
    assert (rows[no_email].status, rows[no_email].reason) == (
        Status.SUPPRESSED, invitations.NO_EMAIL)
    assert rows[no_consent].token_hash is None and rows[no_consent].sent_at is None
    assert rows[willing].status == Status.SENT
    assert [m["To"] for m in smtp_server.messages] == ["willing@example.com"]


def test_consent_withdrawn_before_sending_suppresses_the_invitation(
    smtp_server, django_capture_on_commit_callbacks,
):
    campaign()
    customer = ExistingCustomerFactory()
    invitations.create_invitations()
    customer.email_consent = False  # an unsubscribe from another survey's email
    customer.save()

    send_all(django_capture_on_commit_callbacks)

    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.reason) == (Status.SUPPRESSED, invitations.NO_CONSENT)
    assert smtp_server.messages == []


def test_two_creation_runs_at_once_neither_duplicate_nor_break_the_throttle(
    postgres, transactional_db,
):
    make_survey(), make_survey(), campaign()
    customers = ExistingCustomerFactory.create_batch(30)
    for customer in customers:
        delivered(customer)
    barrier, errors = threading.Barrier(3), []

    def run() -> None:
        try:
            barrier.wait()
            invitations.create_invitations()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    per_customer = Invitation.objects.values_list("customer", flat=True)
    assert sorted(per_customer) == sorted(c.pk for c in customers)


def test_a_run_waits_for_another_runs_invitations_before_applying_the_throttle(
    postgres, transactional_db,
):
    """Two runs a moment apart see different things due: the first asks the customer by the
    campaign, the second (an hour later) would by the delivery. The second waits for the
    first to commit, so its throttle sees the campaign's invitation."""
    now = timezone.now()
    after_delivery, by_campaign = make_survey(delay_days=7), campaign()
    customer = ExistingCustomerFactory()
    delivered(customer, days_ago=7 - 0.5 / 24)  # due in half an hour
    first_done, commit_first = threading.Event(), threading.Event()
    errors = []

    def first_run() -> None:
        try:
            with transaction.atomic():  # holds its invitation uncommitted until told
                invitations.create_invitations(now=now)
                first_done.set()
                commit_first.wait(timeout=30)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            first_done.set()
            connections.close_all()

    def second_run() -> None:
        try:
            invitations.create_invitations(now=now + dt.timedelta(hours=1))
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    first = threading.Thread(target=first_run)
    first.start()
    assert first_done.wait(timeout=30)
    second = threading.Thread(target=second_run)
    second.start()
    second.join(timeout=1.5)
    assert second.is_alive()  # waiting for the first run's lock
    commit_first.set()
    first.join()
    second.join(timeout=30)

    assert errors == []
    assert [(i.survey, i.order) for i in Invitation.objects.filter(customer=customer)] == [
        (by_campaign, None)]
    assert not Invitation.objects.filter(survey=after_delivery).exists()


# --- The email ------------------------------------------------------------------------------


def test_the_email_carries_eleven_one_click_scores_and_one_click_unsubscribe_and_no_plain_token(
    smtp_server, django_capture_on_commit_callbacks, postgres,
):
    survey = make_survey(expiry_days=30)
    order = delivered(ExistingCustomerFactory(name="Ada Lovelace", email="ada@example.com"),
                      external_ref="SO-4711")
    invitations.create_invitations()

    send_all(django_capture_on_commit_callbacks)

    [message] = smtp_server.messages
    invitation = Invitation.objects.get()
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "One question about your order SO-4711"
    assert message["Message-ID"] == invitation.message_id
    links = score_links(message)
    assert [score for _token, score, _label in links] == list(range(11))
    assert [label for _token, _score, label in links] == [f"Score {n} of 10" for n in range(11)]
    token = links[0][0]
    assert {t for t, _score, _label in links} == {token}
    assert tokens.token_hash(token) == invitation.token_hash
    assert len(token) == 32  # 192 bits, urlsafe base64

    unsubscribe = settings.SITE_URL + reverse("nps:unsubscribe", kwargs={"token": token})
    assert message["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{unsubscribe}"' in html_of(message)
    text = text_of(message)
    assert QUESTION in text and unsubscribe in text
    for score in range(11):
        url = settings.SITE_URL + reverse("nps:answer", kwargs={"token": token, "score": score})
        assert f"{score}: {url}" in text

    assert (invitation.status, invitation.attempts) == (Status.SENT, 1)
    assert invitation.expires_at - invitation.sent_at < dt.timedelta(days=30, seconds=5)
    assert invitation.expires_at - invitation.sent_at > dt.timedelta(days=29, hours=23)
    assert invitation.order == order and invitation.survey == survey
    assert tables_holding(token) == []


def tables_holding(text: str) -> list[str]:
    """Every table with a row whose text contains ``text`` (PostgreSQL)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        found = []
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT count(*) FROM {quote(table)} t WHERE t::text LIKE %s",
                           [f"%{text}%"])
            if cursor.fetchone()[0]:
                found.append(table)
    return found


def test_the_html_email_is_self_contained_with_inline_styles_and_large_targets(
    smtp_server, django_capture_on_commit_callbacks,
):
    campaign()
    ExistingCustomerFactory(name='<b>Eve</b> "quoted"')
    invitations.create_invitations()
    send_all(django_capture_on_commit_callbacks)

    html = html_of(smtp_server.messages[0])
    assert "<img" not in html and "<link" not in html and "<style" not in html
    assert "<script" not in html and " src=" not in html
    assert "&lt;b&gt;Eve&lt;/b&gt; &quot;quoted&quot;" in html  # the name is escaped
    for url in re.findall(r'href="([^"]+)"', html):
        assert url.startswith(settings.SITE_URL + "/nps/a/")
    for anchor in re.findall(r'<a href="[^"]+/\d+/" aria-label[^>]+>', html):
        assert "min-width:44px" in anchor and "height:44px" in anchor
    assert '<html lang="en">' in html


@pytest.mark.parametrize(("language", "subject", "question", "label"), [
    ("it", "Una breve domanda per lei", TEXTS["it"]["question"], "Punteggio 7 su 10"),
    ("ro", "O întrebare scurtă pentru dumneavoastră", TEXTS["ro"]["question"],
     "Scorul 7 din 10"),
    ("nb", "Et kort spørsmål til deg", QUESTION, "Poeng 7 av 10"),  # no wording: English
    ("en", "One quick question for you", QUESTION, "Score 7 of 10"),
])
def test_the_email_is_in_the_customers_language_with_the_english_question_as_fallback(
    smtp_server, django_capture_on_commit_callbacks, language, subject, question, label,
):
    campaign()
    ExistingCustomerFactory(language=language)
    invitations.create_invitations()
    send_all(django_capture_on_commit_callbacks)

    [message] = smtp_server.messages
    assert message["Subject"] == subject
    assert message["Content-Language"] == language
    assert question in text_of(message)
    assert f'lang="{language}"' in html_of(message)
    assert score_links(message)[7][2] == label


def test_every_language_has_both_emails(django_capture_on_commit_callbacks):
    customer = ExistingCustomerFactory()
    order = delivered(customer)
    invitation = Invitation.objects.create(
        survey=make_survey(), customer=customer, order=order, language="en",
        expires_at=timezone.now() + dt.timedelta(days=30))
    for language in ("en", "it", "nb", "ro"):
        invitation.language = language
        for reminder in (False, True):
            message = invitations.invitation_email(invitation=invitation, token="t" * 32,
                                                   reminder=reminder)
            html = message.alternatives[0][0]
            assert message.subject and order.external_ref in message.body
            assert "{{" not in message.body and "{%" not in html
            assert html.count("/nps/a/tttttttttttttttttttttttttttttttt/") == 11 + 1


# --- Rate, retries, exactly once ------------------------------------------------------------


def test_the_dispatcher_hands_out_at_most_send_per_minute_in_any_minute(
    smtp_server, django_capture_on_commit_callbacks, settings,
):
    settings.NPS_SEND_BATCH = 2
    slow, fast = campaign(send_per_minute=5, segments=["retail"]), campaign(
        send_per_minute=100, segments=["restaurants"])
    ExistingCustomerFactory.create_batch(12, segment="retail")
    ExistingCustomerFactory.create_batch(4, segment="restaurants")
    invitations.create_invitations()
    now = timezone.now()

    handed = send_all(django_capture_on_commit_callbacks, now=now)
    assert handed == {slow.slug: invitations.Dispatched(5, 0),
                      fast.slug: invitations.Dispatched(4, 0)}
    assert len(smtp_server.messages) == 9

    assert send_all(django_capture_on_commit_callbacks, now=now + dt.timedelta(seconds=30)) == {}
    assert len(smtp_server.messages) == 9

    # A minute after the workers claimed them, the next five may go.
    later = timezone.now() + dt.timedelta(seconds=61)
    handed = send_all(django_capture_on_commit_callbacks, now=later)
    assert handed == {slow.slug: invitations.Dispatched(5, 0)}
    assert len(smtp_server.messages) == 14
    assert Invitation.objects.filter(survey=slow, status=Status.PENDING).count() == 2


def test_a_refused_connection_is_retried_and_the_email_is_sent_once(smtp_server, settings):
    campaign()
    customer = ExistingCustomerFactory()
    invitations.create_invitations()
    invitations.dispatch_invitations()  # handed out; the send runs below, as a worker would
    invitation = Invitation.objects.get(customer=customer)
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there

    with pytest.raises(invitations.RetryLater) as retry:
        invitations.send_invitations(invitation_ids=[invitation.pk])

    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (Status.PENDING, 1)
    assert "ConnectionRefusedError" in invitation.failure
    assert retry.value.remaining == [invitation.pk] and retry.value.countdown == 30
    assert invitation.enqueued_at > timezone.now() + dt.timedelta(seconds=25)
    assert smtp_server.messages == []

    settings.EMAIL_PORT = port
    assert invitations.send_invitations(invitation_ids=[invitation.pk]) == 1
    assert invitations.send_invitations(invitation_ids=[invitation.pk]) == 0  # a redelivery
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (Status.SENT, 2)
    assert len(smtp_server.messages) == 1


def test_the_task_retries_while_the_mail_server_is_busy_and_sends_once(
    scripted_smtp, django_capture_on_commit_callbacks,
):
    """Eager Celery runs a task's retries at once: the server answers "451 try again later"
    twice, then accepts."""
    campaign()
    ExistingCustomerFactory()
    invitations.create_invitations()
    scripted_smtp.busy = 2

    send_all(django_capture_on_commit_callbacks)

    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.attempts) == (Status.SENT, 3)
    assert "451" in invitation.failure  # the last failure is kept for the record
    assert len(scripted_smtp.messages) == 1


def test_after_the_last_attempt_the_invitation_is_failed_with_the_reason(settings):
    campaign()
    ExistingCustomerFactory()
    invitations.create_invitations()
    invitations.dispatch_invitations()
    invitation = Invitation.objects.get()
    Invitation.objects.update(attempts=invitations.MAX_ATTEMPTS - 1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()

    assert invitations.send_invitations(invitation_ids=[invitation.pk]) == 0

    invitation.refresh_from_db()
    assert (invitation.status, invitation.reason) == (Status.FAILED, invitations.UNREACHABLE)
    assert invitation.attempts == invitations.MAX_ATTEMPTS


def test_an_address_refused_for_good_fails_at_once_and_the_batch_goes_on(scripted_smtp):
    campaign()
    gone = ExistingCustomerFactory(email="gone@example.com", external_ref="C-1")
    here = ExistingCustomerFactory(email="here@example.com", external_ref="C-2")
    scripted_smtp.refused.add(gone.email)
    invitations.create_invitations()
    invitations.dispatch_invitations()
    ids = list(Invitation.objects.order_by("customer__external_ref").values_list("pk", flat=True))

    assert invitations.send_invitations(invitation_ids=ids) == 1

    failed = Invitation.objects.get(customer=gone)
    assert (failed.status, failed.reason, failed.attempts) == (
        Status.FAILED, invitations.REFUSED, 1)
    assert "550" in failed.failure
    assert Invitation.objects.get(customer=here).status == Status.SENT
    assert [m["To"] for m in scripted_smtp.messages] == ["here@example.com"]


def test_a_claimed_invitation_is_never_sent_by_a_second_worker(smtp_server):
    campaign()
    ExistingCustomerFactory()
    invitations.create_invitations()
    invitations.dispatch_invitations()
    invitation = Invitation.objects.get()
    Invitation.objects.update(status=Status.SENDING)  # another worker is on it

    assert invitations.send_invitations(invitation_ids=[invitation.pk]) == 0
    assert smtp_server.messages == []


# --- The sweeper ----------------------------------------------------------------------------


def test_the_sweeper_resends_a_lost_nudge_once_but_never_an_interrupted_send(
    smtp_server, django_capture_on_commit_callbacks, settings,
):
    campaign()
    lost, interrupted, undispatched = ExistingCustomerFactory.create_batch(3)
    invitations.create_invitations()
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Invitation.objects.filter(customer=lost).update(claimed_at=long_ago, enqueued_at=long_ago)
    Invitation.objects.filter(customer=interrupted).update(
        status=Status.SENDING, claimed_at=long_ago, token_hash="a" * 64)
    Invitation.objects.filter(customer=undispatched).update(enqueued_at=long_ago)
    settings.RUNNING_WORK_TIMEOUT = 60

    assert invitations.requeue_stale_invitations() == 1  # eager: sent right away
    assert invitations.requeue_stale_invitations() == 0

    assert [m["To"] for m in smtp_server.messages] == [lost.email]
    assert Invitation.objects.get(customer=lost).status == Status.SENT
    stopped = Invitation.objects.get(customer=interrupted)
    assert (stopped.status, stopped.reason) == (Status.FAILED, invitations.INTERRUPTED)
    assert stopped.token_hash == "a" * 64  # if the email did arrive, its link still works
    # Not handed out yet: the dispatcher's, within the rate.
    assert Invitation.objects.get(customer=undispatched).status == Status.PENDING


# --- The reminder ---------------------------------------------------------------------------


def test_one_reminder_with_a_new_link_while_the_first_link_keeps_working(
    smtp_server, django_capture_on_commit_callbacks, client,
):
    survey = campaign(reminder_days=5, expiry_days=30)
    customer = ExistingCustomerFactory(language="it")
    invitations.create_invitations()
    send_all(django_capture_on_commit_callbacks)
    [first] = smtp_server.messages
    first_token = score_links(first)[0][0]

    assert send_all(django_capture_on_commit_callbacks) == {}  # not due yet
    five_days = timezone.now() + dt.timedelta(days=5, minutes=1)
    handed = send_all(django_capture_on_commit_callbacks, now=five_days)

    assert handed == {survey.slug: invitations.Dispatched(0, 1)}
    [_first, reminder] = smtp_server.messages
    assert reminder["Subject"] == "Un promemoria: una domanda, un clic"
    assert reminder["To"] == customer.email
    reminder_token = score_links(reminder)[0][0]
    invitation = Invitation.objects.get()
    assert reminder_token != first_token
    assert tokens.token_hash(reminder_token) == invitation.reminder_token_hash
    assert tokens.token_hash(first_token) == invitation.token_hash
    assert invitation.reminded_at is not None
    assert reminder["List-Unsubscribe"].endswith(f"/nps/a/{reminder_token}/unsubscribe/>")

    # Never a second reminder, however often the dispatcher and the sweeper run.
    ten_days = timezone.now() + dt.timedelta(days=10)
    assert send_all(django_capture_on_commit_callbacks, now=ten_days) == {}
    assert invitations.send_invitations(invitation_ids=[invitation.pk], reminder=True) == 0
    assert invitations.requeue_stale_invitations() == 0
    assert len(smtp_server.messages) == 2

    for token in (first_token, reminder_token):
        page = client.get(reverse("nps:answer", kwargs={"token": token, "score": 9}))
        assert page.status_code == 200
        assert TEXTS["it"]["question"] in page.content.decode()


def test_no_reminder_for_answered_or_expired_invitations_or_surveys_without_one(
    smtp_server, django_capture_on_commit_callbacks,
):
    reminding, silent = campaign(reminder_days=3, segments=["a"]), campaign(segments=["b"])
    answered, expiring, waiting = ExistingCustomerFactory.create_batch(3, segment="a")
    ExistingCustomerFactory(segment="b")
    invitations.create_invitations()
    send_all(django_capture_on_commit_callbacks)
    assert len(smtp_server.messages) == 4
    now = timezone.now()
    Invitation.objects.filter(customer=answered).update(answered_at=now)
    Invitation.objects.filter(customer=expiring).update(expires_at=now + dt.timedelta(days=2))

    handed = send_all(django_capture_on_commit_callbacks, now=now + dt.timedelta(days=3, hours=1))

    assert handed == {reminding.slug: invitations.Dispatched(0, 1)}
    assert smtp_server.messages[-1]["To"] == waiting.email
    assert len(smtp_server.messages) == 5
    assert not Invitation.objects.filter(survey=silent, reminded_at__isnull=False).exists()


@pytest.mark.parametrize("failure", ["refused", "busy"])
def test_a_reminder_that_cannot_be_sent_is_given_up_and_not_tried_again(
    scripted_smtp, django_capture_on_commit_callbacks, failure,
):
    """Refused for good (550): given up at once. Busy (451) on every try: retried
    REMINDER_RETRIES times by the task, then given up."""
    campaign(reminder_days=3)
    customer = ExistingCustomerFactory()
    invitations.create_invitations()
    send_all(django_capture_on_commit_callbacks)
    if failure == "refused":
        scripted_smtp.refused.add(customer.email)
    else:
        scripted_smtp.busy = invitations.REMINDER_RETRIES + 5
    later = timezone.now() + dt.timedelta(days=3, hours=1)

    send_all(django_capture_on_commit_callbacks, now=later)

    invitation = Invitation.objects.get()
    assert invitation.reminded_at is None and invitation.reminder_token_hash
    assert invitation.failure.startswith(invitations.REMINDER_NOT_SENT)
    if failure == "busy":
        assert scripted_smtp.busy == 5 - 1  # the first try and REMINDER_RETRIES retries
    assert send_all(django_capture_on_commit_callbacks, now=later) == {}
    assert invitations.requeue_stale_invitations() == 0
    assert len(scripted_smtp.messages) == 1
    assert Invitation.objects.get().status == Status.SENT  # the invitation itself stands
