"""The case desk's verbs: transitions, priority, remedies and decisions, the timeline."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from cases import services
from cases.models import Case, CaseEvent, Contact, DeskSettings, Impact, Priority, Remedy
from tests.cases.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def advocate():
    return UserFactory.advocate(username="ada")


@pytest.fixture
def manager():
    return UserFactory.manager(username="magnus")


def open_late_case(advocate, *, tier="standard", critical=False) -> Case:
    customer = CustomerFactory(value_tier=tier)
    order = OrderFactory(customer=customer, critical=critical)
    return services.open_case(
        customer=customer, origin=Case.Origin.MANUAL, kind=Case.Kind.LATE_DELIVERY,
        title="Oven arrived late", orders=[order], actor=advocate,
    )


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("created_at", "pk").values_list("kind", flat=True))


# --- opening, priority and SLA -------------------------------------------------------------


def test_open_case_sets_priority_sla_and_timeline(advocate):
    case = open_late_case(advocate)

    assert case.status == Case.Status.NEW
    assert case.priority == Priority.NORMAL  # no impact yet counts as moderate
    assert case.due_at - case.opened_at == timedelta(hours=120)
    assert case.first_response_due_at - case.opened_at == timedelta(hours=24)
    assert kinds(case) == [CaseEvent.Kind.OPENED]


@pytest.mark.parametrize(
    ("tier", "critical", "severity", "expected"),
    [
        ("standard", False, Impact.Severity.MINOR, Priority.LOW),
        ("standard", False, Impact.Severity.MODERATE, Priority.NORMAL),
        ("high", False, Impact.Severity.SEVERE, Priority.HIGH),
        ("key", True, Impact.Severity.SEVERE, Priority.URGENT),
        ("standard", True, Impact.Severity.CRITICAL, Priority.HIGH),
    ],
)
def test_priority_follows_severity_value_and_critical_order(
    advocate, tier, critical, severity, expected
):
    case = open_late_case(advocate, tier=tier, critical=critical)

    services.record_impact(case=case, actor=advocate, severity=severity, currency="EUR",
                           money_lost=Decimal("900"), what_it_stopped="Closed for lunch")

    case.refresh_from_db()
    assert case.priority == expected
    target_hours = {1: 24, 2: 72, 3: 120, 4: 240}[expected]
    assert case.due_at - case.opened_at == timedelta(hours=target_hours)


def test_other_apps_can_raise_priority(advocate, monkeypatch):
    monkeypatch.setattr(services.desk, "PRIORITY_FACTORS", [lambda case: 2])

    case = open_late_case(advocate)

    assert case.priority == Priority.HIGH


def test_priority_override_needs_a_reason_and_sticks(advocate):
    case = open_late_case(advocate)
    with pytest.raises(ValidationError, match="why"):
        services.override_priority(case=case, priority=Priority.URGENT, reason=" ",
                                   actor=advocate)

    services.override_priority(case=case, priority=Priority.URGENT, reason="CEO's friend",
                               actor=advocate)
    services.record_impact(case=case, actor=advocate, severity=Impact.Severity.MINOR,
                           currency="EUR")
    case.refresh_from_db()
    assert case.priority == Priority.URGENT

    services.override_priority(case=case, priority=None, reason="", actor=advocate)
    case.refresh_from_db()
    assert (case.priority, case.priority_override_reason) == (Priority.LOW, "")


# --- transitions ---------------------------------------------------------------------------


def test_assigning_starts_work_and_is_logged(advocate):
    case = open_late_case(advocate)

    case = services.assign_case(case=case, owner=advocate, actor=advocate)

    assert (case.status, case.owner) == (Case.Status.IN_PROGRESS, advocate)
    assert kinds(case)[-1] == CaseEvent.Kind.ASSIGNED


def test_invalid_manual_move_is_refused_with_message(advocate):
    case = open_late_case(advocate)

    with pytest.raises(ValidationError) as error:
        services.change_status(case=case, status=Case.Status.CLOSED, actor=advocate)

    assert "cannot be set to closed" in error.value.message_dict["status"][0]


def test_resolving_needs_outcome_and_what_was_done(advocate):
    case = open_late_case(advocate)

    with pytest.raises(ValidationError) as error:
        services.resolve_case(case=case, actor=advocate, outcome="", resolution="")

    assert set(error.value.message_dict) == {"outcome", "resolution"}
    case.refresh_from_db()
    assert case.is_open


def test_resolve_then_reopen(advocate):
    case = open_late_case(advocate)

    case = services.resolve_case(case=case, actor=advocate, outcome=Case.Outcome.RETAINED,
                                 resolution="Replacement sent by courier",
                                 customer_reaction="Relieved")
    assert (case.status, case.outcome) == (Case.Status.RESOLVED, Case.Outcome.RETAINED)
    assert case.resolved_at is not None
    with pytest.raises(ValidationError, match="already resolved"):
        services.resolve_case(case=case, actor=advocate, outcome="lost", resolution="x")

    case = services.reopen_case(case=case, actor=advocate, reason="Second unit also broken")

    assert (case.status, case.outcome, case.resolved_at) == (Case.Status.IN_PROGRESS, "", None)
    assert kinds(case)[-2:] == [CaseEvent.Kind.RESOLVED, CaseEvent.Kind.REOPENED]


def test_database_refuses_a_resolved_case_without_outcome(advocate):
    case = open_late_case(advocate)

    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now())


# --- remedies and decisions ----------------------------------------------------------------


def propose(case, advocate, cost="40.00", currency="EUR") -> Remedy:
    return services.propose_remedy(
        case=case, actor=advocate, kind=Remedy.Kind.CREDIT, summary="Credit on next order",
        cost=Decimal(cost), currency=currency, benefit="Covers the lost lunch service",
    )


def test_small_remedy_is_within_the_advocates_authority(advocate):
    case = open_late_case(advocate)

    remedy = propose(case, advocate, cost="40.00")

    case.refresh_from_db()
    assert remedy.decision == Remedy.Decision.NOT_NEEDED
    assert case.status == Case.Status.NEW


def test_costly_remedy_waits_for_a_manager_and_the_case_moves_on_its_own(advocate, manager):
    case = open_late_case(advocate)

    remedy = propose(case, advocate, cost="450.00")
    case.refresh_from_db()
    assert (remedy.decision, case.status) == (Remedy.Decision.PENDING,
                                             Case.Status.AWAITING_DECISION)
    with pytest.raises(ValidationError, match="waits for a manager"):
        services.resolve_case(case=case, actor=advocate, outcome="retained", resolution="x")

    services.decide_remedy(remedy=remedy, manager=manager, approve=True)

    case.refresh_from_db()
    remedy.refresh_from_db()
    assert (remedy.decision, remedy.decided_by) == (Remedy.Decision.APPROVED, manager)
    assert case.status == Case.Status.IN_PROGRESS
    assert CaseEvent.Kind.REMEDY_DECIDED in kinds(case)


def test_remedy_in_another_currency_needs_a_manager(advocate):
    DeskSettings.current()
    case = open_late_case(advocate)

    assert propose(case, advocate, cost="1.00", currency="NOK").decision == "pending"


def test_deciding_rules(advocate, manager):
    case = open_late_case(advocate)
    remedy = propose(case, advocate, cost="450.00")

    with pytest.raises(PermissionDenied):
        services.decide_remedy(remedy=remedy, manager=advocate, approve=True)
    with pytest.raises(ValidationError, match="Say why"):
        services.decide_remedy(remedy=remedy, manager=manager, approve=False, reason="")
    own = propose(case, manager, cost="999.00")
    with pytest.raises(ValidationError, match="another manager"):
        services.decide_remedy(remedy=own, manager=manager, approve=True)

    services.decide_remedy(remedy=remedy, manager=manager, approve=False, reason="Too costly")
    with pytest.raises(ValidationError, match="already decided"):
        services.decide_remedy(remedy=remedy, manager=manager, approve=True)


# --- the timeline is append-only ----------------------------------------------------------


def test_timeline_refuses_update_and_delete_in_code_and_in_the_database(advocate):
    case = open_late_case(advocate)
    event = services.add_note(case=case, text="<script>alert(1)</script> called her",
                              actor=advocate)

    event.message = "rewritten"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        CaseEvent.objects.filter(pk=event.pk).update(message="rewritten")
    with pytest.raises(ValidationError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    statements = ["UPDATE cases_caseevent SET message = 'x'"]
    if connection.vendor == "postgresql":  # SQLite's flush needs DELETE (see migration 0005)
        statements.append("DELETE FROM cases_caseevent")
    for sql in statements:
        with pytest.raises(DatabaseError), \
                transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)

    assert CaseEvent.objects.get(pk=event.pk).message.startswith("<script>")


# --- two people, one case ------------------------------------------------------------------


def test_a_change_based_on_a_stale_copy_is_refused(advocate, manager):
    case = open_late_case(advocate)
    seen_version = case.version
    services.assign_case(case=case, owner=manager, actor=manager, expected_version=seen_version)

    with pytest.raises(ValidationError, match="Someone else changed this case"):
        services.assign_case(case=case, owner=advocate, actor=advocate,
                             expected_version=seen_version)

    case.refresh_from_db()
    assert case.owner == manager


@pytest.mark.django_db(transaction=True)
def test_two_advocates_saving_at_once_never_lose_a_change():
    first, second = UserFactory.advocate(username="one"), UserFactory.advocate(username="two")
    case = open_late_case(first)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def save_as(user):
        barrier.wait()
        try:
            services.record_impact(case=case, actor=user, severity=Impact.Severity.SEVERE,
                                   currency="EUR", what_it_stopped=f"seen by {user.username}",
                                   expected_version=case.version)
            results[user.username] = "saved"
        except ValidationError:
            results[user.username] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=save_as, args=(user,)) for user in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results.values()) == ["refused", "saved"]
    winner = next(name for name, result in results.items() if result == "saved")
    assert Impact.objects.get(case=case).what_it_stopped == f"seen by {winner}"


# --- customer contacts ---------------------------------------------------------------------


def test_contact_joins_the_open_case_and_marks_first_contact(advocate):
    case = open_late_case(advocate)
    order = case.orders.get()
    when = timezone.now() - timedelta(hours=2)

    contact = services.log_contact(customer=case.customer, order=order, channel="phone",
                                   occurred_at=when, summary="Where is my oven?")
    services.log_contact(customer=case.customer, order=order, channel="email",
                         occurred_at=when + timedelta(hours=1), summary="Still waiting")

    case.refresh_from_db()
    assert contact.case == case
    assert case.first_customer_contact_at == when
    assert Case.objects.count() == 1
    assert kinds(case).count(CaseEvent.Kind.CONTACT) == 2


def test_contact_without_a_case_opens_one_from_customer_contact():
    customer = CustomerFactory()

    contact = services.log_contact(customer=customer, channel="chat",
                                   occurred_at=timezone.now(), summary="Invoice is wrong")

    case = contact.case
    assert (case.origin, case.first_customer_contact_at) == (
        Case.Origin.CONTACT, contact.occurred_at)
    assert case.events.get(kind=CaseEvent.Kind.OPENED).actor_kind == "customer"


@pytest.mark.parametrize(("days_since", "reopens"), [(13, True), (15, False)])
def test_contact_reopens_a_recently_resolved_case(advocate, days_since, reopens):
    case = open_late_case(advocate)
    case = services.resolve_case(case=case, actor=advocate, outcome="retained",
                                 resolution="Refunded")
    Case.objects.filter(pk=case.pk).update(
        resolved_at=timezone.now() - timedelta(days=days_since))

    contact = services.log_contact(customer=case.customer, order=case.orders.get(),
                                   channel="email", occurred_at=timezone.now(),
                                   summary="It broke again")

    assert (contact.case_id == case.pk) is reopens
    assert Contact.objects.count() == 1
    case.refresh_from_db()
    assert case.is_open is reopens
