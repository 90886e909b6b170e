"""A manager switches the desk to Italian in the header menu, and it stays Italian: after
signing out and in again, and on a browser that has never seen the choice."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.cases.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def italian(text: str) -> str:
    with translation.override("it"):
        translated = translation.gettext(text)
    assert translated != text, f"{text!r} has no Italian translation in the compiled catalogue"
    return translated


def sign_in(page, username: str) -> None:
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()


def test_a_manager_switches_to_italian_and_it_stays_italian(
    live_server, browser_page, new_page, screenshot
):
    UserFactory.manager(username="marco", first_name="Marco", last_name="Esposito")
    cases_it, customers_it = italian("Cases"), italian("Customers")
    page = browser_page
    page.goto(f"{live_server.url}/cases/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    sign_in(page, "marco")
    nav = page.locator(".main-nav")
    expect(nav.get_by_role("link", name="Cases", exact=True)).to_be_visible()

    menu = page.get_by_test_id("language-menu")
    menu.locator("summary").click()
    menu.get_by_role("button", name="Italiano").click()

    expect(page).to_have_url(re.compile(r"/cases/$"))
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(nav.get_by_role("link", name=cases_it, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name=customers_it, exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Customers", exact=True)).to_have_count(0)
    screenshot(page, "language-italian-queue")

    page.locator(".user-menu:not(.language-menu) summary").click()
    page.locator("form[action='/accounts/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "it")  # this browser remembers
    sign_in(page, "marco")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(nav.get_by_role("link", name=cases_it, exact=True)).to_be_visible()

    other_browser = new_page(locale="en-GB")  # no cookie: the choice comes from the user
    other_browser.goto(f"{live_server.url}/accounts/login/")
    expect(other_browser.locator("html")).to_have_attribute("lang", "en")
    sign_in(other_browser, "marco")
    expect(other_browser).to_have_url(re.compile(r"/cases/$"))
    expect(other_browser.locator("html")).to_have_attribute("lang", "it")
    other_nav = other_browser.locator(".main-nav")
    expect(other_nav.get_by_role("link", name=cases_it, exact=True)).to_be_visible()
    screenshot(other_browser, "language-italian-other-browser")
