"""Feedback pushed by integrations: the API with its scope, and each source's signed
webhook."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from cases import services as desk
from feedback.api import signature
from feedback.models import FeedbackItem, Source
from tests.cases.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback"


def api_client(*scopes: str) -> Client:
    _key, secret = desk.create_api_key(name="shop", scopes=list(scopes), actor=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def source():
    return Source.objects.create(name="Shop reviews", slug="shop", platform="other")


def post(client: Client, body, url: str = URL, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_an_integration_pushes_feedback_into_its_source(source):
    customer = CustomerFactory(external_ref="C-1")
    client = api_client("feedback:write")
    batch = [
        {"source": "shop", "external_id": "s-1", "text": "Delivery was late again.",
         "rating": 2, "customer_ref": "C-1", "posted_at": "2026-11-20T10:00:00+01:00"},
        {"source": "shop", "text": "Nice staff", "rating": 9, "rating_scale": [0, 10]},
    ]

    first, again = post(client, batch), post(client, batch)

    assert first.status_code == 200 and first.json() == {
        "received": 2, "imported": 2, "duplicates": 0}
    assert again.json() == {"received": 2, "imported": 0, "duplicates": 2}
    late = FeedbackItem.objects.get(external_id="s-1")
    assert (late.customer, late.rating_normalised, late.language) == (customer, 0.25, "en")
    assert FeedbackItem.objects.get(external_id="").rating_normalised == 0.9
    source.refresh_from_db()
    assert source.last_intake_at is not None


def test_a_bad_batch_stores_nothing_and_says_where(source):
    response = post(api_client("feedback:write"), [
        {"source": "shop", "text": "fine"},
        {"source": "nowhere", "text": "x"},
        {"source": "shop", "rating": 7},
        {"source": "shop"},
    ])

    assert response.status_code == 422
    detail = [(error["loc"], error["msg"]) for error in response.json()["detail"]]
    assert (["body", 2], "Value error, rating 7 is outside 1-5") in detail
    assert (["body", 3], "Value error, give text or rating (or both)") in detail
    assert not FeedbackItem.objects.exists()
    unknown = post(api_client("feedback:write"), [{"source": "nowhere", "text": "x"}])
    assert unknown.json()["detail"] == [{"loc": ["body", 0, "source"], "type": "value_error",
                                         "msg": "No feedback source has this short name."}]


def test_the_api_needs_the_feedback_scope_and_a_batch_limit(source):
    assert Client().post(URL, "{}", content_type="application/json").status_code == 401
    assert post(api_client("orders:write"), {"source": "shop", "text": "x"}).status_code == 403
    too_many = [{"source": "shop", "text": f"review {n}"} for n in range(1001)]
    response = post(api_client("feedback:write"), too_many)
    assert response.status_code == 422 and "at most 1000" in response.json()["detail"][0]["msg"]


def test_a_signed_webhook_is_stored_and_a_bad_signature_is_refused(source):
    url = f"{URL}/webhooks/shop"
    body = json.dumps([{"external_id": "w-1", "text": "<b>Broken</b> parcel", "rating": 1}])

    unsigned = Client().post(url, body, content_type="application/json")
    forged = Client().post(url, body, content_type="application/json",
                           HTTP_X_SIGNATURE_256=signature("guess", body.encode()))
    tampered = Client().post(url, body.replace("Broken", "Lovely"),
                             content_type="application/json",
                             HTTP_X_SIGNATURE_256=signature(source.webhook_secret, body.encode()))
    assert [unsigned.status_code, forged.status_code, tampered.status_code] == [401, 401, 401]
    assert not FeedbackItem.objects.exists()

    signed = Client().post(url, body, content_type="application/json",
                           HTTP_X_SIGNATURE_256=signature(source.webhook_secret, body.encode()))
    assert signed.status_code == 200 and signed.json()["imported"] == 1
    assert FeedbackItem.objects.get().text == "<b>Broken</b> parcel"


def test_a_webhook_for_no_source_is_refused_like_a_bad_signature():
    body = b'{"text": "x"}'
    response = Client().post(f"{URL}/webhooks/nothing", body, content_type="application/json",
                             HTTP_X_SIGNATURE_256=signature("x", body))
    assert response.status_code == 401


def test_managers_can_give_a_key_the_feedback_scope(manager_client):
    page = manager_client.get("/settings/api-keys/").content.decode()
    assert 'value="feedback:write"' in page
