"""An advocate's first minute: sign in, find a customer, see where their orders stand."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.cases.factories import (
    PASSWORD,
    CustomerFactory,
    OrderFactory,
    ShipmentEventFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk_data():
    now = timezone.now()
    user = UserFactory.advocate(username="anna", first_name="Anna", last_name="Bianchi")
    giulia = CustomerFactory(
        name="Giulia Rossi", external_ref="C-1042", email="giulia@trattoria.example",
        company="Trattoria da Giulia", segment="hospitality", value_tier="key", language="it",
    )
    late = OrderFactory(
        customer=giulia, external_ref="WEB-88213", critical=True, value=Decimal("1249.90"),
        ordered_at=now - timedelta(days=9), promised_delivery_at=now - timedelta(days=3),
        expected_delivery_at=now + timedelta(days=1),
    )
    ShipmentEventFactory(order=late, code="delayed", location="Bologna hub",
                         description="Missed connection", occurred_at=now - timedelta(hours=5))
    OrderFactory(customer=giulia, external_ref="WEB-88390", ordered_at=now - timedelta(days=1),
                 expected_delivery_at=now + timedelta(days=5))
    OrderFactory(customer=giulia, external_ref="WEB-87950", ordered_at=now - timedelta(days=40),
                 promised_delivery_at=now - timedelta(days=35),
                 delivered_at=now - timedelta(days=36))
    OrderFactory(customer=giulia, external_ref="WEB-86002", currency="NOK",
                 value=Decimal("4300"), ordered_at=now - timedelta(days=400),
                 promised_delivery_at=now - timedelta(days=395),
                 delivered_at=now - timedelta(days=393))
    for name in ["Ola Nordmann", "Andrei Popescu", "Marta Ricci", "Sofie Berg"]:
        CustomerFactory(name=name)
    return user


def test_an_advocate_signs_in_finds_a_customer_and_sees_a_late_order(
    live_server, desk_data, browser_page, screenshot
):
    page = browser_page
    page.goto(f"{live_server.url}/customers/")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    screenshot(page, "login")
    page.get_by_label("Username").fill("anna")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", name="Customers", level=1)).to_be_visible()
    expect(page.locator("#customer-table tbody tr")).to_have_count(5)
    screenshot(page, "customer-list-all")

    page.get_by_role("searchbox").fill("rossi")  # htmx swaps the table as one types
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"\?q=rossi"))
    screenshot(page, "customer-list")

    page.get_by_role("link", name="Giulia Rossi").click()
    expect(page.get_by_role("heading", name="Giulia Rossi", level=1)).to_be_visible()
    late_row = page.get_by_role("row").filter(has_text="WEB-88213")
    expect(late_row).to_contain_text("Late by 3 days")
    expect(late_row).to_contain_text("Critical")
    expect(late_row).to_contain_text("Delayed")
    expect(page.get_by_role("row").filter(has_text="WEB-88390")).to_contain_text("At risk")
    expect(page.get_by_role("row").filter(has_text="WEB-87950")).to_contain_text(
        "Delivered on time"
    )
    expect(page.get_by_role("row").filter(has_text="WEB-86002")).to_contain_text(
        "Delivered late by 2 days"
    )
    screenshot(page, "customer-page")


def test_on_a_phone_the_orders_table_scrolls_inside_the_page(
    live_server, desk_data, new_page, log_in, screenshot
):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    log_in(page, "anna")

    page.goto(f"{live_server.url}/customers/C-1042/")

    expect(page.get_by_role("heading", name="Giulia Rossi", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "customer-page-phone")
