"""Data at production volume for the benchmark: one generator per app, bulk loaded by COPY.

Each generator states the exact row counts it makes at a scale, so a rerun that finds them
skips loading; ``--fresh`` or another scale truncates and loads again. Later apps (cases,
feedback, NPS) append their generator to ``GENERATORS``. Truncating cascades to the tables
that reference the truncated ones, so once a generator reloads, every later one reloads too.

COPY writes every column itself, Django's defaults included: a NOT NULL column left out of
a COPY fails the load, so each one is listed below.
"""

from __future__ import annotations

import random
import time
import unicodedata
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from types import SimpleNamespace

from django.core.management.color import no_style
from django.db import connection, transaction

from cases.models import Customer, Order, ShipmentEvent
from cases.services.orders import _apply_events

SEED = 20261123
CUSTOMERS = 100_000
ORDERS = 1_000_000
HISTORY_DAYS = 548  # 18 months of orders

# The customer list search of the benchmark; about 1 customer in 40 carries this surname.
SEARCH_FRAGMENT = "haugen"


@dataclass(frozen=True)
class Generator:
    """One app's data: the tables it truncates, the rows it makes at a scale, its loader."""

    name: str
    truncate: tuple[str, ...]
    expected: Callable[[float], dict[str, int]]  # table -> exact row count at a scale
    load: Callable[[float, random.Random, datetime], dict[str, int]]  # table -> rows loaded


@dataclass(frozen=True)
class Generated:
    """What one generator did: loaded ``rows`` in ``seconds``, or found them (None)."""

    name: str
    rows: dict[str, int]
    seconds: float | None

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def table_counts(tables: Sequence[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def generate_all(*, scale: float, fresh: bool) -> list[Generated]:
    """Bring every app's data to ``scale``, loading only what is not there already."""
    results = []
    reload = fresh
    for generator in GENERATORS:
        expected = generator.expected(scale)
        if not reload and table_counts(list(expected)) == expected:
            results.append(Generated(generator.name, expected, None))
            continue
        reload = True
        started = time.perf_counter()
        with transaction.atomic():
            tables = ", ".join(f'"{table}"' for table in generator.truncate)
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            rows = generator.load(scale, random.Random(SEED), datetime.now(UTC))
        vacuum(list(rows))
        results.append(Generated(generator.name, rows, time.perf_counter() - started))
    return results


def vacuum(tables: Sequence[str]) -> None:
    """Set hint bits, visibility map and statistics now, as on a settled production table,
    so neither autovacuum nor first reads land inside a measurement."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')


def reset_sequences(*models: type) -> None:
    """COPY wrote the ids itself; start the identity sequences after the highest one."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


# --- cases: customers, orders, shipment events --------------------------------------------

FIRST_NAMES = [
    "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Matteo", "Ingrid", "Ola", "Kari",
    "Magnus", "Solveig", "Lars", "Andrei", "Elena", "Mihai", "Ioana", "Ștefan", "Ana",
    "Emma", "James", "Sophie", "Oliver", "Grace", "Thomas", "Nora", "Erik", "Maria",
    "Alessandro", "Sofia", "Bogdan", "Cristina", "Henrik", "Sara", "Daniel", "Ida",
    "Paolo", "Roxana", "Harry", "Astrid", "Jonas",
]
SURNAMES = [
    "Bianchi", "Rossi", "Esposito", "Ricci", "Romano", "Colombo", "Haugen", "Nordmann",
    "Solberg", "Berg", "Hansen", "Johansen", "Ødegård", "Bakken", "Popescu", "Ionescu",
    "Dumitru", "Stan", "Gheorghe", "Munteanu", "Clarke", "Whitaker", "Turner", "Smith",
    "Taylor", "Brown", "Walker", "Wright", "Greco", "Bruno", "Lund", "Moen", "Strand",
    "Nistor", "Tudor", "Lungu", "Evans", "Hughes", "Marino", "Fontana",
]
BUSINESS_WORDS = [
    "Trattoria", "Bakeri", "Kafé", "Bistro", "Hotel", "Catering", "Deli", "Pizzeria",
    "Gelateria", "Kantine", "Cafenea", "Brasserie", "Osteria", "Restaurant",
]
COMPANY_SUFFIX = {"en": "Ltd", "it": "S.r.l.", "nb": "AS", "ro": "SRL"}
SEGMENTS = ["restaurants", "bakeries", "cafes", "catering", "hotels", "delis"]
LANGUAGES = ["en", "it", "nb", "ro"]
LANGUAGE_WEIGHTS = [30, 25, 25, 20]
CURRENCY_OF_LANGUAGE = {"en": "USD", "it": "EUR", "nb": "NOK", "ro": "RON"}
CURRENCIES = ["EUR", "NOK", "RON", "USD"]
CARRIERS = ["DHL", "PostNord", "Fan Courier", "UPS", "BRT", "Bring"]
CITIES = ["Oslo", "Bergen", "Milano", "Napoli", "București", "Cluj-Napoca", "London", "Leeds"]
# value tier, share of customers, mean orders per customer, mean order value
TIERS = [("standard", 0.90, 7.5, 150.0), ("high", 0.09, 25.0, 600.0), ("key", 0.01, 100.0, 2500.0)]

CUSTOMER_COLUMNS = (
    "id", "external_ref", "name", "email", "company", "segment", "language", "value_tier",
    "email_consent", "created_at",
)
ORDER_COLUMNS = (
    "id", "external_ref", "customer_id", "value", "currency", "critical", "ordered_at",
    "promised_delivery_at", "expected_delivery_at", "shipped_at", "delivered_at", "carrier",
    "tracking_number", "status", "updated_at", "last_scan_at",
)
# 1 % of orders leave the warehouse and are never seen again (late, and staying late);
# 0.5 % run into carrier trouble, of which failed attempts and exceptions recover later.
STUCK_SHARE = 0.01
TROUBLE_SHARE = 0.005
TROUBLE_CODES = [
    ShipmentEvent.Code.EXCEPTION, ShipmentEvent.Code.FAILED_ATTEMPT, ShipmentEvent.Code.DAMAGED,
    ShipmentEvent.Code.LOST, ShipmentEvent.Code.RETURNED_TO_SENDER,
]
RECOVERABLE_CODES = {ShipmentEvent.Code.EXCEPTION, ShipmentEvent.Code.FAILED_ATTEMPT}
EVENT_COLUMNS = (
    "order_id", "order_ref", "tracking_number", "code", "occurred_at", "location",
    "description", "estimated_delivery_at", "received_at",
)


@dataclass(frozen=True)
class CustomerProfile:
    """What the order generator needs to know of a customer."""

    currency: str
    mean_value: float


def cases_expected(scale: float) -> dict[str, int]:
    return {
        Customer._meta.db_table: max(1, round(CUSTOMERS * scale)),
        Order._meta.db_table: max(1, round(ORDERS * scale)),
    }


def ascii_word(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Stream ``rows``, tuples in ``columns`` order, into ``table`` on Django's connection
    (and so inside its transaction)."""
    connection.ensure_connection()
    statement = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
    with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def load_cases(scale: float, rng: random.Random, now: datetime) -> dict[str, int]:
    """Customers, their orders in every delivery state, and about three carrier events an
    order (the carrier's scans, trouble and delivery)."""
    expected = cases_expected(scale)
    customer_count = expected[Customer._meta.db_table]
    order_count = expected[Order._meta.db_table]

    profiles: list[CustomerProfile] = []
    order_counts: list[int] = []

    def customers() -> Iterator[tuple]:
        tier_bounds = list(accumulate(share for _tier, share, _orders, _value in TIERS))
        for customer_id in range(1, customer_count + 1):
            tier, _share, mean_orders, mean_value = TIERS[
                min(bisect(tier_bounds, rng.random()), len(TIERS) - 1)
            ]
            language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
            first, surname = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            company = ""
            if rng.random() < 0.7:
                company = f"{rng.choice(BUSINESS_WORDS)} {surname} {COMPANY_SUFFIX[language]}"
            currency = CURRENCY_OF_LANGUAGE[language]
            if language == "en" and rng.random() < 0.5:
                currency = "EUR"
            profiles.append(CustomerProfile(currency, mean_value))
            order_counts.append(max(1, round(rng.gammavariate(2.0, mean_orders / 2))))
            yield (
                customer_id,
                f"CUST-{customer_id:07d}",
                f"{first} {surname}",
                f"{ascii_word(first)}.{ascii_word(surname)}{customer_id}@example.com",
                company,
                rng.choice(SEGMENTS),
                language,
                tier,
                rng.random() < 0.6,
                now - timedelta(days=rng.uniform(HISTORY_DAYS + 1, HISTORY_DAYS + 1500)),
            )

    copy_rows(Customer._meta.db_table, CUSTOMER_COLUMNS, customers())
    fit_total(order_counts, order_count, rng)

    # Orders are numbered in time order, customers interleaved, as a live table grows.
    placed = sorted(
        (now - timedelta(days=rng.uniform(0, HISTORY_DAYS)), customer_index)
        for customer_index, count in enumerate(order_counts)
        for _ in range(count)
    )
    events: list[tuple] = []

    def orders() -> Iterator[tuple]:
        for order_id, (ordered_at, customer_index) in enumerate(placed, start=1):
            profile = profiles[customer_index]
            row, order_events = order_row(order_id, customer_index + 1, ordered_at, profile,
                                          rng, now)
            events.extend(order_events)
            yield row

    copy_rows(Order._meta.db_table, ORDER_COLUMNS, orders())
    # Carrier events reach the desk over time and the table grows in that order: written
    # in arrival order, as the block-range indexes on their times expect.
    events.sort(key=lambda event: event[-1])
    copy_rows(ShipmentEvent._meta.db_table, EVENT_COLUMNS, events)
    reset_sequences(Customer, Order, ShipmentEvent)
    return {
        Customer._meta.db_table: customer_count,
        Order._meta.db_table: len(placed),
        ShipmentEvent._meta.db_table: len(events),
    }


def fit_total(counts: list[int], total: int, rng: random.Random) -> None:
    """Nudge per-customer counts, one order at a time, until they add up to ``total``;
    every customer keeps at least one order."""
    if total < len(counts):
        raise ValueError(f"{total} orders cannot give {len(counts)} customers one each")
    difference = total - sum(counts)
    while difference:
        index = rng.randrange(len(counts))
        if difference > 0:
            counts[index] += 1
            difference -= 1
        elif counts[index] > 1:
            counts[index] -= 1
            difference += 1


def order_row(
    order_id: int,
    customer_id: int,
    ordered_at: datetime,
    profile: CustomerProfile,
    rng: random.Random,
    now: datetime,
) -> tuple[tuple, list[tuple]]:
    """One order in ``ORDER_COLUMNS`` order and its carrier events in ``EVENT_COLUMNS`` order,
    drawn so that every delivery state occurs: on time, at risk, late, delivered on time,
    delivered late, stuck, in carrier trouble, no promise. A shipped order has a first scan,
    often a second one (with a new estimate when it runs late), often "out for delivery",
    and "delivered" once it arrived: about three events an order. Only events that occurred
    by ``now`` exist, each received minutes later. Status, expected delivery, delivery and
    last scan follow from the events through ``services``' own ``_apply_events``, so the
    engine's "live" columns say exactly what the events say."""
    lead = timedelta(days=rng.randint(2, 10))
    promised = None if rng.random() < 0.08 else ordered_at + lead
    deadline = promised or ordered_at + lead
    shipped = ordered_at + timedelta(days=rng.uniform(0.1, 3))
    fate = rng.random()
    arrival: datetime | None = None  # stuck (late, and staying late), or carrier trouble
    if fate < STUCK_SHARE + TROUBLE_SHARE:
        pass
    elif fate < 0.15:  # late: the carrier delivers days after the promise
        arrival = deadline + timedelta(days=rng.uniform(1, 12))
    else:
        transit_days = rng.uniform(0.3, 1) * max(0.5, (deadline - shipped).days)
        arrival = shipped + timedelta(days=transit_days)

    hour = timedelta(hours=1)
    scans: list[tuple[ShipmentEvent.Code, datetime, datetime | None]] = []
    if shipped > now:
        if rng.random() < 0.5:
            scans.append((ShipmentEvent.Code.INFO_RECEIVED, ordered_at + rng.uniform(0.1, 2) * hour,
                          None))
    else:
        first = shipped + rng.uniform(1, 12) * hour
        scans.append((ShipmentEvent.Code.IN_TRANSIT, first, None))
        if fate < STUCK_SHARE:
            if rng.random() < 0.5:
                scans.append((ShipmentEvent.Code.IN_TRANSIT, first + rng.uniform(6, 48) * hour,
                              None))
        elif fate < STUCK_SHARE + TROUBLE_SHARE:
            code = rng.choice(TROUBLE_CODES)
            trouble = first + rng.uniform(6, 72) * hour
            scans.append((code, trouble, None))
            if code in RECOVERABLE_CODES:  # a later attempt succeeds
                arrival = trouble + rng.uniform(12, 96) * hour
                scans.append((ShipmentEvent.Code.OUT_FOR_DELIVERY, arrival - 2 * hour, None))
                scans.append((ShipmentEvent.Code.DELIVERED, arrival, None))
        else:
            middle = first + (arrival - first) * rng.uniform(0.3, 0.7)
            if arrival.date() > deadline.date() and rng.random() < 0.7:
                scans.append((rng.choice([ShipmentEvent.Code.DELAYED,
                                          ShipmentEvent.Code.IN_TRANSIT]), middle, arrival))
            elif rng.random() < 0.6:
                scans.append((ShipmentEvent.Code.IN_TRANSIT, middle, None))
            if rng.random() < 0.6:
                scans.append((ShipmentEvent.Code.OUT_FOR_DELIVERY,
                              arrival - rng.uniform(1, 6) * hour, None))
            scans.append((ShipmentEvent.Code.DELIVERED, arrival, None))
    scans = sorted(scan for scan in scans if scan[1] <= now)

    shipped_at = shipped if shipped <= now else None
    order = SimpleNamespace(promised_delivery_at=promised, shipped_at=shipped_at,
                            delivered_at=None)
    _apply_events(order, [SimpleNamespace(code=code, occurred_at=at, estimated_delivery_at=eta)
                          for code, at, eta in scans])
    currency = profile.currency if rng.random() < 0.9 else rng.choice(CURRENCIES)
    value = rng.lognormvariate(0, 0.9) * profile.mean_value
    carrier = tracking = ""
    if shipped_at:
        carrier = rng.choice(CARRIERS)
        tracking = f"{carrier[:2].upper()}{order_id:010d}"
    order_ref = f"ORD-{order_id:08d}"
    row = (
        order_id,
        order_ref,
        customer_id,
        f"{value:.2f}",
        currency,
        rng.random() < 0.05,
        ordered_at,
        promised,
        order.expected_delivery_at,
        shipped_at,
        order.delivered_at,
        carrier,
        tracking,
        order.status.value,
        order.last_scan_at or shipped_at or ordered_at,
        order.last_scan_at,
    )
    events = [
        (order_id, order_ref, tracking, code.value, at, rng.choice(CITIES), "", eta,
         min(at + timedelta(minutes=rng.uniform(1, 30)), now))
        for code, at, eta in scans
    ]
    return row, events


CASES = Generator(
    name="cases: customers, orders, shipment events",
    truncate=(Customer._meta.db_table, Order._meta.db_table, ShipmentEvent._meta.db_table),
    expected=cases_expected,
    load=load_cases,
)

from tests.bench.generate_desk import DESK  # noqa: E402 (it builds on this module)
from tests.bench.generate_feedback import FEEDBACK  # noqa: E402 (it builds on this module)
from tests.bench.generate_nps import NPS  # noqa: E402 (it builds on this module)

GENERATORS: list[Generator] = [CASES, DESK, FEEDBACK, NPS]
