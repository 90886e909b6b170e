"""The organisation pages: managers shape departments, teams, memberships and staff
accounts; the services refuse what would break the organisation (duplicates, departments
still owning work, a manager locking themselves out); pages read in a flat number of
queries; advocates and visitors are kept out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from cases.models import ADVOCATES, MANAGERS, Case, Department, RiskRule, Team, TeamMembership
from cases.selectors import organisation as selectors
from cases.services import organisation as services
from feedback.models import Need, Source, Theme
from tests.cases.factories import PASSWORD, CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

XSS = "<script>alert('x')</script>"
XSS_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
OVERVIEW = reverse("cases:organisation")
STAFF = reverse("cases:organisation-staff")


def messages_of(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def case_of(team: Team) -> Case:
    case = CaseFactory()
    Case.objects.filter(pk=case.pk).update(team=team)
    return case


def need_owned_by(department: Department, slug_index: int = 0) -> Need:
    theme = Theme.objects.order_by("pk")[slug_index]
    return Need.objects.create(theme=theme, department=department)


# --- services: departments --------------------------------------------------------------------


def test_a_department_is_created_and_renamed_with_trimmed_names():
    department = services.create_department(name="  Logistics ", description="Warehouses")
    assert (department.name, department.description) == ("Logistics", "Warehouses")
    services.update_department(department=department, name="Logistics and delivery")
    department.refresh_from_db()
    assert department.name == "Logistics and delivery"


def test_department_names_are_unique_regardless_of_case():
    services.create_department(name="Logistics")
    with pytest.raises(ValidationError) as caught:
        services.create_department(name="logistics")
    assert messages_of(caught.value) == {"name": ["A department named “logistics” exists already."]}
    other = services.create_department(name="Sales")
    with pytest.raises(ValidationError) as caught:
        services.update_department(department=other, name="LOGISTICS")
    assert "name" in messages_of(caught.value)
    assert Department.objects.get(pk=other.pk).name == "Sales"


def test_a_department_needs_a_name():
    with pytest.raises(ValidationError) as caught:
        services.create_department(name="   ")
    assert "name" in messages_of(caught.value)
    assert not Department.objects.exists()


def test_a_department_with_teams_needs_or_sources_is_not_deleted():
    department = services.create_department(name="Logistics")
    team = services.create_team(name="Delivery care", department=department)
    need = need_owned_by(department)
    with pytest.raises(ValidationError) as caught:
        services.delete_department(department=department)
    message = caught.value.messages[0]
    assert "“Logistics” cannot be deleted" in message
    assert "teams: 1" in message and "customer needs: 1" in message
    team.delete()
    need.delete()
    Source.objects.filter(department=department).delete()
    source = Source.objects.first()
    if source is not None:  # the platforms come with the migrations
        Source.objects.filter(pk=source.pk).update(department=department)
        with pytest.raises(ValidationError, match="sources: 1"):
            services.delete_department(department=department)
        Source.objects.filter(pk=source.pk).update(department=None)
    services.delete_department(department=department)
    assert not Department.objects.filter(pk=department.pk).exists()


# --- services: teams --------------------------------------------------------------------------


def test_a_team_is_created_edited_and_its_name_kept_unique():
    sales = services.create_department(name="Sales")
    team = services.create_team(
        name="Customer office",
        kind=Team.Kind.COORDINATING,
        department=sales,
        email="office@desk.example",
    )
    assert (team.kind, team.department, team.email) == (
        "coordinating",
        sales,
        "office@desk.example",
    )
    services.update_team(team=team, kind=Team.Kind.ADVOCACY, department=None, email="")
    team.refresh_from_db()
    assert (team.kind, team.department, team.email) == ("advocacy", None, "")
    with pytest.raises(ValidationError) as caught:
        services.create_team(name="CUSTOMER OFFICE")
    assert messages_of(caught.value) == {"name": ["A team named “CUSTOMER OFFICE” exists already."]}


def test_a_team_address_must_be_an_email_and_the_kind_a_known_one():
    with pytest.raises(ValidationError) as caught:
        services.create_team(name="Care", kind="tiger", email="not an address")
    assert set(messages_of(caught.value)) == {"kind", "email"}


def test_a_team_with_open_cases_or_a_rule_routed_to_it_is_not_deleted():
    team = services.create_team(name="Care")
    member = UserFactory.advocate()
    services.add_team_member(team=team, user=member)
    case = case_of(team)
    with pytest.raises(ValidationError, match="1 open cases and 0 risk rules"):
        services.delete_team(team=team)
    Case.objects.filter(pk=case.pk).update(status=Case.Status.RESOLVED, outcome="retained")
    rule = RiskRule.objects.create(key="late_delivery_test", owner_team=team)
    with pytest.raises(ValidationError, match="0 open cases and 1 risk rules"):
        services.delete_team(team=team)
    rule.delete()
    services.delete_team(team=team)
    assert not Team.objects.filter(pk=team.pk).exists()
    assert not TeamMembership.objects.filter(user=member).exists()
    assert Case.objects.get(pk=case.pk).team is None  # the resolved case keeps its history


# --- services: members ------------------------------------------------------------------------


def test_members_are_added_promoted_and_removed():
    team = services.create_team(name="Care")
    anna = UserFactory.advocate(first_name="Anna", last_name="Bianchi")
    membership = services.add_team_member(team=team, user=anna)
    assert membership.role == TeamMembership.Role.MEMBER
    services.set_member_role(membership=membership, role=TeamMembership.Role.LEAD)
    assert TeamMembership.objects.get(pk=membership.pk).role == "lead"
    with pytest.raises(ValidationError):
        services.set_member_role(membership=membership, role="boss")
    services.remove_team_member(membership=membership)
    assert not team.memberships.exists()


def test_a_member_joins_a_team_only_once_and_only_as_active_staff():
    team = services.create_team(name="Care")
    anna = UserFactory.advocate(first_name="Anna", last_name="Bianchi")
    services.add_team_member(team=team, user=anna)
    with pytest.raises(ValidationError) as caught:
        services.add_team_member(team=team, user=anna)
    assert messages_of(caught.value) == {"user": ["Anna Bianchi is in “Care” already."]}
    outsider = UserFactory()
    gone = UserFactory.advocate(is_active=False)
    for user in (outsider, gone):
        with pytest.raises(ValidationError) as caught:
            services.add_team_member(team=team, user=user)
        assert "Only active staff" in messages_of(caught.value)["user"][0]
    assert team.memberships.count() == 1


# --- services: staff accounts -----------------------------------------------------------------


def new_staff(**overrides) -> dict:
    return {
        "username": "lena",
        "first_name": "Lena",
        "last_name": "Berg",
        "email": "lena@desk.example",
        "groups": [ADVOCATES],
        "password": "a-long-and-uncommon-passphrase",
        **overrides,
    }


def test_a_manager_creates_a_staff_account_straight_into_a_team():
    team = services.create_team(name="Care")
    user = services.create_staff_user(**new_staff(), team=team, role="lead")
    assert group_names(user) == {ADVOCATES}
    assert user.check_password("a-long-and-uncommon-passphrase") and user.is_active
    assert team.memberships.get().user == user and team.memberships.get().role == "lead"
    assert Client().login(username="lena", password="a-long-and-uncommon-passphrase")


def test_a_staff_account_is_refused_for_a_taken_name_or_address_or_a_weak_password():
    UserFactory(username="Lena", email="LENA@desk.example")
    with pytest.raises(ValidationError) as caught:
        services.create_staff_user(**new_staff(password="lena"))
    errors = messages_of(caught.value)
    assert errors["username"] == ["The username “lena” is taken."]
    assert errors["email"] == ["Another account uses lena@desk.example."]
    assert errors["password"]  # Django's validators: too short, too similar
    with pytest.raises(ValidationError) as caught:
        services.create_staff_user(**new_staff(username="bad name!", groups=[]))
    assert {"username", "groups"} <= set(messages_of(caught.value))
    assert get_user_model().objects.count() == 1


def test_groups_change_but_a_manager_keeps_their_own_manager_group():
    manager = UserFactory.manager()
    anna = UserFactory.advocate()
    services.set_staff_groups(user=anna, groups=[ADVOCATES, MANAGERS], actor=manager)
    assert group_names(anna) == {ADVOCATES, MANAGERS}
    services.set_staff_groups(user=anna, groups=[MANAGERS], actor=manager)
    assert group_names(anna) == {MANAGERS}
    with pytest.raises(ValidationError) as caught:
        services.set_staff_groups(user=manager, groups=[ADVOCATES], actor=manager)
    assert messages_of(caught.value) == {
        "groups": ["You cannot remove yourself from the managers: ask another manager."]
    }
    with pytest.raises(ValidationError, match="deactivate the account instead"):
        services.set_staff_groups(user=anna, groups=[], actor=manager)
    assert group_names(manager) == {MANAGERS}


def test_a_manager_deactivates_others_but_never_themselves():
    manager = UserFactory.manager()
    anna = UserFactory.advocate()
    services.set_staff_active(user=anna, active=False, actor=manager)
    assert not get_user_model().objects.get(pk=anna.pk).is_active
    with pytest.raises(ValidationError) as caught:
        services.set_staff_active(user=manager, active=False, actor=manager)
    assert messages_of(caught.value) == {"is_active": ["You cannot deactivate your own account."]}


def test_staff_access_changes_both_or_neither():
    manager = UserFactory.manager()
    with pytest.raises(ValidationError) as caught:
        services.update_staff_access(
            user=manager, actor=manager, groups=[ADVOCATES, MANAGERS], active=False
        )
    assert set(messages_of(caught.value)) == {"is_active"}
    assert group_names(manager) == {MANAGERS}  # the group change was rolled back


# --- selectors ----------------------------------------------------------------------------------


def test_the_overview_counts_departments_owning_needs_and_staff_outside_the_advocacy_team():
    logistics = services.create_department(name="Logistics")
    sales = services.create_department(name="Sales")
    services.create_department(name="Finance")
    need_owned_by(logistics, 0)
    need_owned_by(logistics, 1)
    need_owned_by(sales, 2)
    care = services.create_team(name="Care", kind=Team.Kind.ADVOCACY, department=sales)
    office = services.create_team(name="Office", kind=Team.Kind.COORDINATING)
    anna, marco, olga = (UserFactory.advocate() for _ in range(3))
    lead = services.add_team_member(team=care, user=anna, role="lead")
    services.add_team_member(team=office, user=marco)
    CaseFactory(owner=marco)  # outside the advocacy team, working a case
    CaseFactory(owner=anna)
    UserFactory()  # not staff: not counted

    overview = selectors.organisation_overview()

    needs = next(s for s in overview.holdings if s.holding.model_label == "feedback.Need")
    assert (needs.departments, needs.rows) == (2, 3)
    assert [d.name for d in overview.departments] == ["Finance", "Logistics", "Sales"]
    assert [t.name for t in overview.departments[2].team_list] == ["Care"]
    assert overview.departments[2].team_list[0].leads == [lead]
    assert overview.departments[2].team_list[0].member_count == 1
    assert [t.name for t in overview.teams_without_department] == ["Office"]
    assert overview.staff == {
        "staff": 3,
        "without_team": 1,
        "outside_advocacy": 2,
        "outside_advocacy_with_cases": 1,
    }
    assert overview.staff_without_team == [olga]
    kinds = {kind: count for kind, _label, count in overview.teams_by_kind}
    assert kinds == {"advocacy": 1, "coordinating": 1, "other": 0}
    row = next(r for r in overview.departments[1].holding_rows if r[0] == needs.holding)
    assert row[1:] == (2, f"{reverse('feedback:needs')}?department={logistics.pk}")


# --- views: permissions -----------------------------------------------------------------------


def every_page(team: Team, department: Department, membership: TeamMembership, user):
    return [
        ("get", OVERVIEW),
        ("get", STAFF),
        ("get", reverse("cases:organisation-department-new")),
        ("get", reverse("cases:organisation-department-edit", args=[department.pk])),
        ("post", reverse("cases:organisation-department-delete", args=[department.pk])),
        ("get", reverse("cases:organisation-team-new")),
        ("get", reverse("cases:organisation-team", args=[team.pk])),
        ("get", reverse("cases:organisation-team-edit", args=[team.pk])),
        ("post", reverse("cases:organisation-team-delete", args=[team.pk])),
        ("post", reverse("cases:organisation-member-role", args=[membership.pk])),
        ("post", reverse("cases:organisation-member-remove", args=[membership.pk])),
        ("get", reverse("cases:organisation-staff-new")),
        ("get", reverse("cases:organisation-staff-edit", args=[user.pk])),
    ]


def test_advocates_get_403_and_visitors_are_sent_to_log_in(advocate_client, advocate, client):
    department = services.create_department(name="Sales")
    team = services.create_team(name="Care", department=department)
    membership = services.add_team_member(team=team, user=advocate)
    pages = every_page(team, department, membership, advocate)
    for method, url in pages:
        assert getattr(advocate_client, method)(url, {"role": "lead"}).status_code == 403, url
    anonymous = Client()
    for method, url in pages:
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url, url
    assert Team.objects.filter(pk=team.pk).exists()
    assert TeamMembership.objects.get(pk=membership.pk).role == "member"


def test_the_user_menu_links_managers_to_the_organisation(manager_client, advocate_client):
    link = f'href="{OVERVIEW}"'
    assert link in manager_client.get(reverse("cases:queue")).content.decode()
    assert link not in advocate_client.get(reverse("cases:queue")).content.decode()


# --- views: departments and teams -------------------------------------------------------------


def test_a_manager_creates_edits_and_deletes_a_department(manager_client):
    response = manager_client.post(
        reverse("cases:organisation-department-new"), {"name": "Logistics", "description": "Trucks"}
    )
    assert response.status_code == 302 and response.url == OVERVIEW
    department = Department.objects.get(name="Logistics")
    page = manager_client.get(OVERVIEW).content.decode()
    assert "Logistics" in page and "The department “Logistics” is created." in page
    edit = reverse("cases:organisation-department-edit", args=[department.pk])
    assert 'value="Logistics"' in manager_client.get(edit).content.decode()
    manager_client.post(edit, {"name": "Logistics", "description": "Trucks and vans"})
    assert Department.objects.get(pk=department.pk).description == "Trucks and vans"
    response = manager_client.post(
        reverse("cases:organisation-department-delete", args=[department.pk]), follow=True
    )
    assert "The department “Logistics” is deleted." in response.content.decode()
    assert not Department.objects.exists()


def test_deleting_a_department_that_owns_needs_shows_why_not(manager_client):
    department = services.create_department(name="Logistics")
    need_owned_by(department)
    response = manager_client.post(
        reverse("cases:organisation-department-delete", args=[department.pk]), follow=True
    )
    page = response.content.decode()
    assert "cannot be deleted while something refers to it (customer needs: 1)" in page
    assert Department.objects.filter(pk=department.pk).exists()


def test_a_duplicate_department_name_is_shown_on_the_field(manager_client):
    services.create_department(name="Logistics")
    response = manager_client.post(
        reverse("cases:organisation-department-new"), {"name": "LOGISTICS"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="field field--invalid"' in page
    assert "A department named “LOGISTICS” exists already." in page
    assert Department.objects.count() == 1


def test_a_manager_creates_a_coordinating_team_in_a_department(manager_client):
    department = services.create_department(name="Operations")
    form_page = manager_client.get(
        reverse("cases:organisation-team-new"), {"department": department.pk}
    ).content.decode()
    assert f'<option value="{department.pk}" selected>' in form_page
    response = manager_client.post(
        reverse("cases:organisation-team-new"),
        {
            "name": "Advocacy office",
            "kind": "coordinating",
            "department": department.pk,
            "email": "office@desk.example",
        },
    )
    team = Team.objects.get(name="Advocacy office")
    assert response.url == reverse("cases:organisation-team", args=[team.pk])
    assert (team.kind, team.department, team.email) == (
        "coordinating",
        department,
        "office@desk.example",
    )
    response = manager_client.post(
        reverse("cases:organisation-team-edit", args=[team.pk]),
        {"name": "Advocacy office", "kind": "other", "department": "", "email": "nope"},
    )
    assert "Enter a valid email address." in response.content.decode()
    assert Team.objects.get(pk=team.pk).kind == "coordinating"


def test_deleting_a_team_with_open_cases_is_refused_with_a_message(manager_client):
    team = services.create_team(name="Care")
    case_of(team)
    response = manager_client.post(
        reverse("cases:organisation-team-delete", args=[team.pk]), follow=True
    )
    assert "“Care” cannot be deleted while 1 open cases" in response.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()


def test_the_overview_escapes_names_and_links_needs_by_department(manager_client):
    department = services.create_department(name=XSS, description=XSS)
    services.create_team(name=f"team {XSS}", department=department)
    need_owned_by(department)
    page = manager_client.get(OVERVIEW).content.decode()
    assert XSS not in page and XSS_ESCAPED in page
    assert f"?department={department.pk}" in page


# --- views: members ---------------------------------------------------------------------------


def test_a_manager_adds_a_member_changes_the_role_and_removes_them(manager_client):
    team = services.create_team(name="Care")
    anna = UserFactory.advocate(first_name="Anna", last_name="Bianchi")
    UserFactory(username="outsider", first_name="Out", last_name="Sider")  # not staff
    team_url = reverse("cases:organisation-team", args=[team.pk])
    page = manager_client.get(team_url).content.decode()
    assert "Anna Bianchi" in page and "Out Sider" not in page  # only staff to choose from
    response = manager_client.post(team_url, {"user": anna.pk, "role": "member"})
    assert response.status_code == 302
    membership = team.memberships.get()
    role_url = reverse("cases:organisation-member-role", args=[membership.pk])
    response = manager_client.post(role_url, {"role": "lead"})
    assert response.status_code == 302 and response.url == team_url
    assert TeamMembership.objects.get(pk=membership.pk).role == "lead"
    page = manager_client.get(team_url).content.decode()
    assert "Anna Bianchi is now lead of “Care”." in page
    manager_client.post(reverse("cases:organisation-member-remove", args=[membership.pk]))
    assert not team.memberships.exists()


def test_the_role_changes_inline_with_htmx(manager_client):
    team = services.create_team(name="Care")
    membership = services.add_team_member(
        team=team, user=UserFactory.advocate(first_name="Anna", last_name="Bianchi")
    )
    response = manager_client.post(
        reverse("cases:organisation-member-role", args=[membership.pk]),
        {"role": "lead"},
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert response.status_code == 200
    assert fragment.strip().startswith(f'<tr id="membership-{membership.pk}"')
    assert '<option value="lead" selected>' in fragment
    assert "Anna Bianchi is now lead of “Care”." in fragment
    assert "<html" not in fragment
    assert TeamMembership.objects.get(pk=membership.pk).role == "lead"


def test_adding_someone_already_in_the_team_is_refused_on_the_field(manager_client):
    team = services.create_team(name="Care")
    anna = UserFactory.advocate()
    services.add_team_member(team=team, user=anna)
    response = manager_client.post(
        reverse("cases:organisation-team", args=[team.pk]), {"user": anna.pk, "role": "member"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "field--invalid" in page
    assert "Select a valid choice." in page  # members are not offered again
    assert team.memberships.count() == 1


# --- views: staff ------------------------------------------------------------------------------


def test_a_manager_onboards_a_new_advocate_into_a_team(manager_client):
    team = services.create_team(name="Care")
    url = reverse("cases:organisation-staff-new")
    assert (
        f'<option value="{team.pk}" selected>'
        in manager_client.get(url, {"team": team.pk}).content.decode()
    )
    response = manager_client.post(
        url,
        {
            "username": "lena",
            "first_name": "Lena",
            "last_name": "Berg",
            "email": "lena@desk.example",
            "groups": [ADVOCATES],
            "password": "a-long-and-uncommon-passphrase",
            "team": team.pk,
            "role": "member",
        },
    )
    assert response.url == reverse("cases:organisation-team", args=[team.pk])
    lena = get_user_model().objects.get(username="lena")
    assert group_names(lena) == {ADVOCATES} and team.memberships.get().user == lena
    staff_page = manager_client.get(STAFF).content.decode()
    assert "Lena Berg" in staff_page and "lena@desk.example" in staff_page


def test_a_weak_initial_password_is_shown_on_its_field(manager_client):
    response = manager_client.post(
        reverse("cases:organisation-staff-new"),
        {
            "username": "lena",
            "first_name": "Lena",
            "email": "lena@desk.example",
            "groups": [ADVOCATES],
            "password": "12345678",
            "role": "member",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This password is entirely numeric." in page
    assert not get_user_model().objects.filter(username="lena").exists()


def test_a_manager_makes_an_advocate_a_manager_and_deactivates_another(manager_client):
    anna = UserFactory.advocate()
    olga = UserFactory.advocate()
    manager_client.post(
        reverse("cases:organisation-staff-edit", args=[anna.pk]),
        {"groups": [ADVOCATES, MANAGERS], "is_active": "on"},
    )
    assert group_names(anna) == {ADVOCATES, MANAGERS}
    manager_client.post(
        reverse("cases:organisation-staff-edit", args=[olga.pk]), {"groups": [ADVOCATES]}
    )
    assert not get_user_model().objects.get(pk=olga.pk).is_active
    assert not Client().login(username=olga.username, password=PASSWORD)


def test_a_manager_cannot_demote_or_deactivate_themselves(manager_client, manager):
    response = manager_client.post(
        reverse("cases:organisation-staff-edit", args=[manager.pk]), {"groups": [ADVOCATES]}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "You cannot remove yourself from the managers: ask another manager." in page
    assert "You cannot deactivate your own account." in page
    manager.refresh_from_db()
    assert group_names(manager) == {MANAGERS} and manager.is_active


def test_the_needs_list_filters_by_department(manager_client):
    logistics = services.create_department(name="Logistics")
    sales = services.create_department(name="Sales")
    mine = need_owned_by(logistics, 0)
    theirs = need_owned_by(sales, 1)
    page = manager_client.get(
        reverse("feedback:needs"), {"department": logistics.pk}
    ).content.decode()
    assert mine.get_absolute_url() in page and theirs.get_absolute_url() not in page
    assert "The needs Logistics owns." in page
    page = manager_client.get(reverse("feedback:needs"), {"department": "x"}).content.decode()
    assert mine.get_absolute_url() in page and theirs.get_absolute_url() in page


# --- query counts ---------------------------------------------------------------------------------


def build_organisation(size: int) -> Team:
    """``size`` departments, each with two teams of three members, a lead and a need."""
    team = None
    for number in range(size):
        department = services.create_department(name=f"Department {number}")
        need_owned_by(department, number)
        for kind in (Team.Kind.ADVOCACY, Team.Kind.COORDINATING):
            team = services.create_team(name=f"{kind} {number}", kind=kind, department=department)
            for role in ("lead", "member", "member"):
                user = UserFactory.advocate()
                services.add_team_member(team=team, user=user, role=role)
                CaseFactory(owner=user)
    UserFactory.advocate()  # without a team
    return team


@pytest.mark.parametrize(
    ("url_of", "queries"),
    [
        # session, user+groups; departments, teams, their leads, staff figures, staff without team
        (lambda team: OVERVIEW, 7),
        # session, user+groups; team, its leads, its members, the staff to choose from
        (lambda team: reverse("cases:organisation-team", args=[team.pk]), 6),
        # session, user+groups; staff figures, staff, their groups, their teams
        (lambda team: STAFF, 6),
    ],
    ids=["overview", "team", "staff"],
)
def test_the_pages_take_the_same_queries_for_a_bigger_organisation(
    manager_client,
    django_assert_num_queries,
    url_of,
    queries,
):
    team = build_organisation(1)
    with django_assert_num_queries(queries):
        assert manager_client.get(url_of(team)).status_code == 200
    team = build_organisation_more(team)
    with django_assert_num_queries(queries):
        assert manager_client.get(url_of(team)).status_code == 200


def build_organisation_more(team: Team) -> Team:
    """More departments, teams and members, and more members in the team on the page."""
    for number in range(1, 5):
        department = services.create_department(name=f"More {number}")
        need_owned_by(department, number)
        other = services.create_team(name=f"More team {number}", department=department)
        for _ in range(3):
            services.add_team_member(team=other, user=UserFactory.advocate(), role="lead")
    for _ in range(4):
        services.add_team_member(team=team, user=UserFactory.advocate())
    return team
