"""The case timeline is append-only in the database too: triggers refuse UPDATE and DELETE,
whatever code (or a raw SQL session) tries it.

On SQLite only UPDATE is refused by a trigger: Django empties SQLite tables with DELETE
(``flush``, used between tests), where PostgreSQL uses TRUNCATE, which row triggers don't
see. Deletes through the ORM are refused by the model on both."""

from django.db import migrations

MESSAGE = "cases_caseevent is append-only"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"""
            CREATE OR REPLACE FUNCTION cases_caseevent_refuse() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql
        """)
        schema_editor.execute("""
            CREATE TRIGGER cases_caseevent_append_only BEFORE UPDATE OR DELETE
            ON cases_caseevent FOR EACH ROW EXECUTE FUNCTION cases_caseevent_refuse()
        """)
    elif vendor == "sqlite":
        schema_editor.execute(f"""
            CREATE TRIGGER cases_caseevent_no_update BEFORE UPDATE
            ON cases_caseevent BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
        """)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent")
        schema_editor.execute("DROP FUNCTION IF EXISTS cases_caseevent_refuse()")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS cases_caseevent_no_update")


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_add_case_desk")]

    operations = [migrations.RunPython(create, drop)]
