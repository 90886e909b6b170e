"""Writes of the feedback app: sources, imports (start, run, cancel, resume) and the
pipeline every item goes through — parsed from its format, catalogued, matched to its
customer, stored once.

An import is pending work in the database (``ImportBatch`` and its file): a worker claims
it, reads the file as a stream and stores it chunk by chunk. Each chunk commits with the
batch's counts and its position, so a worker killed mid-way loses at most the chunk it was
on, and the retry resumes after the last committed one. Items are unique per source (by
the platform's id, or by a hash of their content when there is none): a chunk redone, or
the same file imported twice, adds nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import queue
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import BigIntegerField, Count, F, Max, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate, Upper
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from psycopg.errors import UniqueViolation

from cases.models import Customer, Order
from cases.services.bulk import copy_rows, in_texts, json_text, new_ids, update_rows
from cases.services.pending import register_pending_work, requeue_waiting
from feedback import tasks
from feedback.catalogue import Catalogued, Cataloguer
from feedback.formats import Record, RowError, Skipped, get_format
from feedback.models import (
    AnalysisDay,
    FeedbackItem,
    ImportBatch,
    ImportRowError,
    ItemTheme,
    Need,
    NeedChange,
    Source,
    Theme,
)
from feedback.selectors import STARS, stars_filter

logger = logging.getLogger(__name__)

CHUNK = 2000
STALE_IMPORT_AFTER = dt.timedelta(minutes=10)  # no progress for this long: the worker died


# --- sources ---------------------------------------------------------------------------------


def source_for_slug(*, slug: str, create: bool = False) -> Source:
    """The source with this short name; with ``create``, a new one (not selected: a manager
    decides that) when there is none."""
    try:
        return Source.objects.get(slug=slug)
    except Source.DoesNotExist:
        if not create:
            raise ValidationError({"source": _("There is no source %(slug)s.") % {
                "slug": slug}}) from None
    if slugify(slug) != slug:
        raise ValidationError({"source": _(
            "%(slug)s is not a valid short name: use lowercase letters, digits and hyphens.")
            % {"slug": slug}})
    source = Source(slug=slug, name=slug.replace("-", " ").capitalize(),
                    selection_reason=_("Created by an import; not reviewed yet."))
    source.full_clean()
    source.save()
    return source


# --- starting an import ----------------------------------------------------------------------


def start_import(*, source: Source, file: File, filename: str, format_name: str,
                 options: dict | None = None, actor: AbstractBaseUser | None = None,
                 kind: str = ImportBatch.Kind.UPLOAD, enqueue: bool = True) -> ImportBatch:
    """Keep the file as pending work and nudge a worker to import it. Refused at once,
    with a message saying why: an unknown format, a file of the wrong type, too large or
    empty, a CSV mapping without the text or the rating column."""
    try:
        chosen = get_format(format_name)
    except ValueError as error:
        raise ValidationError({"format": str(error)}) from None
    size = file.size
    if not filename.lower().endswith(chosen.extensions):
        raise ValidationError({"file": _(
            "%(format)s files end in %(extensions)s; %(name)s does not.") % {
            "format": chosen.name, "extensions": " or ".join(chosen.extensions),
            "name": filename}})
    if size > settings.FEEDBACK_UPLOAD_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than %(limit)d MB.") % {
            "limit": settings.FEEDBACK_UPLOAD_MAX_BYTES // (1024 * 1024)}})
    if not size:
        raise ValidationError({"file": _("The file is empty.")})
    options = {**(source.format_options or {}), **(options or {})}
    if chosen.name == "csv":
        mapping = options.get("mapping") or {}
        if not (mapping.get("text") or mapping.get("rating")):
            raise ValidationError({"options": _(
                "Map a column to the text or to the rating: without either there is no "
                "feedback to import.")})
    with transaction.atomic():
        batch = ImportBatch(source=source, kind=kind, format=chosen.name, options=options,
                            filename=os.path.basename(filename)[:255], size=size,
                            created_by=actor)
        batch.file.save(batch.filename, file, save=False)
        batch.save()
        if enqueue:
            transaction.on_commit(lambda: tasks.import_feedback.delay(batch_id=batch.pk))
    return batch


def cancel_import(*, batch: ImportBatch) -> ImportBatch:
    """Stop an import after its current chunk; what it stored stays."""
    if batch.is_finished:
        raise ValidationError(_("This import has already finished."))
    changed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.CANCELLED, finished_at=timezone.now(), cancel_requested=True)
    if not changed:
        ImportBatch.objects.filter(pk=batch.pk).update(cancel_requested=True)
    batch.refresh_from_db()
    return batch


# --- running an import -----------------------------------------------------------------------


@dataclass
class ChunkResult:
    imported: int = 0
    duplicates: int = 0
    errors: int = 0
    skipped: int = 0


def claim_import(*, batch_id: int) -> ImportBatch | None:
    """Take a waiting import for this worker; None when another worker has it or it is
    finished. A stale running import (its worker died) is put back to waiting by the
    sweeper first."""
    now = timezone.now()
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.RUNNING, started_at=now, heartbeat_at=now,
        attempts=F("attempts") + 1)
    return ImportBatch.objects.select_related("source").get(pk=batch_id) if claimed else None


def run_import(*, batch_id: int,
               progress: Callable[[ImportBatch], None] | None = None) -> ImportBatch | None:
    """Import a claimed batch to its end (or until cancelled), resuming after the records
    a previous attempt committed. ``progress`` is called after each chunk."""
    batch = claim_import(batch_id=batch_id)
    if batch is None:
        return None
    try:
        _run(batch, progress)
    except Exception as error:
        logger.exception("Feedback import %s failed", batch.pk)
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.FAILED, finished_at=timezone.now(),
            failure=f"{type(error).__name__}: {error}"[:2000])
    batch.refresh_from_db()
    return batch


def _run(batch: ImportBatch, progress: Callable[[ImportBatch], None] | None) -> None:
    chosen = get_format(batch.format)
    if batch.rows_total is None:
        total = _count_records(batch, chosen)
        ImportBatch.objects.filter(pk=batch.pk).update(rows_total=total)
        batch.rows_total = total
    cataloguer = Cataloguer(Theme.objects.all())
    with batch.file.open("rb") as stream, _chunk_writer(progress) as write:
        items = chosen.parse(stream, **batch.options)
        position = batch.rows_done
        for _skipped in islice(items, position):  # committed by an earlier attempt
            pass
        while chunk := list(islice(items, CHUNK)):
            if ImportBatch.objects.filter(pk=batch.pk, cancel_requested=True).exists():
                write.finish()  # what is on its way is stored, then the import stops
                ImportBatch.objects.filter(pk=batch.pk).update(
                    status=ImportBatch.Status.CANCELLED, finished_at=timezone.now())
                return
            position += len(chunk)
            write(prepare_chunk(batch=batch, items=chunk, position=position,
                                cataloguer=cataloguer))
    now = timezone.now()
    ImportBatch.objects.filter(pk=batch.pk).update(  # the exact count, now it is known
        status=ImportBatch.Status.DONE, finished_at=now, heartbeat_at=now,
        rows_total=F("rows_done"))
    Source.objects.filter(pk=batch.source_id).update(last_intake_at=now)
    if ImportBatch.objects.filter(pk=batch.pk, imported__gt=0).exists():
        transaction.on_commit(lambda: tasks.refresh_needs.delay())  # the ranking moves
        transaction.on_commit(lambda: tasks.refresh_analysis.delay())


class _InlineWriter:
    """Stores each prepared chunk at once, on this thread's connection: inside a
    transaction (a test's, or a caller's), where another connection would not see it."""

    def __init__(self, progress: Callable[[ImportBatch], None] | None) -> None:
        self.progress = progress
        self.chunks = 0

    def __call__(self, chunk: PreparedChunk) -> None:
        if store_chunk(chunk=chunk).imported:  # statistics move only with new items
            self.chunks += 1
            if self.chunks in ANALYZE_AFTER_CHUNKS or self.chunks % 100 == 0:
                _analyze_items()
        if self.progress is not None:
            self.progress(ImportBatch.objects.get(pk=chunk.batch.pk))

    def finish(self) -> None:
        pass

    def __enter__(self) -> _InlineWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


class _ThreadedWriter(_InlineWriter):
    """Stores prepared chunks on a thread of its own, with its own database connection,
    while this thread parses and catalogues the next one: the import then runs at the
    pace of the slower of the two instead of their sum (cataloguing is Python, storing
    is mostly PostgreSQL's work, on the other core). Chunks are stored in order, each in
    its own transaction with the position it reaches, so resuming is unchanged; at most
    one chunk waits, so memory does not grow. A failure on the writer's side stops the
    import with that error."""

    def __init__(self, progress: Callable[[ImportBatch], None] | None) -> None:
        super().__init__(progress)
        self.waiting: queue.Queue[PreparedChunk | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="feedback-import-writer",
                                       daemon=True)

    def _work(self) -> None:
        try:
            while (chunk := self.waiting.get()) is not None:
                if self.error is None:
                    try:
                        super().__call__(chunk)
                    except BaseException as error:  # re-raised on the importing thread
                        self.error = error
        finally:
            connections.close_all()  # this thread's connections only

    def __call__(self, chunk: PreparedChunk) -> None:
        self._raise()
        self.waiting.put(chunk)

    def finish(self) -> None:
        if self.thread.is_alive():
            self.waiting.put(None)
            self.thread.join()
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def __enter__(self) -> _ThreadedWriter:
        # The writer waits on PostgreSQL a dozen times a chunk, and after each wait Python
        # gives it the interpreter back only when the cataloguing thread lets go, by
        # default every 5 ms: at 1 ms, the import goes 20 % faster (8,500 -> 10,400 rows/s
        # in the benchmark). Put back when the import ends.
        self.switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self.switch_interval, 0.001))
        self.thread.start()
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        try:
            if exc_type is None:
                self.finish()
                return
            self.waiting.put(None)  # the import failed here: let the writer end its chunk
            self.thread.join()
        finally:
            sys.setswitchinterval(self.switch_interval)


def _chunk_writer(progress: Callable[[ImportBatch], None] | None) -> _InlineWriter:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _ThreadedWriter(progress)
    return _InlineWriter(progress)


# A big import into a young table outgrows its statistics before autovacuum catches up,
# and PostgreSQL then looks items up by source instead of by id (90 ms a chunk instead of
# 2 ms at 100k items): the import refreshes them itself after these chunks, and every 100.
ANALYZE_AFTER_CHUNKS = (2, 10, 30)


def _analyze_items() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(FeedbackItem._meta.db_table)}")


def _count_records(batch: ImportBatch, chosen) -> int:
    """How many records the file holds, for the progress bar. A CSV or JSON Lines file:
    its lines, counted in C at disk speed (a CSV cell may span lines: the figure is then a
    little high until the import ends, when it becomes exact). Other files: parsed once."""
    csv_file = ".csv" in chosen.extensions
    with batch.file.open("rb") as stream:
        if csv_file or chosen.name.endswith("jsonl"):
            lines, last = 0, b"\n"
            while block := stream.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
            lines += last != b"\n"  # a last line without its newline
            return max(0, lines - csv_file)  # a CSV's header is no record
        return sum(1 for _item in chosen.parse(stream, **batch.options))


@dataclass
class PreparedChunk:
    """A chunk of an import, read and catalogued, ready to store."""

    batch: ImportBatch
    position: int  # the records of the file up to the end of this chunk
    rows: list[tuple]  # new items, in ``ITEM_COLUMNS`` order
    themes: list[dict[int, list[str]]]  # each row's themes: theme id -> matched words
    errors: list[RowError]
    records: int  # how many records were valid
    skipped: int


def prepare_chunk(*, batch: ImportBatch, items: Sequence[Record | RowError | Skipped],
                  position: int, cataloguer: Cataloguer) -> PreparedChunk:
    """Catalogue and match the chunk's records not stored yet (reads only)."""
    records = [item for item in items if isinstance(item, Record)]
    rows, themes = prepare_records(source=batch.source, records=records, batch=batch,
                                   cataloguer=cataloguer)
    return PreparedChunk(
        batch=batch, position=position, rows=rows, themes=themes, records=len(records),
        errors=[item for item in items if isinstance(item, RowError)],
        skipped=sum(isinstance(item, Skipped) for item in items))


@transaction.atomic
def store_chunk(*, chunk: PreparedChunk) -> ChunkResult:
    """Store one chunk of an import and move its position, in one transaction.

    The transaction commits without waiting for its write-ahead log to reach the disk
    (``synchronous_commit`` off, this transaction only): a database crash can then lose
    the last chunks committed, but always a chunk together with the position that counts
    it, so the import's retry redoes exactly those. It saves a disk flush per chunk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    batch = chunk.batch
    result = ChunkResult(errors=len(chunk.errors), skipped=chunk.skipped,
                         imported=store_prepared(chunk.rows, chunk.themes))
    result.duplicates = chunk.records - result.imported
    ImportRowError.objects.bulk_create(
        [ImportRowError(batch=batch, line=error.line, field=error.field[:100],
                        reason=error.reason[:500]) for error in chunk.errors],
        ignore_conflicts=True)
    ImportBatch.objects.filter(pk=batch.pk).update(
        rows_done=chunk.position, heartbeat_at=timezone.now(),
        imported=F("imported") + result.imported, duplicates=F("duplicates") + result.duplicates,
        errors=F("errors") + result.errors, skipped=F("skipped") + result.skipped)
    return result


def store_records(*, source: Source, records: Sequence[Record], cataloguer: Cataloguer,
                  batch: ImportBatch | None = None) -> int:
    """Catalogue, match and store the records not stored yet; returns how many were new."""
    rows, themes = prepare_records(source=source, records=records, batch=batch,
                                   cataloguer=cataloguer)
    return store_prepared(rows, themes)


def prepare_records(*, source: Source, records: Sequence[Record], cataloguer: Cataloguer,
                    batch: ImportBatch | None = None,
                    ) -> tuple[list[tuple], list[dict[int, list[str]]]]:
    """The item rows (``ITEM_COLUMNS``) and themes of the records not stored yet,
    catalogued and matched to their customers.

    What is stored already (by the platform's id, or by content without one) is left out
    before cataloguing, so importing a file again costs one lookup per chunk."""
    records = _unknown(source, records)
    if not records:
        return [], []
    found = cataloguer.catalogue(records)
    customers, orders = _match_customers(records)
    now, batch_id = timezone.now(), batch.pk if batch else None
    rows = [_item_row(source.pk, batch_id, now, record, catalogued, customers, orders)
            for record, catalogued in zip(records, found, strict=True)]
    return rows, [catalogued.themes for catalogued in found]


def _item_row(source_id: int, batch_id: int | None, now: dt.datetime, record: Record,
              catalogued: Catalogued, customers: dict, orders: dict) -> tuple:
    """An item's values in ``ITEM_COLUMNS`` order: the record as read, what cataloguing
    found, and its customer and order (from ``_match_customers``)."""
    order = orders.get(record.order_ref)
    customer_id = (order[1] if order else None) or customers.get(
        ("ref", record.customer_ref)) or customers.get(("email", record.email.lower()))
    return (
        source_id, batch_id, record.external_id[:200],
        record.content_hash, record.author[:200], record.title[:500], record.text,
        record.rating, _scale_label(record.rating_scale), catalogued.rating_normalised,
        record.posted_at, now, catalogued.language[:10], catalogued.sentiment,
        catalogued.sentiment_terms, record.email[:254] if "@" in record.email else "",
        record.order_ref[:100], record.customer_ref[:100], customer_id,
        order[0] if order else None, record.raw,
    )


def store_prepared(rows: list[tuple], themes: list[dict[int, list[str]]]) -> int:
    """Insert the prepared items that are still new, and their themes; how many."""
    if not rows:
        return 0
    inserted = _insert_new(rows)
    copy_rows(ItemTheme, ["item", "theme", "origin", "terms"], [
        (inserted[key], theme_id, ItemTheme.Origin.CATALOGUE.value, terms)
        for row, found in zip(rows, themes, strict=True)
        if (key := _row_key(row)) in inserted
        for theme_id, terms in found.items()
    ])
    return len(inserted)


@transaction.atomic
def save_record(*, source: Source, record: Record, cataloguer: Cataloguer) -> FeedbackItem:
    """Store one record with a platform id, or, when it is stored already and has changed
    at its source (a survey answer edited by the customer), bring the item up to date:
    text, rating and time, catalogued again. Themes an advocate added or removed stay."""
    if not record.external_id:
        raise ValueError("save_record needs the record's id at the source")
    external_id = record.external_id[:200]
    items = FeedbackItem.objects.filter(source=source, external_id=external_id)
    item = items.select_for_update().first()
    if item is None:
        store_records(source=source, records=[record], cataloguer=cataloguer)
        return items.get()
    catalogued = cataloguer.catalogue([record])[0]
    row = _item_row(item.source_id, item.batch_id, item.received_at, record, catalogued,
                    *_match_customers([record]))
    for column, value in zip(ITEM_COLUMNS, row, strict=True):
        setattr(item, column, value)
    item.save()
    _replace_found_themes([(item.pk, catalogued.themes)])
    return item


def remove_record(*, source: Source, external_id: str) -> int:
    """Take a record its author withdrew (a survey comment erased) out of the catalogue."""
    _total, deleted = FeedbackItem.objects.filter(
        source=source, external_id=external_id[:200]).exclude(external_id="").delete()
    return deleted.get(FeedbackItem._meta.label, 0)


def _key(record: Record) -> tuple[str, str]:
    """What makes a record unique in its source."""
    return (record.external_id[:200], "" if record.external_id else record.content_hash)


def _unknown(source: Source, records: Sequence[Record]) -> list[Record]:
    """The records neither stored yet nor repeated earlier in ``records``."""
    ids = {record.external_id[:200] for record in records if record.external_id}
    hashes = {record.content_hash for record in records if not record.external_id}
    items = FeedbackItem.objects.filter(source=source).order_by()
    seen: set[tuple[str, str]] = set()
    # Each lookup says the condition of its partial unique index in so many words: with
    # a thousand values PostgreSQL no longer proves it from the list, and read every item
    # of the source instead (90 ms a chunk at 100k items).
    if ids:
        seen.update((external_id, "") for external_id in items.exclude(external_id="").filter(
            external_id__in=in_texts(ids)).values_list("external_id", flat=True))
    if hashes:
        seen.update(("", content_hash) for content_hash in items.filter(
            external_id="", content_hash__in=in_texts(hashes)
        ).values_list("content_hash", flat=True))
    unknown = []
    for record in records:
        key = _key(record)
        if key not in seen:
            seen.add(key)
            unknown.append(record)
    return unknown


def _scale_label(scale: tuple[float, float] | None) -> str:
    return "" if scale is None else f"{scale[0]:g}-{scale[1]:g}"


def _match_customers(records: Sequence[Record]) -> tuple[dict, dict]:
    """The customers the records name (by reference or email) and the orders (by
    reference, with their customer), in three indexed lookups."""
    refs = {record.customer_ref for record in records if record.customer_ref}
    emails = {record.email.lower() for record in records if "@" in record.email}
    order_refs = {record.order_ref for record in records if record.order_ref}
    customers: dict[tuple[str, str], int] = {}
    if refs:
        customers.update({("ref", ref): pk for ref, pk in Customer.objects.filter(
            external_ref__in=in_texts(refs)).values_list("external_ref", "pk")})
    if emails:  # through the index on UPPER(email), as the desk's customer search
        by_email = Customer.objects.annotate(email_upper=Upper("email")).filter(
            email_upper__in=in_texts(email.upper() for email in emails))
        customers.update({("email", email.lower()): pk
                          for email, pk in by_email.values_list("email", "pk")})
    orders = {}
    if order_refs:
        orders = {ref: (pk, customer_id) for ref, pk, customer_id in Order.objects.filter(
            external_ref__in=in_texts(order_refs)).values_list("external_ref", "pk", "customer")}
    return customers, orders


ITEM_COLUMNS = (
    "source_id", "batch_id", "external_id", "content_hash", "author", "title", "text",
    "rating", "rating_scale", "rating_normalised", "posted_at", "received_at", "language",
    "sentiment", "sentiment_terms", "email", "order_ref", "customer_ref", "customer_id",
    "order_id", "raw",
)
JSON_COLUMNS = (ITEM_COLUMNS.index("sentiment_terms"), ITEM_COLUMNS.index("raw"))
EXTERNAL_ID, CONTENT_HASH = ITEM_COLUMNS.index("external_id"), ITEM_COLUMNS.index("content_hash")
INCOMING = "feedback_incoming"


def _row_key(row: tuple) -> tuple[str, str]:
    external_id = row[EXTERNAL_ID]
    return (external_id, "" if external_id else row[CONTENT_HASH])


def _insert_new(rows: list[tuple]) -> dict[tuple[str, str], int]:
    """Insert item rows (in ``ITEM_COLUMNS`` order); returns the pk of each inserted, by
    its key. The rows are known to be new (``_unknown``): on PostgreSQL they are copied
    straight into the table with ids taken from its sequence. Should an import running at
    the same time into the same source have stored one of them meanwhile, the unique index
    refuses the copy and the rows go through ``_insert_skipping_stored`` instead."""
    if connection.vendor != "postgresql":
        items = [FeedbackItem(**dict(zip(ITEM_COLUMNS, row, strict=True))) for row in rows]
        FeedbackItem.objects.bulk_create(items, batch_size=500)
        return {_row_key(row): item.pk for row, item in zip(rows, items, strict=True)}
    ids = new_ids(FeedbackItem, len(rows))
    try:
        with transaction.atomic():  # a savepoint: a refused copy leaves the chunk usable
            copy_rows(FeedbackItem, ("id", *ITEM_COLUMNS),
                      ((pk, *row) for pk, row in zip(ids, rows, strict=True)))
    except (IntegrityError, UniqueViolation):  # COPY runs on psycopg's own cursor
        return _insert_skipping_stored(rows)
    return {_row_key(row): pk for pk, row in zip(ids, rows, strict=True)}


def _json_as_text(row: tuple) -> tuple:
    row = list(row)
    for index in JSON_COLUMNS:
        row[index] = json_text(row[index])
    return tuple(row)


def _insert_skipping_stored(rows: list[tuple]) -> dict[tuple[str, str], int]:
    """``COPY`` into a temporary table, then one ``INSERT … ON CONFLICT DO NOTHING``."""
    table = connection.ops.quote_name(FeedbackItem._meta.db_table)
    columns = ", ".join(ITEM_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {INCOMING}")
        cursor.execute(f"CREATE TEMPORARY TABLE {INCOMING} AS "  # noqa: S608 (our names)
                       f"SELECT {columns} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {INCOMING} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(_json_as_text(row))
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {INCOMING} "  # noqa: S608
            f"ON CONFLICT DO NOTHING RETURNING id, external_id, content_hash")
        inserted = cursor.fetchall()
        cursor.execute(f"DROP TABLE {INCOMING}")
    return {(external_id, "" if external_id else content_hash): pk
            for pk, external_id, content_hash in inserted}


# --- the sweeper -----------------------------------------------------------------------------


@register_pending_work("feedback imports")
def requeue_stale_imports() -> int:
    """Imports waiting too long for a worker, or running without progress (the worker
    died): back to waiting and enqueued again; they resume after their last chunk."""
    now = timezone.now()
    waiting = (
        Q(status=ImportBatch.Status.PENDING,
          enqueued_at__lt=now - dt.timedelta(seconds=settings.PENDING_WORK_STALE_AFTER))
        | Q(status=ImportBatch.Status.RUNNING, heartbeat_at__lt=now - STALE_IMPORT_AFTER)
    )
    return requeue_waiting(
        ImportBatch, waiting, lambda pk: tasks.import_feedback.delay(batch_id=pk),
        status=ImportBatch.Status.PENDING, enqueued_at=now)


# --- customer needs --------------------------------------------------------------------------


def refresh_needs(*, now: dt.datetime | None = None,
                  period_days: int | None = None) -> list[Need]:
    """Rank the customer needs again from the feedback of the selected sources: per theme,
    the items of the last period, the negative ones, the period before, the customers
    speaking and their 12-month revenue. A few aggregate queries, whatever the volume.

    The score puts first what many customers complain about, more and more, and what the
    valuable customers say: ``(negative + volume/4 of the rest) * growth * value``, with
    growth = 1 + the trend (between -0.5 and +2) and value = 1 + log10(1 + revenue/1,000).
    """
    now = now or timezone.now()
    period = dt.timedelta(days=period_days or settings.NEEDS_PERIOD_DAYS)
    start, before = now - period, now - 2 * period
    links = (ItemTheme.objects.exclude(origin=ItemTheme.Origin.REMOVED)
             .filter(item__source__selected=True)
             .annotate(when=Coalesce("item__posted_at", "item__received_at"))
             .filter(when__gte=before, when__lt=now))
    current = Q(when__gte=start)
    negative = Q(item__sentiment__lt=0) | Q(item__rating_normalised__lte=0.25)
    figures = {row["theme_id"]: row for row in links.values("theme_id").annotate(
        volume=Count("item", filter=current),
        negative=Count("item", filter=current & negative),
        previous=Count("item", filter=~current),
        customers=Count("item__customer", filter=current, distinct=True),
    )}
    speakers: dict[int, set[int]] = {}
    for theme_id, customer_id in (links.filter(current, item__customer__isnull=False)
                                  .values_list("theme_id", "item__customer_id").distinct()):
        speakers.setdefault(theme_id, set()).add(customer_id)
    everyone = set().union(*speakers.values()) if speakers else set()
    revenue = dict(Order.objects.filter(
        customer_id__in=everyone, ordered_at__gte=now - dt.timedelta(days=365)
    ).values("customer_id").annotate(total=Sum("value")).values_list("customer_id", "total"))
    needs = {need.theme_id: need for need in Need.objects.all()}
    for theme_id, row in figures.items():
        need = needs.get(theme_id) or Need(theme_id=theme_id)
        value = sum((revenue.get(customer, Decimal(0)) for customer in speakers.get(theme_id, ())),
                    Decimal(0))
        need.volume, need.negative = row["volume"], row["negative"]
        need.previous_volume, need.customers = row["previous"], row["customers"]
        need.customer_value = value
        need.period_start, need.period_end, need.refreshed_at = start, now, timezone.now()
        growth = 1 + min(2.0, max(-0.5, need.trend or 0.0))
        weight = need.negative + (need.volume - need.negative) / 4
        need.score = round(weight * growth * (1 + math.log10(1 + float(value) / 1000)), 3)
        needs[theme_id] = need
    for theme_id, need in needs.items():
        if theme_id not in figures and need.pk:  # quiet this period
            need.volume = need.negative = need.customers = 0
            need.customer_value, need.score = Decimal(0), 0.0
            need.period_start, need.period_end, need.refreshed_at = start, now, timezone.now()
    with transaction.atomic():
        for need in needs.values():
            need.save()
    return sorted(needs.values(), key=lambda need: -need.score)


# --- the analysis page's figures --------------------------------------------------------------


@transaction.atomic
def refresh_analysis() -> int:
    """Count the stored feedback again, by day, source, language and theme, for the
    analysis page (``AnalysisDay``); returns how many rows that made. Two aggregate
    queries in one statement, whatever the volume: a few seconds at a million items.

    Readers see the figures of the run before until this one commits; two runs at once
    take turns. Items stored after the count (above ``counted_to``) the page counts
    itself."""
    table = AnalysisDay._meta.db_table
    if connection.vendor == "postgresql":  # readers go on; a second run waits its turn
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(table)} "
                           "IN SHARE ROW EXCLUSIVE MODE")
    counted_to = FeedbackItem.objects.aggregate(last=Max("pk"))["last"] or 0
    zone = timezone.get_default_timezone()

    def figures(prefix: str) -> dict:
        return {
            "items": Count("pk"),
            **{f"rated_{stars}": Count("pk", filter=stars_filter(stars, prefix))
               for stars in STARS},
            "sentiment_total": Coalesce(Sum(f"{prefix}sentiment"), 0.0),
            "sentiment_count": Count(f"{prefix}sentiment"),
            "counted_to": Value(counted_to, output_field=BigIntegerField()),
        }

    every_item = (FeedbackItem.objects.filter(pk__lte=counted_to, posted_at__isnull=False)
                  .annotate(day=TruncDate("posted_at", tzinfo=zone)).order_by()
                  .values("day", "source_id", "language")
                  .annotate(theme_id=Value(None, output_field=BigIntegerField()),
                            **figures("")))
    by_theme = (ItemTheme.objects.exclude(origin=ItemTheme.Origin.REMOVED)
                .filter(item_id__lte=counted_to, item__posted_at__isnull=False)
                .annotate(day=TruncDate("item__posted_at", tzinfo=zone)).order_by()
                .values("day", "item__source_id", "item__language", "theme_id")
                .annotate(**figures("item__")))
    columns = ["day", "source_id", "language", "theme_id", *figures("")]
    select, params = every_item.union(by_theme, all=True).query.sql_with_params()
    AnalysisDay.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(table)} "
                       f"({', '.join(columns)}) {select}", params)
        made = cursor.rowcount
        if connection.vendor == "postgresql":  # every row is new: so are the statistics
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return made


NEED_FIELDS = ("department", "status", "note")


@transaction.atomic
def update_need(*, need: Need, actor: AbstractBaseUser | None, **changes) -> Need:
    """A manager gives a need to a department, moves its status or notes what is being
    done; each change goes into the need's history."""
    history = []
    for field in NEED_FIELDS:
        if field not in changes:
            continue
        old, new = getattr(need, field), changes[field]
        if old != new:
            history.append(NeedChange(need=need, actor=actor, field=field,
                                      old=_label(need, field, old)[:200],
                                      new=_label(need, field, new)[:200]))
            setattr(need, field, new)
    if history:
        need.updated_at = timezone.now()
        need.full_clean()
        need.save()
        NeedChange.objects.bulk_create(history)
    return need


def _label(need: Need, field: str, value: object) -> str:
    if field == "status":
        return str(Need.Status(value).label) if value else ""
    return "" if value is None else str(value)


# --- corrections and re-cataloguing ------------------------------------------------------------


@transaction.atomic
def correct_item_themes(*, item: FeedbackItem, themes: Sequence[Theme]) -> FeedbackItem:
    """An advocate says what an item is about. Themes they add or take away are kept as
    theirs, so cataloguing the item again does not undo them."""
    wanted = {theme.pk for theme in themes}
    current = {link.theme_id: link for link in item.item_themes.all()}
    for theme_id, link in current.items():
        if theme_id in wanted and link.origin == ItemTheme.Origin.REMOVED:
            link.origin = ItemTheme.Origin.ADDED
            link.save(update_fields=["origin"])
        elif theme_id not in wanted and link.origin == ItemTheme.Origin.CATALOGUE:
            link.origin = ItemTheme.Origin.REMOVED
            link.save(update_fields=["origin"])
        elif theme_id not in wanted and link.origin == ItemTheme.Origin.ADDED:
            link.delete()
    ItemTheme.objects.bulk_create([
        ItemTheme(item=item, theme_id=theme_id, origin=ItemTheme.Origin.ADDED)
        for theme_id in wanted - set(current)])
    return item


RECATALOGUE_CHUNK = 2000


def recatalogue(*, after_id: int = 0, limit: int | None = None) -> int:
    """Catalogue stored items again with the current taxonomy, chunk by chunk from
    ``after_id`` on: sentiment and the themes found (the language found before stands);
    themes an advocate added or removed stay as they said. Returns how many."""
    cataloguer = Cataloguer(Theme.objects.all())
    done = 0
    while limit is None or done < limit:
        items = list(FeedbackItem.objects.filter(pk__gt=after_id).order_by("pk")
                     .only("pk", "title", "text", "rating", "rating_scale", "language")
                     [:RECATALOGUE_CHUNK])
        if not items:
            break
        for item in items:  # the language found before stands; the scale as a pair
            item.rating_scale = _scale_of(item.rating_scale)
        found = cataloguer.catalogue(items)
        with transaction.atomic():
            for item, catalogued in zip(items, found, strict=True):
                item.sentiment, item.sentiment_terms = (catalogued.sentiment,
                                                        catalogued.sentiment_terms)
                item.language = catalogued.language[:10]
            update_rows(FeedbackItem, items, ["sentiment", "sentiment_terms", "language"])
            _replace_found_themes([(item.pk, catalogued.themes)
                                   for item, catalogued in zip(items, found, strict=True)])
        done += len(items)
        after_id = items[-1].pk
    return done


def _replace_found_themes(found: Sequence[tuple[int, dict[int, list[str]]]]) -> None:
    """Each item's themes as cataloguing found them now, in place of what it found
    before; the themes an advocate added or removed stay as they said."""
    ItemTheme.objects.filter(item_id__in=[item_id for item_id, _themes in found],
                             origin=ItemTheme.Origin.CATALOGUE).delete()
    ItemTheme.objects.bulk_create([
        ItemTheme(item_id=item_id, theme_id=theme_id, terms=terms)
        for item_id, themes in found for theme_id, terms in themes.items()
    ], ignore_conflicts=True, batch_size=2000)


def _scale_of(label: str) -> tuple[float, float] | None:
    worst, _dash, best = (label or "").partition("-")
    try:
        return (float(worst), float(best)) if best else None
    except ValueError:
        return None


@transaction.atomic
def save_theme(*, theme: Theme) -> Theme:
    """Save a manager's change to the taxonomy; the stored feedback is catalogued again
    in the background."""
    theme.full_clean()
    theme.save()
    transaction.on_commit(lambda: tasks.recatalogue_feedback.delay())
    return theme
