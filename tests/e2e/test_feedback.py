"""A manager adds a Trustpilot source, uploads its reviews export, watches the import reach
100 %, opens the customer needs and gives the top need to a department."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cases.models import Department
from feedback.models import FeedbackItem, Need, Theme
from feedback.taxonomy import load_default_taxonomy
from tests.cases.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).resolve().parent.parent / "feedback" / "samples" / "trustpilot_reviews.csv"


def recent_export(folder: Path) -> Path:
    """The sample export with the reviews written in the last days, as a fresh export is."""
    with SAMPLE.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    today = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for number, row in enumerate(rows):
        row["Review Created (UTC)"] = (today - dt.timedelta(days=number + 1)).strftime(
            "%Y-%m-%d %H:%M:%S")
    export = folder / "trustpilot-export.csv"
    with export.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return export


def test_a_manager_imports_trustpilot_reviews_and_assigns_the_top_need(
    live_server, new_page, log_in, screenshot, tmp_path
):
    # The taxonomy a migration loads: transactional tests before this one emptied the tables.
    load_default_taxonomy(Theme)
    UserFactory.manager(username="marco")
    Department.objects.create(name="Logistics")
    page = new_page()
    log_in(page, "marco")

    page.get_by_role("link", name="Feedback").click()
    expect(page.get_by_role("heading", name="Feedback sources", level=1)).to_be_visible()
    page.get_by_role("link", name="Add a source").click()
    page.get_by_label("Name", exact=True).fill("Trustpilot")
    page.get_by_label("Short name").fill("trustpilot")
    page.get_by_label("Platform").select_option("trustpilot")
    page.get_by_role("checkbox", name="Selected").check()
    page.get_by_label("File format").select_option("trustpilot-csv")
    page.get_by_role("button", name="Add the source").click()
    expect(page.locator(".message--success")).to_contain_text("is added")

    page.get_by_label("File", exact=True).set_input_files(str(recent_export(tmp_path)))
    page.get_by_role("button", name="Upload and import").click()
    status = page.locator("#import-progress")
    expect(status.locator("#import-status")).to_have_text("Done")
    expect(page.get_by_label("Progress")).to_have_attribute("value", "100")
    imported = FeedbackItem.objects.count()
    assert imported > 0
    expect(status.locator("#import-imported")).to_have_text(str(imported))
    screenshot(page, "feedback-import")

    page.get_by_role("link", name="Feedback sources").click()
    page.get_by_role("link", name="Customer needs").click()
    expect(page.get_by_role("heading", name="Customer needs", level=1)).to_be_visible()
    top = page.locator("#needs tbody tr").first
    top_need = Need.objects.order_by("-score", "pk").first()
    expect(top.get_by_role("rowheader")).to_contain_text(top_need.theme.name)
    top.get_by_label(f"Owner department of {top_need.theme.name}").select_option(
        label="Logistics")
    top.get_by_role("button", name=f"Save {top_need.theme.name}").click()
    expect(page.locator(".message--success")).to_contain_text("is saved")
    expect(page.locator("#needs tbody tr").first.get_by_label(
        f"Owner department of {top_need.theme.name}")).to_have_value(
        str(Department.objects.get().pk))
    screenshot(page, "feedback-needs")
    top_need.refresh_from_db()
    assert top_need.department.name == "Logistics"
