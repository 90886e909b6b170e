"""POST /api/v1/contacts: the moment a customer had to reach out, from other systems."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from cases import services
from cases.models import Case, Contact
from tests.cases.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def post(client):
    _key, raw = services.create_api_key(name="helpdesk", scopes=["contacts:write"], actor=None)

    def send(body, key=raw):
        return client.post("/api/v1/contacts", data=json.dumps(body),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")

    return send


def payload(**overrides):
    return {"customer_ref": "C-1", "order_ref": "O-1", "channel": "phone",
            "occurred_at": WHEN.isoformat(), "summary": "Where is my oven?", **overrides}


@pytest.fixture
def order():
    return OrderFactory(customer=CustomerFactory(external_ref="C-1"), external_ref="O-1")


def test_contact_without_case_opens_one(post, order):
    response = post(payload())

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["case_opened"], body["case_reopened"]) == (True, False)
    case = Case.objects.get(pk=body["case_number"])
    assert (case.origin, case.first_customer_contact_at) == (Case.Origin.CONTACT, WHEN)
    assert list(case.orders.all()) == [order]


def test_contact_joins_the_open_case_for_that_order(post, order):
    case = services.open_case(customer=order.customer, origin="proactive", kind="late_delivery",
                              title="Late", orders=[order])

    body = post(payload()).json()

    assert (body["case_number"], body["case_opened"]) == (case.pk, False)
    case.refresh_from_db()
    assert case.first_customer_contact_at == WHEN
    assert Contact.objects.get().case == case


def test_contact_reopens_a_case_resolved_days_ago(post, order):
    case = services.open_case(customer=order.customer, origin="proactive", kind="late_delivery",
                              title="Late", orders=[order])
    services.resolve_case(case=case, actor=None, outcome="retained", resolution="Refund")
    Case.objects.filter(pk=case.pk).update(resolved_at=WHEN - timedelta(days=3))

    body = post(payload()).json()

    assert (body["case_number"], body["case_reopened"], body["case_status"]) == (
        case.pk, True, "in_progress")


def test_bad_contacts_name_the_field(post, order):
    CustomerFactory(external_ref="C-2")
    cases = [
        (payload(customer_ref="C-404"), "customer_ref"),
        (payload(order_ref="O-404"), "order_ref"),
        (payload(customer_ref="C-2"), "order_ref"),  # someone else's order
        (payload(channel="pigeon"), "channel"),
        (payload(occurred_at="2026-11-20T09:00:00"), "occurred_at"),
        (payload(summary=""), "summary"),
    ]
    for body, field in cases:
        response = post(body)
        assert response.status_code == 422, body
        assert response.json()["detail"][0]["loc"][-1] == field
    assert not Contact.objects.exists()
    assert not Case.objects.exists()


def test_contacts_need_their_scope(post, order):
    _key, orders_only = services.create_api_key(name="shop", scopes=["orders:write"], actor=None)

    assert post(payload(), key=orders_only).status_code == 403
    assert post(payload(), key="nope").status_code == 401
