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
