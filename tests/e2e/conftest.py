"""Real-browser journeys: headless Chromium (Debian's package) driven by Playwright.

Chromium comes from the system (`apt-get install chromium`), not Playwright's own
download. Without it the browser tests skip, unless REQUIRE_BROWSER=1 (CI), where a
missing browser is a failure. Set SCREENSHOT_DIR to keep screenshots of the pages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# to set up data are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser) -> Iterator[Callable]:
    """Open pages in fresh browser contexts (desktop size unless told otherwise)."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(
            **{"viewport": {"width": 1366, "height": 900}, "locale": "en-GB", **options}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(new_page):
    return new_page()


@pytest.fixture
def screenshot() -> Callable:
    """Save a full-page screenshot under $SCREENSHOT_DIR when it is set (for a human look)."""
    folder = os.environ.get("SCREENSHOT_DIR")

    def take(page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder, f"{name}.png")), full_page=True)

    return take


@pytest.fixture(autouse=True)
def fresh_login_rate_limit() -> None:
    """Journeys sign in more often than the login limit allows one address per minute;
    the limit itself is tested in tests/advocacy/test_login.py."""
    from django.core.cache import caches

    caches["ratelimit"].clear()


@pytest.fixture
def log_in(live_server) -> Callable:
    """Sign a user in through the login page, as a person would."""
    from tests.cases.factories import PASSWORD

    def sign_in(page, username: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/cases/")

    return sign_in
