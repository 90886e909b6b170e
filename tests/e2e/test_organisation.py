"""A manager sets up the organisation in the browser: a department, a coordinating team in
it, a member who leads it (the role changed inline), and sees it all on the overview."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cases.models import Team, TeamMembership
from tests.cases.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff():
    UserFactory.manager(username="marco", first_name="Marco", last_name="Ferri")
    return UserFactory.advocate(username="anna", first_name="Anna", last_name="Bianchi")


def test_a_manager_builds_a_coordinating_team_and_sees_it_on_the_overview(
    live_server, staff, browser_page, log_in, screenshot
):
    page = browser_page
    log_in(page, "marco")
    page.locator("summary", has_text="Marco Ferri").click()
    page.get_by_role("link", name="Organisation").click()
    expect(page.get_by_role("heading", name="Organisation", level=1)).to_be_visible()
    expect(page.locator("#teams-coordinating")).to_contain_text("None yet")

    page.get_by_role("link", name="New department").click()
    page.get_by_label("Name").fill("Operations")
    page.get_by_label("Description").fill("Warehouses, carriers and returns")
    page.get_by_role("button", name="Create department").click()
    expect(page.locator(".message--success")).to_have_text(
        "The department “Operations” is created."
    )

    page.get_by_role("link", name="Add a team to Operations").click()
    page.get_by_label("Name").fill("Advocacy office")
    page.get_by_label("Coordinating team").check()
    expect(page.get_by_label("Department")).to_have_value(
        str(page.evaluate("() => new URL(location.href).searchParams.get('department')"))
    )
    page.get_by_label("Team address").fill("office@desk.example")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Advocacy office", level=1)).to_be_visible()

    page.get_by_label("Staff member").select_option(label="Anna Bianchi (anna)")
    page.get_by_role("button", name="Add to the team").click()
    expect(page.locator(".message--success")).to_have_text("Anna Bianchi joins “Advocacy office”.")
    row = page.locator("#members tbody tr")
    expect(row).to_have_count(1)
    row.get_by_label("Role of Anna Bianchi").select_option("lead")
    row.get_by_role("button", name="Set role").click()  # htmx swaps the row in place
    expect(page.locator("#members tbody tr").get_by_role("status")).to_have_text(
        "Anna Bianchi is now lead of “Advocacy office”."
    )
    membership = TeamMembership.objects.get(user=staff)
    assert (membership.role, membership.team.kind) == ("lead", Team.Kind.COORDINATING)
    screenshot(page, "organisation-team")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Organisation"
    ).click()
    department = page.locator(".department", has_text="Operations")
    team_row = department.locator("tr.team")
    expect(team_row).to_contain_text("Advocacy office")
    expect(team_row).to_contain_text("Coordinating team")
    expect(team_row).to_contain_text("Anna Bianchi")
    expect(team_row.locator("td.num")).to_have_text("1")
    expect(page.locator("#teams-coordinating .stat__value")).to_have_text("1")
    expect(page.locator("#staff-without-team")).not_to_contain_text("Anna Bianchi")
    screenshot(page, "organisation")
