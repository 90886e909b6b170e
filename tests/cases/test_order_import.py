"""Orders CSV imports: pending work in the database, row-level errors, safe re-runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import services
from cases.models import Customer, Order, OrderImport

pytestmark = pytest.mark.django_db

HEADER = (
    "external_ref,customer_ref,customer_name,customer_email,customer_language,value,currency,"
    "critical,ordered_at,promised_delivery_at\n"
)
GOOD = "R-1,C-1,Ada Lovelace,ada@example.com,en,10.50,eur,yes,2026-11-01T10:00:00+01:00,\n"
ROWS = (
    HEADER
    + GOOD
    + "R-2,C-2,Bo,bo@example,en,20,NOK,no,2026-11-01T10:00:00+01:00,\n"  # bad email
    + "R-3,C-3,Cy,,xx,20,NOK,,2026-11-01T10:00:00Z,2026-10-01T10:00:00Z\n"  # language, promise
    + "R-1,C-1,Ada Lovelace,ada@example.com,en,10.50,EUR,1,2026-11-01T10:00:00+01:00,\n"
    + "R-5,C-5,Di,,en,abc,EUR,maybe,2026-11-01,\n"  # value, critical, ordered_at
    + "R-6,C-1,Ada Lovelace,ada@example.com,en,7,EUR,,2026-11-02T10:00:00+01:00,\n"
)


@pytest.fixture
def user():
    return get_user_model().objects.create_user("importer")


def start(user, content: str = ROWS, filename: str = "orders.csv") -> OrderImport:
    return services.start_order_import(filename=filename, raw=content.encode(), actor=user)


def test_valid_rows_land_and_each_bad_row_is_reported(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        order_import = start(user)
    assert len(callbacks) == 1  # the worker is nudged after commit, not before

    services.import_orders(order_import_id=order_import.pk)

    order_import.refresh_from_db()
    assert order_import.status == OrderImport.Status.DONE
    assert (order_import.rows_total, order_import.rows_imported) == (6, 2)
    assert order_import.progress_percent == 100
    errors = {(error["row"], error["field"]) for error in order_import.row_errors}
    assert errors == {
        (3, "customer_email"),
        (4, "customer_language"),
        (4, "promised_delivery_at"),
        (5, "external_ref"),
        (6, "value"),
        (6, "critical"),
        (6, "ordered_at"),
    }
    assert set(Order.objects.values_list("external_ref", flat=True)) == {"R-1", "R-6"}
    assert Order.objects.get(external_ref="R-1").currency == "EUR"
    assert Order.objects.get(external_ref="R-1").critical is True


def test_running_the_same_import_again_duplicates_nothing(user):
    order_import = start(user)
    services.import_orders(order_import_id=order_import.pk)
    assert services.import_orders(order_import_id=order_import.pk) is None  # already done

    # A worker died mid-import: the sweeper hands it out again; the rerun is harmless.
    OrderImport.objects.filter(pk=order_import.pk).update(status=OrderImport.Status.PENDING)
    services.import_orders(order_import_id=order_import.pk)

    order_import.refresh_from_db()
    assert order_import.rows_imported == 2
    assert len(order_import.row_errors) == 7
    assert order_import.attempts == 2
    assert Order.objects.count() == 2
    assert Customer.objects.count() == 1


def test_running_import_is_claimed_once(user):
    order_import = start(user)
    assert services.claim_order_import(order_import_id=order_import.pk) is not None

    assert services.claim_order_import(order_import_id=order_import.pk) is None


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("orders.xlsx", HEADER + GOOD, "Upload a .csv file."),
        ("orders.csv", "", "The file is empty."),
        ("orders.csv", "external_ref,value\nR-1,10\n", "Missing columns: customer_ref"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(user, filename, content, message):
    with pytest.raises(ValidationError) as error:
        start(user, content, filename)

    assert message in " ".join(error.value.message_dict["file"])
    assert not OrderImport.objects.exists()


def test_non_utf8_and_oversized_files_are_refused(user, settings):
    with pytest.raises(ValidationError, match="UTF-8"):
        services.start_order_import(
            filename="o.csv", raw=(HEADER + "R-1,C-1,Zoë").encode("utf-16"), actor=user
        )
    settings.ORDER_CSV_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        start(user)


def test_sweeper_requeues_stale_pending_and_lost_running_imports(
    user, settings, django_capture_on_commit_callbacks
):
    settings.PENDING_WORK_STALE_AFTER = 60
    settings.RUNNING_WORK_TIMEOUT = 600
    with django_capture_on_commit_callbacks():  # captured, never run: the nudges are lost
        fresh, stale, lost, running, done = (start(user) for _ in range(5))
    long_ago = timezone.now() - timedelta(hours=1)
    OrderImport.objects.filter(pk=stale.pk).update(enqueued_at=long_ago)
    OrderImport.objects.filter(pk=lost.pk).update(
        status=OrderImport.Status.RUNNING, started_at=long_ago
    )
    OrderImport.objects.filter(pk=running.pk).update(
        status=OrderImport.Status.RUNNING, started_at=timezone.now(), enqueued_at=long_ago
    )
    OrderImport.objects.filter(pk=done.pk).update(
        status=OrderImport.Status.DONE, enqueued_at=long_ago
    )

    sweep = services.sweep_pending_work()

    assert sweep.requeued["order imports"] == 2
    status = dict(OrderImport.objects.values_list("pk", "status"))
    assert status == {
        fresh.pk: OrderImport.Status.PENDING,
        stale.pk: OrderImport.Status.DONE,
        lost.pk: OrderImport.Status.DONE,
        running.pk: OrderImport.Status.RUNNING,
        done.pk: OrderImport.Status.DONE,
    }
    assert services.sweep_pending_work().requeued["order imports"] == 0
