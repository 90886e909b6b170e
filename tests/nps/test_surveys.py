"""Survey pages: managers set surveys up and launch campaigns, advocates look; the list and
a survey's invitations with their counts, filters and a flat query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from nps.models import Invitation, Response, Survey
from nps.services import invitations, surveys
from tests.cases.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

Status = Invitation.Status


def form_data(**changes) -> dict:
    data = {
        "name": "After delivery", "slug": "after-delivery", "trigger": "after_delivery",
        "delay_days": "7", "starts_at": "2026-01-05T09:00", "ends_at": "", "active": "on",
        "throttle_days": "90", "expiry_days": "30", "reminder_days": "5",
        "send_per_minute": "600",
        "question_en": "How likely are you to recommend us to a friend or colleague?",
        "follow_up_en": "What is the main reason for your score?",
        "question_it": "Quanto è probabile che ci raccomandi a un amico o a un collega?",
        "follow_up_it": "", "question_nb": "", "follow_up_nb": "", "question_ro": "",
        "follow_up_ro": "", "segments": ["restaurants"], "value_tiers": ["key"],
        "languages": ["it", "en"],
        "review_links": "Trustpilot | https://www.trustpilot.com/review/example.com\n\n",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def make_survey(**fields) -> Survey:
    number = Survey.objects.count() + 1
    return Survey.objects.create(**{
        "name": f"Survey {number}", "slug": f"survey-{number}",
        "texts": {"en": {"question": "How likely are you to recommend us?"}},
        "starts_at": timezone.now() - dt.timedelta(days=30), **fields})


# --- Setting surveys up --------------------------------------------------------------------


def test_a_manager_creates_a_survey_with_wording_audience_and_pace(manager_client, manager):
    CustomerFactory(segment="restaurants")

    page = manager_client.post(reverse("nps:survey-new"), form_data())

    assert page.status_code == 302
    survey = Survey.objects.get()
    assert page["Location"] == reverse("nps:survey", args=[survey.slug])
    assert survey.texts == {
        "en": {"question": "How likely are you to recommend us to a friend or colleague?",
               "follow_up": "What is the main reason for your score?"},
        "it": {"question": "Quanto è probabile che ci raccomandi a un amico o a un collega?",
               "follow_up": ""},
    }
    assert (survey.segments, survey.value_tiers, sorted(survey.languages)) == (
        ["restaurants"], ["key"], ["en", "it"])
    assert (survey.delay_days, survey.throttle_days, survey.expiry_days, survey.reminder_days,
            survey.send_per_minute) == (7, 90, 30, 5, 600)
    assert survey.review_links == [
        {"label": "Trustpilot", "url": "https://www.trustpilot.com/review/example.com"}]
    assert survey.created_by == manager and survey.launched_at is None


def test_the_english_question_is_required(manager_client):
    page = manager_client.post(reverse("nps:survey-new"), form_data(question_en=" "))

    assert page.status_code == 200
    assert "question_en" in page.context["form"].errors
    assert not Survey.objects.exists()


def test_the_service_refuses_wording_without_english_and_a_reminder_after_expiry():
    with pytest.raises(ValidationError) as missing:
        surveys.create_survey(actor=None, name="S", slug="s",
                              texts={"it": {"question": "Quanto?"}})
    assert "texts" in missing.value.message_dict

    with pytest.raises(ValidationError) as late:
        surveys.create_survey(actor=None, name="S", slug="s", reminder_days=30, expiry_days=30,
                              texts={"en": {"question": "How likely?"}})
    assert "reminder_days" in late.value.message_dict


def test_a_malformed_review_link_is_refused_on_the_form(manager_client):
    page = manager_client.post(reverse("nps:survey-new"),
                               form_data(review_links="Trustpilot trustpilot.com"))

    assert "review_links" in page.context["form"].errors
    assert not Survey.objects.exists()


def test_a_manager_edits_a_survey_but_not_its_trigger_once_it_has_invited(manager_client):
    survey = make_survey()
    Invitation.objects.create(survey=survey, customer=CustomerFactory(), language="en")
    url = reverse("nps:survey-edit", args=[survey.slug])

    form = manager_client.get(url).context["form"]
    assert form.initial["question_en"] == "How likely are you to recommend us?"
    edited = manager_client.post(url, form_data(slug=survey.slug, name="Renamed",
                                                trigger="after_delivery", segments=["retail"]))
    assert edited.status_code == 302
    survey.refresh_from_db()
    assert survey.name == "Renamed" and survey.expiry_days == 30

    refused = manager_client.post(url, form_data(slug=survey.slug, trigger="campaign",
                                                 segments=["retail"]))
    assert "trigger" in refused.context["form"].errors
    survey.refresh_from_db()
    assert survey.trigger == Survey.Trigger.AFTER_DELIVERY


def test_advocates_see_surveys_but_may_not_create_edit_or_launch(advocate_client):
    survey = make_survey(trigger=Survey.Trigger.CAMPAIGN)

    assert advocate_client.get(reverse("nps:surveys")).status_code == 200
    detail = advocate_client.get(reverse("nps:survey", args=[survey.slug]))
    assert detail.status_code == 200
    assert reverse("nps:survey-launch", args=[survey.slug]) not in detail.content.decode()
    assert advocate_client.get(reverse("nps:survey-new")).status_code == 403
    assert advocate_client.post(reverse("nps:survey-new"), form_data()).status_code == 403
    assert advocate_client.get(reverse("nps:survey-edit", args=[survey.slug])).status_code == 403
    assert advocate_client.post(
        reverse("nps:survey-launch", args=[survey.slug])).status_code == 403
    survey.refresh_from_db()
    assert survey.launched_at is None and Survey.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client):
    page = client.get(reverse("nps:surveys"))
    assert page.status_code == 302 and "login" in page["Location"]


# --- Launching a campaign ------------------------------------------------------------------


def test_launching_a_campaign_invites_its_audience_at_once(
    manager_client, django_capture_on_commit_callbacks,
):
    survey = make_survey(trigger=Survey.Trigger.CAMPAIGN, segments=["retail"])
    audience = CustomerFactory.create_batch(2, segment="retail")
    CustomerFactory(segment="restaurants")
    url = reverse("nps:survey-launch", args=[survey.slug])

    with django_capture_on_commit_callbacks(execute=True):
        page = manager_client.post(url)

    assert page.status_code == 302
    survey.refresh_from_db()
    assert survey.launched_at is not None
    assert {i.customer for i in survey.invitations.all()} == set(audience)

    again = manager_client.post(url, follow=True)
    assert "launched already" in again.content.decode()
    assert survey.invitations.count() == 2


def test_only_an_active_campaign_is_launched():
    after_delivery = make_survey()
    switched_off = make_survey(trigger=Survey.Trigger.CAMPAIGN, active=False)
    for survey in (after_delivery, switched_off):
        with pytest.raises(ValidationError):
            surveys.launch_campaign(survey=survey, actor=None)
        survey.refresh_from_db()
        assert survey.launched_at is None


# --- The surveys list and a survey's invitations -------------------------------------------


def invite(survey: Survey, status: str = Status.SENT, *, answered: int | None = None,
           **fields) -> Invitation:
    customer = fields.pop("customer", None) or CustomerFactory()
    invitation = Invitation.objects.create(
        survey=survey, customer=customer, language=customer.language, status=status,
        sent_at=timezone.now() if status == Status.SENT else None, **fields)
    if answered is not None:
        invitation.answered_at = timezone.now()
        invitation.save()
        Response.objects.create(invitation=invitation, survey=survey, customer=customer,
                                score=answered, category="promoter" if answered >= 9 else (
                                    "passive" if answered >= 7 else "detractor"),
                                language=customer.language)
    return invitation


def fill(survey: Survey, *, sent: int = 0, answered: int = 0, suppressed: int = 0,
         failed: int = 0, pending: int = 0) -> None:
    for _ in range(sent):
        invite(survey)
    for score in range(answered):
        invite(survey, answered=score % 11)
    for _ in range(suppressed):
        invite(survey, Status.SUPPRESSED, reason=invitations.NO_CONSENT)
    for _ in range(failed):
        invite(survey, Status.FAILED, reason=invitations.REFUSED)
    for _ in range(pending):
        invite(survey, Status.PENDING)


def test_the_surveys_list_counts_invited_sent_answered_and_the_response_rate(advocate_client):
    survey = make_survey(name="After delivery")
    fill(survey, sent=3, answered=1, suppressed=2, failed=1, pending=2)

    [row] = advocate_client.get(reverse("nps:surveys")).context["surveys"]

    assert (row.invited, row.sent, row.answered, row.not_sent, row.waiting, row.total) == (
        7, 4, 1, 3, 2, 9)
    page = advocate_client.get(reverse("nps:surveys")).content.decode()
    assert ">25%<" in page  # 1 answered of 4 sent


def test_the_surveys_list_takes_the_same_queries_for_more_surveys(
    advocate_client, django_assert_num_queries,
):
    fill(make_survey(), sent=2, answered=1)
    advocate_client.get(reverse("nps:surveys"))
    with django_assert_num_queries(3) as first:  # session, user with groups, surveys
        advocate_client.get(reverse("nps:surveys"))
    for _ in range(4):
        fill(make_survey(), sent=2, answered=2, suppressed=1)
    with django_assert_num_queries(len(first.captured_queries)):
        page = advocate_client.get(reverse("nps:surveys"))
    assert len(page.context["surveys"]) == 5


def test_the_invitations_page_filters_answered_not_answered_and_not_sent_with_reason(
    advocate_client,
):
    survey = make_survey()
    asked = invite(survey, customer=CustomerFactory(name="Silent Sam"))
    answered = invite(survey, answered=3, customer=CustomerFactory(name="Dora Detractor"))
    unwilling = invite(survey, Status.SUPPRESSED, reason=invitations.NO_CONSENT,
                       customer=CustomerFactory(name="No Consent Nora"))
    waiting = invite(survey, Status.PENDING, customer=CustomerFactory(name="Pending Pia"))
    other = invite(make_survey(), customer=CustomerFactory(name="Other Survey Olga"))
    url = reverse("nps:survey-invitations", args=[survey.slug])

    def shown(show: str = "") -> list[Invitation]:
        page = advocate_client.get(url, {"show": show} if show else {})
        return list(page.context["page"].object_list)

    assert set(shown()) == {asked, answered, unwilling, waiting}
    assert shown("answered") == [answered]
    assert shown("not_answered") == [asked]
    assert shown("not_sent") == [unwilling]
    assert shown("waiting") == [waiting]
    assert other not in shown()

    html = advocate_client.get(url, {"show": "not_sent"}).content.decode()
    assert "No Consent Nora" in html and "The customer has not agreed to receive emails." in html
    answered_html = advocate_client.get(url, {"show": "answered"}).content.decode()
    assert "<strong>3</strong>" in answered_html


def test_the_invitations_page_is_paginated_with_a_flat_query_count_and_htmx_fragment(
    advocate_client, django_assert_num_queries,
):
    survey = make_survey()
    for _ in range(3):
        invite(survey, answered=9, order=OrderFactory())
    url = reverse("nps:survey-invitations", args=[survey.slug])
    advocate_client.get(url)
    with django_assert_num_queries(5) as few:  # session, user with groups, survey, count, page
        advocate_client.get(url)
    for number in range(30):
        invite(survey, answered=number % 11, order=OrderFactory())
    with django_assert_num_queries(len(few.captured_queries)):
        page = advocate_client.get(url, {"page": 2})
    assert len(page.context["page"].object_list) == 33 - 25

    fragment = advocate_client.get(url, {"page": 2}, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="invitation-table"')
    assert "<html" not in html
