"""Where an order stands against the delivery promised to the customer."""

from datetime import UTC, datetime, timedelta

import pytest

from cases.models import DeliveryState, Order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def order(**fields) -> Order:
    defaults = {"ordered_at": NOW - timedelta(days=5), "status": Order.Status.SHIPPED,
                "shipped_at": NOW - timedelta(days=4)}
    return Order(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"promised_delivery_at": NOW + timedelta(days=2)}, DeliveryState("on_time")),
        ({"promised_delivery_at": NOW - timedelta(hours=1)}, DeliveryState("late", 1)),
        ({"promised_delivery_at": NOW - timedelta(days=3)}, DeliveryState("late", 3)),
        (
            {"promised_delivery_at": NOW + timedelta(days=2),
             "expected_delivery_at": NOW + timedelta(days=4)},
            DeliveryState("at_risk"),
        ),
        (
            {"promised_delivery_at": NOW + timedelta(days=2), "status": Order.Status.PROBLEM},
            DeliveryState("at_risk"),
        ),
        (
            {"promised_delivery_at": NOW + timedelta(hours=10), "shipped_at": None,
             "status": Order.Status.PLACED},
            DeliveryState("at_risk"),
        ),
        (
            {"promised_delivery_at": NOW - timedelta(days=3),
             "delivered_at": NOW - timedelta(days=3, hours=-2)},
            DeliveryState("delivered_on_time"),
        ),
        (
            {"promised_delivery_at": NOW - timedelta(days=3),
             "delivered_at": NOW - timedelta(days=1)},
            DeliveryState("delivered_late", 2),
        ),
        ({"promised_delivery_at": None}, DeliveryState("no_promise")),
    ],
)
def test_delivery_state(fields, expected):
    assert order(**fields).delivery_state(NOW) == expected


def test_only_trouble_counts_as_a_problem():
    assert DeliveryState("late", 2).is_problem
    assert DeliveryState("at_risk").is_problem
    assert not DeliveryState("delivered_on_time").is_problem
