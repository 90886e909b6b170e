"""An import outside a transaction stores its chunks on a writer thread of its own while
the next chunk is catalogued: the totals, the resume after a failure on the writer's side,
and items another import stored meanwhile."""

from __future__ import annotations

import json

import pytest
from django.core.files.base import ContentFile

from feedback import services
from feedback.catalogue import Cataloguer
from feedback.formats import Record
from feedback.models import FeedbackItem, ImportBatch, ItemTheme, Source, Theme
from feedback.taxonomy import load_default_taxonomy


def reviews(count: int, *, repeat: int | None = None) -> ContentFile:
    """Amazon Reviews 2023 lines; with ``repeat``, the last line repeats review ``repeat``."""
    rows = [{"rating": 1.0 + number % 5, "title": f"Review {number}",
             "text": "Arrived late and the box was crushed." if number % 2 else "Great value.",
             "user_id": f"AE{number:010d}", "asin": f"B0{number:08d}",
             "timestamp": 1767225600000 + number * 1000} for number in range(count)]
    if repeat is not None:
        rows.append(rows[repeat])
    return ContentFile("\n".join(json.dumps(row) for row in rows).encode(),
                       name="reviews.jsonl")


@pytest.fixture
def source(postgres, transactional_db):
    load_default_taxonomy(Theme)  # a transactional test starts from empty tables
    return Source.objects.create(name="Amazon", slug="amazon", selected=True)


def start(source, file) -> ImportBatch:
    return services.start_import(source=source, file=file, filename="reviews.jsonl",
                                 format_name="amazon-2023-jsonl", enqueue=False)


def test_chunks_are_stored_by_the_writer_in_order(source, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 400)
    writers = []
    real_writer = services._chunk_writer
    monkeypatch.setattr(services, "_chunk_writer",
                        lambda progress: writers.append(real_writer(progress)) or writers[-1])
    seen = []

    batch = services.run_import(batch_id=start(source, reviews(2100, repeat=5)).pk,
                                progress=lambda current: seen.append(current.rows_done))

    assert type(writers[0]).__name__ == "_ThreadedWriter"
    assert (batch.status, batch.rows_done, batch.imported, batch.duplicates) == (
        "done", 2101, 2100, 1)
    assert seen == [400, 800, 1200, 1600, 2000, 2101]
    assert FeedbackItem.objects.count() == 2100
    late = FeedbackItem.objects.get(raw__title="Review 1")
    assert list(late.item_themes.values_list("theme__slug", flat=True)) != []


def test_a_failure_on_the_writer_fails_the_import_which_resumes_after_its_last_chunk(
        source, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 500)
    real_store = services.store_chunk
    calls = 0

    def failing_store(*, chunk):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return real_store(chunk=chunk)

    monkeypatch.setattr(services, "store_chunk", failing_store)
    batch = services.run_import(batch_id=start(source, reviews(2000)).pk)

    assert (batch.status, batch.rows_done, batch.imported) == ("failed", 1000, 1000)
    assert batch.failure == "RuntimeError: disk full"

    monkeypatch.setattr(services, "store_chunk", real_store)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.PENDING)
    batch = services.run_import(batch_id=batch.pk)
    assert (batch.status, batch.rows_done, batch.imported, batch.duplicates) == (
        "done", 2000, 2000, 0)
    assert FeedbackItem.objects.count() == 2000


def test_items_another_import_stored_meanwhile_are_left_out(source):
    records = [Record(line=number, text=f"The parcel arrived late ({number}).", rating=2.0,
                      rating_scale=(1.0, 5.0), posted_at=None, external_id=f"r{number}")
               for number in range(5)]
    cataloguer = Cataloguer(Theme.objects.all())
    rows, themes = services.prepare_records(source=source, records=records,
                                            cataloguer=cataloguer)
    # Another import stores two of them after this one checked they were new.
    assert services.store_records(source=source, records=records[1:3],
                                  cataloguer=cataloguer) == 2

    assert services.store_prepared(rows, themes) == 3
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == [
        "r0", "r1", "r2", "r3", "r4"]
    assert ItemTheme.objects.filter(theme__slug="delivery-speed").count() == 5


def test_deleting_a_source_or_a_theme_removes_their_links(source):
    """Links have no constraint in the database: Django's cascade removes them."""
    records = [Record(line=1, text="It arrived late and broken.", rating=None,
                      rating_scale=None, posted_at=None, external_id="x")]
    services.store_records(source=source, records=records,
                           cataloguer=Cataloguer(Theme.objects.all()))
    assert ItemTheme.objects.count() == 2
    Theme.objects.get(slug="delivery-speed").delete()
    assert ItemTheme.objects.count() == 1

    source.delete()
    assert (FeedbackItem.objects.count(), ItemTheme.objects.count()) == (0, 0)
