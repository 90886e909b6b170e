"""An advocate works the queue from the keyboard: search, move, open; and a bulk change."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import services
from cases.models import Case
from tests.cases.factories import CaseFactory, CustomerFactory, OrderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def make_case(title: str, customer, **fields) -> Case:
    case = CaseFactory(title=title, customer=customer, orders=[], origin=fields.pop("origin"),
                       kind=fields.pop("kind"))
    Case.objects.filter(pk=case.pk).update(**fields)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def queue_data():
    now = timezone.now()
    anna = UserFactory.advocate(username="anna", first_name="Anna", last_name="Bianchi")
    UserFactory.advocate(username="ola", first_name="Ola", last_name="Nordmann")
    giulia = CustomerFactory(name="Giulia Rossi", email="giulia@trattoria.example",
                             segment="hospitality", value_tier="key")
    order = OrderFactory(customer=giulia, external_ref="WEB-88213", critical=True)
    oven = make_case("The new oven missed the weekend opening", giulia, origin="proactive",
                     kind="late_delivery", priority=1, due_at=now - timedelta(hours=5))
    oven.orders.add(order)
    make_case("Invoice charged twice", giulia, origin="contact", kind="billing", priority=2,
              status="in_progress", owner=anna, due_at=now + timedelta(hours=6))
    others = [
        ("Pallet arrived damaged", "damaged_or_lost", "contact", 2, now + timedelta(hours=30)),
        ("Detractor after a late delivery", "detractor", "nps", 3, now + timedelta(days=2)),
        ("Wrong size delivered", "wrong_item", "contact", 3, now + timedelta(days=3)),
        ("Review mentions rude courier", "negative_review", "feedback", 4,
         now + timedelta(days=6)),
    ]
    for number, (title, kind, origin, priority, due_at) in enumerate(others):
        make_case(title, CustomerFactory(name=f"Customer {number}", segment="retail"),
                  origin=origin, kind=kind, priority=priority, due_at=due_at)
    services.add_note(case=oven, text="Chef asked us to call before noon.", actor=anna)
    return {"anna": anna, "oven": oven}


def test_an_advocate_searches_moves_with_j_and_k_and_opens_a_case_with_enter(
    live_server, queue_data, new_page, log_in, screenshot
):
    page = new_page()
    log_in(page, "anna")  # the queue is where the desk opens

    expect(page.get_by_role("heading", name="Case queue", level=1)).to_be_visible()
    rows = page.locator("#case-queue tbody tr")
    expect(rows).to_have_count(6)
    screenshot(page, "queue")

    page.keyboard.press("/")
    search = page.get_by_role("searchbox")
    expect(search).to_be_focused()
    page.keyboard.type("rossi")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/cases/\?q=rossi$"))  # empty filters stay out
    screenshot(page, "queue-search")

    page.keyboard.press("Escape")  # leave the search box; keys move rows again
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bis-current\b"))
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bis-current\b"))
    expect(rows.nth(1)).not_to_have_class(re.compile(r"\bis-current\b"))
    expect(rows.nth(0).get_by_role("link")).to_be_focused()
    screenshot(page, "queue-keyboard")

    page.keyboard.press("Enter")
    oven = queue_data["oven"]
    expect(page).to_have_url(f"{live_server.url}{oven.get_absolute_url()}")


def test_filters_and_a_bulk_assign_update_the_queue_in_place(
    live_server, queue_data, new_page, log_in, screenshot
):
    page = new_page()
    log_in(page, "anna")
    rows = page.locator("#case-queue tbody tr")

    page.get_by_label("Owner", exact=True).select_option("unassigned")
    expect(rows).to_have_count(5)
    expect(page).to_have_url(re.compile(r"/cases/\?owner=unassigned$"))
    expect(page.get_by_label("Status", exact=True)).to_have_value("")

    page.keyboard.press("j")
    page.keyboard.press("x")  # tick the focused row
    page.get_by_label("Tick case").nth(1).check()
    page.get_by_label("Assign to").select_option("me")
    page.get_by_role("button", name="Assign", exact=True).click()

    expect(page.locator("#case-queue .message--success")).to_have_text(
        "2 cases assigned to Anna Bianchi.")
    expect(rows).to_have_count(3)  # the view kept its filter: they are no longer unassigned
    expect(page.get_by_role("link", name=re.compile(r"^Mine"))).to_contain_text("3")
    screenshot(page, "queue-bulk")

    page.get_by_label("Tick every case on this page").check()
    expect(page.get_by_label("Tick case")).to_have_count(3)
    for box in page.get_by_label("Tick case").all():
        expect(box).to_be_checked()
    page.get_by_label("Set status to").select_option("closed")  # not from "new"
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#case-queue .message--warning")).to_have_text(re.compile(
        r"^#\d+, #\d+, #\d+ were not changed: A case that is new cannot be set to closed here"))
    expect(rows).to_have_count(3)
    screenshot(page, "queue-refused")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/cases/")
    expect(rows).to_have_count(6)
    screenshot(page, "queue-phone")


def test_without_javascript_filters_and_bulk_changes_are_plain_forms(
    live_server, queue_data, new_page, log_in, screenshot
):
    page = new_page(java_script_enabled=False)
    log_in(page, "anna")
    rows = page.locator("#case-queue tbody tr")
    expect(page.get_by_text("Keyboard")).to_be_hidden()  # the shortcuts need the script

    page.get_by_label("Priority", exact=True).select_option("2")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/cases/\?.*priority=2"))
    expect(rows).to_have_count(2)

    for row in range(2):
        rows.nth(row).get_by_role("checkbox").check()
    page.get_by_label("Set status to").select_option("awaiting_customer")
    page.get_by_role("button", name="Change status").click()

    expect(page).to_have_url(re.compile(r"/cases/\?.*priority=2"))  # back to the same view
    expect(page.locator(".message--success")).to_have_text(
        "2 cases moved to “Awaiting customer”.")
    expect(rows.get_by_text("Awaiting customer")).to_have_count(2)
    screenshot(page, "queue-no-js")
