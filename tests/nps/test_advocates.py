"""Brand advocates: promoters become candidates, staff confirm or decline them, care actions
keep them; the Advocates page shows the care gaps and the desk raises an advocate's open
case to the top; passives with a negative comment wait on the Follow-ups page; the customer
page gains an NPS panel."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services as desk
from cases.models import Case, CaseEvent, Priority
from feedback.models import FeedbackItem, Source
from nps import tasks
from nps.models import AdvocateProfile, CareAction, Invitation, Response, Survey, category_of
from nps.selectors import advocates as selectors
from nps.services import advocates as services
from nps.services import answers
from tests.cases.factories import CaseFactory, CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
_numbers = itertools.count(1)


def invitation(customer, *, order=None) -> Invitation:
    number = next(_numbers)
    survey = Survey.objects.create(
        name=f"Survey {number}", slug=f"care-{number}",
        texts={"en": {"question": "How likely are you to recommend us?", "follow_up": "Why?"}})
    now = timezone.now()
    return Invitation.objects.create(survey=survey, customer=customer, order=order,
                                     language="en", status="sent", sent_at=now - DAY,
                                     expires_at=now + 30 * DAY)


def answer(customer, score: int, *, comment: str = "", days_ago: float = 0,
           follow_up: bool = False) -> Response:
    """A stored answer, written directly: for the pages and gaps, not the answer flow."""
    invited = invitation(customer)
    return Response.objects.create(
        invitation=invited, survey=invited.survey, customer=customer, score=score,
        category=category_of(score), comment=comment, language="en", follow_up=follow_up,
        answered_at=timezone.now() - dt.timedelta(days=days_ago))


def brand_advocate(*, customer=None, confirmed_by=None, **fields) -> AdvocateProfile:
    return AdvocateProfile.objects.create(
        customer=customer or CustomerFactory(), status=AdvocateProfile.Status.CONFIRMED,
        confirmed_at=timezone.now() - 30 * DAY, confirmed_by=confirmed_by, **fields)


def care(profile, practice="appreciation", days_ago=0,
         description="A handwritten thank-you card") -> CareAction:
    return CareAction.objects.create(advocate=profile, practice=practice,
                                     done_on=timezone.localdate() - dt.timedelta(days=days_ago),
                                     description=description)


# --- candidates from promoters -----------------------------------------------------------------


def test_a_promoter_answer_makes_the_customer_a_candidate_once():
    customer = CustomerFactory()

    answers.record_answer(invitation=invitation(customer), score=9, comment="Great service")
    answers.record_answer(invitation=invitation(customer), score=10, comment="Again great")

    profile = AdvocateProfile.objects.get()
    assert (profile.customer, profile.status) == (customer, "candidate")


@pytest.mark.parametrize("score", [8, 7, 3])
def test_an_answer_below_nine_makes_no_candidate(score):
    answers.record_answer(invitation=invitation(CustomerFactory()), score=score, comment="")
    assert not AdvocateProfile.objects.exists()


def test_changing_an_eight_into_a_ten_makes_a_candidate():
    invited = invitation(CustomerFactory())
    answers.record_answer(invitation=invited, score=8, comment="")
    assert not AdvocateProfile.objects.exists()

    answers.record_answer(invitation=invited, score=10, comment="Thought about it: brilliant")

    assert AdvocateProfile.objects.get().status == "candidate"


def test_a_declined_customer_stays_declined_after_another_ten(advocate):
    customer = CustomerFactory()
    answers.record_answer(invitation=invitation(customer), score=10, comment="")
    services.decline_advocate(profile=AdvocateProfile.objects.get(), actor=advocate,
                              note="A reseller")

    answers.record_answer(invitation=invitation(customer), score=10, comment="")

    profile = AdvocateProfile.objects.get()
    assert (profile.status, profile.declined_by, profile.note) == ("declined", advocate,
                                                                  "A reseller")


# --- confirming and declining ------------------------------------------------------------------


def test_an_advocate_or_a_manager_confirms_a_candidate(advocate, manager):
    first = AdvocateProfile.objects.create(customer=CustomerFactory())
    second = AdvocateProfile.objects.create(customer=CustomerFactory())

    services.confirm_advocate(profile=first, actor=advocate, note="Recommends us on LinkedIn")
    services.confirm_advocate(profile=second, actor=manager)

    first.refresh_from_db()
    assert (first.status, first.confirmed_by, first.note) == (
        "confirmed", advocate, "Recommends us on LinkedIn")
    assert first.confirmed_at is not None
    assert AdvocateProfile.objects.get(pk=second.pk).confirmed_by == manager


def test_only_candidates_are_confirmed_or_declined(advocate):
    declined = AdvocateProfile.objects.create(customer=CustomerFactory(), status="declined")
    confirmed = AdvocateProfile.objects.create(customer=CustomerFactory(), status="confirmed")

    with pytest.raises(ValidationError, match="no longer a candidate"):
        services.confirm_advocate(profile=declined, actor=advocate)
    with pytest.raises(ValidationError, match="no longer a candidate"):
        services.decline_advocate(profile=confirmed, actor=advocate)
    assert AdvocateProfile.objects.get(pk=declined.pk).status == "declined"


def test_someone_outside_the_staff_groups_cannot_confirm():
    candidate = AdvocateProfile.objects.create(customer=CustomerFactory())
    with pytest.raises(PermissionDenied):
        services.confirm_advocate(profile=candidate, actor=UserFactory())
    assert AdvocateProfile.objects.get().status == "candidate"


def test_confirm_and_decline_from_the_advocates_page(advocate_client):
    keep = AdvocateProfile.objects.create(customer=CustomerFactory(name="Trattoria Bella"))
    drop = AdvocateProfile.objects.create(customer=CustomerFactory())

    response = advocate_client.post(reverse("nps:advocate-confirm", args=[keep.pk]),
                                    {"next": "list"}, follow=True)
    advocate_client.post(reverse("nps:advocate-decline", args=[drop.pk]), {"note": "Staff"})

    assert response.redirect_chain[-1][0] == reverse("nps:advocates")
    assert "Trattoria Bella is a brand advocate now." in response.content.decode()
    assert AdvocateProfile.objects.get(pk=keep.pk).status == "confirmed"
    assert AdvocateProfile.objects.get(pk=drop.pk).status == "declined"


# --- care actions ------------------------------------------------------------------------------


def test_a_care_action_is_recorded_with_practice_date_who_and_what(advocate):
    profile = brand_advocate()
    day = timezone.localdate() - 3 * DAY

    action = services.add_care_action(advocate=profile, practice="recognition", done_on=day,
                                      description=" Featured in our newsletter ", actor=advocate)

    action.refresh_from_db()
    assert (action.practice, action.done_on, action.actor, action.description) == (
        "recognition", day, advocate, "Featured in our newsletter")


def test_a_practice_that_is_not_one_of_the_six_is_refused_with_a_message(advocate):
    profile = brand_advocate()

    with pytest.raises(ValidationError) as refused:
        services.add_care_action(advocate=profile, practice="bribery", description="Cash",
                                 actor=advocate)

    assert "practice" in refused.value.message_dict
    assert "bribery" in refused.value.message_dict["practice"][0]
    assert not CareAction.objects.exists()


def test_a_bad_practice_posted_to_the_profile_page_shows_the_form_again(advocate_client):
    profile = brand_advocate()

    response = advocate_client.post(reverse("nps:advocate-care", args=[profile.pk]), {
        "practice": "bribery", "done_on": timezone.localdate().isoformat(),
        "description": "Cash in an envelope"})

    assert response.status_code == 200
    assert "Select a valid choice. bribery is not one of the available choices." in (
        response.content.decode())
    assert not CareAction.objects.exists()


@pytest.mark.parametrize("problem", ["future", "no description", "candidate", "other case"])
def test_care_actions_that_make_no_sense_are_refused(advocate, problem):
    profile = brand_advocate() if problem != "candidate" else AdvocateProfile.objects.create(
        customer=CustomerFactory())
    fields = {"practice": "presence", "description": "Joined their trade-fair stand",
              "done_on": timezone.localdate()}
    if problem == "future":
        fields["done_on"] = timezone.localdate() + DAY
    elif problem == "no description":
        fields["description"] = "   "
    elif problem == "other case":
        fields["case"] = CaseFactory()

    with pytest.raises(ValidationError):
        services.add_care_action(advocate=profile, actor=advocate, **fields)
    assert not CareAction.objects.exists()


def test_a_care_action_about_a_case_is_noted_in_its_timeline(advocate_client, advocate):
    profile = brand_advocate()
    case = CaseFactory(customer=profile.customer)

    response = advocate_client.post(reverse("nps:advocate-care", args=[profile.pk]), {
        "practice": "mutual_respect", "done_on": timezone.localdate().isoformat(),
        "description": "Called to say the replacement ships today", "case": case.pk})

    assert response.status_code == 302
    action = CareAction.objects.get()
    assert (action.case, action.actor) == (case, advocate)
    note = case.events.get(kind=CaseEvent.Kind.NOTE)
    assert "mutual respect" in note.message
    assert "Called to say the replacement ships today" in note.message


# --- care gaps ---------------------------------------------------------------------------------


def test_advocates_without_a_care_action_in_ninety_days_are_a_gap():
    recent, lapsed, never = brand_advocate(), brand_advocate(), brand_advocate()
    care(recent, days_ago=89)
    care(lapsed, days_ago=91)
    care(lapsed, days_ago=200)
    care(AdvocateProfile.objects.create(customer=CustomerFactory()), days_ago=400)  # candidate

    assert set(selectors.confirmed_advocates(gap="quiet")) == {lapsed, never}
    assert selectors.care_gap_counts()["quiet"] == 2


def test_practices_never_used_for_an_advocate_are_listed():
    profile = brand_advocate()
    care(profile, practice="appreciation")
    care(profile, practice="recognition")
    care(AdvocateProfile.objects.create(customer=CustomerFactory()), practice="presence")

    assert [value for value, _label in selectors.unused_practices()] == [
        "mutual_respect", "accessibility", "active_listening", "presence"]


def test_an_advocate_whose_last_answer_dropped_below_nine_is_a_gap():
    dropped, steady, _silent = brand_advocate(), brand_advocate(), brand_advocate()
    answer(dropped.customer, 10, days_ago=200)
    answer(dropped.customer, 6, days_ago=2)
    answer(steady.customer, 7, days_ago=200)
    answer(steady.customer, 9, days_ago=2)

    assert list(selectors.confirmed_advocates(gap="dropped")) == [dropped]
    assert selectors.care_gap_counts()["dropped"] == 1


def test_an_advocate_with_an_open_case_below_top_priority_is_a_gap():
    lagging, urgent, resolved = brand_advocate(), brand_advocate(), brand_advocate()
    CaseFactory(customer=lagging.customer)
    top = CaseFactory(customer=urgent.customer)
    Case.objects.filter(pk=top.pk).update(priority=Priority.URGENT)
    old = CaseFactory(customer=resolved.customer)
    Case.objects.filter(pk=old.pk).update(status="resolved", outcome="retained",
                                          resolved_at=timezone.now())
    CaseFactory(customer=AdvocateProfile.objects.create(customer=CustomerFactory()).customer)

    assert list(selectors.confirmed_advocates(gap="open_case")) == [lagging]
    assert selectors.care_gap_counts()["open_case"] == 1


def test_the_advocates_page_shows_the_gaps_and_the_candidates(advocate_client):
    lapsed = brand_advocate(customer=CustomerFactory(name="Pizzeria Nord"))
    care(lapsed, days_ago=120)
    candidate = AdvocateProfile.objects.create(customer=CustomerFactory(name="Bistro Sud"))
    answer(candidate.customer, 10, comment="<img src=x onerror=alert(1)> the best")

    page = advocate_client.get(reverse("nps:advocates")).content.decode()
    quiet = advocate_client.get(reverse("nps:advocates") + "?gap=quiet",
                                headers={"HX-Request": "true"}).content.decode()

    assert f'<a href="{reverse("nps:advocates")}" aria-current="page">Advocates</a>' in page
    assert "Pizzeria Nord" in page and "Bistro Sud" in page
    assert "&lt;img src=x onerror=alert(1)&gt; the best" in page
    assert "<img src=x" not in page
    assert 'data-practice="mutual_respect"' in page
    assert 'data-practice="appreciation"' not in page  # used for Pizzeria Nord
    assert quiet.strip().startswith('<div id="advocate-table"') and "Pizzeria Nord" in quiet


def test_candidates_are_paged_longest_waiting_first(advocate_client):
    for days in range(12):
        AdvocateProfile.objects.create(
            customer=CustomerFactory(name=f"Waiting {days:02d} days"),
            since=timezone.now() - dt.timedelta(days=days))

    first = advocate_client.get(reverse("nps:advocates")).content.decode()
    second = advocate_client.get(reverse("nps:advocates") + "?candidates=2",
                                 headers={"HX-Request": "true"}).content.decode()

    assert "12 promoters wait for someone to confirm or decline them" in first
    assert first.index("Waiting 11 days") < first.index("Waiting 02 days")
    assert "Waiting 01 days" not in first
    assert second.strip().startswith('<div id="candidate-table"')
    assert "Waiting 01 days" in second and "Waiting 00 days" in second
    assert "Waiting 02 days" not in second


# --- mutual respect: an advocate's case comes first --------------------------------------------


def test_confirming_an_advocate_raises_their_open_case_to_urgent_and_says_why(advocate):
    customer = CustomerFactory()
    case = CaseFactory(customer=customer)
    assert case.priority == Priority.NORMAL
    candidate = AdvocateProfile.objects.create(customer=customer)

    services.confirm_advocate(profile=candidate, actor=advocate)

    case.refresh_from_db()
    assert case.priority == Priority.URGENT
    assert "mutual respect" in case.priority_override_reason
    event = case.events.get(kind=CaseEvent.Kind.PRIORITY)
    assert (event.actor_kind, event.actor, event.actor_label) == ("system", None,
                                                                  "Brand advocates")
    assert "their problems come first" in event.message
    assert (event.data["from"], event.data["to"]) == (Priority.NORMAL, Priority.URGENT)
    assert selectors.care_gap_counts()["open_case"] == 0


def test_the_beat_task_raises_new_cases_of_advocates_once_however_often_it_runs():
    profile = brand_advocate()
    case = CaseFactory(customer=profile.customer)
    other = CaseFactory()  # not an advocate's

    tasks.raise_advocate_cases.delay()
    tasks.raise_advocate_cases.delay()

    assert Case.objects.get(pk=case.pk).priority == Priority.URGENT
    assert case.events.filter(kind=CaseEvent.Kind.PRIORITY).count() == 1
    assert Case.objects.get(pk=other.pk).priority == Priority.NORMAL
    assert not other.events.filter(kind=CaseEvent.Kind.PRIORITY).exists()


def test_a_case_a_person_held_down_by_hand_is_left_to_them_and_shown_as_a_gap(
    advocate_client, manager
):
    profile = brand_advocate()
    case = CaseFactory(customer=profile.customer)
    desk.override_priority(case=case, priority=Priority.LOW, actor=manager,
                           reason="Waiting for the customer's holiday to end")

    assert services.raise_advocate_cases() == 0

    assert Case.objects.get(pk=case.pk).priority == Priority.LOW
    page = advocate_client.get(reverse("nps:advocates")).content.decode()
    assert "Set by hand: Waiting for the customer&#x27;s holiday to end" in page


def test_a_priority_set_by_hand_before_they_were_an_advocate_is_raised(manager, advocate):
    customer = CustomerFactory()
    case = CaseFactory(customer=customer)
    desk.override_priority(case=case, priority=Priority.LOW, actor=manager, reason="Minor")
    candidate = AdvocateProfile.objects.create(customer=customer)

    services.confirm_advocate(profile=candidate, actor=advocate)

    assert Case.objects.get(pk=case.pk).priority == Priority.URGENT


# --- the profile page --------------------------------------------------------------------------


def test_the_profile_shows_answers_positive_reviews_orders_cases_and_care(advocate_client):
    profile = brand_advocate(customer=CustomerFactory(name="Osteria Blu"))
    customer = profile.customer
    answer(customer, 10, comment="Always on time <3")
    OrderFactory(customer=customer, external_ref="O-BLU-1")
    CaseFactory(customer=customer, title="Mixer arrived damaged")
    care(profile, practice="active_listening", description="Asked about the new catalogue")
    source = Source.objects.create(name="Trustpilot", slug="trustpilot", platform="trustpilot")
    for text, rating, sentiment in (("Lovely people, fast delivery", 5, 0.8),
                                    ("Late and rude", 1, -0.7), ("Good prices", None, 0.4)):
        FeedbackItem.objects.create(
            source=source, customer=customer, text=text, content_hash=text,
            rating=rating, rating_normalised=None if rating is None else (rating - 1) / 4,
            sentiment=sentiment, rating_scale="1-5" if rating else "")

    page = advocate_client.get(reverse("nps:advocate", args=[profile.pk])).content.decode()

    assert "Always on time &lt;3" in page
    assert "Lovely people, fast delivery" in page and "Good prices" in page
    assert "Late and rude" not in page
    assert "O-BLU-1" in page and "Mixer arrived damaged" in page
    assert "Asked about the new catalogue" in page and "Active listening" in page
    assert 'id="care-form"' in page


# --- follow-ups --------------------------------------------------------------------------------


def test_passives_flagged_for_follow_up_are_listed_and_marked_done(advocate_client, advocate):
    flagged = answer(CustomerFactory(name="Café Verde"), 7,
                     comment="The <em>delivery</em> was a mess", follow_up=True)
    answer(CustomerFactory(name="Happy Ltd"), 8, comment="Fine")

    page = advocate_client.get(reverse("nps:follow-ups")).content.decode()
    assert "Café Verde" in page and "Happy Ltd" not in page
    assert "The &lt;em&gt;delivery&lt;/em&gt; was a mess" in page
    assert flagged.customer.get_absolute_url() in page

    done = advocate_client.post(reverse("nps:follow-up-done", args=[flagged.pk]),
                                {"note": "Called; a voucher is on its way"}, follow=True)

    flagged.refresh_from_db()
    assert (flagged.follow_up, flagged.followed_up_by, flagged.follow_up_note) == (
        False, advocate, "Called; a voucher is on its way")
    assert flagged.followed_up_at is not None
    content = done.content.decode()
    assert "Nobody to call back." in content
    assert "Called; a voucher is on its way" in content  # under "Recently done"


def test_a_follow_up_is_done_once(advocate):
    flagged = answer(CustomerFactory(), 8, comment="meh", follow_up=True)
    services.mark_followed_up(response=flagged, actor=advocate)
    with pytest.raises(ValidationError, match="not waiting"):
        services.mark_followed_up(response=flagged, actor=advocate)


# --- the customer page -------------------------------------------------------------------------


def test_the_customer_page_has_an_nps_panel_with_answers_and_advocate_status(advocate_client):
    profile = brand_advocate()
    customer = profile.customer
    answer(customer, 9, comment="<script>alert('x')</script> great", days_ago=100)
    answer(customer, 6, comment="Slower this time", days_ago=2)

    page = advocate_client.get(customer.get_absolute_url()).content.decode()

    assert 'id="panel-nps-title"' in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; great" in page
    assert "<script>alert('x')</script>" not in page
    assert page.index("Slower this time") < page.index("great")  # newest first
    assert "Brand advocate" in page
    assert reverse("nps:advocate", args=[profile.pk]) in page


def test_a_customer_without_answers_says_so_in_the_panel(advocate_client):
    page = advocate_client.get(CustomerFactory().get_absolute_url()).content.decode()
    assert "No NPS answers from this customer yet." in page


# --- who may see, and how much it costs ---------------------------------------------------------


def test_only_staff_see_the_advocate_pages(client):
    profile = brand_advocate()
    urls = [reverse("nps:advocates"), reverse("nps:advocate", args=[profile.pk]),
            reverse("nps:follow-ups")]
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    for url in urls:
        assert client.get(url).status_code == 403


def _advocates_with_history(count: int) -> None:
    for number in range(count):
        profile = brand_advocate()
        care(profile, days_ago=number * 10)
        answer(profile.customer, 10 if number % 2 else 6, comment="words")
        CaseFactory(customer=profile.customer)
        AdvocateProfile.objects.create(customer=CustomerFactory())


@pytest.mark.parametrize("count", [2, 12])
def test_the_advocates_page_query_count_does_not_grow_with_advocates(
    advocate_client, django_assert_num_queries, count
):
    _advocates_with_history(count)
    # session, user+groups, advocates (count, page), candidates (count, page), gap counts,
    # practices used
    with django_assert_num_queries(8):
        response = advocate_client.get(reverse("nps:advocates"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [2, 12])
def test_the_profile_and_follow_up_pages_query_counts_are_fixed(
    advocate_client, django_assert_num_queries, count
):
    profile = brand_advocate()
    for _number in range(count):
        answer(profile.customer, 9, comment="good")
        care(profile, practice="presence")
        CaseFactory(customer=profile.customer)
        answer(CustomerFactory(), 7, comment="meh", follow_up=True)
    # session, user+groups, profile, answers, reviews, orders, cases, care actions,
    # open cases for the form (asked, listed)
    with django_assert_num_queries(10):
        assert advocate_client.get(
            reverse("nps:advocate", args=[profile.pk])).status_code == 200
    # session, user+groups, count, page, recently done
    with django_assert_num_queries(5):
        assert advocate_client.get(reverse("nps:follow-ups")).status_code == 200


# --- beat and the demo -------------------------------------------------------------------------


def test_beat_raises_advocate_cases_on_its_interval(settings):
    from advocacy.celery import app, schedule_periodic_tasks

    settings.NPS_ADVOCATE_CASES_INTERVAL = 120
    schedule_periodic_tasks(app)

    entry = app.conf.beat_schedule["nps-advocate-cases"]
    assert (entry["task"], entry["schedule"]) == ("nps.tasks.raise_advocate_cases", 120.0)
    assert entry["task"] in app.tasks


def test_the_demo_has_advocates_with_care_gaps_and_detractor_cases():
    from django.core.management import call_command

    call_command("load_demo")

    counts = selectors.care_gap_counts()
    assert counts["advocates"] >= 5 and counts["candidates"] > 0
    assert counts["quiet"] >= 1 and counts["dropped"] >= 1 and counts["open_case"] == 0
    assert ("presence", "Presence") in selectors.unused_practices()
    assert AdvocateProfile.objects.filter(status="declined").exists()
    raised = CaseEvent.objects.get(case__customer__external_ref="DEMO-C002",
                                   kind=CaseEvent.Kind.PRIORITY, actor_kind="system")
    assert raised.case.priority == Priority.URGENT
    detractor_cases = Case.objects.filter(kind="detractor", origin="nps")
    assert detractor_cases.exists()
    assert Response.objects.filter(follow_up=True).exists()
