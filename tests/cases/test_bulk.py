"""``update_rows``: many rows' fields in one statement, NULLs and all."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Order
from cases.services.bulk import update_rows
from tests.cases.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_update_rows_writes_each_rows_own_values_including_nulls():
    when = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    first, second, untouched = (OrderFactory(delivered_at=None) for _ in range(3))
    first.status, first.delivered_at, first.last_scan_at = Order.Status.DELIVERED, when, when
    second.status, second.delivered_at, second.last_scan_at = Order.Status.PROBLEM, None, None

    update_rows(Order, [first, second], ["status", "delivered_at", "last_scan_at"], batch=1)

    rows = {order.pk: order for order in Order.objects.all()}
    assert (rows[first.pk].status, rows[first.pk].delivered_at, rows[first.pk].last_scan_at) == (
        "delivered", when, when)
    assert (rows[second.pk].status, rows[second.pk].delivered_at) == ("problem", None)
    assert rows[untouched.pk].status == untouched.status
