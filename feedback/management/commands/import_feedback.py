"""``manage.py import_feedback SOURCE FILE --format NAME``: import a file in the foreground."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from feedback import selectors, services
from feedback.formats import FORMATS
from feedback.models import ImportBatch


class Command(BaseCommand):
    help = ("Import a feedback file into a source (created, not selected, if missing), to "
            "the end, with a progress bar; prints what was imported and where the error "
            "report is.")

    def add_arguments(self, parser):
        parser.add_argument("source", help="the source's short name (slug)")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", required=True, choices=sorted(FORMATS),
                            help="the file's format preset")

    def handle(self, *args, source: str, file: Path, format: str, **options):
        if not file.is_file():
            raise CommandError(f"There is no file {file}.")
        try:
            target = services.source_for_slug(slug=source, create=True)
            with file.open("rb") as stream:
                batch = services.start_import(
                    source=target, file=File(stream), filename=file.name, format_name=format,
                    kind=ImportBatch.Kind.COMMAND, enqueue=False)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        bar = tqdm(desc=f"Importing {file.name}", unit=" records", file=self.stderr._out,
                   disable=options.get("verbosity", 1) == 0)

        def progress(current: ImportBatch) -> None:
            bar.total = current.rows_total
            bar.update(current.rows_done - bar.n)

        batch = services.run_import(batch_id=batch.pk, progress=progress)
        bar.close()
        self._report(batch)

    def _report(self, batch: ImportBatch) -> None:
        self.stdout.write(
            f"{batch.get_status_display()}: {batch.imported:,} imported, "
            f"{batch.duplicates:,} duplicates, {batch.errors:,} errors, "
            f"{batch.skipped:,} skipped (of {batch.rows_done:,} records) "
            f"into {batch.source.slug}.")
        if batch.failure:
            raise CommandError(batch.failure)
        if batch.errors:
            report = Path(settings.VAR_DIR) / "feedback-errors" / f"import-{batch.pk}-errors.csv"
            report.parent.mkdir(parents=True, exist_ok=True)
            with report.open("w", newline="", encoding="utf-8") as stream:
                selectors.write_error_report(batch=batch, stream=stream)
            self.stdout.write(f"Error report: {report} (also on the import's page, "
                              f"{batch.get_absolute_url()}errors.csv)")
