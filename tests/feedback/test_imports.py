"""Feedback imports through the pipeline: started with checks that say what is wrong,
run chunk by chunk, resumed after a crash without duplicates, cancelled, reported; the
import command; the sources and import pages."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from cases.models import Department
from feedback import services
from feedback.formats import FORMATS, Record, RowError, Skipped, register_format
from feedback.models import FeedbackItem, ImportBatch, ImportRowError, ItemTheme, Source
from tests.cases.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


@register_format("test-lines", "one JSON object per line (tests)", (".jsonl",))
def parse_test_lines(stream, **options):
    """{"id", "text", "stars", "email", "order", "skip"} per line; a line "BROKEN" is a
    broken record."""
    for line, raw in enumerate(stream, start=1):
        raw = raw.decode().strip()
        if raw == "BROKEN":
            yield RowError(line, "", "not valid JSON")
            continue
        data = json.loads(raw)
        if data.get("skip"):
            yield Skipped(line, "the page's own comment")
            continue
        yield Record(line=line, text=data.get("text", ""), rating=data.get("stars"),
                     rating_scale=(1, 5) if data.get("stars") is not None else None,
                     posted_at=WHEN, external_id=data.get("id", ""),
                     email=data.get("email", ""), order_ref=data.get("order", ""),
                     raw=data)


def lines(*records) -> ContentFile:
    text = "\n".join(record if isinstance(record, str) else json.dumps(record)
                     for record in records)
    return ContentFile(text.encode(), name="reviews.jsonl")


@pytest.fixture
def source():
    return Source.objects.create(name="Trustpilot", slug="trustpilot",
                                 platform=Source.Platform.TRUSTPILOT, selected=True)


def run(source, file, **kwargs) -> ImportBatch:
    batch = services.start_import(source=source, file=file, filename=file.name,
                                  format_name="test-lines", enqueue=False, **kwargs)
    return services.run_import(batch_id=batch.pk)


def test_an_import_stores_catalogues_and_matches_each_record(source, settings):
    customer = CustomerFactory(email="giulia@trattoria.example")
    order = OrderFactory(external_ref="O-7001")
    batch = run(source, lines(
        {"id": "r1", "text": "The parcel arrived late and damaged.", "stars": 1,
         "email": "Giulia@Trattoria.example"},
        {"id": "r2", "text": "Fast delivery, excellent quality. Thank you!", "stars": 5,
         "order": "O-7001"},
        {"id": "r3", "text": "Consegna in ritardo, servizio clienti pessimo."},
    ))

    assert (batch.status, batch.imported, batch.duplicates, batch.errors) == ("done", 3, 0, 0)
    assert (batch.rows_total, batch.rows_done) == (3, 3)
    first, second, third = FeedbackItem.objects.order_by("external_id")
    assert (first.customer, first.rating_normalised, first.language) == (customer, 0.0, "en")
    assert first.sentiment < -0.5 and "damaged" in first.sentiment_terms
    assert (second.order, second.customer) == (order, order.customer)
    assert second.sentiment > 0.5
    assert third.language == "it" and third.rating is None and third.sentiment < 0
    assert {theme.slug for theme in first.themes.all()} >= {"delivery-speed",
                                                             "delivery-damage"}
    assert first.raw == {"id": "r1", "text": "The parcel arrived late and damaged.",
                         "stars": 1, "email": "Giulia@Trattoria.example"}
    source.refresh_from_db()
    assert source.last_intake_at == batch.finished_at


def test_bad_records_are_listed_and_every_valid_one_lands(source):
    batch = run(source, lines({"id": "a", "text": "Good"}, "BROKEN",
                              {"id": "b", "skip": True}, {"id": "c", "text": "Bad"}))

    assert (batch.imported, batch.errors, batch.skipped) == (2, 1, 1)
    assert list(batch.row_errors.values_list("line", "field", "reason")) == [
        (2, "", "not valid JSON")]


def test_importing_the_same_file_again_adds_nothing(source):
    records = [{"id": f"r{n}", "text": f"Review {n}"} for n in range(5)]
    first = run(source, lines(*records))
    again = run(source, lines(*records, {"text": "No id, so known by its content"}))
    third = run(source, lines({"text": "No id, so known by its content"}))

    assert (first.imported, again.imported, again.duplicates) == (5, 1, 5)
    assert (third.imported, third.duplicates) == (0, 1)
    assert FeedbackItem.objects.count() == 6


def test_a_record_twice_in_one_file_is_stored_once(source):
    batch = run(source, lines({"id": "x", "text": "Once"}, {"id": "x", "text": "Once"}))

    assert (batch.imported, batch.duplicates) == (1, 1)


def test_a_run_resumes_after_the_last_committed_chunk(source, monkeypatch):
    """A worker that died after two chunks: the retry reads on from record 2,001 and the
    totals come out as if nothing had happened."""
    monkeypatch.setattr(services, "CHUNK", 1000)
    records = [{"id": f"r{n}", "text": f"Review number {n}", "stars": 4} for n in range(2500)]
    batch = services.start_import(source=source, file=lines(*records),
                                  filename="reviews.jsonl", format_name="test-lines",
                                  enqueue=False)
    calls = 0
    real_store = services.store_chunk

    def dying_store(**kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise SystemExit("worker killed")
        return real_store(**kwargs)

    monkeypatch.setattr(services, "store_chunk", dying_store)
    with pytest.raises(SystemExit):
        services.run_import(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.imported) == ("running", 2000, 2000)

    monkeypatch.setattr(services, "store_chunk", real_store)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.PENDING)
    batch = services.run_import(batch_id=batch.pk)

    assert (batch.status, batch.rows_done, batch.imported, batch.duplicates) == (
        "done", 2500, 2500, 0)
    assert batch.attempts == 2
    assert FeedbackItem.objects.count() == 2500


def test_a_stale_import_is_put_back_to_waiting_by_the_sweeper(source):
    batch = services.start_import(source=source, file=lines({"id": "a", "text": "x"}),
                                  filename="reviews.jsonl", format_name="test-lines",
                                  enqueue=False)
    long_ago = batch.created_at - dt.timedelta(hours=1)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, heartbeat_at=long_ago, enqueued_at=long_ago)

    assert services.requeue_stale_imports() == 1  # enqueued: eager Celery runs it at once
    batch.refresh_from_db()
    assert (batch.status, batch.imported) == ("done", 1)


def test_a_cancelled_import_stops_and_keeps_what_it_stored(source, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 10)
    batch = services.start_import(
        source=source, file=lines(*[{"id": f"r{n}", "text": "x"} for n in range(30)]),
        filename="reviews.jsonl", format_name="test-lines", enqueue=False)

    def cancel_after_first(current):
        services.cancel_import(batch=current)

    batch = services.run_import(batch_id=batch.pk, progress=cancel_after_first)

    assert (batch.status, batch.imported) == ("cancelled", 10)
    with pytest.raises(ValidationError, match="already finished"):
        services.cancel_import(batch=batch)


@pytest.mark.parametrize(("filename", "content", "format_name", "message"), [
    ("reviews.csv", b"x", "test-lines", "test-lines files end in .jsonl; reviews.csv does not"),
    ("reviews.jsonl", b"", "test-lines", "The file is empty"),
    ("reviews.jsonl", b"x", "myspace-xml", "There is no format myspace-xml"),
    ("reviews.csv", b"a,b\n1,2\n", "csv", "Map a column to the text or to the rating"),
])
def test_a_refused_upload_says_why(source, filename, content, format_name, message):
    if format_name == "csv" and "csv" not in FORMATS:
        pytest.skip("the csv preset is not registered")
    with pytest.raises(ValidationError, match=message):
        services.start_import(source=source, file=ContentFile(content, name=filename),
                              filename=filename, format_name=format_name, enqueue=False)
    assert not ImportBatch.objects.exists()


def test_a_file_over_the_limit_is_refused(source, settings):
    settings.FEEDBACK_UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="larger than"):
        services.start_import(source=source, file=ContentFile(b"x" * 11, name="r.jsonl"),
                              filename="r.jsonl", format_name="test-lines", enqueue=False)


def test_an_advocates_correction_is_a_theme_origin_of_its_own(source):
    run(source, lines({"id": "a", "text": "Arrived late"}))
    item = FeedbackItem.objects.get()
    assert list(item.item_themes.values_list("theme__slug", "origin")) == [
        ("delivery-speed", "catalogue")]
    assert ItemTheme.Origin.REMOVED in ItemTheme.Origin.values


# --- the command -------------------------------------------------------------------------------


def test_import_feedback_creates_the_source_runs_to_the_end_and_reports(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    file = tmp_path / "export.jsonl"
    file.write_text("\n".join([json.dumps({"id": "1", "text": "=HYPERLINK(evil)"}), "BROKEN",
                               json.dumps({"id": "2", "text": "Fine"})]))
    out, err = io.StringIO(), io.StringIO()

    call_command("import_feedback", "google-shop", str(file), "--format", "test-lines",
                 stdout=out, stderr=err)

    source = Source.objects.get(slug="google-shop")
    assert not source.selected and source.items.count() == 2
    report = tmp_path / "feedback-errors" / f"import-{source.batches.get().pk}-errors.csv"
    assert "Done: 2 imported, 0 duplicates, 1 errors, 0 skipped (of 3 records)" in out.getvalue()
    assert str(report) in out.getvalue()
    assert report.read_text().splitlines() == ["row,field,reason", "2,,not valid JSON"]
    assert "3/3" in err.getvalue()  # the progress bar reached the end


def test_import_feedback_says_what_is_wrong(tmp_path):
    with pytest.raises(CommandError, match="There is no file"):
        call_command("import_feedback", "shop", str(tmp_path / "missing.jsonl"),
                     "--format", "test-lines")
    file = tmp_path / "export.jsonl"
    file.write_text("{}")
    with pytest.raises(CommandError, match="not a valid short name"):
        call_command("import_feedback", "Shop Reviews", str(file), "--format", "test-lines")


# --- pages -------------------------------------------------------------------------------------


def test_the_sources_page_shows_volume_rating_and_sentiment(advocate_client, source):
    run(source, lines({"id": "a", "text": "Excellent", "stars": 5},
                      {"id": "b", "text": "Terrible", "stars": 1}))
    Source.objects.create(name="Instagram", slug="instagram", platform="instagram")

    page = advocate_client.get(reverse("feedback:sources")).content.decode()

    assert "Trustpilot" in page and "Instagram" in page
    assert "50%" in page  # average rating, on 0 to 100
    assert reverse("feedback:source-new") not in page  # managers add sources


def test_only_managers_add_and_change_sources(advocate_client, manager_client, manager):
    department = Department.objects.create(name="Logistics")
    form = {"name": "Google reviews", "slug": "google", "platform": "google",
            "selected": "on", "selection_reason": "Most of our reviews", "owner": manager.pk,
            "department": department.pk, "intake": "upload", "default_format": ""}

    assert advocate_client.get(reverse("feedback:source-new")).status_code == 403
    response = manager_client.post(reverse("feedback:source-new"), form)

    source = Source.objects.get(slug="google")
    assert response.status_code == 302 and response["Location"] == source.get_absolute_url()
    assert (source.owner, source.department, source.selected) == (manager, department, True)
    assert advocate_client.post(source.get_absolute_url(), form).status_code == 403


def test_uploading_from_the_page_imports_and_shows_progress(advocate_client, source,
                                                            django_capture_on_commit_callbacks):
    upload = lines({"id": "a", "text": "<script>alert('x')</script>"}, "BROKEN")
    with django_capture_on_commit_callbacks(execute=True):
        response = advocate_client.post(reverse("feedback:source-upload", args=[source.slug]),
                                        {"format": "test-lines", "file": upload})

    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    page = advocate_client.get(batch.get_absolute_url()).content.decode()
    assert 'value="100"' in page and "not valid JSON" in page
    assert "hx-trigger" not in page  # finished: no more polling
    csv_file = advocate_client.get(reverse("feedback:batch-errors", args=[batch.pk]))
    assert csv_file.content.decode().splitlines()[1] == "2,,not valid JSON"
    assert FeedbackItem.objects.get().text == "<script>alert('x')</script>"


def test_a_running_import_polls_and_can_be_cancelled(advocate_client, source):
    batch = services.start_import(source=source, file=lines({"id": "a", "text": "x"}),
                                  filename="reviews.jsonl", format_name="test-lines",
                                  enqueue=False)

    fragment = advocate_client.get(batch.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.content.decode()
    advocate_client.post(reverse("feedback:batch-cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "cancelled"


def test_feedback_pages_need_a_login_and_a_staff_group(client, source):
    for url in (reverse("feedback:sources"), source.get_absolute_url()):
        assert client.get(url).status_code == 302
    client.force_login(ImportRowError._meta.apps.get_model("auth", "User").objects.create(
        username="outsider"))
    assert client.get(reverse("feedback:sources")).status_code == 403


SAMPLES = {
    "google-reviews-json": "google_reviews.json",
    "google-takeout-json": "google_takeout_reviews.json",
    "trustpilot-csv": "trustpilot_reviews.csv",
    "trustpilot-json": "trustpilot_reviews.json",
    "tripadvisor-json": "tripadvisor_reviews.json",
    "amazon-2023-jsonl": "amazon_2023.jsonl",
    "amazon-2018-jsonl": "amazon_2018.jsonl",
    "zendesk-json": "zendesk_tickets.json",
    "facebook-comments-json": "facebook_comments.json",
}


@pytest.mark.parametrize(("format_name", "sample"), SAMPLES.items())
def test_each_platforms_file_imports_once(source, format_name, sample):
    """The sample of each preset through the whole pipeline: every record it holds is
    stored and catalogued, the broken ones reported, and a second import adds nothing."""
    from pathlib import Path

    path = Path(__file__).parent / "samples" / sample
    options = {"page_id": "104857600000001"} if format_name == "facebook-comments-json" else {}
    parsed = list(FORMATS[format_name].parse(path.open("rb"), **options))
    expected = sum(isinstance(item, Record) for item in parsed)

    def upload() -> ImportBatch:
        batch = services.start_import(
            source=source, file=ContentFile(path.read_bytes(), name=sample), filename=sample,
            format_name=format_name, options=options, enqueue=False)
        return services.run_import(batch_id=batch.pk)

    first, second = upload(), upload()

    assert (first.status, first.imported, first.rows_total) == ("done", expected, len(parsed))
    assert first.errors == sum(isinstance(item, RowError) for item in parsed)
    assert first.skipped == sum(isinstance(item, Skipped) for item in parsed)
    assert (second.imported, second.duplicates) == (0, expected)
    assert FeedbackItem.objects.filter(source=source).count() == expected
    catalogued = FeedbackItem.objects.filter(source=source)
    assert all(item.rating_normalised is None or 0 <= item.rating_normalised <= 1
               for item in catalogued)
    assert all(item.language for item in catalogued if len(item.text) >= 12)
