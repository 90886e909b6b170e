"""NPS answers at volume: 1M responses across 50 surveys over 18 months, from 2.2M
invitations (2 % never sent for want of consent, 45 % of the rest answered), and the
response-rate tallies counted from them.

Invitations go out in time order, volume growing by half over the period, to the bench
customers (each survey asks a customer at most once, as a campaign does); about half of
the answers come within a day. Scores follow the customer's segment and the month: the
NPS improves slowly, except in one month eight months ago when a carrier failed and it
fell. Two answers in five carry a comment in the customer's language. Each answer copies
its customer's segment, language and value tier, as answering does.

Both tables are COPY-loaded with their secondary indexes and foreign keys dropped and made
again afterwards (a sorted build each instead of 2.2M insertions into ten indexes); the
columns come from the models, so a field another part adds is filled with its default.
The tallies are counted by the service the beat runs (``refresh_invitation_tallies``).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import connection, models

from cases.models import Customer
from nps.models import Invitation, InvitationTally, Response, Survey, category_of
from nps.services.reports import refresh_invitation_tallies
from tests.bench.generate import HISTORY_DAYS, Generator, reset_sequences

RESPONSES = 1_000_000
INVITATIONS = 2_200_000
SURVEYS = 50
SUPPRESSED_SHARE = 0.02
GROWTH = 0.5
DROP_MONTHS_AGO = 8
COMMENT_SHARE = 0.4
DAY = 86_400.0

SURVEY_TABLE = Survey._meta.db_table
INVITATION_TABLE = Invitation._meta.db_table
RESPONSE_TABLE = Response._meta.db_table
TALLY_TABLE = InvitationTally._meta.db_table

# Promoter and detractor shares per segment (the rest are passives).
SEGMENT_SHARES = {
    "restaurants": (0.48, 0.22), "bakeries": (0.55, 0.17), "cafes": (0.50, 0.20),
    "catering": (0.44, 0.26), "hotels": (0.40, 0.28), "delis": (0.52, 0.19),
}
PROMOTER_SCORES, PASSIVE_SCORES = (9, 10, 10), (7, 8, 8)
DETRACTOR_SCORES = (0, 1, 2, 3, 4, 5, 5, 6, 6, 6)
COMMENTS = {
    "en": {"promoter": "Fast delivery and friendly support.",
           "passive": "Fine, but the delivery was a day late.",
           "detractor": "The parcel arrived damaged and nobody called back."},
    "it": {"promoter": "Consegna veloce e assistenza gentile.",
           "passive": "Bene, ma la consegna è arrivata con un giorno di ritardo.",
           "detractor": "Il pacco è arrivato danneggiato e nessuno ci ha richiamati."},
    "nb": {"promoter": "Rask levering og hyggelig kundeservice.",
           "passive": "Greit, men leveringen kom en dag for sent.",
           "detractor": "Pakken kom skadet, og ingen ringte tilbake."},
    "ro": {"promoter": "Livrare rapidă și asistență amabilă.",
           "passive": "Bine, dar livrarea a întârziat o zi.",
           "detractor": "Coletul a ajuns deteriorat și nimeni nu ne-a sunat înapoi."},
}
TEXTS = {"en": {"question": "How likely are you to recommend us to a friend or colleague?",
                "follow_up": "What is the main reason for your score?"}}


def nps_expected(scale: float) -> dict[str, int]:
    return {
        SURVEY_TABLE: SURVEYS,
        INVITATION_TABLE: max(2, round(INVITATIONS * scale)),
        RESPONSE_TABLE: max(1, round(RESPONSES * scale)),
    }


def copy_text(value: object) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    return str(value)


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class Row:
    """A model's COPY lines from the values the generator gives by column, with the field's
    default for every other column (a field another part adds included). Lines are written
    as text here: psycopg's per-value formatting took longer than making the data."""

    def __init__(self, model: type[models.Model], given: tuple[str, ...]) -> None:
        fields = model._meta.concrete_fields
        self.table = model._meta.db_table
        self.columns = [field.column for field in fields]
        missing = set(given) - set(self.columns)
        if missing:
            raise ValueError(f"{model.__name__} has no column {sorted(missing)}")
        position = {column: index for index, column in enumerate(given)}
        self.plan = [(position.get(field.column), copy_text(field.get_default()))
                     for field in fields]

    def line(self, values: tuple | list) -> str:
        return "\t".join(default if index is None else copy_text(values[index])
                         for index, default in self.plan) + "\n"

    def copy(self, rows: Iterator[tuple | list], *, chunk: int = 5000) -> None:
        """COPY ``rows`` (values in ``given`` order) into the table, on Django's connection."""
        connection.ensure_connection()
        statement = f'COPY "{self.table}" ({", ".join(self.columns)}) FROM STDIN'
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            lines = []
            for values in rows:
                lines.append(self.line(values))
                if len(lines) >= chunk:
                    copy.write("".join(lines))
                    lines.clear()
            if lines:
                copy.write("".join(lines))


class DroppedIndexes:
    """Secondary indexes, unique constraints and foreign keys of tables set aside during a
    load and made again after it (inside the loading transaction)."""

    def __init__(self, *tables: str) -> None:
        self.tables = tables
        self.restore: list[str] = []

    def __enter__(self) -> DroppedIndexes:
        with connection.cursor() as cursor:
            # Deferred checks of rows inserted earlier in the transaction (the surveys) run
            # now: PostgreSQL alters no table with such checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                """SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
                   FROM pg_constraint c
                   WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('u', 'f')""",
                [list(self.tables)])
            for table, name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                self.restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                   FROM pg_index i
                   WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary""",
                [list(self.tables)])
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                self.restore.append(definition)
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is not None:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Indexes first, then the constraints (a foreign key checks the whole table once).
            for statement in sorted(self.restore, key=lambda sql: sql.startswith("ALTER")):
                cursor.execute(statement)


def bench_surveys(now: datetime) -> list[int]:
    surveys = Survey.objects.bulk_create([
        Survey(name=f"Bench survey {number:02d}", slug=f"bench-{number:02d}", texts=TEXTS,
               trigger=Survey.Trigger.CAMPAIGN,
               starts_at=now - timedelta(days=HISTORY_DAYS + 1), launched_at=now -
               timedelta(days=HISTORY_DAYS + 1))
        for number in range(1, SURVEYS + 1)])
    return [survey.pk for survey in surveys]


def when(position: float) -> float:
    """Where an invitation falls in the period (0 oldest, 1 now) when volume grows by
    GROWTH: the inverse of the cumulative share of a linearly rising density."""
    return (math.sqrt(1 + 2 * GROWTH * position * (1 + GROWTH / 2)) - 1) / GROWTH


def months_ago(moment: datetime, now: datetime) -> int:
    return (now.year - moment.year) * 12 + now.month - moment.month


def load_nps(scale: float, rng: random.Random, now: datetime) -> dict[str, int]:
    expected = nps_expected(scale)
    invitation_count = expected[INVITATION_TABLE]
    response_count = expected[RESPONSE_TABLE]
    survey_ids = bench_surveys(now)
    customers = list(Customer.objects.order_by("pk").values_list(
        "pk", "language", "segment", "value_tier"))
    if invitation_count > len(customers) * SURVEYS:
        raise ValueError("too few customers for one invitation per survey and customer")
    suppressed = round(invitation_count * SUPPRESSED_SHARE)
    sent_count = invitation_count - suppressed
    if response_count > sent_count:
        raise ValueError("more answers than invitations sent")
    first = now.timestamp() - HISTORY_DAYS * DAY
    span = now.timestamp() - first
    tz = now.tzinfo
    # Invitation k goes to customer (offset + k // SURVEYS) of survey k % SURVEYS: each
    # survey asks a customer once (the campaign constraint), each customer a few surveys.
    offset = rng.randrange(len(customers))
    answered: list[tuple] = []  # (invitation id, survey, customer row, answered at)

    invitation_row = Row(Invitation, (
        "id", "survey_id", "customer_id", "language", "status", "reason", "token_hash",
        "message_id", "created_at", "enqueued_at", "claimed_at", "sent_at", "expires_at",
        "opened_at", "answered_at", "attempts"))

    def invitations() -> Iterator[tuple]:
        sent_left, answers_left = sent_count, response_count
        suppressed_left = suppressed
        for number in range(invitation_count):
            invitation_id = number + 1
            survey_id = survey_ids[number % SURVEYS]
            customer = customers[(offset + number // SURVEYS) % len(customers)]
            created = datetime.fromtimestamp(
                first + when((number + rng.random()) / invitation_count) * span, tz)
            left = invitation_count - number
            is_sent = rng.random() * left >= suppressed_left
            values = [invitation_id, survey_id, customer[0], customer[1]]
            if not is_sent:
                suppressed_left -= 1
                values += ["suppressed", "The customer has not agreed to receive emails.",
                           None, "", created, created, None, None, None, None, None, 0]
            else:
                sent_at = created + timedelta(minutes=rng.uniform(1, 30))
                answer_at = None
                if rng.random() * sent_left < answers_left:  # selection sampling: exact
                    answers_left -= 1
                    answer_at = min(now, sent_at + timedelta(hours=rng.expovariate(1 / 20)))
                    answered.append((invitation_id, survey_id, customer, answer_at))
                sent_left -= 1
                token = hashlib.sha256(f"bench-{invitation_id}".encode()).hexdigest()
                values += ["sent", "", token, f"<bench-{invitation_id}@nps.example>", created,
                           created, sent_at - timedelta(seconds=20), sent_at,
                           sent_at + timedelta(days=30),
                           answer_at - timedelta(minutes=2) if answer_at else None,
                           answer_at, 1]
            yield values

    response_row = Row(Response, (
        "id", "invitation_id", "survey_id", "customer_id", "score", "category", "comment",
        "language", "segment", "value_tier", "answered_at"))

    def responses() -> Iterator[tuple]:
        for number, (invitation_id, survey_id, customer, answer_at) in enumerate(answered):
            _pk, language, segment, tier = customer
            promoters, detractors = SEGMENT_SHARES.get(segment, (0.48, 0.22))
            ago = months_ago(answer_at, now)
            promoters += 0.004 * (18 - ago)  # slowly better
            if ago == DROP_MONTHS_AGO:
                promoters, detractors = promoters - 0.12, detractors + 0.15
            draw = rng.random()
            if draw < promoters:
                score = rng.choice(PROMOTER_SCORES)
            elif draw < promoters + detractors:
                score = rng.choice(DETRACTOR_SCORES)
            else:
                score = rng.choice(PASSIVE_SCORES)
            category = category_of(score)
            comment = ""
            if rng.random() < COMMENT_SHARE:
                comment = COMMENTS.get(language, COMMENTS["en"])[category]
            values = (number + 1, invitation_id, survey_id, customer[0], score, category,
                      comment, language, segment, tier, answer_at)
            yield values

    with DroppedIndexes(INVITATION_TABLE, RESPONSE_TABLE):
        invitation_row.copy(invitations())
        # Answers reach the table in the order they are given.
        answered.sort(key=lambda row: row[3])
        response_row.copy(responses())
    reset_sequences(Invitation, Response)
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{INVITATION_TABLE}"')
        cursor.execute(f'ANALYZE "{RESPONSE_TABLE}"')
    tallies = refresh_invitation_tallies(full=True)
    loaded = {SURVEY_TABLE: len(survey_ids), INVITATION_TABLE: invitation_count,
              RESPONSE_TABLE: len(answered)}
    if loaded != expected:
        raise ValueError(f"loaded {loaded}, expected {expected}")
    return {**loaded, TALLY_TABLE: tallies}


NPS = Generator(
    name="nps: surveys, invitations, responses, response-rate tallies",
    truncate=(SURVEY_TABLE, INVITATION_TABLE, RESPONSE_TABLE, TALLY_TABLE),
    expected=nps_expected,
    load=load_nps,
)
