"""The advocacy maturity model: each criterion at its boundary on hand-built data, the
level as the evidence changes, the thresholds managers set, the dashboard's access and
query count, and the monthly snapshots beat and the command store."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy import maturity, services
from advocacy.maturity import evaluate_maturity
from advocacy.models import MaturitySettings, MaturitySnapshot
from advocacy.tasks import refresh_maturity
from cases.models import Case, CaseEvent, Customer, Department, Order, Team, TeamMembership
from feedback.models import FeedbackItem, ItemTheme, Need, NeedChange, Source, Theme
from nps.models import AdvocateProfile, CareAction, Invitation, Response, Survey, category_of
from tests.cases.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
NOW = timezone.now()
INSIDE = NOW - 10 * DAY  # well inside the 90-day window ending now
OUTSIDE = NOW - 91 * DAY  # just before it
_numbers = itertools.count(1)


def result(key: str, threshold: float | None = None, *, as_of: dt.datetime = NOW):
    """The criterion's result under ``threshold`` (its default when None)."""
    thresholds = maturity.default_thresholds()
    if threshold is not None:
        thresholds[key] = Decimal(str(threshold))
    found = evaluate_maturity(as_of=as_of, thresholds=thresholds)
    return next(row for row in found.results if row.key == key)


def assert_boundary(key: str, value: float) -> None:
    """Met when the threshold equals the measured value, not met just above it."""
    at = result(key, value)
    assert at.value == pytest.approx(value)
    assert at.met, f"{key}: {value} should meet a threshold of {value}"
    step = 1 if maturity.BY_KEY[key].unit == maturity.COUNT else 0.1
    assert not result(key, value + step).met


# --- builders ------------------------------------------------------------------------------


def customer() -> Customer:
    return CustomerFactory()


def case(*, opened_at=INSIDE, origin=Case.Origin.MANUAL, resolved_at=None, **fields) -> Case:
    return Case.objects.create(
        customer=customer(),
        title="A case",
        origin=origin,
        opened_at=opened_at,
        resolved_at=resolved_at,
        outcome=Case.Outcome.RETAINED if resolved_at else "",
        status=Case.Status.RESOLVED if resolved_at else Case.Status.NEW,
        **fields,
    )


def member(kind: str, *, joined_at=INSIDE, team: Team | None = None, active: bool = True):
    team = team or Team.objects.create(name=f"Team {next(_numbers)}", kind=kind)
    user = UserFactory(is_active=active)
    TeamMembership.objects.create(team=team, user=user, joined_at=joined_at)
    return user, team


def source(*, selected: bool = True) -> Source:
    number = next(_numbers)
    return Source.objects.create(
        name=f"Source {number}", slug=f"source-{number}", selected=selected
    )


def item(src: Source, *, posted_at=INSIDE, themes: tuple = (), removed: bool = False):
    found = FeedbackItem.objects.create(
        source=src,
        content_hash=f"h{next(_numbers)}",
        text="The delivery was late",
        posted_at=posted_at,
    )
    for theme in themes:
        ItemTheme.objects.create(
            item=found,
            theme=theme,
            origin=ItemTheme.Origin.REMOVED if removed else ItemTheme.Origin.CATALOGUE,
        )
    return found


def theme() -> Theme:
    number = next(_numbers)
    return Theme.objects.create(name=f"Theme {number}", slug=f"theme-test-{number}")


def need(*, department: Department | None = None) -> Need:
    return Need.objects.create(theme=theme(), department=department)


def department() -> Department:
    return Department.objects.create(name=f"Department {next(_numbers)}")


def change(need_: Need, *, field: str = "status", changed_at=INSIDE, actor=True) -> None:
    NeedChange.objects.create(
        need=need_,
        field=field,
        changed_at=changed_at,
        actor=UserFactory() if actor else None,
        old="New",
        new="Planned",
    )


def answers(scores: list[int], *, answered_at=INSIDE) -> None:
    """One answer per score, each from its own customer and invitation (bulk)."""
    survey = Survey.objects.get_or_create(
        slug="test-survey",
        defaults={"name": "Test", "texts": {"en": {"question": "Recommend us?"}}},
    )[0]
    people = Customer.objects.bulk_create(
        [Customer(external_ref=f"N-{next(_numbers)}", name="Asked") for _ in scores]
    )
    invitations = Invitation.objects.bulk_create(
        [
            Invitation(survey=survey, customer=person, language="en", status="sent")
            for person in people
        ]
    )
    Response.objects.bulk_create(
        [
            Response(
                invitation=invitation,
                survey=survey,
                customer=invitation.customer,
                score=score,
                category=category_of(score),
                language="en",
                answered_at=answered_at,
            )
            for invitation, score in zip(invitations, scores, strict=True)
        ]
    )


def advocate(*, confirmed_at=OUTSIDE, status=AdvocateProfile.Status.CONFIRMED):
    return AdvocateProfile.objects.create(
        customer=customer(), status=status, confirmed_at=confirmed_at
    )


def care(profile: AdvocateProfile, practice: str = "appreciation", *, done_on=None) -> None:
    CareAction.objects.create(
        advocate=profile,
        practice=practice,
        done_on=done_on or timezone.localdate(INSIDE),
        description="Thanks",
    )


def orders(person: Customer, *moments: dt.datetime) -> None:
    Order.objects.bulk_create(
        [
            Order(
                external_ref=f"R-{next(_numbers)}",
                customer=person,
                value=Decimal(10),
                currency="EUR",
                ordered_at=moment,
            )
            for moment in moments
        ]
    )


# --- level 1 -------------------------------------------------------------------------------


def test_resolved_cases_count_the_window_only():
    case(resolved_at=INSIDE)
    case(resolved_at=NOW - DAY)
    case(opened_at=OUTSIDE - DAY, resolved_at=OUTSIDE)  # resolved before the window
    case()  # open

    assert_boundary("resolved_cases", 2)


def test_contacts_answered_is_the_share_of_contact_cases_with_a_first_response():
    for answered in (True, True, True, False):
        case(origin=Case.Origin.CONTACT, first_response_at=INSIDE + DAY if answered else None)
    case(origin=Case.Origin.CONTACT, opened_at=OUTSIDE)  # unanswered, but before the window
    case(origin=Case.Origin.MANUAL)  # not a contact

    assert_boundary("contacts_answered", 75)


def test_no_contact_case_is_no_data_and_not_met():
    found = result("contacts_answered", 0)

    assert found.value is None
    assert not found.met
    assert found.value_text == "no data"


# --- level 2 -------------------------------------------------------------------------------


def test_advocacy_team_counts_active_members_who_had_joined():
    user, team = member(Team.Kind.ADVOCACY)
    member(Team.Kind.ADVOCACY, team=team)
    member(Team.Kind.ADVOCACY, team=team, active=False)
    member(Team.Kind.ADVOCACY, team=team, joined_at=NOW + DAY)  # after the evaluation
    member(Team.Kind.COORDINATING)
    TeamMembership.objects.create(
        team=Team.objects.create(name="Second", kind="advocacy"), user=user, joined_at=INSIDE
    )  # counted once

    assert_boundary("advocacy_team", 2)


def test_sources_collected_are_selected_sources_with_feedback_in_the_window():
    for _ in range(3):
        item(source())
    item(source(selected=False))
    item(source(), posted_at=OUTSIDE)
    source()  # selected, nothing collected

    assert_boundary("sources_collected", 3)


def test_feedback_catalogued_is_the_share_of_window_items_with_a_theme():
    src, topic = source(), theme()
    for _ in range(4):
        item(src, themes=(topic,))
    item(src)
    item(src, themes=(topic,), removed=True)  # an advocate removed its only theme
    item(src, posted_at=OUTSIDE)
    item(source(selected=False))  # not a selected source

    assert_boundary("feedback_catalogued", 66.7)


def test_needs_reviewed_are_needs_a_person_changed_in_the_window():
    for field in ("status", "department", "note"):
        change(need(), field=field)
    reviewed_twice = need()
    change(reviewed_twice)
    change(reviewed_twice, field="note")
    change(need(), changed_at=OUTSIDE)
    change(need(), actor=False)  # no person behind it
    need()

    assert_boundary("needs_reviewed", 4)


def test_nps_measured_counts_the_window_answers():
    answers([10, 9, 3])
    answers([8], answered_at=OUTSIDE)

    assert_boundary("nps_measured", 3)


# --- level 3 -------------------------------------------------------------------------------


def test_coordinating_team_counts_its_members():
    _user, team = member(Team.Kind.COORDINATING)
    member(Team.Kind.COORDINATING, team=team)
    member(Team.Kind.COORDINATING, team=team)
    member(Team.Kind.ADVOCACY)

    assert_boundary("coordinating_team", 3)


def test_needs_departments_are_departments_whose_needs_moved_status():
    logistics, billing, product, sales = (department() for _ in range(4))
    change(need(department=logistics))
    change(need(department=logistics))
    change(need(department=billing))
    change(need(department=product), field="note")  # reviewed, did not move
    change(need(department=sales), changed_at=OUTSIDE)
    change(need())  # nobody owns it

    assert_boundary("needs_departments", 2)


def test_proactive_share_counts_cases_opened_ahead_of_the_customer():
    case(origin=Case.Origin.PROACTIVE)  # the customer never had to ask
    case(origin=Case.Origin.PROACTIVE, first_customer_contact_at=INSIDE + DAY)  # ahead
    case(origin=Case.Origin.PROACTIVE, first_customer_contact_at=INSIDE - DAY)  # behind
    case(origin=Case.Origin.CONTACT)
    case(origin=Case.Origin.PROACTIVE, opened_at=OUTSIDE)

    assert_boundary("proactive_share", 50)
    assert_boundary("proactive_majority", 50)


def test_advocates_cared_is_the_share_of_brand_advocates_with_care_in_the_window():
    cared, also, quiet, _never = (advocate() for _ in range(4))
    care(cared)
    care(also, done_on=timezone.localdate(NOW))  # today counts
    care(quiet, done_on=timezone.localdate(OUTSIDE) - DAY)
    care(advocate(status=AdvocateProfile.Status.CANDIDATE))  # not a brand advocate
    advocate(confirmed_at=NOW + DAY)  # confirmed after the evaluation

    assert_boundary("advocates_cared", 50)


# --- level 4 -------------------------------------------------------------------------------


def test_departments_acting_is_the_share_of_all_departments():
    acting = department()
    change(need(department=acting))
    department(), department(), department()

    assert_boundary("departments_acting", 25)


def test_staff_participation_is_the_share_of_people_outside_advocacy_teams_who_acted():
    worked, _team = member(Team.Kind.OTHER)
    idle, _team = member(Team.Kind.OTHER)
    late, _team = member(Team.Kind.COORDINATING)
    advocate_user, _team = member(Team.Kind.ADVOCACY)
    subject = case()
    for actor, when in ((worked, INSIDE), (late, OUTSIDE), (advocate_user, INSIDE)):
        CaseEvent.objects.create(
            case=subject, actor=actor, kind=CaseEvent.Kind.NOTE, created_at=when
        )

    assert_boundary("staff_participation", 33.3)
    assert idle.is_active


def test_care_practices_counts_distinct_practices_in_the_window():
    first, second = advocate(), advocate()
    care(first, "appreciation")
    care(second, "appreciation")
    care(first, "recognition")
    care(second, "presence")
    care(first, "accessibility", done_on=timezone.localdate(OUTSIDE) - DAY)

    assert_boundary("care_practices", 3)


def test_nps_trend_compares_the_window_with_the_one_before():
    answers([10] * 20 + [5] * 10)  # NPS 33.3 now
    answers([10] * 15 + [5] * 15, answered_at=NOW - 100 * DAY)  # NPS 0 before

    found = result("nps_trend")
    assert found.value == pytest.approx(33.3)
    assert found.met
    assert not result("nps_trend", 33.3).met  # "above" the threshold, not equal to it
    assert result("nps_trend", 33.2).met


def test_nps_trend_needs_enough_answers_in_both_windows():
    answers([10] * 30)
    answers([5] * 29, answered_at=NOW - 100 * DAY)

    assert result("nps_trend", -100).value is None


def test_retention_trend_is_this_windows_repeat_rate_minus_the_previous_one():
    window = 90 * DAY
    # Ordered in the window before last and the one before: kept then (2 of 4).
    for index in range(4):
        person = customer()
        moments = [NOW - 2 * window - DAY]
        if index < 2:
            moments.append(NOW - window - DAY)
        if index < 3:  # ... and of those who ordered in the previous window, 3 of 3 now
            moments.append(NOW - DAY)
        orders(person, *moments)
    # Previous window: the two kept above, plus one new customer who did not come back.
    orders(customer(), NOW - window - 2 * DAY)

    found = result("retention_trend")
    # now: of the 3 who ordered in the previous window, 2 ordered again (66.7 %);
    # before: of the 4 of the window before that, 2 (50 %).
    assert found.value == pytest.approx(16.7)
    assert found.met
    assert not result("retention_trend", 16.7).met


# --- the level -------------------------------------------------------------------------------

LOW_LEVEL_2 = {
    "resolved_cases": 1,
    "advocacy_team": 1,
    "sources_collected": 1,
    "feedback_catalogued": 100,
    "needs_reviewed": 1,
    "nps_measured": 3,
}


def lowered(**extra) -> dict[str, Decimal]:
    thresholds = maturity.default_thresholds()
    thresholds.update({key: Decimal(value) for key, value in {**LOW_LEVEL_2, **extra}.items()})
    return thresholds


def test_the_level_rises_and_falls_with_the_evidence():
    thresholds = lowered()
    assert evaluate_maturity(as_of=NOW, thresholds=thresholds).level == 0

    case(resolved_at=INSIDE, origin=Case.Origin.CONTACT, first_response_at=INSIDE)
    assert evaluate_maturity(as_of=NOW, thresholds=thresholds).level == 1

    member(Team.Kind.ADVOCACY)
    item(source(), themes=(theme(),))
    change(need())
    answers([10, 9, 7])
    evaluation = evaluate_maturity(as_of=NOW, thresholds=thresholds)
    assert evaluation.level == 2
    assert evaluation.next_level.number == 3
    assert {row.key for row in evaluation.next_steps} == {
        "coordinating_team",
        "needs_departments",
        "proactive_share",
        "advocates_cared",
    }

    case(origin=Case.Origin.CONTACT)  # a customer left without an answer: 50 % answered
    assert evaluate_maturity(as_of=NOW, thresholds=thresholds).level == 0


def test_a_higher_level_without_the_lower_ones_does_not_count():
    member(Team.Kind.ADVOCACY)
    item(source(), themes=(theme(),))
    change(need())
    answers([10, 9, 7])

    evaluation = evaluate_maturity(as_of=NOW, thresholds=lowered())
    assert all(row.met for row in evaluation.results if row.criterion.level == 2)
    assert evaluation.level == 0
    assert [row.key for row in evaluation.next_steps] == ["resolved_cases", "contacts_answered"]


def test_a_past_moment_is_evaluated_on_the_evidence_up_to_it():
    case(resolved_at=NOW - 100 * DAY, opened_at=NOW - 120 * DAY)

    assert result("resolved_cases", as_of=NOW - 95 * DAY).value == 1
    assert result("resolved_cases", as_of=NOW).value == 0


def test_next_steps_say_the_measured_value_and_threshold_and_link_the_evidence():
    case(resolved_at=INSIDE)

    step = next(
        row for row in evaluate_maturity(as_of=NOW).next_steps if row.key == "resolved_cases"
    )
    assert step.step_text == (
        "Resolve customers' cases: 1 resolved in the last 90 days; level 1 needs 10."
    )
    assert step.evidence_url == reverse("cases:queue") + "?status=resolved"


# --- thresholds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "contacts_answered",
            "120",
            "“Customers who ask get an answer”: the threshold must be between 0 and 100.",
        ),
        ("resolved_cases", "-1", "“Advocates resolve cases”: the threshold must be at least 0."),
        ("nps_measured", "2.5", "“NPS is measured”: the threshold must be a whole number."),
        (
            "care_practices",
            "7",
            "“All six care practices are in use”: the threshold must be between 1 and 6.",
        ),
        (
            "advocacy_team",
            "many",
            "“A customer-advocacy team exists”: the threshold must be a number.",
        ),
        ("no_such_thing", "1", "“no_such_thing” is not a criterion of the maturity model."),
    ],
)
def test_a_bad_threshold_is_refused_naming_its_criterion(key, value, message):
    row = MaturitySettings(thresholds={key: value})

    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    assert refused.value.message_dict == {key: [message]}


def test_saved_thresholds_override_the_defaults():
    MaturitySettings.objects.create(pk=1, thresholds={"resolved_cases": "4"})

    thresholds = MaturitySettings.current().effective_thresholds()
    assert thresholds["resolved_cases"] == Decimal(4)
    assert thresholds["nps_measured"] == Decimal(100)


def test_the_thresholds_page_refuses_a_bad_value_per_field(manager_client):
    values = {key: str(value) for key, value in maturity.default_thresholds().items()}
    values["contacts_answered"] = "150"

    response = manager_client.post(reverse("dashboard-thresholds"), values)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["contacts_answered"]
    assert "Customers who ask get an answer" in errors["contacts_answered"][0]
    assert not MaturitySettings.objects.exclude(thresholds={}).exists()


def test_saving_thresholds_re_evaluates_at_once(manager_client):
    case(resolved_at=INSIDE)
    case(resolved_at=INSIDE, origin=Case.Origin.CONTACT, first_response_at=INSIDE)
    manager_client.get(reverse("dashboard"))
    assert MaturitySnapshot.objects.get().level == 0
    values = {key: str(value) for key, value in maturity.default_thresholds().items()}
    values["resolved_cases"] = "2"

    response = manager_client.post(reverse("dashboard-thresholds"), values)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    snapshot = MaturitySnapshot.objects.get()
    assert snapshot.level == 1
    assert Decimal(MaturitySettings.current().thresholds["resolved_cases"]) == 2


# --- the pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboard", "dashboard-thresholds"])
def test_advocates_are_refused_and_visitors_sent_to_log_in(client, advocate_client, name):
    assert advocate_client.get(reverse(name)).status_code == 403
    assert advocate_client.post(reverse("dashboard-evaluate")).status_code == 403
    client.logout()
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_dashboard_shows_the_level_the_criteria_and_the_next_steps(manager_client):
    case(resolved_at=INSIDE)

    response = manager_client.get(reverse("dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Level 0 of 4" in page
    assert "What level 1 needs" in page
    assert "Resolve customers&#x27; cases: 1 resolved in the last 90 days" in page
    assert f'href="{reverse("cases:queue")}?status=resolved"' in page
    assert page.count("Not met") + page.count(">Met<") == len(maturity.CRITERIA)
    assert 'href="/dashboard/kpis/"' in page
    assert "Evaluated less than a minute ago" in page


def test_the_navigation_links_the_dashboard_for_managers_only(manager_client, advocate_client):
    def dashboard_link(client_):
        response = client_.get(reverse("cases:queue"))
        return {item["key"]: item["url"] for item in response.context["nav_items"]}["dashboard"]

    assert dashboard_link(manager_client) == reverse("dashboard")
    assert dashboard_link(advocate_client) is None


def test_re_evaluate_now_stores_the_latest_evidence(manager_client):
    manager_client.get(reverse("dashboard"))
    case(resolved_at=INSIDE)

    response = manager_client.post(reverse("dashboard-evaluate"))

    assert response.status_code == 302
    row = next(
        row for row in MaturitySnapshot.objects.get().criteria if row["key"] == "resolved_cases"
    )
    assert row["value"] == 1


def dashboard_queries(client_) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client_.get(reverse("dashboard")).status_code == 200
    return len(queries)


def test_the_dashboard_reads_a_constant_number_of_queries(manager_client):
    manager_client.get(reverse("dashboard"))  # the first visit evaluates and stores
    few = dashboard_queries(manager_client)

    for _ in range(30):
        case(resolved_at=INSIDE, origin=Case.Origin.PROACTIVE)
    answers([10] * 60)
    src = source()
    for _ in range(20):
        item(src, themes=(theme(),))
    services.backfill_maturity(months=6)  # beat's refresh, and a history to show

    assert dashboard_queries(manager_client) == few
    assert few == 3  # session, user with their groups, the snapshots


# --- snapshots -------------------------------------------------------------------------------


def test_the_refresh_task_upserts_one_row_for_the_month():
    refresh_maturity.delay()
    first = MaturitySnapshot.objects.get()
    case(resolved_at=INSIDE)

    refresh_maturity.delay()

    again = MaturitySnapshot.objects.get()
    assert again.month == timezone.localdate().replace(day=1)
    assert again.evaluated_at >= first.evaluated_at
    assert next(row["value"] for row in again.criteria if row["key"] == "resolved_cases") == 1


def months_back(count: int) -> dt.date:
    month = timezone.localdate().replace(day=1)
    for _ in range(count):
        month = (month - DAY).replace(day=1)
    return month


def test_the_command_backfills_past_months_as_of_their_end(capsys):
    first, second, third = months_back(4), months_back(3), months_back(2)
    as_of = timezone.make_aware(dt.datetime.combine(third, dt.time(12)) + 19 * DAY)
    resolved = timezone.make_aware(dt.datetime.combine(months_back(5), dt.time(12)) + 20 * DAY)
    case(opened_at=resolved - 5 * DAY, resolved_at=resolved)

    for _ in range(2):
        call_command("snapshot_maturity", "--as-of", as_of.isoformat(), "--backfill-months", "2")

    rows = {row.month: row for row in MaturitySnapshot.objects.all()}
    assert sorted(rows) == [first, second, third]
    assert rows[first].as_of == timezone.make_aware(dt.datetime.combine(second, dt.time()))
    assert rows[third].as_of == as_of

    def resolved_in(month):
        return next(row["value"] for row in rows[month].criteria if row["key"] == "resolved_cases")

    # Resolved on the 21st five months back: inside the 90 days before the ends of the
    # two older months, outside those before the 20th two months back.
    assert [resolved_in(month) for month in (first, second, third)] == [1, 1, 0]
    assert f"{first:%Y-%m}: level 0" in capsys.readouterr().out
