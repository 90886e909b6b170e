"""The customer's answer from the emailed link: a GET records nothing, a POST saves (and
may change the answer until the link expires), bad input is refused on the page, dead
links get one page that reveals nothing, unsubscribing is one click, every page is
rate-limited and in the customer's language, and the comment reaches the feedback
catalogue."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services as desk
from cases.models import Customer, RiskSignal
from feedback.models import FeedbackItem, Source
from nps import tokens
from nps.models import MAX_COMMENT_CHARS, Invitation, Response, Survey
from nps.services import answers
from tests.cases.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

QUESTION = {
    "en": {"question": "How likely are you to recommend Casa Forni to a friend or colleague?",
           "follow_up": "What is the main reason for your score?"},
    "it": {"question": "Quanto è probabile che consiglieresti Casa Forni a un amico o a un "
                       "collega?",
           "follow_up": "Qual è il motivo principale del tuo punteggio?"},
}
REVIEW_LINKS = [{"label": "Trustpilot", "url": "https://www.trustpilot.com/review/casaforni"},
                {"label": "Sneaky", "url": "javascript:alert(1)"}]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def make_survey(**fields) -> Survey:
    number = Survey.objects.count() + 1
    return Survey.objects.create(**{
        "name": f"After delivery {number}", "slug": f"after-delivery-{number}",
        "texts": QUESTION, "review_links": REVIEW_LINKS, **fields})


def invite(*, customer: Customer | None = None, survey: Survey | None = None,
           language: str = "en", expires_in: dt.timedelta = dt.timedelta(days=30),
           **fields) -> tuple[Invitation, str]:
    """An invitation as part A leaves it once sent, and the token of its email's links."""
    token, digest = tokens.new_token()
    now = timezone.now()
    customer = customer or CustomerFactory(language=language)
    invitation = Invitation.objects.create(**{
        "survey": survey or make_survey(), "customer": customer, "language": language,
        "status": Invitation.Status.SENT, "token_hash": digest, "sent_at": now,
        "expires_at": now + expires_in, **fields})
    return invitation, token


def answer_url(token: str, score: int = 7) -> str:
    return reverse("nps:answer", args=[token, score])


def checked_score(html: str) -> list[str]:
    return re.findall(r'<input class="scale__input" type="radio" name="score" '
                      r'id="score-\d+" value="(\d+)" checked>', html)


def post_answer(client: Client, token: str, score, comment: str = "", url_score: int = 7):
    data = {"comment": comment}
    if score is not None:
        data["score"] = score
    return client.post(answer_url(token, url_score), data)


# --- opening a link ------------------------------------------------------------------------


def test_opening_every_score_link_records_nothing_and_selects_that_score(client):
    invitation, token = invite()

    for score in range(11):
        page = client.get(answer_url(token, score))
        assert page.status_code == 200
        assert checked_score(page.content.decode()) == [str(score)]

    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.answered_at is None
    assert invitation.opened_at is not None


def test_opened_at_is_the_first_opening(client):
    invitation, token = invite()
    client.get(answer_url(token, 3))
    invitation.refresh_from_db()
    first = invitation.opened_at

    client.get(answer_url(token, 9))

    invitation.refresh_from_db()
    assert invitation.opened_at == first


def test_the_page_asks_the_survey_question_with_labelled_scores_and_comment_box(client):
    _invitation, token = invite()

    html = client.get(answer_url(token, 8)).content.decode()

    assert "<fieldset" in html and "<legend" in html
    assert QUESTION["en"]["question"] in html
    assert '<label class="field__label" for="comment">' + QUESTION["en"]["follow_up"] in html
    for score in range(11):
        assert f'<label class="scale__label" for="score-{score}">{score}' in html
    assert "not at all likely" in html and "extremely likely" in html
    assert f'maxlength="{MAX_COMMENT_CHARS}"' in html


def test_a_score_link_beyond_ten_opens_the_page_with_nothing_selected(client):
    _invitation, token = invite()

    page = client.get(answer_url(token, 42))

    assert page.status_code == 200
    assert checked_score(page.content.decode()) == []
    assert Response.objects.count() == 0


# --- saving and changing -------------------------------------------------------------------


def test_posting_saves_the_answer_with_the_customers_audience_facts(client):
    customer = CustomerFactory(segment="trade", value_tier=Customer.ValueTier.KEY, language="it")
    invitation, token = invite(customer=customer, language="it")

    page = post_answer(client, token, 8, "  Good oven, a bit slow to arrive.  ")

    assert page.status_code == 302
    assert page["Location"] == reverse("nps:answer-thanks", args=[token])
    response = Response.objects.get()
    assert (response.invitation, response.survey, response.customer) == (
        invitation, invitation.survey, customer)
    assert (response.score, response.category, response.comment) == (
        8, "passive", "Good oven, a bit slow to arrive.")
    assert (response.segment, response.value_tier, response.language) == ("trade", "key", "it")
    assert (response.changes, response.changed_at) == (0, None)
    invitation.refresh_from_db()
    assert invitation.answered_at == response.answered_at


def test_the_customer_may_change_the_answer_until_the_link_expires(client):
    _invitation, token = invite()
    post_answer(client, token, 3, "Late.")

    post_answer(client, token, 9, "Sorted out, thank you.", url_score=3)

    response = Response.objects.get()
    assert (response.score, response.category, response.comment) == (
        9, "promoter", "Sorted out, thank you.")
    assert response.changes == 1
    assert response.changed_at is not None and response.changed_at > response.answered_at


def test_reopening_an_answered_link_shows_the_current_answer_to_change(client):
    _invitation, token = invite()
    post_answer(client, token, 6, "The box was damaged.")

    html = client.get(answer_url(token, 6)).content.decode()

    assert "You answered 6 on" in html
    assert "You can change your answer until" in html
    assert ">The box was damaged.</textarea>" in html
    assert checked_score(html) == ["6"]
    assert "Save my new answer" in html


def test_the_same_post_twice_leaves_one_unchanged_response(client):
    _invitation, token = invite()

    post_answer(client, token, 10, "Great service!")
    second = post_answer(client, token, 10, "Great service!")

    assert second.status_code == 302
    response = Response.objects.get()
    assert (response.score, response.changes, response.changed_at) == (10, 0, None)


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_moment_leave_one_response(postgres):
    invitation, token = invite()
    barrier, results = threading.Barrier(2), []

    def submit(score: int) -> None:
        try:
            barrier.wait()
            results.append(post_answer(Client(), token, score, "Twice").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(score,)) for score in (9, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [302, 302]
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Response.objects.get().changes == 0


def test_an_answer_after_expiry_is_refused_and_not_saved(client):
    invitation, token = invite()
    post_answer(client, token, 5, "First")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1))

    page = post_answer(client, token, 10, "Changed my mind")

    assert page.status_code == 410
    assert Response.objects.get().score == 5


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("score", ["11", "-1", "7.5", "seven", "", None, "99999999999999999999"])
def test_a_score_outside_0_to_10_is_refused_on_the_page(client, score):
    _invitation, token = invite()

    page = post_answer(client, token, score, "My comment stays")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Choose a score from 0 (not at all likely) to 10 (extremely likely)." in html
    assert ">My comment stays</textarea>" in html
    assert Response.objects.count() == 0


def test_the_service_refuses_a_score_outside_the_scale():
    from django.core.exceptions import ValidationError

    invitation, _token = invite()
    for score in (-1, 11, True):
        with pytest.raises(ValidationError) as refused:
            answers.record_answer(invitation=invitation, score=score, comment="")
        assert "score" in refused.value.message_dict
    assert not Response.objects.exists()


def test_an_oversized_comment_is_refused_with_its_length(client):
    _invitation, token = invite()

    page = post_answer(client, token, 4, "x" * (MAX_COMMENT_CHARS + 1))

    assert page.status_code == 200
    assert (f"Your comment is {MAX_COMMENT_CHARS + 1} characters long; please shorten it to "
            f"{MAX_COMMENT_CHARS} characters or fewer.") in page.content.decode()
    assert 'aria-invalid="true"' in page.content.decode()
    assert Response.objects.count() == 0


def test_a_comment_at_the_limit_with_browser_line_ends_is_kept(client):
    _invitation, token = invite()
    lines = ["y" * 99] * 20  # 20 x 99 characters + 19 line ends = 1,999 as the browser counts
    comment = "\r\n".join(lines) + "\x00!"

    post_answer(client, token, 4, comment)

    assert Response.objects.get().comment == "\n".join(lines) + "!"


def test_a_comment_with_html_is_shown_escaped_everywhere(client):
    _invitation, token = invite()
    hostile = '<script>alert("x")</script><b>bold</b>'

    refused = post_answer(client, token, None, hostile).content.decode()
    post_answer(client, token, 10, hostile)
    thanks = client.get(reverse("nps:answer-thanks", args=[token])).content.decode()
    reopened = client.get(answer_url(token, 10)).content.decode()

    for html in (refused, thanks, reopened):
        assert "<script>alert" not in html and "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html


def test_the_answer_form_needs_its_csrf_token():
    _invitation, token = invite()
    client = Client(enforce_csrf_checks=True)

    refused = client.post(answer_url(token, 9), {"score": "9"})

    assert refused.status_code == 403
    page = client.get(answer_url(token, 9))
    csrf = page.cookies[settings.CSRF_COOKIE_NAME].value
    saved = client.post(answer_url(token, 9), {"score": "9", "csrfmiddlewaretoken": csrf})
    assert saved.status_code == 302
    assert Response.objects.get().score == 9


# --- links that lead nowhere ---------------------------------------------------------------


def dead_link_page(html: str) -> bool:
    return "This link no longer works" in html


def test_unknown_and_tampered_tokens_get_the_same_page_revealing_nothing(client):
    invitation, token = invite()
    unknown, _digest = tokens.new_token()
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    pages = [client.get(answer_url(bad, 9)) for bad in
             (unknown, tampered, "not-a-token", token + "x", "%3Cscript%3E")]

    assert {page.status_code for page in pages} == {404}
    bodies = {page.content.decode() for page in pages}
    assert len(bodies) == 1  # unknown and malformed cannot be told apart
    (body,) = bodies
    assert dead_link_page(body)
    for secret in (invitation.customer.name, invitation.customer.email,
                   invitation.survey.name, QUESTION["en"]["question"]):
        assert secret not in body
    invitation.refresh_from_db()
    assert invitation.opened_at is None


def test_an_expired_link_gets_the_friendly_page_with_gone(client):
    invitation, token = invite(expires_in=dt.timedelta(seconds=-1))

    page = client.get(answer_url(token, 9))
    posted = post_answer(client, token, 9, "late answer")

    assert (page.status_code, posted.status_code) == (410, 410)
    assert dead_link_page(page.content.decode())
    assert invitation.customer.name not in page.content.decode()
    assert Response.objects.count() == 0


def test_a_link_without_expiry_expires_by_the_surveys_days(client):
    survey = make_survey(expiry_days=5)
    _fresh, fresh_token = invite(survey=survey, expires_at=None)
    old, old_token = invite(survey=survey, expires_at=None)
    Invitation.objects.filter(pk=old.pk).update(sent_at=timezone.now() - dt.timedelta(days=6))

    assert client.get(answer_url(fresh_token, 9)).status_code == 200
    assert client.get(answer_url(old_token, 9)).status_code == 410


def test_a_closed_survey_takes_no_more_answers(client):
    _invitation, token = invite(survey=make_survey(active=False))

    assert client.get(answer_url(token, 9)).status_code == 410
    assert post_answer(client, token, 9).status_code == 410
    assert Response.objects.count() == 0


def test_the_reminders_link_answers_the_same_invitation(client):
    invitation, _token = invite()
    reminder_token, digest = tokens.new_token()
    Invitation.objects.filter(pk=invitation.pk).update(reminder_token_hash=digest)

    post_answer(client, reminder_token, 2, "Still waiting")

    assert Response.objects.get().invitation == invitation


def test_the_thank_you_page_of_an_unanswered_invitation_is_the_dead_link_page(client):
    _invitation, token = invite()

    page = client.get(reverse("nps:answer-thanks", args=[token]))

    assert page.status_code == 404 and dead_link_page(page.content.decode())


# --- thanks and reviews --------------------------------------------------------------------


def test_a_promoter_is_invited_to_a_public_review(client):
    _invitation, token = invite()

    page = client.get(post_answer(client, token, 10, "Brilliant")["Location"])

    html = page.content.decode()
    assert "Thank you for your answer" in html
    assert "We have your answer: 10 out of 10." in html
    assert 'href="https://www.trustpilot.com/review/casaforni"' in html
    assert "Write a review on Trustpilot" in html
    assert "javascript:" not in html  # a link that is not a web address is left out


@pytest.mark.parametrize("score", [0, 3, 6, 7, 8])
def test_passives_and_detractors_are_never_asked_for_a_review(client, score):
    _invitation, token = invite()

    html = client.get(post_answer(client, token, score)["Location"]).content.decode()

    assert "Thank you for your answer" in html
    assert "trustpilot" not in html.lower()
    assert "Write a review" not in html


# --- unsubscribing -------------------------------------------------------------------------


def test_the_unsubscribe_button_turns_consent_off(client):
    invitation, token = invite()
    url = reverse("nps:unsubscribe", args=[token])

    page = client.get(url)
    assert page.status_code == 200 and "Unsubscribe" in page.content.decode()
    invitation.customer.refresh_from_db()
    assert invitation.customer.email_consent  # looking is not unsubscribing

    done = client.post(url)

    assert done.status_code == 302
    invitation.customer.refresh_from_db()
    assert not invitation.customer.email_consent
    assert "You are unsubscribed" in client.get(url).content.decode()


def test_one_click_unsubscribe_from_the_mail_client_needs_no_csrf_token():
    invitation, token = invite(expires_in=dt.timedelta(days=-3))  # after expiry too
    mail_client = Client(enforce_csrf_checks=True)

    done = mail_client.post(reverse("nps:unsubscribe", args=[token]),
                            "List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded")

    assert done.status_code == 200
    invitation.customer.refresh_from_db()
    assert not invitation.customer.email_consent
    other = CustomerFactory()
    assert Customer.objects.get(pk=other.pk).email_consent  # nobody else's


def test_unsubscribing_with_an_unknown_link_changes_nothing(client):
    invitation, _token = invite()
    unknown, _digest = tokens.new_token()

    page = client.post(reverse("nps:unsubscribe", args=[unknown]),
                       "List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded")

    assert page.status_code == 404
    assert Customer.objects.filter(email_consent=False).count() == 0
    assert invitation.customer.email_consent


# --- rate limiting -------------------------------------------------------------------------


def test_too_many_requests_from_one_address_get_429(client, settings, redis_url):
    assert settings.CACHES["ratelimit"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    settings.NPS_ANSWER_RATE = "4/h"
    _invitation, token = invite()

    statuses = [client.get(answer_url(token, 9)).status_code for _ in range(3)]
    statuses.append(post_answer(client, token, 9).status_code)
    limited = client.get(reverse("nps:answer-thanks", args=[token]))

    assert statuses == [200, 200, 200, 302]
    assert limited.status_code == 429
    assert limited["Retry-After"] == "60"
    assert "Too many requests" in limited.content.decode()
    assert client.post(reverse("nps:unsubscribe", args=[token])).status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.get(answer_url(token, 9)).status_code == 200  # per address


def test_one_click_unsubscribes_count_apart_from_the_pages(client, settings):
    settings.NPS_ANSWER_RATE = "1/h"
    settings.NPS_ONE_CLICK_RATE = "3/h"
    invitations = [invite() for _ in range(4)]
    client.get(answer_url(invitations[0][1], 9))
    assert client.get(answer_url(invitations[0][1], 9)).status_code == 429

    statuses = [client.post(reverse("nps:unsubscribe", args=[token]),
                            "List-Unsubscribe=One-Click",
                            content_type="application/x-www-form-urlencoded").status_code
                for _invitation, token in invitations]

    assert statuses == [200, 200, 200, 429]


# --- languages -----------------------------------------------------------------------------


def test_an_italian_customer_reads_the_page_in_italian(client):
    _invitation, token = invite(language="it")

    page = client.get(answer_url(token, 9), HTTP_ACCEPT_LANGUAGE="en")

    html = page.content.decode()
    assert '<html lang="it">' in html
    assert page["Content-Language"] == "it"
    assert QUESTION["it"]["question"] in html
    assert QUESTION["it"]["follow_up"] in html
    assert "Invia la mia risposta" in html
    assert "0 = per niente probabile" in html


def test_an_italian_customer_is_thanked_and_corrected_in_italian(client):
    _invitation, token = invite(language="it")

    refused = post_answer(client, token, "12").content.decode()
    thanks = client.get(post_answer(client, token, 10)["Location"]).content.decode()

    assert "Scegli un punteggio da 0 (per niente probabile) a 10 (estremamente probabile)." \
        in refused
    assert "Grazie per la tua risposta" in thanks
    # Dates as Italian writes them: the month in lowercase.
    assert re.search(r"\(possibile fino alla scadenza: \d{1,2} [a-z]+ \d{4}\)", thanks)
    reopened = client.get(answer_url(token, 10)).content.decode()
    assert re.search(r"Hai risposto 10 in data \d{1,2} [a-z]+ \d{4}\.", reopened)


@pytest.mark.parametrize(("language", "words"), [
    ("nb", ["Send svaret mitt", "0 = svært lite sannsynlig"]),
    ("ro", ["Trimiteți răspunsul", "0 = deloc probabil"]),
])
def test_a_language_without_the_surveys_wording_keeps_our_words_and_the_english_question(
        client, language, words):
    _invitation, token = invite(language=language)

    html = client.get(answer_url(token, 9)).content.decode()

    assert f'<html lang="{language}">' in html
    assert QUESTION["en"]["question"] in html
    for word in words:
        assert word in html


def test_an_unknown_language_falls_back_to_english(client):
    _invitation, token = invite(language="xx")

    html = client.get(answer_url(token, 9)).content.decode()

    assert '<html lang="en">' in html and "Send my answer" in html


# --- what the pages reveal and load --------------------------------------------------------


def test_pages_reveal_nothing_about_other_customers(client):
    survey = make_survey()
    mine, my_token = invite(survey=survey)
    theirs, their_token = invite(survey=survey, customer=CustomerFactory(name="Ottavia Rossi"))
    post_answer(client, their_token, 2, "Their private complaint about order O-123")
    post_answer(client, my_token, 9, "")

    pages = [client.get(answer_url(my_token, 9)), client.get(
        reverse("nps:answer-thanks", args=[my_token])),
        client.get(reverse("nps:unsubscribe", args=[my_token]))]

    for page in pages:
        html = page.content.decode()
        for secret in ("Ottavia Rossi", theirs.customer.email, theirs.customer.external_ref,
                       "Their private complaint", mine.customer.email,
                       mine.customer.external_ref):
            assert secret not in html


def test_public_pages_load_nothing_from_elsewhere_and_send_safe_headers(client):
    _invitation, token = invite()

    for url in (answer_url(token, 9), reverse("nps:unsubscribe", args=[token]),
                answer_url("not-a-token", 9)):
        page = client.get(url)
        html = page.content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', html)  # no CDN, no web fonts
        assert "<script" not in html
        assert "default-src 'none'" in page["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
        assert page["X-Frame-Options"] == "DENY"
        assert page["Referrer-Policy"] == "strict-origin"
        assert "no-store" in page["Cache-Control"]
        assert page["X-Robots-Tag"] == "noindex, nofollow"
        assert page["X-Content-Type-Options"] == "nosniff"


# --- follow-up and the feedback catalogue --------------------------------------------------


@pytest.mark.parametrize(("score", "language", "comment", "flagged"), [
    (7, "en", "Delivery was late and support was slow and unhelpful.", True),
    (8, "it", "Consegna in ritardo, servizio clienti lento. Deluso.", True),
    (8, "en", "Good product, friendly people.", False),
    (7, "en", "", False),
    (3, "en", "Delivery was late and support was slow and unhelpful.", False),  # a detractor
    (9, "en", "Terrible packaging but I love the oven.", False),  # a promoter
])
def test_a_passive_with_a_negative_comment_is_flagged_for_follow_up(
        client, score, language, comment, flagged):
    _invitation, token = invite(language=language)

    post_answer(client, token, score, comment)

    assert Response.objects.get().follow_up is flagged


def test_a_passive_changing_to_a_kind_comment_is_no_longer_flagged(client):
    _invitation, token = invite()
    post_answer(client, token, 7, "The courier was rude and the box damaged.")
    assert Response.objects.get().follow_up

    post_answer(client, token, 8, "Sorted out quickly, thanks!")

    assert not Response.objects.get().follow_up


def test_the_comment_reaches_the_feedback_catalogue_as_an_nps_survey_item(
        client, django_capture_on_commit_callbacks):
    order = OrderFactory()
    invitation, token = invite(customer=order.customer, order=order)

    with django_capture_on_commit_callbacks(execute=True):
        post_answer(client, token, 4, "Delivery was two weeks late, nobody told us.")

    response = Response.objects.get()
    item = FeedbackItem.objects.get()
    source = item.source
    assert (source.slug, source.platform, source.selected) == (
        "nps-survey", Source.Platform.NPS_SURVEY, True)
    assert item.external_id == f"nps-response-{response.pk}"
    assert item.text == "Delivery was two weeks late, nobody told us."
    assert (item.rating, item.rating_scale, item.rating_normalised) == (4, "0-10", 0.4)
    assert (item.customer, item.order, item.language) == (invitation.customer, order, "en")
    assert item.sentiment < 0
    assert item.item_themes.exists()  # catalogued into the taxonomy (delivery)


def test_a_changed_comment_updates_its_item_and_an_erased_one_leaves(
        client, django_capture_on_commit_callbacks):
    _invitation, token = invite()
    with django_capture_on_commit_callbacks(execute=True):
        post_answer(client, token, 5, "Late delivery.")
    first = FeedbackItem.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        post_answer(client, token, 9, "They called me and fixed it, excellent service.")

    item = FeedbackItem.objects.get()
    assert item.pk == first.pk
    assert (item.text, item.rating) == ("They called me and fixed it, excellent service.", 9)
    assert item.sentiment > 0

    with django_capture_on_commit_callbacks(execute=True):
        post_answer(client, token, 9, "")
    assert not FeedbackItem.objects.exists()


def test_an_answer_without_comment_adds_nothing_to_the_catalogue(
        client, django_capture_on_commit_callbacks):
    _invitation, token = invite()

    with django_capture_on_commit_callbacks(execute=True):
        post_answer(client, token, 10, "")

    assert Response.objects.exists()
    assert not FeedbackItem.objects.exists()


def test_the_catalogue_uses_a_source_of_platform_nps_survey_a_manager_made(
        client, django_capture_on_commit_callbacks):
    ours = Source.objects.create(name="Customer surveys", slug="surveys",
                                 platform=Source.Platform.NPS_SURVEY, selected=True)
    _invitation, token = invite()

    with django_capture_on_commit_callbacks(execute=True):
        post_answer(client, token, 8, "Fine.")

    assert FeedbackItem.objects.get().source == ours
    assert Source.objects.count() == 1


def test_the_sweeper_catalogues_a_comment_whose_nudge_was_lost(
        client, django_capture_on_commit_callbacks):
    _invitation, token = invite()
    with django_capture_on_commit_callbacks(execute=False):  # the broker lost the task
        post_answer(client, token, 6, "Never arrived on time.")
    assert not FeedbackItem.objects.exists()
    assert answers.requeue_uncatalogued_comments() == 0  # not stale yet
    Response.objects.update(answered_at=timezone.now() - dt.timedelta(minutes=10))

    assert answers.requeue_uncatalogued_comments() == 1

    assert FeedbackItem.objects.get().text == "Never arrived on time."
    assert answers.requeue_uncatalogued_comments() == 0  # caught up


def test_an_nps_comment_in_the_catalogue_opens_no_negative_feedback_case(
        client, django_capture_on_commit_callbacks):
    _invitation, token = invite()
    with django_capture_on_commit_callbacks(execute=True):
        post_answer(client, token, 1, "Terrible, the worst delivery ever.")
    assert FeedbackItem.objects.get().customer is not None

    desk.update_rule(key="negative_feedback", changes=desk.RuleSettings(
        enabled=True, params={}, owner_team=None, outreach=False))
    desk.run_enabled_rules(keys=["negative_feedback"])

    assert not RiskSignal.objects.filter(rule__key="negative_feedback").exists()
