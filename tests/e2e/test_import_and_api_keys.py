"""An advocate imports the sample CSV; a manager creates an integration key and sees it once."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from cases.models import ApiKey, Order
from tests.cases.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_advocate_imports_the_sample_csv_and_watches_it_finish(
    live_server, new_page, log_in, screenshot
):
    UserFactory.advocate(username="anna")
    page = new_page()
    log_in(page, "anna")

    page.locator(".user-menu:not(.language-menu) summary").click()  # the desk opens on the queue
    page.get_by_role("link", name="Import orders").click()
    expect(page.get_by_role("heading", name="Import orders", level=1)).to_be_visible()
    screenshot(page, "import-new")
    sample = settings.BASE_DIR / "static" / "cases" / "orders-sample.csv"
    page.get_by_label("Orders CSV file").set_input_files(str(sample))
    page.get_by_role("button", name="Upload and import").click()

    status = page.locator("#import-progress")
    expect(status).to_contain_text("Done")
    expect(status).to_contain_text("Every row was imported.")
    expect(page.get_by_label("Progress")).to_have_attribute("value", "100")
    assert Order.objects.count() == 4
    screenshot(page, "import-done")


def test_a_manager_creates_a_key_and_sees_it_only_once(
    live_server, new_page, log_in, screenshot
):
    UserFactory.manager(username="marco")
    page = new_page()
    log_in(page, "marco")

    page.locator("details.user-menu:not(.language-menu) summary").click()
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Webshop")
    page.get_by_label("orders:write").check()
    page.get_by_role("button", name="Create key").click()

    secret = page.locator("#new-key-value")
    expect(secret).to_contain_text("adk_")
    expect(page.get_by_role("button", name="Copy key")).to_be_visible()  # JS shows it
    raw_key = secret.inner_text()
    screenshot(page, "api-key-created")

    page.goto(f"{live_server.url}/settings/api-keys/")
    expect(page.locator("#new-key-value")).to_have_count(0)
    assert raw_key not in page.content()
    prefix = ApiKey.objects.get().prefix
    expect(page.get_by_role("row").filter(has_text="Webshop")).to_contain_text(f"{prefix}…")
    screenshot(page, "api-keys")
