"""Trigram indexes for the case search on PostgreSQL: case titles, and the notes in case
timelines (a partial index: only notes are searched, about a sixth of the events).

The search is ``icontains`` (``UPPER(col) LIKE '%…%'``); at 100k cases and 1M events these
turn a scan of every open case's timeline into an index lookup. SQLite has no such indexes
and needs none at laptop scale, so this migration does nothing there.
"""

from django.db import migrations

INDEXES = {
    "case_title_trgm": "ON cases_case USING gin (upper(title::text) gin_trgm_ops)",
    "case_event_note_trgm": (
        "ON cases_caseevent USING gin (upper(message) gin_trgm_ops) WHERE kind = 'note'"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_queue_indexes")]

    operations = [migrations.RunPython(create, drop)]
