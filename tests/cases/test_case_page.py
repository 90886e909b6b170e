"""The case page and its actions, the decision brief, opening a case, logging a contact and
the desk's settings: who may do what, errors shown in place, conflicts, escaping, queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CaseEvent,
    Contact,
    DeskSettings,
    Impact,
    OutboundEmail,
    Priority,
    Remedy,
    SlaTarget,
)
from tests.cases.factories import CaseFactory, CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS = "<script>alert('x')</script>"
XSS_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
STALE = "Someone else changed this case while you were editing it"


@pytest.fixture
def case(advocate):
    customer = CustomerFactory(name="Giulia Rossi", external_ref="C-1042", value_tier="key")
    now = timezone.now()
    order = OrderFactory(customer=customer, external_ref="WEB-88213", critical=True,
                         value=Decimal("1249.90"), promised_delivery_at=now - timedelta(days=3),
                         expected_delivery_at=now + timedelta(days=1))
    return CaseFactory(customer=customer, orders=[order], actor=advocate,
                       title="Oven late for the reopening")


def url(name: str, case: Case, *args) -> str:
    return reverse(f"cases:{name}", args=[case.pk, *args])


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def propose(case: Case, actor, cost: str = "500", **extra) -> Remedy:
    return services.propose_remedy(
        case=case, actor=actor, kind=Remedy.Kind.REFUND, summary="Refund the delivery",
        cost=Decimal(cost), currency="EUR", benefit="Their money back", **extra,
    )


# --- who may do what ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["case", "case-brief"])
def test_anonymous_visitors_are_sent_to_log_in(client, case, name):
    response = client.get(url(name, case))

    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize("name", ["case-new", "contact-new", "desk-settings"])
def test_anonymous_visitors_are_sent_to_log_in_from_the_other_pages(client, name):
    response = client.get(reverse(f"cases:{name}"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_anonymous_action_changes_nothing(client, case):
    response = client.post(url("case-note", case), {"text": "hello"})

    assert response.status_code == 302
    assert not case.events.filter(kind=CaseEvent.Kind.NOTE).exists()


def test_a_user_outside_the_staff_groups_is_refused(client, case):
    client.force_login(UserFactory())

    assert client.get(url("case", case)).status_code == 403


def test_an_unknown_case_is_not_found(advocate_client):
    assert advocate_client.get(reverse("cases:case", args=[999])).status_code == 404


def test_actions_only_accept_posts(advocate_client, case):
    assert advocate_client.get(url("case-note", case)).status_code == 405


def test_an_advocate_may_not_decide_a_remedy(advocate_client, advocate, case):
    remedy = propose(case, advocate)

    response = advocate_client.post(url("case-remedy-decide", case, remedy.pk),
                                    {"decision": "approve"})

    assert response.status_code == 403
    assert b"This page is not for your role" in response.content
    remedy.refresh_from_db()
    assert remedy.decision == Remedy.Decision.PENDING


def test_an_advocate_may_not_change_the_desk_settings(advocate_client):
    assert advocate_client.get(reverse("cases:desk-settings")).status_code == 403
    response = advocate_client.post(reverse("cases:desk-settings"),
                                    {"approval_threshold": "9999", "approval_currency": "EUR"})
    assert response.status_code == 403
    assert DeskSettings.current().approval_threshold == Decimal("100.00")


# --- the page -----------------------------------------------------------------------------


def test_the_case_page_shows_the_case_customer_orders_and_sla(advocate_client, case):
    response = advocate_client.get(url("case", case))

    assert response.status_code == 200
    content = response.content.decode()
    assert f"#{case.pk}" in content
    assert "Oven late for the reopening" in content
    assert "Giulia Rossi" in content
    assert "Key account" in content
    assert "WEB-88213" in content
    assert "Late by 3 days" in content  # the badge of the customer page
    assert "Critical" in content
    assert "First response" in content and "Resolution" in content
    assert "Priority computed by the desk" in content
    assert 'name="expected_version" value="1"' in content


def test_an_overdue_sla_is_said_in_words(advocate_client, advocate):
    case = CaseFactory(actor=advocate, opened_at=timezone.now() - timedelta(days=3))

    content = advocate_client.get(url("case", case)).content.decode()

    assert "Overdue by" in content
    assert "sla--overdue" in content


def test_the_case_page_shows_an_overridden_priority_with_its_reason(
    advocate_client, advocate, case
):
    services.override_priority(case=case, priority=Priority.URGENT, actor=advocate,
                               reason="Their reopening is on Saturday")

    content = advocate_client.get(url("case", case)).content.decode()

    assert "Priority set by hand:" in content
    assert "Their reopening is on Saturday" in content


def test_the_timeline_shows_changes_in_words_newest_first(advocate_client, advocate, case):
    services.change_status(case=case, status=Case.Status.AWAITING_CUSTOMER, actor=advocate)
    services.add_note(case=case, text="Called the carrier", actor=advocate)

    content = advocate_client.get(url("case", case)).content.decode()

    timeline = content[content.index('id="timeline"'):]
    assert timeline.index("Called the carrier") < timeline.index("New → Awaiting customer")
    assert "Staff" in timeline


def test_the_timeline_filters_to_the_conversation(advocate_client, advocate, case):
    services.add_note(case=case, text="Called the carrier", actor=advocate)

    response = advocate_client.get(url("case", case) + "?show=conversation",
                                   HTTP_HX_TARGET="timeline", **HTMX)

    content = response.content.decode()
    assert "<html" not in content
    assert "Called the carrier" in content
    assert "Origin" not in content  # the opening is a change, not conversation


def test_a_long_timeline_shows_its_newest_events_and_links_to_the_rest(
    advocate_client, advocate, case
):
    from cases.views.case import TIMELINE_LENGTH

    for number in range(TIMELINE_LENGTH + 5):
        services.add_note(case=case, text=f"Note number {number:03d}.", actor=advocate)

    page = advocate_client.get(url("case", case)).content.decode()
    whole = advocate_client.get(url("case", case) + "?timeline=all",
                                HTTP_HX_TARGET="timeline", **HTMX).content.decode()

    assert f"Note number {TIMELINE_LENGTH + 4:03d}." in page  # the newest
    assert "Note number 000." not in page
    assert f"Showing the newest {TIMELINE_LENGTH} events. Show the whole timeline" in page
    assert "?timeline=all#timeline" in page
    assert "Note number 000." in whole and "Show the whole timeline" not in whole
    assert whole.count('class="timeline__item ') == CaseEvent.objects.filter(case=case).count()


def test_a_remedy_awaiting_a_manager_says_so_to_its_advocate(advocate_client, advocate, case):
    propose(case, advocate, recommended=True)

    content = advocate_client.get(url("case", case)).content.decode()

    assert "Awaiting decision" in content
    assert "Awaiting a manager" in content
    assert "Recommended" in content
    assert url("case-remedy-decide", case, case.remedies.get().pk) not in content


def test_a_manager_sees_the_decision_controls(manager_client, advocate, case):
    remedy = propose(case, advocate)

    content = manager_client.get(url("case", case)).content.decode()

    assert url("case-remedy-decide", case, remedy.pk) in content
    assert 'value="approve"' in content and 'value="reject"' in content


def test_the_propose_form_tells_the_threshold(advocate_client, case):
    content = advocate_client.get(url("case", case)).content.decode()

    assert "You decide remedies costing up to 100.00 EUR" in content


# --- actions ------------------------------------------------------------------------------


def test_assigning_the_case_to_me(advocate_client, advocate, case):
    response = advocate_client.post(url("case-assign", case),
                                    {"owner": advocate.pk, "expected_version": case.version})

    assert response.status_code == 302
    assert response["Location"] == url("case", case)
    case = fresh(case)
    assert case.owner == advocate
    assert case.status == Case.Status.IN_PROGRESS


def test_assigning_to_someone_who_is_not_staff_is_refused(advocate_client, case):
    outsider = UserFactory()

    response = advocate_client.post(url("case-assign", case), {"owner": outsider.pk})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert fresh(case).owner is None


def test_changing_the_status(advocate_client, case):
    response = advocate_client.post(url("case-status", case),
                                    {"status": Case.Status.AWAITING_CUSTOMER})

    assert response.status_code == 302
    assert fresh(case).status == Case.Status.AWAITING_CUSTOMER


def test_a_move_the_desk_does_not_allow_is_explained(advocate_client, case):
    response = advocate_client.post(url("case-status", case), {"status": Case.Status.CLOSED})

    assert response.status_code == 200
    assert "cannot be set to closed here" in response.content.decode()
    assert fresh(case).status == Case.Status.NEW


def test_overriding_the_priority_needs_a_reason(advocate_client, case):
    response = advocate_client.post(url("case-priority", case), {"priority": Priority.URGENT})

    assert response.status_code == 200
    assert "Say why you set the priority by hand." in response.content.decode()
    assert fresh(case).priority != Priority.URGENT


def test_overriding_the_priority_and_giving_it_back_to_the_desk(advocate_client, case):
    computed = case.priority
    response = advocate_client.post(url("case-priority", case),
                                    {"priority": Priority.LOW, "reason": "Customer is relaxed"})
    assert response.status_code == 302
    assert fresh(case).priority == Priority.LOW

    response = advocate_client.post(url("case-priority", case), {"priority": ""})

    assert response.status_code == 302
    case = fresh(case)
    assert case.priority == computed
    assert case.priority_override_reason == ""


def test_adding_a_note(advocate_client, case):
    response = advocate_client.post(url("case-note", case), {"text": "Called the carrier"})

    assert response.status_code == 302
    assert case.events.filter(kind=CaseEvent.Kind.NOTE, message="Called the carrier").exists()


def test_adding_a_note_with_htmx_refreshes_the_timeline_only(advocate_client, case):
    response = advocate_client.post(url("case-note", case), {"text": "Called the carrier"},
                                    HTTP_HX_TARGET="case-activity", **HTMX)

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="case-activity"' in content
    assert "Called the carrier" in content
    assert '<textarea name="text"' in content and "Called the carrier</textarea>" not in content


def test_an_empty_note_is_refused(advocate_client, case):
    response = advocate_client.post(url("case-note", case), {"text": "  "})

    assert response.status_code == 200
    assert "Write the note first." in response.content.decode()
    assert not case.events.filter(kind=CaseEvent.Kind.NOTE).exists()


def test_recording_the_loss(advocate_client, case):
    order = case.orders.get()
    response = advocate_client.post(url("case-impact", case), {
        "severity": Impact.Severity.SEVERE, "money_lost": "900", "currency": "eur",
        "disruption_days": "2", "what_it_stopped": "Opening night without the oven",
        "orders": [order.pk], "expected_version": case.version,
    })

    assert response.status_code == 302
    assert response["Location"] == url("case", case) + "#impact"
    impact = Impact.objects.get(case=case)
    assert (impact.money_lost, impact.currency, impact.severity) == (Decimal("900"), "EUR", 3)
    assert list(impact.orders.all()) == [order]
    content = advocate_client.get(url("case", case)).content.decode()
    assert "Giulia Rossi lost <strong>900.00 EUR</strong> and <strong>2 days</strong>" in content


def test_a_loss_without_severity_or_with_a_bad_currency_is_refused(advocate_client, case):
    response = advocate_client.post(url("case-impact", case),
                                    {"money_lost": "900", "currency": "euro"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Choose how badly it hit the customer." in content
    assert "Ensure this value has at most 3 characters" in content
    assert not Impact.objects.filter(case=case).exists()


def test_proposing_a_remedy_above_the_threshold_waits_for_a_manager(advocate_client, case):
    response = advocate_client.post(url("case-remedy-propose", case), {
        "kind": Remedy.Kind.REPLACEMENT, "summary": "Send a new oven by courier",
        "cost": "850", "currency": "EUR", "benefit": "Cooking again by Friday",
        "rationale": "Key account, reopening night", "recommended": "on",
    })

    assert response.status_code == 302
    remedy = case.remedies.get()
    assert remedy.decision == Remedy.Decision.PENDING and remedy.recommended
    assert fresh(case).status == Case.Status.AWAITING_DECISION


def test_a_remedy_without_its_benefit_is_refused(advocate_client, case):
    response = advocate_client.post(url("case-remedy-propose", case), {
        "kind": Remedy.Kind.REFUND, "summary": "Refund", "cost": "-5", "currency": "EUR",
    })

    assert response.status_code == 200
    content = response.content.decode()
    assert "This field is required." in content
    assert "Ensure this value is greater than or equal to 0" in content
    assert not case.remedies.exists()


def test_a_manager_approves_a_remedy(manager_client, manager, advocate, case):
    remedy = propose(case, advocate)

    response = manager_client.post(url("case-remedy-decide", case, remedy.pk),
                                   {"decision": "approve"})

    assert response.status_code == 302
    remedy.refresh_from_db()
    assert remedy.decision == Remedy.Decision.APPROVED and remedy.decided_by == manager
    assert fresh(case).status == Case.Status.IN_PROGRESS


def test_rejecting_a_remedy_needs_a_reason(manager_client, advocate, case):
    remedy = propose(case, advocate)

    response = manager_client.post(url("case-remedy-decide", case, remedy.pk),
                                   {"decision": "reject", "reason": ""})

    assert response.status_code == 200
    assert "Say why the remedy is rejected." in response.content.decode()
    remedy.refresh_from_db()
    assert remedy.decision == Remedy.Decision.PENDING


def test_a_manager_does_not_decide_their_own_remedy(manager_client, manager, case):
    remedy = propose(case, manager)

    content = manager_client.get(url("case", case)).content.decode()
    assert "another manager decides it" in content
    response = manager_client.post(url("case-remedy-decide", case, remedy.pk),
                                   {"decision": "approve"})

    assert response.status_code == 200
    assert "another manager must decide it" in response.content.decode()


def test_choosing_an_email_template_fills_in_the_draft(advocate_client, case):
    response = advocate_client.get(url("case", case) + "?template=late_delivery")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Dear Giulia Rossi" in content
    assert '<option value="late_delivery" selected>' in content


def test_choosing_an_email_template_with_htmx_renders_the_section(advocate_client, case):
    response = advocate_client.get(url("case", case) + "?template=update",
                                   HTTP_HX_TARGET="case-email", **HTMX)

    content = response.content.decode()
    assert "<html" not in content
    assert content.strip().startswith('<section class="card" id="case-email"')
    assert f"An update on your case #{case.pk}" in content


def test_sending_an_email_queues_it_and_the_timeline_shows_it_once_sent(
    advocate_client, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = advocate_client.post(url("case-email", case), {
            "subject": "Your oven", "body": "It arrives tomorrow morning.",
            "expected_version": case.version,
        })

    assert response.status_code == 302
    email = OutboundEmail.objects.get(case=case)
    assert email.status == OutboundEmail.Status.SENT
    event = case.events.get(kind=CaseEvent.Kind.EMAIL)
    assert event.data["subject"] == "Your oven"
    content = advocate_client.get(url("case", case)).content.decode()
    assert "It arrives tomorrow morning." in content
    assert "email-status--sent" in content


def test_an_email_without_a_subject_is_refused(advocate_client, case):
    response = advocate_client.post(url("case-email", case), {"subject": "", "body": "Hello"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Write a subject." in content
    assert "Hello</textarea>" in content
    assert not OutboundEmail.objects.exists()


def test_resolving_the_case(advocate_client, case):
    response = advocate_client.post(url("case-resolve", case), {
        "outcome": Case.Outcome.RETAINED, "resolution": "New oven delivered by courier",
        "customer_reaction": "Relieved", "expected_version": case.version,
    })

    assert response.status_code == 302
    case = fresh(case)
    assert case.status == Case.Status.RESOLVED and case.outcome == Case.Outcome.RETAINED
    content = advocate_client.get(url("case", case)).content.decode()
    assert "Reopen the case" in content
    assert "New oven delivered by courier" in content


def test_resolving_without_an_outcome_is_refused(advocate_client, case):
    response = advocate_client.post(url("case-resolve", case), {"resolution": "Done"})

    assert response.status_code == 200
    assert "Choose the outcome: retained, at risk or lost." in response.content.decode()
    assert fresh(case).is_open


def test_resolving_while_a_remedy_waits_is_refused(advocate_client, advocate, case):
    propose(case, advocate)

    response = advocate_client.post(url("case-resolve", case), {
        "outcome": Case.Outcome.RETAINED, "resolution": "Done",
    })

    assert response.status_code == 200
    assert "A remedy still waits for a manager" in response.content.decode()
    assert fresh(case).is_open


def test_reopening_needs_a_reason(advocate_client, advocate, case):
    services.resolve_case(case=case, actor=advocate, outcome="retained", resolution="Done")

    response = advocate_client.post(url("case-reopen", case), {"reason": ""})
    assert response.status_code == 200
    assert "Say why the case is reopened." in response.content.decode()

    response = advocate_client.post(url("case-reopen", case), {"reason": "Oven broke again"})
    assert response.status_code == 302
    assert fresh(case).status == Case.Status.IN_PROGRESS


# --- two advocates, one case --------------------------------------------------------------


@pytest.mark.parametrize(("name", "data"), [
    ("case-status", {"status": Case.Status.AWAITING_CUSTOMER}),
    ("case-priority", {"priority": Priority.LOW, "reason": "Relaxed"}),
    ("case-resolve", {"outcome": "retained", "resolution": "Done"}),
    ("case-impact", {"severity": 2, "currency": "EUR", "money_lost": "10"}),
])
def test_a_change_based_on_a_stale_copy_is_refused_and_shown(
    advocate_client, advocate, case, name, data
):
    seen = case.version
    services.assign_case(case=case, owner=advocate, actor=advocate)  # someone else, meanwhile
    before = fresh(case)
    events = case.events.count()

    response = advocate_client.post(url(name, case), {**data, "expected_version": seen})

    assert response.status_code == 200
    content = response.content.decode()
    assert STALE in content
    assert "Someone else changed this case while you were working on it" in content
    after = fresh(case)
    assert (after.version, after.status, after.priority) == (
        before.version, before.status, before.priority)
    assert case.events.count() == events
    assert not Impact.objects.filter(case=case).exists()
    assert f'name="expected_version" value="{after.version}"' in content  # send again: applies


# --- hostile text -------------------------------------------------------------------------


def test_hostile_text_is_escaped_on_the_case_page_and_the_brief(
    advocate_client, advocate, manager
):
    customer = CustomerFactory(name=XSS, company=XSS)
    case = CaseFactory(customer=customer, title=XSS, description=XSS, actor=advocate)
    services.add_note(case=case, text=XSS, actor=advocate)
    services.log_contact(customer=customer, channel="email", occurred_at=timezone.now(),
                         summary=XSS, actor=advocate)
    services.record_impact(case=case, actor=advocate, severity=2, currency="EUR",
                           what_it_stopped=XSS)
    remedy = propose(case, advocate, rationale=XSS, recommended=True)
    services.decide_remedy(remedy=remedy, manager=manager, approve=False, reason=XSS)

    for name in ("case", "case-brief"):
        content = advocate_client.get(url(name, case)).content.decode()
        assert XSS not in content
        assert XSS_ESCAPED in content


# --- the decision brief -------------------------------------------------------------------


def test_the_brief_tells_the_story_for_decision_makers(advocate_client, advocate, case):
    services.record_impact(case=case, actor=advocate, severity=3, currency="EUR",
                           money_lost=Decimal("900"), disruption_days=Decimal("2"),
                           what_it_stopped="Opening night without the oven")
    propose(case, advocate, rationale="A key account at their reopening", recommended=True)
    services.add_note(case=case, text="Internal gossip about the carrier", actor=advocate)

    response = advocate_client.get(url("case-brief", case))

    assert response.status_code == 200
    content = response.content.decode()
    for part in ("The customer and the relationship", "What happened", "What it cost the customer",
                 "The options", 'id="brief-recommendation"', "Print"):
        assert part in content
    assert "Giulia Rossi lost <strong>900.00 EUR</strong> and <strong>2 days</strong>" in content
    assert "Opening night without the oven" in content
    assert "Refund the delivery" in content and "500.00 EUR" in content
    assert "Their money back" in content
    assert "A key account at their reopening" in content
    assert "New → Awaiting decision" in content
    assert "Internal gossip" not in content  # notes stay on the case page
    assert url("case", case) in content


# --- queries ------------------------------------------------------------------------------


def grow(case: Case, advocate, manager, *, notes: int, remedies: int) -> None:
    services.record_impact(case=case, actor=advocate, severity=2, currency="EUR")
    for index in range(remedies):
        remedy = propose(case, advocate, cost=str(50 + index * 100))
        if index % 2 and remedy.decision == Remedy.Decision.PENDING:
            services.decide_remedy(remedy=remedy, manager=manager, approve=True)
    for index in range(notes):
        services.add_note(case=case, text=f"Note {index}", actor=advocate)
    OrderFactory.create_batch(remedies, customer=case.customer)
    CaseFactory.create_batch(remedies, customer=case.customer, actor=advocate)


def page_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["case", "case-brief"])
def test_the_page_query_count_is_flat(
    manager_client, advocate, manager, django_assert_num_queries, name
):
    small, large = CaseFactory(actor=advocate), CaseFactory(actor=advocate)
    grow(small, advocate, manager, notes=1, remedies=1)
    grow(large, advocate, manager, notes=30, remedies=5)
    large.orders.add(*OrderFactory.create_batch(4, customer=large.customer))
    assert large.events.count() > 3 * small.events.count()

    expected = {"case": 13, "case-brief": 11}[name]
    with django_assert_num_queries(expected):
        manager_client.get(url(name, small))
    with django_assert_num_queries(expected):
        manager_client.get(url(name, large))


# --- opening a case, logging a contact ----------------------------------------------------


def test_opening_a_case_by_hand(advocate_client, advocate):
    customer = CustomerFactory(external_ref="C-7")
    first, second = OrderFactory.create_batch(2, customer=customer)
    assert advocate_client.get(reverse("cases:case-new") + "?customer=C-7").status_code == 200

    response = advocate_client.post(reverse("cases:case-new"), {
        "customer": "C-7", "kind": Case.Kind.WRONG_ITEM, "title": "Wrong colour",
        "description": "Blue, not red", "order_refs": f"{first.external_ref}, {second}",
        "take_it": "on",
    })

    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.origin == Case.Origin.MANUAL and case.owner == advocate
    assert set(case.orders.all()) == {first, second}


def test_opening_a_case_for_an_unknown_customer_or_order_is_refused(advocate_client):
    CustomerFactory(external_ref="C-7")
    other = OrderFactory()

    response = advocate_client.post(reverse("cases:case-new"), {
        "customer": "C-8", "kind": "other", "title": "Wrong colour"})
    assert response.status_code == 200
    assert "No customer has this reference." in response.content.decode()

    response = advocate_client.post(reverse("cases:case-new"), {
        "customer": "C-7", "kind": "other", "title": "Wrong colour",
        "order_refs": other.external_ref})
    assert response.status_code == 200
    assert f"This customer has no order {other.external_ref}." in response.content.decode()
    assert not Case.objects.exists()


def test_a_contact_joins_the_customers_open_case(advocate_client, case):
    response = advocate_client.post(reverse("cases:contact-new"), {
        "customer": "C-1042", "order": "WEB-88213", "channel": "phone",
        "occurred_at": "2026-11-20T10:30", "summary": "Where is my oven?",
    })

    assert response.status_code == 302
    assert response["Location"] == url("case", case) + "#timeline"
    contact = Contact.objects.get()
    assert contact.case == case
    assert Case.objects.count() == 1
    assert fresh(case).first_customer_contact_at is not None


def test_a_contact_opens_a_case_when_none_is_open(advocate_client):
    CustomerFactory(external_ref="C-9")

    response = advocate_client.post(reverse("cases:contact-new"), {
        "customer": "C-9", "channel": "email", "occurred_at": "2026-11-20T10:30",
        "summary": "The invoice is wrong",
    })

    case = Case.objects.get()
    assert response.status_code == 302
    assert case.origin == Case.Origin.CONTACT
    assert case.contacts.get().summary == "The invoice is wrong"


def test_a_contact_about_another_customers_order_is_refused(advocate_client, case):
    other = OrderFactory()

    response = advocate_client.post(reverse("cases:contact-new"), {
        "customer": "C-1042", "order": other.external_ref, "channel": "phone",
        "occurred_at": "2026-11-20T10:30", "summary": "Hello",
    })

    assert response.status_code == 200
    assert f"This customer has no order {other.external_ref}." in response.content.decode()
    assert not Contact.objects.exists()


# --- the desk's settings ------------------------------------------------------------------


def settings_form(**changes) -> dict:
    data = {"approval_threshold": "250.00", "approval_currency": "nok"}
    for priority, (first, resolution) in {1: (1, 24), 2: (4, 72), 3: (24, 120),
                                           4: (48, 240)}.items():
        data[f"first_response_hours_{priority}"] = first
        data[f"resolution_hours_{priority}"] = resolution
    return {**data, **changes}


def test_a_manager_changes_the_threshold_and_the_sla_targets(manager_client):
    assert manager_client.get(reverse("cases:desk-settings")).status_code == 200

    response = manager_client.post(reverse("cases:desk-settings"),
                                   settings_form(first_response_hours_1="2"))

    assert response.status_code == 302
    desk = DeskSettings.current()
    assert (desk.approval_threshold, desk.approval_currency) == (Decimal("250.00"), "NOK")
    assert SlaTarget.objects.get(priority=1).first_response_hours == 2


def test_resolution_due_before_the_first_response_is_refused(manager_client):
    response = manager_client.post(reverse("cases:desk-settings"),
                                   settings_form(resolution_hours_2="1"))

    assert response.status_code == 200
    assert "Resolving cannot be due before the first response." in response.content.decode()
    assert SlaTarget.objects.get(priority=2).resolution_hours == 72
    assert DeskSettings.current().approval_currency == "EUR"


def test_pages_survive_records_whose_staff_member_is_gone(advocate_client, case, manager):
    leaver = UserFactory.advocate(username="leaver")
    services.record_impact(case=case, actor=leaver, severity=2, currency="EUR")
    remedy = propose(case, leaver)
    services.decide_remedy(remedy=remedy, manager=manager, approve=True)
    # What SET_NULL leaves behind on remedies and impacts (the timeline itself PROTECTs).
    Remedy.objects.filter(pk=remedy.pk).update(proposed_by=None, decided_by=None)
    Impact.objects.filter(case=case).update(recorded_by=None)

    page = advocate_client.get(url("case", case))
    brief = advocate_client.get(url("case-brief", case))

    assert page.status_code == brief.status_code == 200
    assert "Proposed by —" in page.content.decode()


@pytest.mark.parametrize(("contact_hours_after", "shown"), [
    (21, "caught before complaint, 21 h ahead"),
    (-2, "the customer asked first"),
])
def test_the_case_says_whether_we_reached_the_customer_first(
    advocate_client, case, contact_hours_after, shown
):
    Case.objects.filter(pk=case.pk).update(
        first_customer_contact_at=case.opened_at + timedelta(hours=contact_hours_after))

    content = advocate_client.get(case.get_absolute_url()).content.decode()

    facts = content[content.index("Customer first asked"):]
    assert shown in facts[:facts.index("</dd>")]
