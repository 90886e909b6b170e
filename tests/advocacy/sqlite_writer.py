"""One writer process for the SQLite concurrency test: read-then-write transactions.

Run as ``python -m tests.advocacy.sqlite_writer NAME COUNT`` with DATABASE_URL set.
"""

import sys
from datetime import UTC, datetime
from decimal import Decimal

import django

django.setup()

from django.db import transaction  # noqa: E402

from cases.models import Customer, Order  # noqa: E402


def main(name: str, count: int) -> None:
    customer, _ = Customer.objects.get_or_create(external_ref="shared", defaults={"name": "S"})
    for number in range(count):
        with transaction.atomic():
            # Read, then write: the pattern that deadlocks SQLite under DEFERRED transactions.
            shared = Customer.objects.get(pk=customer.pk)
            shared.name = f"{name}-{number}"
            shared.save(update_fields=["name"])
            Order.objects.create(
                external_ref=f"{name}-{number}", customer=shared, value=Decimal("1"),
                currency="EUR", ordered_at=datetime.now(UTC),
            )
    print("ok", name)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
