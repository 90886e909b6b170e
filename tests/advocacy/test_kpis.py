"""The KPIs tab of the manager dashboard: every KPI against values computed by hand on
hand-built data (period boundaries and the segment filter included), the links to the
lists behind them, the CSV export, who may see it, and a query count that stays the same
when the data grows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from advocacy import kpis, tasks
from cases.models import Case, Impact, Remedy
from feedback import services as feedback_services
from feedback.models import FeedbackItem, Need, Source, Theme
from nps.models import AdvocateProfile, Invitation, Response, Survey, category_of
from nps.services.reports import refresh_invitation_tallies
from tests.cases.factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db

URL = reverse("dashboard-kpis")
CSV_URL = reverse("dashboard-kpis-csv")
# A custom week in the past, Monday to Sunday; the previous period is the week before.
START, END = dt.date(2026, 3, 2), dt.date(2026, 3, 8)
PERIOD = {"period": "custom", "from": START.isoformat(), "to": END.isoformat()}


def at(day: dt.date, hours: float = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) + dt.timedelta(hours=hours)


T0 = at(START)  # the period's first instant
END_AT = at(END + dt.timedelta(days=1))  # the first instant after it
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def fresh_figures(settings):
    """Each test computes its figures (the cache is tested on its own)."""
    settings.KPI_CACHE_SECONDS = 0


def case(title: str, customer, *, opened_at, origin="manual", **fields) -> Case:
    """A case opened through the service, then placed in time as the test needs."""
    made = CaseFactory(title=title, customer=customer, origin=origin)
    Case.objects.filter(pk=made.pk).update(opened_at=opened_at, **fields)
    made.refresh_from_db()
    return made


def hours(moment: dt.datetime, count: float) -> dt.datetime:
    return moment + dt.timedelta(hours=count)


@pytest.fixture
def desk():
    """Five cases around the period (see each for what it tests)."""
    restaurant = CustomerFactory(segment="restaurants")
    hotel = CustomerFactory(segment="hotels")
    now = timezone.now()
    cases = {
        # Opened at the period's first instant by a rule, 10 hours before the customer's
        # first contact; both clocks met (2 h, 48 h); retained.
        "caught": case(
            "caught",
            restaurant,
            opened_at=T0,
            origin="proactive",
            opened_by_rule="late_delivery",
            first_response_due_at=hours(T0, 4),
            first_response_at=hours(T0, 2),
            due_at=hours(T0, 72),
            resolved_at=hours(T0, 48),
            first_customer_contact_at=hours(T0, 10),
            status="resolved",
            outcome="retained",
        ),
        # The customer called an hour before we opened it; answered late (6 h), resolved
        # in time (24 h); lost.
        "late_answer": case(
            "late answer",
            restaurant,
            opened_at=hours(T0, 24),
            origin="contact",
            first_response_due_at=hours(T0, 28),
            first_response_at=hours(T0, 30),
            due_at=hours(T0, 96),
            resolved_at=hours(T0, 48),
            first_customer_contact_at=hours(T0, 23),
            status="resolved",
            outcome="lost",
        ),
        # Opened at the period's last instant, answered in 1 h, still open long past its
        # due date: missed, and overdue now.
        "overdue": case(
            "overdue",
            hotel,
            opened_at=END_AT - SECOND,
            first_response_due_at=END_AT + dt.timedelta(hours=4),
            first_response_at=END_AT - SECOND + dt.timedelta(hours=1),
            due_at=END_AT + dt.timedelta(hours=72),
            status="in_progress",
        ),
        # Opened at the previous period's last instant, resolved in the period (10 h, in
        # time): at risk.
        "before": case(
            "before",
            restaurant,
            opened_at=T0 - SECOND,
            first_response_due_at=hours(T0, 4),
            first_response_at=hours(T0, 1),
            due_at=hours(T0, 72),
            resolved_at=hours(T0 - SECOND, 10),
            status="resolved",
            outcome="at_risk",
        ),
        # Opened just now, due tomorrow: open, not overdue, in neither period.
        "now": case(
            "now",
            restaurant,
            opened_at=now - dt.timedelta(hours=1),
            first_response_due_at=now + dt.timedelta(hours=3),
            due_at=now + dt.timedelta(days=1),
            status="new",
        ),
    }
    cases["restaurant"], cases["hotel"] = restaurant, hotel
    return cases


def board(segment: str = "") -> kpis.Dashboard:
    return kpis.dashboard(period=kpis.kpi_period(start=START, end=END), segment=segment)


def values(dashboard: kpis.Dashboard) -> dict[str, tuple]:
    return {kpi.key: (kpi.value, kpi.previous if kpi.compared else "-") for kpi in dashboard.kpis}


# --- the period ---------------------------------------------------------------------------


def test_presets_end_today_and_the_previous_period_has_the_same_length():
    today = dt.date(2026, 12, 1)
    thirty = kpis.kpi_period(today=today)
    assert (thirty.key, thirty.start, thirty.end, thirty.days) == (
        "30",
        dt.date(2026, 11, 2),
        today,
        30,
    )
    assert (thirty.previous.start, thirty.previous.end) == (
        dt.date(2026, 10, 3),
        dt.date(2026, 11, 1),
    )
    week = kpis.kpi_period(preset="7", today=today)
    assert (week.start, week.days) == (dt.date(2026, 11, 25), 7)
    custom = kpis.kpi_period(preset="7", start=START, end=END, today=today)
    assert (custom.key, custom.previous.start, custom.previous.end) == (
        "custom",
        dt.date(2026, 2, 23),
        dt.date(2026, 3, 1),
    )
    # Days out of order, or a bad preset: the default.
    assert kpis.kpi_period(start=END, end=START, today=today) == thirty
    assert kpis.kpi_period(preset="12", today=today) == thirty


# --- the desk's KPIs ----------------------------------------------------------------------


def test_case_kpis_match_the_hand_computed_values(desk):
    found = values(board())
    assert found["open_cases"] == (2, "-")  # "overdue" and "now"
    assert found["overdue_cases"] == (1, "-")
    assert found["cases_opened"] == (3, 1)  # caught, late answer, overdue | before
    # Met: caught. Missed: late answer (answered late), overdue (past due). Before: met.
    assert found["sla_attainment"] == (round(100 / 3, 1), 100.0)
    # First responses 2 h, 6 h, 1 h | 1 h.
    assert found["first_response_hours"] == (2.0, 1.0)
    # Resolved in the period: caught 48 h, late answer 24 h, before 10 h (opened before).
    assert found["resolution_hours"] == (24.0, None)
    # With a contact: caught (caught, 10 h ahead) and late answer (the customer was first).
    assert found["caught_before_complaint"] == (50.0, None)
    assert found["median_lead_hours"] == (10.0, None)
    assert found["outcome_retained"] == (1, 0)
    assert found["outcome_at_risk"] == (1, 0)
    assert found["outcome_lost"] == (1, 0)


def test_the_segment_filter_counts_only_its_customers(desk):
    found = values(board("restaurants"))
    assert found["open_cases"] == (1, "-")
    assert found["overdue_cases"] == (0, "-")
    assert found["cases_opened"] == (2, 1)
    assert found["sla_attainment"] == (50.0, 100.0)
    assert found["first_response_hours"] == (4.0, 1.0)  # median of 2 h and 6 h
    hotels = values(board("hotels"))
    assert hotels["cases_opened"] == (1, 0)
    assert hotels["outcome_lost"] == (0, 0)


def test_cases_per_week_split_proactive_and_reactive(desk):
    dashboard = board()
    assert [(week.start, week.proactive, week.reactive) for week in dashboard.weeks] == [
        (START, 1, 2)
    ]
    assert dashboard.week_chart is not None


def test_loss_and_remedy_cost_are_summed_per_currency_in_their_period(desk):
    def impact(name, amount, currency, when):
        Impact.objects.create(
            case=desk[name],
            money_lost=Decimal(amount),
            currency=currency,
            severity=Impact.Severity.MINOR,
            recorded_at=when,
        )

    def remedy(name, cost, currency, decision, *, proposed, decided=None):
        Remedy.objects.create(
            case=desk[name],
            kind="refund",
            summary="s",
            cost=Decimal(cost),
            currency=currency,
            benefit="b",
            decision=decision,
            proposed_at=proposed,
            decided_at=decided,
            decision_reason="no" if decision == "rejected" else "",
        )

    impact("caught", "100.00", "EUR", hours(T0, 5))
    impact("overdue", "30.00", "EUR", END_AT - SECOND)
    impact("late_answer", "50.00", "NOK", T0 - SECOND)  # the previous period
    impact("before", "20.00", "EUR", T0 - dt.timedelta(days=7) - SECOND)  # before both
    remedy("caught", "40.00", "EUR", "approved", proposed=hours(T0, 5), decided=hours(T0, 30))
    remedy("late_answer", "15.00", "EUR", "not_needed", proposed=hours(T0, 30))
    remedy(
        "late_answer", "999.00", "EUR", "rejected", proposed=hours(T0, 30), decided=hours(T0, 31)
    )
    remedy("overdue", "70.00", "EUR", "pending", proposed=hours(T0, 30))
    remedy(
        "before",
        "5.00",
        "EUR",
        "approved",
        proposed=T0 - dt.timedelta(days=2),
        decided=T0 - dt.timedelta(days=1),
    )

    found = values(board())
    assert found["customer_loss_EUR"] == (Decimal("130.00"), Decimal("0"))
    assert found["customer_loss_NOK"] == (Decimal("0"), Decimal("50.00"))
    assert found["remedy_cost_EUR"] == (Decimal("55.00"), Decimal("5.00"))
    assert "remedy_cost_NOK" not in found
    assert values(board("hotels"))["customer_loss_EUR"] == (Decimal("30.00"), Decimal("0"))


# --- NPS, feedback, needs and advocates ---------------------------------------------------


def answer(survey: Survey, score: int, when: dt.datetime, segment: str = "restaurants"):
    customer = CustomerFactory(segment=segment)
    invited = Invitation.objects.create(
        survey=survey,
        customer=customer,
        language="en",
        sent_at=when - dt.timedelta(hours=2),
        answered_at=when,
        status=Invitation.Status.SENT,
    )
    Response.objects.create(
        invitation=invited,
        survey=survey,
        customer=customer,
        score=score,
        category=category_of(score),
        language="en",
        segment=segment,
        value_tier="standard",
        answered_at=when,
    )


def test_nps_with_margin_of_error_response_rate_and_trend():
    survey = Survey.objects.create(
        name="After delivery",
        slug="after-delivery",
        texts={"en": {"question": "?", "follow_up": "?"}},
    )
    for number, score in enumerate([10, 9, 3, 8]):
        answer(survey, score, hours(T0, 1 + number))
    answer(survey, 10, T0 - SECOND)  # the previous period
    answer(survey, 0, hours(T0, 5), segment="hotels")
    Invitation.objects.create(
        survey=survey,
        customer=CustomerFactory(),
        language="en",
        sent_at=hours(T0, 6),
        status=Invitation.Status.SENT,
    )
    refresh_invitation_tallies(full=True)

    found = values(board("restaurants"))
    # 2 promoters, 1 detractor of 4: NPS 25; variance p + d - (p - d)² = 0.6875.
    margin = 100 * 1.96 * math.sqrt(0.6875 / 4)
    assert found["nps"] == (25.0, 100.0)
    assert found["nps_margin_of_error"] == (round(margin, 1), 0.0)
    assert found["nps_answers"] == (4, 1)
    # The March tallies of restaurants: 5 invitations sent, 5 answered.
    assert found["response_rate"] == (100.0, 100.0)
    everyone = values(board())
    assert everyone["nps_answers"] == (5, 1)
    # March: 7 sent (the unanswered one too), 6 answered.
    assert everyone["response_rate"] == (round(600 / 7, 1), round(600 / 7, 1))
    trend = board("restaurants").trend
    assert len(trend) == 12 and trend[-1].start == dt.date(2026, 3, 1)
    assert trend[-1].figures.responses == 5  # the previous period's answer is in March too


def test_feedback_volume_and_sentiment_from_the_day_counts_and_new_items(desk):
    source = Source.objects.create(name="Google", slug="google")

    def item(sentiment, when, customer=None):
        FeedbackItem.objects.create(
            source=source,
            text="x",
            language="en",
            content_hash=str(FeedbackItem.objects.count()),
            sentiment=sentiment,
            posted_at=when,
            customer=customer,
        )

    item(0.5, hours(T0, 1), desk["restaurant"])
    item(-0.1, END_AT - SECOND)
    item(None, hours(T0, 30))
    item(0.2, T0 - SECOND, desk["hotel"])  # the previous period
    item(0.9, END_AT)  # after the period
    feedback_services.refresh_analysis()
    item(0.3, hours(T0, 2), desk["restaurant"])  # stored after the count

    found = values(board())
    assert found["feedback_volume"] == (4, 1)
    assert found["feedback_sentiment"] == (round((0.5 - 0.1 + 0.3) / 3, 2), 0.2)
    restaurants = values(board("restaurants"))
    assert restaurants["feedback_volume"] == (2, 0)
    assert restaurants["feedback_sentiment"] == (0.4, None)


def test_needs_and_advocates_with_their_care_gaps(desk):
    themes = list(Theme.objects.order_by("pk")[:3])
    Need.objects.create(theme=themes[0], status=Need.Status.PLANNED, score=5)
    Need.objects.create(theme=themes[1], status=Need.Status.NEW, score=9)
    Need.objects.create(theme=themes[2], status=Need.Status.DONE, score=1)
    AdvocateProfile.objects.create(
        customer=desk["restaurant"],
        status=AdvocateProfile.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    AdvocateProfile.objects.create(customer=desk["hotel"], status=AdvocateProfile.Status.CANDIDATE)

    dashboard = board()
    found = values(dashboard)
    assert found["needs_total"] == (3, "-")
    assert found["needs_acted_on"] == (2, "-")
    assert [need.theme for need in dashboard.top_needs] == [themes[1], themes[0], themes[2]]
    assert found["advocates"] == (1, "-")
    # No care action yet; the open case "now" is not top priority; no answer yet.
    assert (found["care_gap_quiet"], found["care_gap_open_case"], found["care_gap_dropped"]) == (
        (1, "-"),
        (1, "-"),
        (0, "-"),
    )
    hotels = values(board("hotels"))
    assert hotels["advocates"] == (0, "-")
    assert "1 candidate waiting" in next(
        kpi.note for kpi in board("hotels").kpis if kpi.key == "advocates"
    )


# --- the links behind the KPIs -------------------------------------------------------------


def test_each_case_kpi_links_to_the_queue_listing_the_cases_it_counts(desk, manager_client):
    found = {kpi.key: kpi for kpi in board().kpis}
    for key, titles in {
        "open_cases": {"overdue", "now"},
        "overdue_cases": {"overdue"},
        "cases_opened": {"caught", "late answer", "overdue"},
        "resolution_hours": {"caught", "late answer", "before"},
        "caught_before_complaint": {"caught"},
        "outcome_retained": {"caught"},
        "outcome_at_risk": {"before"},
        "outcome_lost": {"late answer"},
    }.items():
        response = manager_client.get(found[key].url)
        listed = {case.title for case in response.context["page"].object_list}
        assert listed == titles, key
    restaurants = {kpi.key: kpi for kpi in board("restaurants").kpis}
    response = manager_client.get(restaurants["cases_opened"].url)
    assert {case.title for case in response.context["page"].object_list} == {
        "caught",
        "late answer",
    }
    assert "Opened from" in response.content.decode()  # the queue says it is narrowed


def test_the_other_kpis_link_to_their_pages_with_the_filters(desk):
    found = {kpi.key: kpi.url for kpi in board("restaurants").kpis}
    assert found["nps"] == (
        f"{reverse('nps:reports')}?segment=restaurants&from=2026-03-02&to=2026-03-08"
    )
    assert found["feedback_volume"] == f"{reverse('feedback:analysis')}?period=30"
    assert found["needs_total"] == reverse("feedback:needs")
    assert found["care_gap_quiet"] == f"{reverse('nps:advocates')}?gap=quiet"


# --- the page and the CSV -----------------------------------------------------------------


def test_the_page_shows_cards_charts_with_tables_and_the_tabs(desk, manager_client):
    response = manager_client.get(URL, PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-kpi="sla_attainment"' in page and "33.3 %" in page
    assert page.count('role="img"') == 2  # no NPS answers: the trend says so instead
    for table in ("kpi-weeks-table", "kpi-outcomes-table", "kpi-nps-table"):
        assert f'id="{table}"' in page
    assert f'href="{reverse("dashboard")}"' in page  # the Maturity tab
    assert 'aria-current="page">KPIs' in page
    nav = response.context["nav_items"]
    assert [item["key"] for item in nav if item["active"]] == ["dashboard"]


def test_advocates_are_refused_and_anonymous_users_sent_to_log_in(advocate_client):
    assert advocate_client.get(URL).status_code == 403
    assert advocate_client.get(CSV_URL).status_code == 403
    response = Client().get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_bad_custom_period_falls_back_to_the_default_and_says_so(manager_client):
    response = manager_client.get(
        URL, {"period": "custom", "from": "2026-03-08", "to": "2026-03-01"}
    )
    assert response.status_code == 200
    assert response.context["board"].period.key == kpis.DEFAULT_PRESET
    assert response.context["form"].errors["to"]


def test_the_csv_has_one_row_per_kpi_with_its_previous_value(desk, manager_client):
    CustomerFactory(segment="=HYPERLINK(1)")  # a segment a spreadsheet would run
    response = manager_client.get(CSV_URL, {**PERIOD, "segment": "restaurants"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="kpis-2026-03-02-2026-03-08-restaurants.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["key", "label", "value", "unit", "previous value", "period", "segment"]
    by_key = {row[0]: row for row in rows[1:]}
    assert by_key["cases_opened"] == [
        "cases_opened",
        "Cases opened",
        "2",
        "count",
        "1",
        "2026-03-02/2026-03-08",
        "restaurants",
    ]
    assert by_key["sla_attainment"][2:5] == ["50.0", "percent", "100.0"]
    assert by_key["open_cases"][4] == ""  # a figure of now: not compared
    assert len(rows) - 1 == len(board("restaurants").kpis)

    hostile = manager_client.get(CSV_URL, {**PERIOD, "segment": "=HYPERLINK(1)"})
    assert hostile.content.decode().splitlines()[1].endswith(",'=HYPERLINK(1)")


def test_the_figures_are_kept_until_they_age_or_a_manager_refreshes_them(
    desk, manager_client, settings
):
    settings.KPI_CACHE_SECONDS = 300
    kpis.refresh_kpi_figures()  # a generation of its own: nothing cached from before

    def open_cases() -> int:
        kpi = next(
            k for k in manager_client.get(URL).context["board"].kpis if k.key == "open_cases"
        )
        return kpi.value

    assert open_cases() == 2
    case("another", desk["hotel"], opened_at=timezone.now(), status="new")
    assert open_cases() == 2  # kept
    response = manager_client.post(f"{URL}?segment=hotels")
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?segment=hotels"
    assert open_cases() == 3
    settings.KPI_CACHE_SECONDS = 0  # off: always computed
    case("one more", desk["hotel"], opened_at=timezone.now(), status="new")
    assert open_cases() == 4


def test_beat_computes_the_preset_periods_ahead_of_the_managers(desk, manager_client, settings):
    settings.KPI_CACHE_SECONDS = 300
    kpis.refresh_kpi_figures()

    assert tasks.warm_kpis() == len(kpis.PRESETS)
    case("after the warming", desk["hotel"], opened_at=timezone.now(), status="new")

    board = manager_client.get(URL).context["board"]  # the default period, everyone
    assert next(k for k in board.kpis if k.key == "open_cases").value == 2  # as warmed
    settings.KPI_CACHE_SECONDS = 0
    assert tasks.warm_kpis() == 0  # no cache, nothing to warm


def test_advocates_cannot_refresh_the_figures(advocate_client):
    assert advocate_client.post(URL).status_code == 403


# --- queries ------------------------------------------------------------------------------


def test_the_query_count_stays_the_same_when_the_data_grows(desk, manager_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert manager_client.get(URL, {**PERIOD, "segment": "restaurants"}).status_code == 200
        return len(context.captured_queries)

    before = queries()
    survey = Survey.objects.create(name="S", slug="s", texts={"en": {"question": "?"}})
    source = Source.objects.create(name="Shop", slug="shop")
    themes = list(Theme.objects.order_by("pk")[:3])
    for number in range(6):
        customer = CustomerFactory(segment="restaurants")
        grown = case(
            f"more {number}",
            customer,
            opened_at=hours(T0, number),
            status="resolved",
            resolved_at=hours(T0, 30 + number),
            outcome="retained",
        )
        Impact.objects.create(
            case=grown,
            money_lost=1,
            currency=["EUR", "USD", "RON"][number % 3],
            severity=1,
            recorded_at=hours(T0, 40),
        )
        Remedy.objects.create(
            case=grown,
            kind="refund",
            summary="s",
            cost=1,
            currency="NOK",
            benefit="b",
            decision="approved",
            decided_at=hours(T0, 41),
        )
        answer(survey, number + 4, hours(T0, number))
        FeedbackItem.objects.create(
            source=source,
            text="x",
            content_hash=f"h{number}",
            sentiment=0.1,
            posted_at=hours(T0, 2),
            customer=customer,
        )
        AdvocateProfile.objects.create(customer=customer, status=AdvocateProfile.Status.CONFIRMED)
    for theme in themes:
        Need.objects.create(theme=theme, score=1)
    refresh_invitation_tallies(full=True)
    assert queries() == before
