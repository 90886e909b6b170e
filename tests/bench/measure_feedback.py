"""Feedback intake at volume: a Trustpilot-shaped CSV of 100,000 reviews (scaled) imported
in this process as a worker imports it (parse, catalogue, match, store), then the same
file again (everything a duplicate). Throughput in records per second, and how much the
process's peak resident memory grew: a worker's memory must not grow with the file.

The file is generated once under ``VAR_DIR/bench``; the source's items are deleted before
each measurement, so every ``make bench`` measures a first import.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import resource
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import connection

from feedback import services
from feedback.models import ImportBatch, Source
from tests.bench.measure import BenchError, Options, Row

ROWS = 100_000
SOURCE = "bench-trustpilot"
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
