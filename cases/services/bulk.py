"""Writing many rows at once where Django's bulk helpers are slow at the desk's volumes."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def update_rows(model: type[models.Model], objects: Sequence[models.Model],
                fields: Sequence[str], batch: int = 5000) -> None:
    """Save ``fields`` of many existing rows. On PostgreSQL one ``UPDATE … FROM unnest(…)``
    per batch, one typed array per column: ``bulk_update`` builds a CASE WHEN per row and
    field, and spent 1.3 s of Python and 0.6 s of SQL on a thousand orders. Elsewhere
    ``bulk_update``."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objects, fields, batch_size=500)
        return
    quote = connection.ops.quote_name
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    arrays = ", ".join(f"%s::{column.db_type(connection)}[]" for column in columns)
    names = ", ".join(quote(column.column) for column in columns)
    assignments = ", ".join(f"{quote(column.column)} = v.{quote(column.column)}"
                            for column in columns[1:])
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    sql = (  # our table and columns; the values are parameters
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v ({names}) "  # noqa: S608
        f"WHERE {table}.{pk} = v.{pk}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch):
            chunk = objects[start:start + batch]
            cursor.execute(sql, [
                [column.get_db_prep_save(getattr(obj, column.attname), connection)
                 for obj in chunk]
                for column in columns
            ])
