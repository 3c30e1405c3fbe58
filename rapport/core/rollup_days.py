"""The per-day version markers every rollup keeps (satisfaction, compliance, CSR measures).

Each rollup has a model with a unique `day` and a `version` that every write changing that
day's figures counts up in its own transaction; the worker rebuilds a day and records the
version it read, and a day is read from the rollup only while the two are equal.

`touch_days` counts one more version of each day in ONE statement — an INSERT of version 1
that, for a day already marked, adds one instead (`ON CONFLICT … DO UPDATE`, SQLite ≥ 3.24 and
PostgreSQL). Days are written in day order, so two transactions touching the same days lock
them in the same order and wait for each other instead of deadlocking. The statement is written
once per model and database (it is made for every interaction, clock write and survey answer:
through the ORM, an UPDATE and sometimes an INSERT in a savepoint cost ten times the SQL).
"""

from collections.abc import Iterable
from datetime import date

from django.db import connections, models, router

_SQL: dict[tuple[str, type[models.Model], int], str] = {}


def _statement(connection, model: type[models.Model], n: int) -> str:
    key = (connection.alias, model, n)
    sql = _SQL.get(key)
    if sql is None:
        q = connection.ops.quote_name
        table = q(model._meta.db_table)
        day, version = q(model._meta.get_field("day").column), q("version")
        values = ", ".join(["(%s, 1)"] * n)
        sql = _SQL[key] = (
            f"INSERT INTO {table} ({day}, {version}) VALUES {values} "
            f"ON CONFLICT ({day}) DO UPDATE SET {version} = {table}.{version} + 1"
        )
    return sql


def touch_days(model: type[models.Model], days: Iterable[date]) -> int:
    """One more version of each of `days` (their markers made at version 1 when missing), in
    the caller's transaction. Returns how many days."""
    ordered = sorted(set(days))
    if not ordered:
        return 0
    connection = connections[router.db_for_write(model)]
    field = model._meta.get_field("day")
    params = [field.get_db_prep_save(day, connection) for day in ordered]
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection, model, len(ordered)), params)
    return len(ordered)
