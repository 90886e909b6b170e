"""The demo a new user meets: loaded once, a living desk."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from cases.models import Case, CaseEvent, Customer, Impact, Order, Remedy, ShipmentEvent

pytestmark = pytest.mark.django_db

MODELS = (Customer, Order, ShipmentEvent, Case, CaseEvent, Impact, Remedy)


def test_demo_loads_once_and_a_second_run_adds_nothing(capsys):
    call_command("load_demo")
    counts = {model.__name__: model.objects.count() for model in MODELS}

    call_command("load_demo")

    assert {model.__name__: model.objects.count() for model in MODELS} == counts
    assert "already loaded" in capsys.readouterr().out
    assert counts["Customer"] >= 10 and counts["Order"] >= 40


def test_demo_desk_has_a_case_in_every_status_and_working_logins():
    call_command("load_demo")

    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    assert set(Case.objects.exclude(outcome="").values_list("outcome", flat=True)) == set(
        Case.Outcome.values)
    assert Remedy.objects.filter(decision=Remedy.Decision.PENDING).exists()
    assert authenticate(username="advocate", password="advocate-demo") is not None
    assert authenticate(username="manager", password="manager-demo") is not None


def test_demo_orders_become_late_within_minutes_and_open_proactive_cases():
    from datetime import timedelta

    from django.utils import timezone

    from cases import services
    from cases.models import RiskRule

    call_command("load_demo")
    assert {"late_delivery", "at_risk", "carrier_exception", "critical_order_watch",
            "repeated_trouble"} <= set(RiskRule.objects.filter(enabled=True)
                                       .values_list("key", flat=True))
    now = timezone.now()
    services.run_enabled_rules(as_of=now)
    before = set(Case.objects.values_list("pk", flat=True))

    runs = services.run_enabled_rules(as_of=now + timedelta(minutes=10))

    late = next(run for run in runs if run.rule.key == "late_delivery")
    opened = Case.objects.exclude(pk__in=before)
    assert late.cases_opened == 3 and opened.count() == 3
    for case in opened:
        assert case.origin == "proactive" and case.first_customer_contact_at is None
        assert case.orders.get().external_ref.endswith("-SOON")


def test_the_demo_brings_feedback_and_ranked_needs(db):
    from django.core.management import call_command

    from feedback.models import FeedbackItem, Need, Source

    call_command("load_demo")

    assert Source.objects.filter(selected=True).count() == 3
    assert FeedbackItem.objects.filter(customer__isnull=False).exists()
    assert FeedbackItem.objects.values("language").distinct().count() == 4
    top = Need.objects.order_by("-score").first()
    assert top.volume > 0 and top.department.name == "Logistics"
