"""A customer answers the NPS survey from the email, on a phone: the invitation goes out
over real SMTP, the test takes a score link from the message received, and Chromium
opens it at a phone's size, confirms the score, writes a comment and sends it."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from nps.models import Invitation, Response, Survey
from nps.services import invitations
from tests.cases.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "it-IT"}
TEXTS = {
    "en": {"question": "How likely are you to recommend Casa Forni to a friend or colleague?",
           "follow_up": "What is the main reason for your score?"},
    "it": {"question": "Quanto è probabile che consiglieresti Casa Forni a un amico o a un "
                       "collega?",
           "follow_up": "Qual è il motivo principale del tuo punteggio?"},
}
ANSWER_LINK = re.compile(r"https?://[^\s\"'<>]+/nps/a/([A-Za-z0-9_-]{32})/(\d+)/")


def score_links(message) -> dict[int, str]:
    """Every score link in the email's plain text and HTML, by score."""
    links = {}
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            for match in ANSWER_LINK.finditer(part.get_content()):
                links[int(match.group(2))] = match.group(0)
    return links


def test_a_customer_answers_from_the_email_on_a_phone_in_their_language(
        live_server, settings, smtp_server, new_page, screenshot):
    settings.SITE_URL = live_server.url
    giulia = CustomerFactory(name="Giulia Rossi", email="giulia@trattoria.example",
                             language="it", email_consent=True)
    Survey.objects.create(
        name="Spring campaign", slug="spring", texts=TEXTS, trigger=Survey.Trigger.CAMPAIGN,
        launched_at=timezone.now(),
        review_links=[{"label": "Trustpilot", "url": "https://www.trustpilot.com/review/x"}])

    # Beat's two steps: the campaign's invitations, then handed out to a worker (run
    # in-process here) that emails them over SMTP.
    assert invitations.create_invitations() == {"spring": 1}
    invitations.dispatch_invitations()
    invitation = Invitation.objects.get(customer=giulia)
    assert invitation.status == Invitation.Status.SENT

    (email,) = smtp_server.messages
    assert email["To"] == "giulia@trattoria.example"
    links = score_links(email)
    assert sorted(links) == list(range(11))
    assert all(link.startswith(live_server.url) for link in links.values())

    page = new_page(**PHONE)
    page.goto(links[9])
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXTS["it"]["question"])
    nine = page.get_by_role("radio", name="9", exact=True)
    expect(nine).to_be_checked()
    assert Response.objects.count() == 0  # opening the link records nothing
    for score in (0, 5, 10):  # large enough for a thumb
        box = page.locator(f"label[for=score-{score}]").bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll

    nine.focus()  # the scale works from the keyboard: arrows move the choice
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="10 (estremamente probabile)")).to_be_checked()
    page.keyboard.press("ArrowLeft")
    expect(nine).to_be_checked()

    comment = page.get_by_label(TEXTS["it"]["follow_up"])
    comment.fill("Forno perfetto, consegna puntuale. <b>Grazie!</b>")
    screenshot(page, "nps-answer-phone")
    page.get_by_role("button", name="Invia la mia risposta").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Grazie per la tua risposta")
    expect(page.locator("blockquote")).to_have_text(
        "Forno perfetto, consegna puntuale. <b>Grazie!</b>")  # shown as written, not as HTML
    expect(page.get_by_role("link", name="Scrivi una recensione su Trustpilot")).to_be_visible()
    screenshot(page, "nps-thanks-phone")
    response = Response.objects.get()
    assert (response.invitation_id, response.score, response.category, response.language) == (
        invitation.pk, 9, "promoter", "it")
    assert response.comment == "Forno perfetto, consegna puntuale. <b>Grazie!</b>"
