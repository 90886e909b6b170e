"""NPS reports: the maths against hand-computed values, filters, the monthly trend with its
intervals and drop flags, response rates from the invitation tallies, breakdowns, the page
(fixed query count, escaped comments, htmx fragments) and the demo's story."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Customer
from nps import tasks
from nps.models import Invitation, InvitationTally, Response, Survey, category_of
from nps.selectors import reports
from nps.selectors.reports import Figures, ReportFilters
from nps.services.reports import refresh_invitation_tallies
from tests.cases.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("nps:reports")
TEXTS = {"en": {"question": "How likely are you to recommend us?", "follow_up": "Why?"}}


def at(year: int, month: int, day: int = 15, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour))


def make_survey(slug: str = "after-delivery", name: str = "After delivery") -> Survey:
    return Survey.objects.create(name=name, slug=slug, texts=TEXTS)


def invitation(survey: Survey, *, sent_at: dt.datetime | None, customer: Customer | None = None,
               language: str = "en", segment: str = "restaurants",
               value_tier: str = "standard") -> Invitation:
    """An invitation as sending leaves it (a campaign's: one per customer)."""
    customer = customer or CustomerFactory(segment=segment, language=language,
                                           value_tier=value_tier)
    return Invitation.objects.create(
        survey=survey, customer=customer, language=language, sent_at=sent_at,
        status=Invitation.Status.SENT if sent_at else Invitation.Status.SUPPRESSED)


def answer(survey: Survey, score: int, *, when: dt.datetime, comment: str = "",
           language: str = "en", segment: str = "restaurants",
           value_tier: str = "standard") -> Response:
    """An answer as answering stores it: the invitation marked answered, the audience facts
    copied from the customer."""
    invited = invitation(survey, sent_at=when - dt.timedelta(hours=2), language=language,
                         segment=segment, value_tier=value_tier)
    Invitation.objects.filter(pk=invited.pk).update(answered_at=when)
    return Response.objects.create(
        invitation=invited, survey=survey, customer=invited.customer, score=score,
        category=category_of(score), comment=comment, language=language, segment=segment,
        value_tier=value_tier, answered_at=when)


def answers(survey: Survey, scores: list[int], *, when: dt.datetime, **facts) -> None:
    for number, score in enumerate(scores):
        answer(survey, score, when=when + dt.timedelta(minutes=number), **facts)


# Ten answers: 5 promoters, 3 passives, 2 detractors.
TEN = [10, 9, 9, 10, 9, 8, 7, 8, 3, 6]


# --- the maths -----------------------------------------------------------------------------


def test_nps_and_margin_of_error_match_the_hand_computed_values():
    # 5 promoters, 3 passives, 2 detractors of 10: p = 0.5, d = 0.2.
    # NPS = 100 (0.5 - 0.2) = 30.
    # variance of the +1/0/-1 scores = p + d - (p - d)² = 0.7 - 0.09 = 0.61
    # margin of error = 1.96 · sqrt(0.61 / 10) · 100 = 1.96 · 0.246982 · 100 = 48.41
    figures = Figures(promoters=5, passives=3, detractors=2, sent=25, answered=10)

    assert figures.responses == 10
    assert figures.nps == pytest.approx(30.0)
    assert figures.margin_of_error == pytest.approx(48.4085, abs=1e-4)
    assert (round(figures.low, 2), round(figures.high, 2)) == (-18.41, 78.41)
    assert figures.response_rate == pytest.approx(0.4)
    # Everyone a promoter: NPS 100 and no spread. The interval never leaves -100..100.
    assert (Figures(promoters=4).nps, Figures(promoters=4).margin_of_error) == (100.0, 0.0)
    # 1 promoter, 1 detractor: NPS 0, variance 1 - 0 = 1, 1.96 · sqrt(1/2) · 100 = 138.59
    wide = Figures(promoters=1, detractors=1)
    assert wide.margin_of_error == pytest.approx(138.5929, abs=1e-4)
    assert (wide.low, wide.high) == (-100.0, 100.0)


def test_the_report_counts_answers_from_the_database_as_by_hand():
    survey = make_survey()
    answers(survey, TEN, when=at(2026, 3, 10))

    report = reports.nps_report(filters=ReportFilters(), now=at(2026, 4, 1))

    total = report.total
    assert (total.promoters, total.passives, total.detractors) == (5, 3, 2)
    assert round(total.nps, 2) == 30.0 and round(total.margin_of_error, 2) == 48.41


def test_no_answers_give_no_score_rather_than_zero(advocate_client):
    report = reports.nps_report(filters=ReportFilters())

    assert report.total.responses == 0
    assert report.total.nps is None and report.total.margin_of_error is None
    assert report.total.response_rate is None
    assert len(report.trend) == 12 and not report.drops
    assert reports.trend_chart(report.trend) is None
    page = advocate_client.get(URL).content.decode()
    assert "No answers under these filters." in page and "<svg" not in page


# --- filters -------------------------------------------------------------------------------


def test_filters_narrow_by_survey_segment_language_value_tier_and_period():
    after = make_survey()
    campaign = make_survey("key-accounts", "Key accounts")
    answer(after, 10, when=at(2026, 2, 1), segment="hotels")
    answer(after, 0, when=at(2026, 2, 28, 23), language="it")
    answer(after, 8, when=at(2026, 3, 1, 0), value_tier="key")
    answer(campaign, 9, when=at(2026, 3, 5), segment="hotels", language="nb")

    def total(**filters) -> int:
        return reports.nps_report(filters=reports.report_filters(**filters),
                                  now=at(2026, 6, 1)).total.responses

    assert total() == 4
    assert total(survey="key-accounts") == 1
    assert total(segment="hotels") == 2
    assert total(language="it") == 1
    assert total(value_tier="key") == 1
    assert total(segment="hotels", survey="after-delivery") == 1
    # Both days are included; the period ends at midnight after its last day.
    assert total(start=dt.date(2026, 2, 28), end=dt.date(2026, 2, 28)) == 1
    assert total(start=dt.date(2026, 3, 1)) == 2
    assert total(end=dt.date(2026, 2, 28)) == 2


def test_bad_filters_are_refused_by_name():
    make_survey()
    with pytest.raises(Exception) as refused:
        reports.report_filters(survey="nope", language="xx", value_tier="gold",
                               segment="s" * 61, start=dt.date(2026, 3, 2),
                               end=dt.date(2026, 3, 1))

    assert set(refused.value.message_dict) == {"survey", "language", "value_tier", "segment",
                                               "to"}


# --- the trend and its drop flags ----------------------------------------------------------


def test_the_trend_has_each_month_with_its_interval_and_flags_a_drop(settings):
    settings.NPS_TREND_MIN_RESPONSES = 10
    survey = make_survey()
    answers(survey, TEN, when=at(2026, 1, 10))  # NPS 30 ± 48.41: interval from -18.41
    # 1 promoter, 4 passives, 5 detractors: NPS -40, below -18.41: a drop.
    answers(survey, [9, 7, 7, 8, 8, 0, 1, 5, 6, 6], when=at(2026, 2, 10))
    # 3 promoters, 4 passives, 3 detractors: NPS 0; above February's -40 - margin: no drop.
    answers(survey, [9, 9, 10, 7, 7, 8, 8, 6, 6, 4], when=at(2026, 3, 10))
    # 2 promoters, 4 detractors: NPS -20, lower than March's 0 but inside its interval
    # (0 - 1.96 · sqrt(0.6 / 10) · 100 = -48.0): no drop.
    answers(survey, [9, 10, 7, 7, 8, 8, 6, 6, 5, 5], when=at(2026, 4, 10))
    answers(survey, [10, 10], when=at(2025, 6, 1))  # before the trend's twelve months

    report = reports.nps_report(filters=ReportFilters(), now=at(2026, 12, 5))

    assert [month.label for month in report.trend] == [
        f"{year}-{month:02d}" for year, month in
        [(2026, 1), (2026, 2), (2026, 3), *((2026, m) for m in range(4, 13))]]
    by_month = {month.label: month for month in report.trend}
    assert round(by_month["2026-01"].figures.nps, 2) == 30.0
    assert round(by_month["2026-02"].figures.nps, 2) == -40.0
    assert [month.label for month in report.drops] == ["2026-02"]
    assert round(by_month["2026-04"].figures.nps, 2) == -20.0
    assert by_month["2026-05"].figures.nps is None
    assert report.total.responses == 42  # the months and what came before them


def test_a_drop_needs_enough_answers_in_both_months(settings):
    survey = make_survey()
    answers(survey, TEN, when=at(2026, 1, 10))
    answers(survey, [9, 7, 7, 8, 8, 0, 1, 5, 6, 6], when=at(2026, 2, 10))

    settings.NPS_TREND_MIN_RESPONSES = 11
    assert not reports.nps_report(filters=ReportFilters(), now=at(2026, 3, 1)).drops
    settings.NPS_TREND_MIN_RESPONSES = 10
    assert reports.nps_report(filters=ReportFilters(), now=at(2026, 3, 1)).drops


def test_the_trend_follows_the_period_and_marks_partial_months():
    survey = make_survey()
    answer(survey, 10, when=at(2025, 11, 20))
    answer(survey, 0, when=at(2026, 1, 3))
    answer(survey, 9, when=at(2026, 1, 31, 23))

    report = reports.nps_report(filters=reports.report_filters(
        start=dt.date(2025, 11, 16), end=dt.date(2026, 1, 31)), now=at(2026, 6, 1))

    assert [(month.label, month.partial, month.figures.responses)
            for month in report.trend] == [("2025-11", True, 1), ("2025-12", False, 0),
                                           ("2026-01", False, 2)]
    assert report.total.responses == 3


# --- response rates ------------------------------------------------------------------------


def test_the_response_rate_comes_from_the_tallies_and_follows_new_activity():
    survey = make_survey()
    answer(survey, 9, when=at(2026, 3, 3))
    for _ in range(3):
        invitation(survey, sent_at=at(2026, 3, 2))
    invitation(survey, sent_at=None)  # not sent (no consent): not in the rate
    invitation(survey, sent_at=at(2026, 5, 2), language="it")

    assert refresh_invitation_tallies() == 2  # March in English, May in Italian
    report = reports.nps_report(filters=ReportFilters(), now=at(2026, 6, 1))
    by_month = {month.label: month.figures for month in report.trend}
    assert (by_month["2026-03"].sent, by_month["2026-03"].answered) == (4, 1)
    assert by_month["2026-03"].response_rate == pytest.approx(0.25)
    assert (report.total.sent, report.total.answered) == (5, 1)
    narrowed = reports.nps_report(filters=reports.report_filters(language="it"),
                                  now=at(2026, 6, 1))
    assert (narrowed.total.sent, narrowed.total.answered) == (1, 0)

    assert refresh_invitation_tallies() == 0  # nothing new
    late = Invitation.objects.filter(survey=survey, sent_at=at(2026, 3, 2)).first()
    Invitation.objects.filter(pk=late.pk).update(answered_at=timezone.now())
    Response.objects.create(invitation=late, survey=survey, customer=late.customer, score=3,
                            category="detractor", language="en", answered_at=timezone.now())
    assert tasks.refresh_invitation_tallies.delay().get() == 1  # only March is recounted
    march = InvitationTally.objects.get(month=dt.date(2026, 3, 1))
    assert (march.sent, march.answered) == (4, 2)


def test_a_full_recount_rebuilds_every_month():
    survey = make_survey()
    invitation(survey, sent_at=at(2026, 1, 2))
    refresh_invitation_tallies()
    InvitationTally.objects.update(sent=99)

    assert refresh_invitation_tallies(full=True) == 1
    assert InvitationTally.objects.get().sent == 1


# --- breakdowns ----------------------------------------------------------------------------


def test_breakdowns_by_survey_segment_language_and_value_tier():
    after = make_survey()
    campaign = make_survey("key-accounts", "Key accounts")
    answers(after, [10, 9, 3], when=at(2026, 2, 1), segment="hotels", language="it")
    answers(campaign, [6], when=at(2026, 2, 2), segment="cafes", value_tier="key")
    refresh_invitation_tallies()
    filters = ReportFilters()

    def rows(by):
        return [(item.label, item.figures.responses, round(item.figures.nps))
                for item in reports.nps_breakdown(filters=filters, by=by)]

    assert rows("survey") == [("After delivery", 3, 33), ("Key accounts", 1, -100)]
    assert rows("segment") == [("hotels", 3, 33), ("cafes", 1, -100)]
    assert rows("language") == [("Italian", 3, 33), ("English", 1, -100)]
    assert rows("value_tier") == [("Standard", 3, 33), ("Key account", 1, -100)]
    key = reports.nps_breakdown(filters=filters, by="value_tier")[1]
    assert key.figures.response_rate == 1.0


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_headline_trend_chart_and_tables(manager_client, settings):
    settings.NPS_TREND_MIN_RESPONSES = 10
    survey = make_survey()
    answers(survey, TEN, when=at(2026, 1, 10))
    answers(survey, [9, 7, 7, 8, 8, 0, 1, 5, 6, 6], when=at(2026, 2, 10))
    refresh_invitation_tallies()

    response = manager_client.get(URL, {"from": "2025-12-01", "to": "2026-02-28"})
    page = response.content.decode()

    assert response.status_code == 200
    headline = page[page.index('id="nps-headline"'):page.index('id="trend-title"')]
    # 6 promoters, 7 detractors of 20: NPS -5.0; 1.96 · sqrt((0.65 - 0.0025) / 20) = 35.3
    assert "-5.0" in headline and "± 35.3" in headline
    table = page[page.index('id="nps-trend-table"'):]
    table = table[:table.index("</table>")]
    assert table.count('<tr class="nps-drop-row">') == 1 and "2026-02" in table
    assert re.search(r'<polygon class="nps-trend__band" points="[\d., ]+"', page)
    assert page.count('class="nps-trend__drop"') == 1
    assert 'aria-hidden="true"' in page[page.index('class="nps-trend"') - 40:]
    assert "The NPS dropped in 1 month: 2026-02." in page


def test_the_page_reads_a_fixed_number_of_queries(manager_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager_client.get(URL, {"segment": "restaurants"}).status_code == 200
        return len(captured)

    survey = make_survey()
    answer(survey, 9, when=at(2026, 2, 1), comment="Good")
    few = queries()
    other = make_survey("key-accounts", "Key accounts")
    for month in range(1, 12):
        answers(other, [10, 3, 7], when=at(2025, month, 3), comment="Fine")
    refresh_invitation_tallies()

    # session, user+groups, surveys, segments, answers, tallies, comments
    assert few == queries() == 7


def test_comments_are_escaped_filtered_by_category_and_paginated(advocate_client, settings):
    settings.NPS_COMMENTS_PER_PAGE = 2
    survey = make_survey()
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    answer(survey, 2, when=at(2026, 2, 1), comment=hostile)
    for day in range(2, 6):
        answer(survey, 10, when=at(2026, 2, day), comment=f"Great service {day}")
    answer(survey, 8, when=at(2026, 2, 6))  # no comment: not listed

    first = advocate_client.get(URL).content.decode()
    assert "Great service 5" in first and "Great service 4" in first
    assert "Great service 3" not in first and 'rel="next"' in first
    last = advocate_client.get(URL, {"page": 3}).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x" in last
    assert "<script>alert" not in last and "<img src=x" not in last
    assert 'rel="next"' not in last
    detractors = advocate_client.get(URL, {"category": "detractor"}).content.decode()
    assert "&lt;script&gt;" in detractors and "Great service" not in detractors


def test_htmx_asks_for_the_comments_or_the_breakdown_alone(advocate_client):
    survey = make_survey()
    answer(survey, 4, when=at(2026, 2, 1), comment="Late again", segment="delis")

    comments = advocate_client.get(URL, {"category": "detractor"}, HTTP_HX_REQUEST="true",
                                   HTTP_HX_TARGET="nps-comments").content.decode()
    breakdown = advocate_client.get(URL, {"by": "segment"}, HTTP_HX_REQUEST="true",
                                    HTTP_HX_TARGET="nps-breakdown").content.decode()
    page = advocate_client.get(URL).content.decode()

    assert comments.lstrip().startswith('<section class="card" id="nps-comments"')
    assert "Late again" in comments and "nps-headline" not in comments
    assert breakdown.lstrip().startswith('<section class="card" id="nps-breakdown"')
    assert "<th scope=\"row\">delis</th>" in breakdown and "nps-comments" not in breakdown
    # The page itself leaves the breakdown to htmx, with a link for browsers without it.
    lazy = page[page.index('id="nps-breakdown"'):page.index('id="nps-comments"')]
    assert 'hx-trigger="load"' in lazy and "nps-breakdown-table" not in lazy
    assert "nps-breakdown-table" in advocate_client.get(URL, {"by": "language"}).content.decode()


def test_bad_filters_on_the_page_are_shown_and_left_out(advocate_client):
    survey = make_survey()
    answer(survey, 10, when=at(2026, 2, 1))

    response = advocate_client.get(URL, {"language": "xx", "from": "2026-03-01",
                                         "to": "2026-01-01"})

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"language", "to"}
    assert response.context["report"].total.responses == 1


def test_the_page_is_for_staff_only(advocate_client, manager_client):
    anonymous, outsider = Client(), Client()
    outsider.force_login(UserFactory())
    assert anonymous.get(URL).status_code == 302
    assert outsider.get(URL).status_code == 403
    assert advocate_client.get(URL).status_code == 200
    assert manager_client.get(URL).status_code == 200


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_tells_an_improving_story_with_one_drop():
    call_command("load_demo")

    assert set(Survey.objects.values_list("slug", flat=True)) >= {"after-delivery",
                                                                  "key-accounts"}
    commented = Response.objects.exclude(comment="")
    assert set(commented.values_list("language", flat=True)) == {"en", "it", "nb", "ro"}
    assert commented.filter(category="detractor").exists()
    assert commented.filter(category="promoter").exists()
    assert Response.objects.filter(customer__external_ref="DEMO-C004", score=10).exists()
    report = reports.nps_report(filters=ReportFilters())
    assert len(report.drops) == 1
    shown = [month.figures.nps for month in report.trend if month.figures.responses >= 20]
    assert sum(shown[-3:]) / 3 > sum(shown[:3]) / 3 + 10
    assert 0.4 < report.total.response_rate < 0.75
    # No customer was asked twice within 90 days, nor emailed without consent.
    sent = list(Invitation.objects.filter(sent_at__isnull=False)
                .order_by("customer_id", "sent_at").values_list("customer_id", "sent_at"))
    for (customer, first), (same, second) in itertools.pairwise(sent):
        assert customer != same or second - first >= dt.timedelta(days=90)
    assert not Invitation.objects.filter(sent_at__isnull=False,
                                         customer__email_consent=False).exists()
