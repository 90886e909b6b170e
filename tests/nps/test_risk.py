"""The closed loop: a detractor's answer is a risk signal that opens a case of kind
"detractor" (or joins the customer's open case) through the desk's risk engine, with the
score and comment in the case's timeline."""

from __future__ import annotations

import datetime as dt
import itertools
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from cases import services as desk
from cases.models import Case, CaseEvent, RiskSignal
from nps.models import Invitation, Response, Survey, category_of
from tests.cases.factories import CaseFactory, CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

RULE = "nps_detractor"
DAY = dt.timedelta(days=1)
_numbers = itertools.count(1)


def answer(customer, score: int, *, comment: str = "", days_ago: float = 0.1,
           order=None) -> Response:
    """An answer to a survey of its own (a campaign asks each customer once)."""
    number = next(_numbers)
    survey = Survey.objects.create(
        name=f"After delivery {number}", slug=f"risk-{number}",
        texts={"en": {"question": "How likely are you to recommend us?", "follow_up": "Why?"}})
    answered = timezone.now() - dt.timedelta(days=days_ago)
    invitation = Invitation.objects.create(
        survey=survey, customer=customer, order=order, language="en", status="sent",
        sent_at=answered - DAY, expires_at=answered + 30 * DAY, answered_at=answered)
    return Response.objects.create(
        invitation=invitation, survey=survey, customer=customer, score=score,
        category=category_of(score), comment=comment, language="en", answered_at=answered)


def run(*, as_of=None, full=False, **params):
    desk.update_rule(key=RULE, changes=desk.RuleSettings(
        enabled=True, params=params, owner_team=None, outreach=False))
    return desk.run_rule(key=RULE, as_of=as_of, full=full)


def test_a_detractor_answer_opens_a_detractor_case_with_the_score_and_comment():
    customer = CustomerFactory()
    low = answer(customer, 3, comment="The oven came two weeks late and nobody told us.")

    result = run()

    assert (result.status, result.signals_new, result.cases_opened) == ("succeeded", 1, 1)
    case = Case.objects.get()
    assert (case.customer, case.kind, case.origin) == (customer, "detractor", "nps")
    assert case.opened_by_rule == RULE
    assert case.title == "NPS detractor: 3 out of 10"
    signal = case.events.get(kind=CaseEvent.Kind.SIGNAL)
    assert "3 out of 10" in signal.message
    assert "The oven came two weeks late and nobody told us." in signal.message
    assert signal.data["facts"]["score"] == 3
    assert signal.data["facts"]["comment"].startswith("The oven came")
    assert RiskSignal.objects.get().subject_key == f"nps:{low.pk}"


def test_a_detractor_answer_after_a_delivery_names_the_order_without_predicting_lateness():
    order = OrderFactory(external_ref="O-OVEN-7", delivered_at=timezone.now() - 9 * DAY,
                         promised_delivery_at=timezone.now() - 10 * DAY)
    answer(order.customer, 0, order=order)

    run()

    signal = Case.objects.get().events.get(kind="signal")
    assert signal.message == ("The customer answered 0 out of 10 to the survey "
                              f"“{Survey.objects.get().name}” about order O-OVEN-7, with no "
                              "comment.")
    assert signal.data["facts"]["order"] == "O-OVEN-7"
    assert signal.data["predicted_impact"] == {}


def test_a_customer_with_an_open_case_gets_the_detractor_answer_attached_there():
    open_case = CaseFactory()
    answer(open_case.customer, 5, comment="Still waiting for a refund.")

    result = run()

    assert (result.signals_new, result.cases_opened) == (1, 0)
    assert Case.objects.get() == open_case
    assert "Still waiting for a refund." in open_case.events.get(kind="signal").message
    assert RiskSignal.objects.get().case == open_case


def test_promoters_and_passives_open_nothing_and_six_is_the_default_limit():
    answer(CustomerFactory(), 10, comment="Brilliant")
    answer(CustomerFactory(), 9)
    answer(CustomerFactory(), 8, comment="Fine")
    answer(CustomerFactory(), 7)
    six = answer(CustomerFactory(), 6)

    result = run()

    assert (result.signals_new, result.cases_opened) == (1, 1)
    assert Case.objects.get().customer == six.customer


def test_a_lower_limit_leaves_milder_detractors_alone():
    answer(CustomerFactory(), 5)
    two = answer(CustomerFactory(), 2)

    result = run(max_score=2)

    assert result.signals_new == 1
    assert Case.objects.get().customer == two.customer


def test_old_answers_open_no_case_when_the_rule_is_switched_on():
    answer(CustomerFactory(), 1, days_ago=45)
    fresh = answer(CustomerFactory(), 1, days_ago=5)

    result = run()

    assert result.signals_new == 1
    assert Case.objects.get().customer == fresh.customer


def test_a_signal_stays_open_as_the_answer_ages_and_clears_when_the_customer_changes_it():
    low = answer(CustomerFactory(), 2)
    run()

    aged = run(as_of=timezone.now() + 90 * DAY, full=True)
    assert (aged.signals_cleared, aged.signals_open) == (0, 1)

    Response.objects.filter(pk=low.pk).update(score=9, category="promoter",
                                              changed_at=timezone.now())
    changed = run(as_of=timezone.now() + 91 * DAY, full=True)
    assert changed.signals_cleared == 1
    assert RiskSignal.objects.get().cleared_at is not None


def test_the_next_live_run_picks_up_an_answer_changed_to_a_detractor_score():
    passive = answer(CustomerFactory(), 8, days_ago=3)
    assert run().signals_new == 0

    Response.objects.filter(pk=passive.pk).update(
        score=2, category="detractor", comment="Actually, the repair failed again.",
        changed_at=timezone.now())
    again = desk.run_rule(key=RULE, as_of=timezone.now() + dt.timedelta(minutes=1))

    assert not again.full
    assert (again.signals_new, again.cases_opened) == (1, 1)
    assert "the repair failed again" in Case.objects.get().events.get(kind="signal").message


def test_run_risk_checks_opens_the_detractor_case():
    answer(CustomerFactory(), 4, comment="Too slow")
    out = StringIO()

    call_command("run_risk_checks", "--rule", RULE, stdout=out)

    assert RULE in out.getvalue()
    assert Case.objects.get().kind == "detractor"


def test_a_comment_with_html_is_escaped_on_the_case_page(advocate_client):
    answer(CustomerFactory(), 1, comment="<script>alert('x')</script> <b>never again</b>")
    run()

    page = advocate_client.get(Case.objects.get().get_absolute_url()).content.decode()

    assert ("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &lt;b&gt;never again&lt;/b&gt;"
            in page)
    assert "<script>alert('x')</script>" not in page
    assert "<b>never again</b>" not in page
