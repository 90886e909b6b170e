"""Negative feedback from a known customer becomes a risk signal and a case; the
customer's page shows their feedback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import services as desk
from cases.models import Case, RiskSignal
from feedback.models import FeedbackItem, Source
from tests.cases.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    return Source.objects.create(name="Trustpilot", slug="trustpilot", platform="trustpilot")


def item(source, customer, *, text="", rating=None, sentiment=None, posted_days_ago=1,
         received=None, **fields) -> FeedbackItem:
    received = received or timezone.now() - dt.timedelta(hours=1)
    return FeedbackItem.objects.create(
        source=source, customer=customer, text=text, content_hash=str(FeedbackItem.objects.count()),
        rating=rating, rating_normalised=None if rating is None else (rating - 1) / 4,
        rating_scale="1-5" if rating is not None else "", sentiment=sentiment,
        posted_at=received - dt.timedelta(days=posted_days_ago), received_at=received,
        **fields)


def run(as_of=None):
    desk.update_rule(key="negative_feedback", changes=desk.RuleSettings(
        enabled=True, params={}, owner_team=None, outreach=False))
    (run,) = desk.run_enabled_rules(keys=["negative_feedback"], as_of=as_of)
    return run


def test_negative_feedback_from_a_known_customer_opens_a_negative_review_case(source):
    customer = CustomerFactory()
    angry = item(source, customer, text="Never again. The sofa came broken.", rating=1,
                 sentiment=-0.8, title="Awful")
    item(source, customer, text="Lovely staff", rating=5, sentiment=0.9)
    item(source, None, text="Terrible", rating=1, sentiment=-0.9)  # nobody we know
    item(source, CustomerFactory(), text="Bad", rating=1, sentiment=-0.9,
         posted_days_ago=400)  # an old review brought in by an import

    result = run()

    assert (result.status, result.signals_new, result.cases_opened) == ("succeeded", 1, 1)
    case = Case.objects.get()
    assert (case.customer, case.kind, case.origin) == (customer, "negative_review", "proactive")
    assert case.title == "Negative feedback on Trustpilot"
    signal = RiskSignal.objects.get()
    assert signal.subject_key == f"feedback:{angry.pk}"
    assert signal.facts["excerpt"].startswith("Never again")
    assert "“Awful”" in case.events.get(kind="signal").message


def test_a_low_rating_alone_or_a_negative_text_alone_is_enough(source):
    low = item(source, CustomerFactory(), rating=2)
    sour = item(source, CustomerFactory(), text="not happy", sentiment=-0.5)
    run()
    assert set(RiskSignal.objects.values_list("subject_key", flat=True)) == {
        f"feedback:{low.pk}", f"feedback:{sour.pk}"}


def test_feedback_received_after_the_moment_is_not_seen(source):
    customer = CustomerFactory()
    item(source, customer, rating=1, received=timezone.now())
    result = run(as_of=timezone.now() - dt.timedelta(days=2))
    assert result.signals_new == 0


def test_the_next_live_run_picks_up_new_feedback(source):
    run()
    late = item(source, CustomerFactory(), rating=1, received=timezone.now())
    (again,) = desk.run_enabled_rules(keys=["negative_feedback"],
                                      as_of=timezone.now() + dt.timedelta(minutes=1))
    assert not again.full
    assert again.signals_new == 1
    assert RiskSignal.objects.get().subject_key == f"feedback:{late.pk}"


def test_the_customer_page_shows_their_feedback_escaped(advocate_client, source):
    customer = CustomerFactory()
    item(source, customer, text="<script>alert('x')</script> arrived late", rating=2,
         sentiment=-0.4)

    page = advocate_client.get(customer.get_absolute_url()).content.decode()

    assert 'id="panel-feedback-title"' in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; arrived late" in page
    assert "<script>alert('x')</script>" not in page
    assert "rated 2 (1-5)" in page


def test_two_complaints_about_one_order_open_one_case_with_the_order_once(source):
    order = OrderFactory()
    google = Source.objects.create(name="Google", slug="google", platform="google")
    for where in (source, google):
        item(where, order.customer, rating=1, sentiment=-0.8, order=order)

    result = run()

    assert (result.status, result.signals_new, result.cases_opened) == ("succeeded", 2, 1)
    assert list(Case.objects.get().orders.all()) == [order]


def test_a_complaint_about_a_delivered_order_counts_the_days_late_until_it_arrived(source):
    now = timezone.now()
    late = OrderFactory(promised_delivery_at=now - dt.timedelta(days=30),
                        delivered_at=now - dt.timedelta(days=28))
    on_time = OrderFactory(promised_delivery_at=now - dt.timedelta(days=30),
                           delivered_at=now - dt.timedelta(days=31))
    for order in (late, on_time):
        item(source, order.customer, rating=1, sentiment=-0.8, order=order)

    run()

    impacts = {case.orders.get(): case.events.get(kind="signal").data["predicted_impact"]
               for case in Case.objects.all()}
    assert impacts[late]["days_late"] == 2.0
    assert "days_late" not in impacts[on_time]
