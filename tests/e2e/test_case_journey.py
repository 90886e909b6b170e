"""A late critical order, from the advocate's case page to a retained customer: the loss,
a remedy above the advocate's authority, a manager's approval, the customer told by email,
the decision brief, the resolution."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import services
from cases.models import Case, CaseEvent, OutboundEmail, Remedy
from tests.cases.factories import (
    PASSWORD,
    CustomerFactory,
    OrderFactory,
    ShipmentEventFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def late_case() -> Case:
    now = timezone.now()
    UserFactory.advocate(username="anna", first_name="Anna", last_name="Bianchi")
    UserFactory.manager(username="marco", first_name="Marco", last_name="Ferri")
    giulia = CustomerFactory(
        name="Giulia Rossi", external_ref="C-1042", email="giulia@trattoria.example",
        company="Trattoria da Giulia", segment="hospitality", value_tier="key",
    )
    oven = OrderFactory(
        customer=giulia, external_ref="WEB-88213", critical=True, value=Decimal("1249.90"),
        ordered_at=now - timedelta(days=9), promised_delivery_at=now - timedelta(days=3),
        expected_delivery_at=now + timedelta(days=1),
    )
    ShipmentEventFactory(order=oven, code="delayed", location="Bologna hub",
                         occurred_at=now - timedelta(hours=5))
    OrderFactory(customer=giulia, external_ref="WEB-87950", ordered_at=now - timedelta(days=40),
                 promised_delivery_at=now - timedelta(days=35),
                 delivered_at=now - timedelta(days=36))
    return services.open_case(
        customer=giulia, origin=Case.Origin.PROACTIVE, kind=Case.Kind.LATE_DELIVERY,
        title="Critical order late: the new oven", orders=[oven],
        description="The carrier missed a connection in Bologna; the oven is three days late.",
        actor_kind=CaseEvent.ActorKind.RULE, actor_label="Late critical order",
    )


def sign_in(page, live_server, username: str, then: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={then}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}{then}")


def test_an_advocate_wins_a_remedy_for_a_late_critical_order(
    live_server, late_case, new_page, screenshot
):
    case_url = late_case.get_absolute_url()
    page = new_page()
    sign_in(page, live_server, "anna", case_url)
    expect(page.get_by_role("heading", name="Critical order late: the new oven")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="WEB-88213")).to_contain_text("Late by 3 days")
    page.get_by_role("button", name="Take this case").click()
    expect(page.locator(".case-facts")).to_contain_text("Anna Bianchi")

    # The loss, in the customer's terms.
    impact = page.locator("#impact")
    impact.get_by_label("Severe: it stopped part of their business").check()
    impact.get_by_label("Money they lost").fill("900")
    impact.get_by_label("Days of disruption").fill("2")
    impact.get_by_label("What it stopped them doing").fill(
        "Reopening night without the oven: 40 covers turned away.")
    impact.get_by_role("button", name="Save the loss").click()
    expect(page.get_by_text("The loss is recorded.")).to_be_visible()
    expect(page.locator("#impact .plain-words")).to_contain_text(
        "Giulia Rossi lost 900.00 EUR and 2 days of normal business.")

    # A remedy above the advocate's authority: the case waits for a manager.
    remedies = page.locator("#remedies")
    expect(remedies).to_contain_text("You decide remedies costing up to 100.00 EUR")
    remedies.get_by_label("Remedy", exact=True).select_option(label="Replacement")
    remedies.get_by_label("Cost to the company").fill("850")
    remedies.get_by_label("What we would do").fill("Courier a replacement oven overnight")
    remedies.get_by_label("Benefit to the customer").fill("Cooking again by Friday")
    remedies.get_by_label("Why this remedy").fill("A key account; 40 covers lost already")
    remedies.get_by_label("I recommend this remedy").check()
    remedies.get_by_role("button", name="Propose").click()
    expect(page.locator(".case-header .case-status")).to_have_text("Awaiting decision")
    expect(page.locator("#remedies")).to_contain_text("Awaiting a manager")

    # A note appears in the timeline without a page load (htmx).
    page.get_by_label("Note for the team").fill("Asked Marco to look at it today.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline .timeline__item").first).to_contain_text(
        "Asked Marco to look at it today.")
    expect(page.get_by_label("Note for the team")).to_have_value("")
    screenshot(page, "case-awaiting-decision")

    # A manager, in another browser, approves it.
    manager = new_page()
    sign_in(manager, live_server, "marco", case_url)
    pending = manager.locator(".remedy--pending")
    pending.get_by_label("Reason").fill("Worth it for a key account.")
    pending.get_by_role("button", name="Approve").click()
    expect(manager.get_by_text("The remedy is approved.")).to_be_visible()
    expect(manager.locator(".remedy").first).to_contain_text("Approved")
    assert Remedy.objects.get().decision == Remedy.Decision.APPROVED

    # The advocate tells the customer, from a template, edited.
    page.reload()
    expect(page.locator(".case-header .case-status")).to_have_text("In progress")
    email = page.locator("#case-email")
    email.get_by_label("Start from").select_option(label="What we are doing to make it right")
    body = page.locator("#case-email").get_by_label("Message")
    expect(body).to_have_value(re.compile("Courier a replacement oven overnight"))
    body.fill(body.input_value() + "\n\nThe courier will call you an hour before.")
    page.locator("#case-email").get_by_role("button", name="Send to the customer").click()
    expect(page.get_by_text("The email is on its way")).to_be_visible()
    sent = page.locator("#timeline .timeline__item--email")
    expect(sent).to_contain_text("Email to the customer")
    expect(sent).to_contain_text("The courier will call you an hour before.")
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
    screenshot(page, "case-page")

    # The decision brief, for the record.
    page.get_by_role("link", name="Decision brief").click()
    expect(page.get_by_role("heading", name="The advocate's recommendation")).to_be_visible()
    brief = page.locator("article.brief")
    expect(brief).to_contain_text("Courier a replacement oven overnight")
    expect(brief).to_contain_text("A key account; 40 covers lost already")
    expect(brief).to_contain_text("Giulia Rossi lost 900.00 EUR and 2 days of normal business.")
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    screenshot(page, "case-brief")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    screenshot(page, "case-brief-print")
    page.emulate_media(media="screen")

    # Resolved, the customer retained.
    page.get_by_role("link", name=re.compile("Back to case")).click()
    resolve = page.locator("#resolve")
    resolve.get_by_label("Retained").check()
    resolve.get_by_label("What was done").fill("Replacement oven delivered overnight.")
    resolve.get_by_label("The customer's reaction").fill("Relieved; booked us for the summer.")
    resolve.get_by_role("button", name="Resolve the case").click()
    expect(page.get_by_text("The case is resolved.")).to_be_visible()
    expect(page.locator(".case-header .case-status")).to_have_text("Resolved")
    expect(page.locator(".case-header")).to_contain_text("Outcome: Retained")
    late_case.refresh_from_db()
    assert (late_case.status, late_case.outcome) == (Case.Status.RESOLVED, Case.Outcome.RETAINED)


def test_on_a_phone_the_case_page_fits_the_screen(live_server, late_case, new_page, screenshot):
    advocate = UserFactory(username="anna")
    services.record_impact(case=late_case, actor=advocate, severity=3, currency="EUR",
                           money_lost=Decimal("900"), disruption_days=Decimal("2"),
                           what_it_stopped="Reopening night without the oven.")
    services.propose_remedy(case=late_case, actor=advocate, kind="replacement",
                            summary="Courier a replacement oven overnight", cost=Decimal("850"),
                            currency="EUR", benefit="Cooking again by Friday", recommended=True)
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    sign_in(page, live_server, "anna", late_case.get_absolute_url())

    expect(page.get_by_role("heading", name="Critical order late: the new oven")).to_be_visible()
    screenshot(page, "case-page-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_without_javascript_notes_and_email_drafts_still_work(live_server, late_case, new_page):
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server, "anna", late_case.get_absolute_url())

    page.get_by_label("Note for the team").fill("Called the carrier: Friday at best.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("The note is added.")).to_be_visible()
    expect(page.locator("#timeline .timeline__item").first).to_contain_text("Friday at best.")

    page.get_by_label("Start from").select_option(label="Your order is late: what we are doing")
    page.get_by_role("button", name="Fill in").click()
    expect(page).to_have_url(re.compile(r"\?template=late_delivery#case-email$"))
    expect(page.locator("#case-email").get_by_label("Message")).to_have_value(
        re.compile("Giulia Rossi"))

    page.get_by_role("link", name="Conversation").click()
    expect(page.locator("#timeline .timeline__item")).to_have_count(1)
