"""A manager switches on the late-delivery rule and runs it; the case it opens reaches the
advocate's queue as a proactive case, before the customer has asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case, RiskRule, RuleRun
from tests.cases.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def late_order():
    now = timezone.now()
    UserFactory.advocate(username="anna", first_name="Anna", last_name="Bianchi")
    UserFactory.manager(username="marco", first_name="Marco", last_name="Ferri")
    giulia = CustomerFactory(name="Giulia Rossi", segment="hospitality")
    OrderFactory(customer=CustomerFactory(name="Ola Nordmann"))  # on time: no case
    return OrderFactory(customer=giulia, external_ref="WEB-88213",
                        ordered_at=now - timedelta(days=9),
                        promised_delivery_at=now - timedelta(days=2), delivered_at=None)


def test_a_manager_enables_a_rule_and_the_advocate_sees_its_case_in_the_queue(
    live_server, late_order, new_page, log_in, screenshot
):
    manager = new_page()
    log_in(manager, "marco")
    manager.get_by_role("navigation", name="Main").get_by_role("link", name="Rules").click()
    expect(manager.get_by_role("heading", name="Risk rules", level=1)).to_be_visible()

    rule = manager.locator("#rule-late_delivery")
    expect(rule.get_by_text("No runs yet.")).to_be_visible()
    rule.get_by_role("switch", name="Enabled").check()
    rule.get_by_label("Grace period (hours)").fill("4")
    rule.get_by_role("button", name="Save “Late delivery”").click()

    expect(manager.locator(".message--success")).to_have_text("“Late delivery” is saved.")
    expect(rule.get_by_role("switch", name="Enabled")).to_be_checked()
    expect(rule.get_by_role("alert")).to_contain_text("has never run successfully")
    saved = RiskRule.objects.get(key="late_delivery")
    assert (saved.enabled, saved.params) == (True, {"grace_hours": 4})

    # Celery runs tasks eagerly in tests (tests/conftest.py), in the live server's thread:
    # the button's task runs right after the request commits, as a worker would.
    rule.get_by_role("button", name="Run now").click()
    expect(manager.locator(".message--success")).to_contain_text("is running now")
    runs = rule.locator("tbody tr")
    expect(runs).to_have_count(1)
    expect(runs.first).to_contain_text("Succeeded")
    expect(runs.first.locator("td").nth(9)).to_have_text("1")  # cases opened
    expect(runs.first.locator("td").nth(4)).to_have_text("Full")  # the first run ever
    expect(rule.get_by_role("alert")).to_have_count(0)
    screenshot(manager, "rules")
    assert RuleRun.objects.get().status == RuleRun.Status.SUCCEEDED

    case = Case.objects.get(customer=late_order.customer)
    advocate = new_page()
    log_in(advocate, "anna")
    row = advocate.locator("#case-queue tbody tr", has_text="Giulia Rossi")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=case.title)).to_be_visible()
    expect(row).to_contain_text("Order WEB-88213 is late")
    expect(row).to_contain_text("Proactive rule")
    screenshot(advocate, "rules-queue")

    # Before tightening the rule, the manager replays the past week with a longer grace.
    manager.goto(f"{live_server.url}/rules/")
    backtest = manager.locator("#backtest")
    backtest.get_by_label("Rule").select_option("late_delivery")
    backtest.get_by_label("Parameter overrides").fill("grace_hours=6")
    backtest.get_by_role("button", name="Start the backtest").click()
    expect(manager.get_by_role("heading", name="Backtest #", level=1)).to_be_visible()
    result = manager.locator("#backtest-result")
    expect(result.locator(".status")).to_have_text("Done")  # polls until the worker is done
    late = result.locator('tr[data-rule="late_delivery"] td')
    expect(late.first).to_have_text("1")  # signals: the late order, two days past its promise
    expect(manager.get_by_text("grace_hours=6")).to_be_visible()
    screenshot(manager, "rule-backtest")
