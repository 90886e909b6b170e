"""``make bench``: bring the benchmark database to volume, run each measurement, print the
table and save it as markdown to ``var/bench/results.md``.

    .venv/bin/python -m tests.bench.run [--scale 0.01] [--fresh] [--runs 20]

A later measurement is one more function ``(Options) -> list[Row]`` in ``measurements()``;
its data, one more generator in ``tests.bench.generate.GENERATORS``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tests.bench.database import (
    DEFAULT_DATABASE_URL,
    BenchDatabaseError,
    create_database,
    database_url,
    set_up_django,
)

if TYPE_CHECKING:
    from tests.bench.generate import Generated
    from tests.bench.measure import Measurement, Row

HEADERS = ("Measurement", "Volume", "Median ms", "p95 ms", "Queries", "Throughput")
RIGHT_ALIGNED = (False, False, True, True, True, True)


def measurements() -> list[Measurement]:
    """The table's rows, in order; imported here because models load after Django setup."""
    from tests.bench import (
        measure_cases,
        measure_desk,
        measure_feedback,
        measure_kpis,
        measure_maturity,
        measure_nps,
        measure_nps_send,
        measure_risk,
    )

    return [
        measure_cases.order_upsert,
        measure_cases.customer_list,
        measure_cases.customer_page,
        measure_desk.queue,
        measure_desk.case_page,
        measure_desk.case_api,
        measure_risk.risk_engine,
        measure_feedback.feedback_import,
        measure_feedback.feedback_pages,
        measure_nps.nps_reports,
        measure_nps_send.nps_send,
        measure_maturity.maturity_dashboard,
        measure_kpis.kpis,
    ]


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.run",
        description="Load production-volume data once, then measure the desk and print a "
        "table (also written to var/bench/results.md). Runs on PostgreSQL: DATABASE_URL, "
        f"default {DEFAULT_DATABASE_URL}.",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0,
        help="Data volume as a share of production (100k customers, 1M orders); "
        "0.01 for a quick run. Default 1.0.",
    )
    parser.add_argument(
        "--fresh", action="store_true",
        help="Regenerate the data even if the database already holds it at this scale.",
    )
    parser.add_argument(
        "--runs", type=int, default=20,
        help="Timed requests per page, after a warm-up. Default 20.",
    )
    arguments = parser.parse_args(argv)
    if arguments.scale <= 0 or arguments.runs < 1:
        parser.error("--scale must be above 0 and --runs at least 1")
    return arguments


def cells(row: Row) -> tuple[str, ...]:
    def milliseconds(value: float | None) -> str:
        return "" if value is None else f"{value:,.1f}"

    return (
        row.what,
        row.volume,
        milliseconds(row.median_ms),
        milliseconds(row.p95_ms),
        "" if row.queries is None else str(row.queries),
        row.throughput,
    )


def text_table(rows: Sequence[Row]) -> str:
    lines = [HEADERS, *(cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADERS))]

    def format_line(line: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(line, widths, RIGHT_ALIGNED, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([format_line(HEADERS), rule, *(format_line(line) for line in lines[1:])])


def markdown_table(rows: Sequence[Row]) -> str:
    def format_line(line: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |"

    rule = "|" + "|".join("---:" if right else "---" for right in RIGHT_ALIGNED) + "|"
    return "\n".join([format_line(HEADERS), rule, *(format_line(cells(row)) for row in rows)])


def describe(generated: Generated) -> str:
    counts = ", ".join(f"{count:,} {table}" for table, count in generated.rows.items())
    if generated.seconds is None:
        return f"{generated.name}: {counts} already loaded"
    rate = generated.total_rows / generated.seconds
    return (
        f"{generated.name}: {counts} loaded in {generated.seconds:,.1f} s "
        f"({rate:,.0f} rows/s)"
    )


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_markdown(path: Path, *, header: Sequence[str], rows: Sequence[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    bullets = "\n".join(f"- {line}" for line in header)
    path.write_text(f"# Benchmark\n\n{bullets}\n\n{markdown_table(rows)}\n")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        url = database_url()
    except BenchDatabaseError as error:
        print(error, file=sys.stderr)
        return 2
    if create_database(url):
        print("Created the benchmark database.")
    set_up_django(url)

    from django.conf import settings
    from django.db import connection

    from tests.bench.generate import generate_all
    from tests.bench.measure import Options

    print(f"Loading data at scale {arguments.scale:g} (skipped if already there)…", flush=True)
    generated = generate_all(scale=arguments.scale, fresh=arguments.fresh)
    for result in generated:
        print(describe(result), flush=True)

    options = Options(scale=arguments.scale, runs=arguments.runs)
    rows: list[Row] = []
    for measurement in measurements():
        started = time.perf_counter()
        rows.extend(measurement(options))
        seconds = time.perf_counter() - started
        print(f"Measured {measurement.__name__} in {seconds:.1f} s", flush=True)

    header = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, scale {arguments.scale:g}, "
        f"{options.runs} timed runs per page after warm-up",
        f"PostgreSQL {connection.pg_version // 10000} database "
        f"{connection.settings_dict['NAME']!r}, Django test client in-process, DEBUG off",
        *(describe(result) for result in generated),
    ]
    print()
    print(text_table(rows))
    results = Path(settings.VAR_DIR) / "bench" / "results.md"
    write_markdown(results, header=header, rows=rows)
    print(f"\nWritten to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
