"""A manager opens the maturity dashboard, reads the level and what the next level needs,
follows a step to its evidence, then switches the desk to Italian and reads the dashboard
in Italian."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from advocacy.models import MaturitySettings
from cases.models import Case, Team, TeamMembership
from tests.cases.factories import CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def level_one():
    """Level 1 reached (a contact case answered and resolved, one needed); of level 2 only
    the advocacy team is there."""
    now = timezone.now()
    marco = UserFactory.manager(username="marco", first_name="Marco", last_name="Ferri")
    anna = UserFactory.advocate(username="anna", first_name="Anna", last_name="Bianchi")
    team = Team.objects.create(name="Customer advocacy", kind=Team.Kind.ADVOCACY)
    for person in (marco, anna):
        TeamMembership.objects.create(team=team, user=person, joined_at=now - timedelta(days=30))
    Case.objects.create(
        customer=CustomerFactory(name="Giulia Rossi"),
        title="The oven arrived late",
        origin=Case.Origin.CONTACT,
        opened_at=now - timedelta(days=5),
        first_response_at=now - timedelta(days=5),
        resolved_at=now - timedelta(days=2),
        status=Case.Status.RESOLVED,
        outcome=Case.Outcome.RETAINED,
    )
    MaturitySettings.objects.create(pk=1, thresholds={"resolved_cases": "1"})


def test_a_manager_follows_what_the_next_level_needs_to_the_evidence(
    live_server, level_one, browser_page, log_in, screenshot
):
    page = browser_page
    log_in(page, "marco")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()

    expect(page.get_by_role("heading", name="Advocacy maturity", level=1)).to_be_visible()
    expect(page.locator(".maturity-level__number")).to_have_text("Level 1 of 4")
    expect(page.get_by_role("link", name="Maturity")).to_have_attribute("aria-current", "page")
    team_row = page.locator("#criterion-advocacy_team")
    expect(team_row.get_by_role("cell").nth(0)).to_have_text("2")
    expect(team_row).to_contain_text("Met")

    needs = page.get_by_role("region", name="What level 2 needs")
    expect(needs.get_by_role("listitem")).to_have_count(4)  # all but the team
    step = needs.get_by_role("link", name="Review the ranked customer needs")
    expect(step).to_contain_text("0 reviewed in the last 90 days; level 2 needs 3.")
    screenshot(page, "dashboard")

    step.click()

    page.wait_for_url(f"{live_server.url}/feedback/needs/")
    expect(page.get_by_role("heading", name="Customer needs", level=1)).to_be_visible()

    page.go_back()
    menu = page.get_by_test_id("language-menu")
    menu.locator("summary").click()
    menu.get_by_role("button", name="Italiano").click()

    with translation.override("it"):
        heading = translation.gettext("Advocacy maturity")
        evidence = translation.gettext("The evidence, level by level")
        english_step = "Review the ranked customer needs"
        italian_step = translation.gettext(
            "Review the ranked customer needs: %(value)s reviewed in the last 90 days; "
            "level %(level)s needs %(threshold)s."
        ).split(":")[0]
    assert heading != "Advocacy maturity" and italian_step != english_step
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=evidence)).to_be_visible()
    expect(page.get_by_role("link", name=italian_step)).to_be_visible()
    expect(page.get_by_text(english_step)).to_have_count(0)
    screenshot(page, "dashboard-italian")
