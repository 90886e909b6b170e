"""Feedback intake at volume: a Trustpilot-shaped CSV of 100,000 reviews (scaled) imported
in this process as a worker imports it (parse, catalogue, match, store), then the same
file again (everything a duplicate). Throughput in records per second, and how much the
process's peak resident memory grew: a worker's memory must not grow with the file.

The file is generated once under ``VAR_DIR/bench``; the source's items are deleted before
each measurement, so every ``make bench`` measures a first import.

Then the feedback pages over the generator's million items (``feedback_pages``): the
analysis page and the customer needs list, as a manager sees them.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import resource
import time
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.files import File
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from feedback import selectors, services
from feedback.models import AnalysisDay, FeedbackItem, ImportBatch, ItemTheme, Need, Source
from tests.bench.measure import BenchError, Options, Row, manager_client, page_row, timed

ROWS = 100_000
SOURCE = "bench-trustpilot"
ANALYSIS_DAYS = 90  # the analysis page's default period
ANALYSIS_LANGUAGE = "it"
ANALYSIS_THEME = "delivery-damage"
HEADER = ["Review Id", "Review Created (UTC)", "Review Consumer User Id", "Review Username",
          "Consumer Email", "Review Title", "Review Content", "Review Stars",
          "Source Of Review", "Review Language", "Domain URL", "Webshop Name",
          "Business Unit Id", "Tags", "Company Reply Date (UTC)", "Reply Content",
          "Reference Id"]
PHRASES = {
    "en": ["The parcel arrived two weeks late and nobody told us.",
           "Excellent quality, fast delivery, will order again.",
           "Support was friendly but the refund took a month.",
           "The box was crushed and the oven door was broken.",
           "Good value for the price, the app checkout was easy."],
    "it": ["Consegna in ritardo di una settimana, nessuna informazione.",
           "Prodotto di ottima qualità, consegna veloce.",
           "Il servizio clienti non risponde mai al telefono.",
           "Il pacco è arrivato danneggiato, ho chiesto il rimborso."],
    "nb": ["Pakken kom for sent og esken var knust.",
           "Rask levering og god kvalitet, anbefaler!",
           "Kundeservice svarte aldri på e-posten min."],
    "ro": ["Livrare întârziată, coletul deteriorat.",
           "Produs excelent, livrare rapidă. Recomand!",
           "Prețul este prea mare pentru calitatea oferită."],
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_file(rows: int) -> Path:
    """The reviews export, generated once per size."""
    path = Path(settings.VAR_DIR) / "bench" / f"trustpilot-{rows}.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261130)
    start = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    languages = list(PHRASES)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        for number in range(rows):
            language = rng.choice(languages)
            text = " ".join(rng.sample(PHRASES[language], k=2))
            created = start + dt.timedelta(minutes=number * 2)
            writer.writerow([
                f"bench{number:08d}", created.strftime("%Y-%m-%d %H:%M:%S"),
                f"consumer{number % 40_000}", f"Customer {number % 40_000}",
                f"customer{number % 40_000}@example.com", text.split(".")[0][:60], text,
                rng.choice([1, 2, 2, 3, 4, 5, 5, 5]), "AFSv2", language, "shop.example",
                "Example Shop", "bu-1", "", "", "", f"ORD-{number:07d}",
            ])
    return path


def clear(source: Source) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM feedback_itemtheme WHERE item_id IN "
                       "(SELECT id FROM feedback_feedbackitem WHERE source_id = %s)",
                       [source.pk])
        cursor.execute("DELETE FROM feedback_feedbackitem WHERE source_id = %s", [source.pk])
    source.batches.all().delete()


def imported(source: Source, path: Path) -> tuple[float, float, ImportBatch]:
    before = peak_rss_mb()
    started = time.perf_counter()
    with path.open("rb") as stream:
        batch = services.start_import(source=source, file=File(stream), filename=path.name,
                                      format_name="trustpilot-csv", enqueue=False)
    batch = services.run_import(batch_id=batch.pk)
    return time.perf_counter() - started, peak_rss_mb() - before, batch


def feedback_import(options: Options) -> list[Row]:
    rows = max(1_000, int(ROWS * options.scale))
    path = export_file(rows)
    source, _created = Source.objects.get_or_create(
        slug=SOURCE, defaults={"name": "Trustpilot (bench)", "selected": True})
    clear(source)
    volume = f"{rows:,} reviews, {path.stat().st_size / 1e6:,.0f} MB CSV"
    first_s, first_mb, first = imported(source, path)
    if first.status != ImportBatch.Status.DONE or first.imported != rows:
        raise BenchError(f"first import: {first.status}, {first.imported} of {rows}")
    again_s, again_mb, again = imported(source, path)
    if again.imported or again.duplicates != rows:
        raise BenchError(f"re-import stored {again.imported}")
    return [
        Row("Feedback import, Trustpilot CSV (parse, catalogue, store)", volume,
            first_s * 1000, None, None,
            f"{rows / first_s:,.0f} rows/s; RSS peak {peak_rss_mb():,.0f} MB (+{first_mb:,.0f})"),
        Row("Feedback re-import, same file (all duplicates)", volume, again_s * 1000, None,
            None, f"{rows / again_s:,.0f} rows/s; RSS +{again_mb:,.0f} MB"),
    ]


def feedback_pages(options: Options) -> list[Row]:
    """/feedback/analysis/ and /feedback/needs/ for a manager, over the generator's feedback:
    the analysis's default (the last 90 days), one source in one language, one theme; the
    rebuild of its counts by day (``refresh_analysis``, a Celery task after imports and by
    beat); and, first, the analysis just after ``feedback_import``, its items not counted
    yet (the page counts them itself until the rebuild).

    The items ``feedback_import`` left behind are then deleted (and the tables vacuumed, as
    the generator leaves them): the pages are measured on the generated volume, and the next
    run finds the feedback tables at their expected counts instead of loading again."""
    client = manager_client()
    analysis = reverse("feedback:analysis")
    rows = []
    source = Source.objects.filter(slug=SOURCE).first()
    if source is not None:
        uncounted = FeedbackItem.objects.filter(
            pk__gt=AnalysisDay.objects.values_list("counted_to", flat=True).first() or 0
        ).count()
        rows.append(analysis_row(f"Feedback analysis, {uncounted:,} new items not counted yet",
                                 client, analysis, {}, runs=options.runs))
        clear(source)
        source.delete()
        with connection.cursor() as cursor:
            for table in (ItemTheme._meta.db_table, FeedbackItem._meta.db_table):
                cursor.execute(f'VACUUM (ANALYZE) "{table}"')
    total, links = FeedbackItem.objects.count(), ItemTheme.objects.count()
    milliseconds, days = timed(services.refresh_analysis)
    rows.append(Row("Analysis counts rebuilt (refresh_analysis, Celery)",
                    f"{total:,} items, {links:,} themes", milliseconds, None, None,
                    f"{days:,} rows by day, source, language, theme"))
    largest = (Source.objects.annotate(volume=Count("items")).order_by("-volume", "pk")
               .values_list("slug", "name").first())
    if largest is None:
        raise BenchError("No feedback source: load the feedback data first.")
    slug, name = largest
    views = [("Feedback analysis, default (90 days)", {}),
             (f"Feedback analysis, {name} in {ANALYSIS_LANGUAGE!r}",
              {"source": slug, "language": ANALYSIS_LANGUAGE}),
             (f"Feedback analysis, theme {ANALYSIS_THEME!r}", {"theme": ANALYSIS_THEME})]
    rows.extend(analysis_row(what, client, analysis, query, runs=options.runs)
                for what, query in views)
    rows.append(page_row("Customer needs list",
                         f"{Need.objects.count():,} needs from {total:,} items", client,
                         reverse("feedback:needs"), runs=options.runs))
    return rows


def analysis_row(what: str, client: Client, url: str, query: dict, *, runs: int) -> Row:
    shown = selectors.feedback_analysis(days=ANALYSIS_DAYS, **query).total
    volume = f"{shown:,} of {FeedbackItem.objects.count():,} items"
    return page_row(what, volume, client, f"{url}?{urlencode(query)}" if query else url,
                    runs=runs)
