"""GET /api/v1/cases and /api/v1/cases/{number} (scope cases:read)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cases import services
from cases.models import Case
from tests.cases.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def get(client):
    _key, raw = services.create_api_key(name="bi", scopes=["cases:read"], actor=None)

    def fetch(path, key=raw, **params):
        return client.get(f"/api/v1/{path}", params, HTTP_AUTHORIZATION=f"Bearer {key}")

    return fetch


def make_case(title="Late oven", *, customer=None, order_ref=None, **kwargs) -> Case:
    customer = customer or CustomerFactory()
    orders = [OrderFactory(customer=customer, external_ref=order_ref)] if order_ref else []
    return services.open_case(customer=customer, origin=kwargs.pop("origin", "manual"),
                              kind=kwargs.pop("kind", "late_delivery"), title=title,
                              orders=orders, **kwargs)


def test_without_filters_every_case_is_listed_whatever_its_status(get):
    advocate = UserFactory.advocate()
    open_case = make_case("open")
    resolved = services.resolve_case(case=make_case("done"), actor=advocate,
                                     outcome="retained", resolution="Refund")
    closed = services.change_status(case=resolved, status="closed", actor=advocate)

    body = get("cases").json()

    assert {item["number"] for item in body["results"]} == {open_case.pk, closed.pk}


def test_case_fields(get):
    advocate = UserFactory.advocate(username="ada")
    case = make_case(order_ref="SO-9", owner=advocate)
    services.log_contact(customer=case.customer, order=case.orders.get(), channel="phone",
                         occurred_at=timezone.now() - timedelta(hours=1), summary="Hello?")

    [item] = get("cases").json()["results"]

    assert item["number"] == case.pk
    assert (item["kind"], item["origin"], item["status"]) == (
        "late_delivery", "manual", "in_progress")
    assert item["customer_ref"] == case.customer.external_ref
    assert item["order_refs"] == ["SO-9"]
    assert item["owner"] == "ada"
    assert item["first_customer_contact_at"] is not None
    # The customer called an hour before the case was opened: not caught before complaint.
    assert item["caught_before_complaint"] is False
    assert item["lead_hours"] == pytest.approx(-1.0, abs=0.1)
    assert item["resolved_at"] is None and item["outcome"] == ""
    assert {"opened_at", "priority", "priority_label", "due_at"} <= set(item)


def test_filters_match_the_queue(get):
    advocate = UserFactory.advocate(username="ada")
    mine = make_case("mine", owner=advocate, order_ref="SO-1")
    unassigned = make_case("nobody's", kind="billing")
    overdue = make_case("overdue")
    Case.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=1))

    def numbers(**params):
        return {item["number"] for item in get("cases", **params).json()["results"]}

    assert numbers(owner="ada") == {mine.pk}
    assert numbers(owner="unassigned") == {unassigned.pk, overdue.pk}
    assert numbers(kind="billing") == {unassigned.pk}
    assert numbers(status="in_progress") == {mine.pk}
    assert numbers(overdue="true") == {overdue.pk}
    assert numbers(q="SO-1") == {mine.pk}
    assert numbers(q=f"#{unassigned.pk}") == {unassigned.pk}


def test_cursor_pagination_walks_every_case_once(get, django_assert_max_num_queries):
    made = {make_case(f"case {n}").pk for n in range(7)}
    seen, cursor = [], None
    while True:
        params = {"page_size": 3, **({"cursor": cursor} if cursor else {})}
        with django_assert_max_num_queries(6):
            body = get("cases", **params).json()
        seen += [item["number"] for item in body["results"]]
        if not body["next"]:
            break
        cursor = body["next"].split("cursor=")[1].split("&")[0]
    assert sorted(seen) == sorted(made) and len(seen) == 7


def test_case_detail_has_impact_remedies_and_timeline(get):
    advocate = UserFactory.advocate()
    case = make_case()
    services.record_impact(case=case, actor=advocate, severity=3, currency="EUR",
                           money_lost=Decimal("1800"), what_it_stopped="<b>Closed</b>")
    services.propose_remedy(case=case, actor=advocate, kind="credit", summary="Credit",
                            cost=Decimal("50"), currency="EUR", benefit="Covers it")

    body = get(f"cases/{case.pk}").json()

    assert body["number"] == case.pk
    assert body["impact"]["money_lost"] == "1800.00"
    assert body["impact"]["what_it_stopped"] == "<b>Closed</b>"  # JSON carries text as is
    assert [remedy["kind"] for remedy in body["remedies"]] == ["credit"]
    kinds = [event["kind"] for event in body["timeline"]]
    assert kinds[0] == "remedy_proposed" and kinds[-1] == "opened"


def test_unknown_case_is_404_and_scope_is_required(get):
    assert get("cases/999").status_code == 404
    _key, orders_only = services.create_api_key(name="shop", scopes=["orders:write"], actor=None)
    assert get("cases", key=orders_only).status_code == 403
    assert get("cases", key="nope").status_code == 401
