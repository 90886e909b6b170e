"""Screenshots of the desk's main pages for the README, taken with Playwright.

    make screenshots                                  # a fresh desk with the demo loaded
    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000 \
        [--username manager --password manager-demo] [--answer-url URL]

Without ``--base-url`` the script migrates a temporary SQLite database, runs ``load_demo``,
runs the risk checks once (as beat would), gives one open NPS invitation a known link (so
the customer's answer page can be shown) and starts ``runserver`` on a free port;
everything is thrown away at the end. It logs in as the demo manager and saves each page
as a PNG (1280 x 800, full page up to ``MAX_HEIGHT``; the answer page at phone size) in
``docs/screenshots/``. Chromium is Debian's (``/usr/bin/chromium``; ``CHROMIUM`` names
another).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MAX_HEIGHT = 1700  # long pages are cut here: the top says what the page is


@dataclass(frozen=True)
class Shot:
    name: str  # the file: docs/screenshots/<name>.png
    url_name: str  # the Django URL name of the page (checked by tests/test_screenshots.py)
    path: str  # the address; "{case}" is the demo's combi-oven case, "{answer}" an NPS link
    phone: bool = False
    max_height: int = MAX_HEIGHT


PAGES = [
    Shot("queue", "cases:queue", "/cases/"),
    Shot("case", "cases:case", "/cases/{case}/"),
    Shot("decision-brief", "cases:case-brief", "/cases/{case}/brief/"),
    Shot("customer", "cases:customer", "/customers/DEMO-C001/"),
    Shot("rules", "cases:rules", "/rules/"),
    Shot("feedback-analysis", "feedback:analysis", "/feedback/analysis/"),
    Shot("needs", "feedback:needs", "/feedback/needs/"),
    Shot("nps-reports", "nps:reports", "/nps/reports/"),
    Shot("nps-answer-phone", "nps:answer", "{answer}", phone=True, max_height=1400),
    Shot("advocates", "nps:advocates", "/nps/advocates/"),
    Shot("dashboard", "dashboard", "/dashboard/"),
    Shot("kpis", "dashboard-kpis", "/dashboard/kpis/"),
    Shot("organisation", "cases:organisation", "/organisation/"),
]

# Run inside the temporary desk: one open invitation gets a link we know.
KNOWN_LINK = """
from django.urls import reverse
from django.utils import timezone
from nps import tokens
from nps.models import Invitation
invitation = (Invitation.objects.filter(status="sent", answered_at=None, language="en",
              expires_at__gt=timezone.now()).order_by("-sent_at").first())
token, digest = tokens.new_token()
Invitation.objects.filter(pk=invitation.pk).update(token_hash=digest)
print(reverse("nps:answer", kwargs={"token": token, "score": 9}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own http URL)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"The desk did not answer at {url}") from None
            time.sleep(0.5)


def start_desk(folder: Path) -> tuple[str, str, subprocess.Popen]:
    """A fresh desk on SQLite under ``folder`` with the demo: (base URL, answer path,
    server process)."""
    env = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(VAR_DIR=str(folder), DEBUG="1", MEDIA_ROOT=str(folder / "media"))
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(*args: str) -> str:
        return subprocess.run(  # noqa: S603 (our own manage.py)
            [*manage, *args],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    started = time.monotonic()
    run("migrate", "--verbosity", "0")
    print(run("load_demo").rstrip())
    print(f"(demo loaded in {time.monotonic() - started:.1f} s)")
    run("run_risk_checks")  # what beat does within a minute of `make run`
    answer = run("shell", "--no-imports", "-c", KNOWN_LINK).strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base}/healthz")
    return base, answer, server


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state("networkidle")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"Could not log in as {username}.")


def demo_case(page, base: str) -> str:
    """The demo's combi-oven case, found as a user would: searching the queue."""
    page.goto(f"{base}/cases/?q=combi+oven&status=all")
    for link in page.locator("a[href]").all():
        found = re.fullmatch(r"/cases/(\d+)/", link.get_attribute("href") or "")
        if found:
            return found.group(1)
    raise SystemExit("The demo's combi-oven case is not in the queue: is the demo loaded?")


def shoot(browser, base: str, shot: Shot, path: str, storage: dict) -> Path | None:
    context = browser.new_context(
        viewport=PHONE if shot.phone else DESKTOP,
        device_scale_factor=1,
        locale="en-GB",
        storage_state=None if shot.phone else storage,
        is_mobile=shot.phone,
        has_touch=shot.phone,
    )
    try:
        page = context.new_page()
        response = page.goto(f"{base}{path}")
        if response is None or response.status != 200:
            print(f"  {shot.name}: {path} answered {response and response.status}; skipped")
            return None
        page.wait_for_load_state("networkidle")
        height = page.evaluate("document.documentElement.scrollHeight")
        size = PHONE if shot.phone else DESKTOP
        target = OUT / f"{shot.name}.png"
        page.screenshot(
            path=str(target),
            full_page=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": min(height, shot.max_height)},
        )
        print(
            f"  {shot.name}: {path} -> {target.relative_to(ROOT)} "
            f"({target.stat().st_size // 1024} KB)"
        )
        return target
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="a running desk (default: start a fresh one)")
    parser.add_argument("--username", default="manager")
    parser.add_argument("--password", default="manager-demo")
    parser.add_argument("--answer-url", help="with --base-url: an NPS answer link to show")
    parser.add_argument("--only", nargs="*", help="take only these screenshots (names)")
    options = parser.parse_args()

    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    server, folder = None, None
    try:
        if options.base_url:
            base, answer = options.base_url.rstrip("/"), options.answer_url or ""
            answer = re.sub(r"^https?://[^/]+", "", answer)
        else:
            folder = tempfile.TemporaryDirectory(prefix="desk-screenshots-")
            base, answer, server = start_desk(Path(folder.name))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=DESKTOP, locale="en-GB")
            page = context.new_page()
            log_in(page, base, options.username, options.password)
            case = demo_case(page, base)
            storage = context.storage_state()
            context.close()
            for shot in PAGES:
                if options.only and shot.name not in options.only:
                    continue
                if "{answer}" in shot.path and not answer:
                    print(f"  {shot.name}: no NPS answer link (--answer-url); skipped")
                    continue
                shoot(browser, base, shot, shot.path.format(case=case, answer=answer), storage)
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        if folder is not None:
            folder.cleanup()


if __name__ == "__main__":
    main()
