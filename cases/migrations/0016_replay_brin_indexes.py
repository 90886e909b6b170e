"""Block-range (BRIN) indexes on the times a replay step looks up in carrier events: when
they occurred and when they reached the desk. The table grows in arrival order, so an index
of a few kilobytes (16 pages a range) finds an hour's events at almost no cost to ingestion.
PostgreSQL only; SQLite has no BRIN and its replays are small."""

from django.db import migrations

INDEXES = {
    "shipment_occurred_brin": ("cases_shipmentevent", "occurred_at"),
    "shipment_received_brin": ("cases_shipmentevent", "received_at"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING brin ("{column}") '
            "WITH (pages_per_range = 16)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("cases", "0015_risk_indexes")]

    operations = [migrations.RunPython(create, drop)]
