"""The intake API: orders and shipment events pushed by integrations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from cases import services
from cases.models import ApiKey, Customer, Order, ShipmentEvent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def order_payload(ref: str = "O-1", customer_ref: str = "C-1", **overrides) -> dict:
    payload = {
        "external_ref": ref,
        "customer": {
            "external_ref": customer_ref,
            "name": "Giulia Bianchi",
            "email": "giulia@example.com",
            "language": "it",
            "company": "Trattoria Bianchi",
            "segment": "restaurants",
        },
        "value": "1249.90",
        "currency": "EUR",
        "critical": True,
        "ordered_at": iso(T0),
        "promised_delivery_at": iso(T0 + timedelta(days=3)),
        "shipped_at": iso(T0 + timedelta(days=1)),
        "delivered_at": None,
        "carrier": "BRT",
        "tracking_number": f"TRK-{ref}",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def api_key() -> str:
    _key, raw = services.create_api_key(name="shop", scopes=["orders:write"], actor=None)
    return raw


@pytest.fixture
def post(client, api_key):
    def send(path: str, body, key: str | None = api_key):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        return client.post(
            f"/api/v1/{path}", data=json.dumps(body), content_type="application/json", **headers
        )

    return send


def test_one_order_creates_order_and_customer(post):
    response = post("orders", order_payload())

    assert response.status_code == 200, response.content
    assert response.json() == {
        "received": 1, "created": 1, "updated": 0, "unchanged": 0,
        "customers_created": 1, "customers_updated": 0, "events_attached": 0,
    }
    order = Order.objects.select_related("customer").get(external_ref="O-1")
    assert order.value == Decimal("1249.90")
    assert order.critical is True
    assert order.promised_delivery_at == T0 + timedelta(days=3)
    assert order.expected_delivery_at == order.promised_delivery_at
    assert order.status == Order.Status.SHIPPED
    assert order.customer.name == "Giulia Bianchi"
    assert order.customer.language == "it"


def test_same_payload_twice_changes_nothing(post):
    batch = [order_payload(f"O-{n}", f"C-{n % 3}") for n in range(10)]
    assert post("orders", batch).json()["created"] == 10
    before = list(Order.objects.order_by("pk").values())

    second = post("orders", batch).json()

    assert second["created"] == second["updated"] == second["customers_created"] == 0
    assert second["unchanged"] == 10
    assert list(Order.objects.order_by("pk").values()) == before


def test_upsert_updates_order_and_customer_by_external_ref(post):
    post("orders", order_payload())
    changed = order_payload(value="99.00")
    changed["customer"]["name"] = "Giulia Bianchi-Rossi"

    result = post("orders", changed).json()

    assert (result["updated"], result["customers_updated"]) == (1, 1)
    order = Order.objects.get(external_ref="O-1")
    assert order.value == Decimal("99.00")
    assert order.customer.name == "Giulia Bianchi-Rossi"
    assert Customer.objects.count() == 1


def test_an_order_naming_only_the_customer_keeps_what_the_desk_knows_of_them(post):
    post("orders", order_payload())
    brief = order_payload("O-2")
    brief["customer"] = {"external_ref": "C-1", "name": "Giulia Bianchi"}

    result = post("orders", brief).json()

    customer = Customer.objects.get(external_ref="C-1")
    assert result["customers_updated"] == 0
    assert (customer.email, customer.language, customer.segment) == (
        "giulia@example.com", "it", "restaurants")


def test_batch_errors_name_index_and_field_and_write_nothing(post):
    batch = [
        order_payload("O-1"),
        order_payload("O-2", value="-3"),
        order_payload("O-3", ordered_at="2026-11-02T09:30:00"),  # no offset
        order_payload("O-4", currency="EURO"),
    ]
    batch[3]["customer"]["email"] = "not-an-email"

    response = post("orders", batch)

    assert response.status_code == 422
    locs = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert ("body", 1, "value") in locs
    assert ("body", 2, "ordered_at") in locs
    assert ("body", 3, "currency") in locs
    assert ("body", 3, "customer", "email") in locs
    assert ("body", 0, "value") not in locs
    assert not Order.objects.exists()
    assert not Customer.objects.exists()


def test_single_object_errors_have_no_index(post):
    response = post("orders", order_payload(promised_delivery_at=iso(T0 - timedelta(days=1))))

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "promised_delivery_at"]
    assert "ordered_at" in error["msg"]


def test_unknown_fields_are_refused_by_name(post):
    response = post("orders", order_payload(promised_delivery="2026-11-05"))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "promised_delivery"]


def test_duplicate_ref_in_one_batch_is_refused(post):
    response = post("orders", [order_payload("O-1"), order_payload("O-1")])

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", 1, "external_ref"]
    assert not Order.objects.exists()


def test_batch_over_limit_and_empty_and_broken_json(post, client, api_key, settings):
    settings.ORDER_BATCH_LIMIT = 3
    too_many = post("orders", [order_payload(f"O-{n}") for n in range(4)])
    empty = post("orders", [])
    broken = client.post(
        "/api/v1/orders", data="{nope", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )

    assert too_many.status_code == empty.status_code == broken.status_code == 422
    assert "at most 3" in too_many.json()["detail"][0]["msg"]
    assert "Invalid JSON" in broken.json()["detail"][0]["msg"]


def test_missing_unknown_and_revoked_keys_get_401(post, api_key):
    assert post("orders", order_payload(), key=None).status_code == 401
    assert post("orders", order_payload(), key="adk_nope_nope").status_code == 401
    services.revoke_api_key(api_key=ApiKey.objects.get())
    assert post("orders", order_payload(), key=api_key).status_code == 401
    assert not Order.objects.exists()


def test_key_without_scope_gets_403(post, monkeypatch):
    monkeypatch.setitem(services.API_SCOPES, "cases:read", "Read cases")
    _key, raw = services.create_api_key(name="reader", scopes=["cases:read"], actor=None)

    response = post("orders", order_payload(), key=raw)

    assert response.status_code == 403
    assert "orders:write" in response.json()["detail"]


def test_api_key_is_stored_hashed_and_use_recorded(post, api_key):
    post("orders", order_payload())

    stored = ApiKey.objects.get()
    assert api_key not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert stored.key_hash == services.hash_api_key(api_key)
    assert stored.last_used_at is not None


def test_create_api_key_command_prints_key_last(capsys):
    call_command("create_api_key", "webshop", "--scopes", "orders:write")

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert ApiKey.objects.get(name="webshop").key_hash == services.hash_api_key(last_line)


def test_shipment_events_match_by_ref_or_tracking_and_are_stored_once(post):
    post("orders", order_payload("O-1"))
    events = [
        {"order_ref": "O-1", "code": "in_transit", "occurred_at": iso(T0 + timedelta(days=1))},
        {"tracking_number": "TRK-O-1", "code": "delayed",
         "occurred_at": iso(T0 + timedelta(days=2)),
         "estimated_delivery_at": iso(T0 + timedelta(days=5)), "location": "Bologna"},
    ]

    first = post("shipment-events", events).json()
    again = post("shipment-events", events).json()

    assert first == {"received": 2, "created": 2, "duplicates": 0, "matched": 2, "unmatched": 0}
    assert again["created"] == 0 and again["duplicates"] == 2
    assert ShipmentEvent.objects.count() == 2
    order = Order.objects.get()
    assert order.expected_delivery_at == T0 + timedelta(days=5)
    assert order.status == Order.Status.PROBLEM


def test_delivered_event_sets_delivered_at(post):
    post("orders", order_payload("O-1"))

    post("shipment-events", {"order_ref": "O-1", "code": "delivered",
                             "occurred_at": iso(T0 + timedelta(days=4))})

    order = Order.objects.get()
    assert order.delivered_at == T0 + timedelta(days=4)
    assert order.status == Order.Status.DELIVERED
    assert order.delivery_state().code == "delivered_late"
    # The shop resending the order without a delivery date does not undo the carrier's word.
    post("orders", order_payload("O-1"))
    assert Order.objects.get().delivered_at == T0 + timedelta(days=4)


def test_event_for_unknown_order_waits_and_attaches_when_order_arrives(post):
    early = post("shipment-events", [
        {"order_ref": "O-9", "code": "info_received", "occurred_at": iso(T0)},
        {"tracking_number": "TRK-O-9", "code": "delivered",
         "occurred_at": iso(T0 + timedelta(days=2))},
    ]).json()
    assert (early["matched"], early["unmatched"]) == (0, 2)
    assert ShipmentEvent.objects.filter(order=None).count() == 2

    result = post("orders", order_payload("O-9")).json()

    assert result["events_attached"] == 2
    order = Order.objects.get(external_ref="O-9")
    assert order.shipment_events.count() == 2
    assert order.delivered_at == T0 + timedelta(days=2)
    assert order.delivery_state().code == "delivered_on_time"


def test_bad_event_names_index_and_field(post):
    response = post("shipment-events", [
        {"order_ref": "O-1", "code": "teleported", "occurred_at": iso(T0)},
        {"code": "delivered", "occurred_at": iso(T0)},
    ])

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert ["body", 0, "code"] in [error["loc"] for error in detail]
    assert any(error["loc"][:2] == ["body", 1] and "order_ref" in error["msg"]
               for error in detail)
    assert not ShipmentEvent.objects.exists()


def test_openapi_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json").json()

    assert "/api/v1/orders" in schema["paths"]
    assert "/api/v1/shipment-events" in schema["paths"]
    body = schema["paths"]["/api/v1/orders"]["post"]["requestBody"]
    one, many = body["content"]["application/json"]["schema"]["oneOf"]
    assert one == many["items"] == {"$ref": "#/components/schemas/OrderIn"}
    components = schema["components"]["schemas"]
    assert "currency" in components["OrderIn"]["properties"]
    assert components["OrderIn"]["properties"]["customer"]["$ref"].endswith("/CustomerIn")
    assert "code" in components["ShipmentEventIn"]["required"]
    assert client.get("/api/v1/docs").status_code == 200


def test_healthz_answers_when_database_is_reachable(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"
