"""Rows read for every message, as SQL written once per process.

Building a query is most of what a primary-key read costs through the ORM (about 0.5 ms of
Python against 0.1 ms of SQL). For the few reads the messaging pipeline makes for every message,
`Columns` writes the SELECT list once and turns a row into a model instance exactly as the ORM
would: the same database converters (dates, JSON, booleans on SQLite) and `Model.from_db`, so
the instance is indistinguishable from one the ORM read, with only the named fields loaded (the
others are deferred, as with `.only()`). The caller writes the rest of the statement; values are
passed as parameters, never formatted into the SQL.
"""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class Columns:
    """Some concrete fields of `model`, read under a table alias."""

    def __init__(self, model: type[models.Model], alias: str, fields: Sequence[str] = ()) -> None:
        self.model, self.alias = model, alias
        meta = model._meta
        wanted = {meta.get_field(name) for name in fields}
        # In the model's order: `from_db` fills the loaded fields in that order.
        self.fields = [f for f in meta.concrete_fields if not fields or f in wanted]
        if fields and len(self.fields) != len(wanted):
            raise ValueError(f"Not concrete fields of {model.__name__}: {fields}")
        self.attnames = [f.attname for f in self.fields]
        self._converters: dict[str, list] = {}
        self._select: dict[str, str] = {}

    def select(self, connection: BaseDatabaseWrapper) -> str:
        """`alias."col", …` for a SELECT list (written once per database vendor)."""
        select = self._select.get(connection.vendor)
        if select is None:
            q = connection.ops.quote_name
            select = ", ".join(f"{self.alias}.{q(f.column)}" for f in self.fields)
            self._select[connection.vendor] = select
        return select

    def table(self, connection: BaseDatabaseWrapper) -> str:
        """`"table" alias` for a FROM clause."""
        return f"{connection.ops.quote_name(self.model._meta.db_table)} {self.alias}"

    def instance(self, connection: BaseDatabaseWrapper, values: Sequence[Any]) -> models.Model:
        """The model instance of this part of a row, converted as the ORM converts it."""
        converters = self._converters.get(connection.vendor)
        if converters is None:
            converters = []
            for field in self.fields:
                col = field.get_col(self.alias)
                funcs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                converters.append((col, funcs))
            self._converters[connection.vendor] = converters
        converted = []
        for value, (col, funcs) in zip(values, converters, strict=True):
            for func in funcs:
                value = func(value, col, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)


def read_one(
    connection: BaseDatabaseWrapper,
    parts: Sequence[Columns],
    joins: str,
    tail: str,
    params: Sequence[Any],
) -> list[models.Model | None] | None:
    """`SELECT <every part's columns> FROM <first part's table> <joins> <tail>`: the first row
    as one instance per part (None for a part an outer join left empty), or None for no row.
    `joins` and `tail` name the tables by the parts' aliases and take `%s` parameters."""
    select = ", ".join(part.select(connection) for part in parts)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM {parts[0].table(connection)} {joins} {tail}", params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances: list[models.Model | None] = []
    start = 0
    for part in parts:
        values = row[start : start + len(part.fields)]
        start += len(part.fields)
        empty = all(value is None for value in values)
        instances.append(None if empty else part.instance(connection, values))
    return instances


def update_where(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    values: dict[str, Any],
    where: dict[str, Any],
) -> int:
    """`UPDATE <model's table> SET <values> WHERE <where, each field = value or IS NULL>`; the
    number of rows changed. Values are prepared by their fields as the ORM saves them (times,
    JSON; a related row by its key), so only plain values, no expressions."""
    meta, q = model._meta, connection.ops.quote_name
    sets, params = [], []
    for name, value in values.items():
        field = meta.get_field(name)
        if isinstance(value, models.Model):
            value = value.pk
        sets.append(f"{q(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    conditions = []
    for name, value in where.items():
        field = meta.get_field(name)
        if value is None:
            conditions.append(f"{q(field.column)} IS NULL")
        else:
            conditions.append(f"{q(field.column)} = %s")
            params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(meta.db_table)} SET {', '.join(sets)} WHERE {' AND '.join(conditions)}",
            params,
        )
        return cursor.rowcount


def _insert_fields(model: type[models.Model]) -> list:
    """The columns an INSERT writes, as `save()` writes them: every concrete field but an
    automatic primary key. Models with database defaults are refused (save them with the ORM)."""
    pk = model._meta.pk
    fields = [f for f in model._meta.concrete_fields if not (f is pk and f.db_returning)]
    if any(f.has_db_default() for f in fields):
        raise ValueError(f"{model.__name__} has database defaults; save it with the ORM")
    return fields


_INSERTS: dict[tuple[str, type[models.Model], bool], tuple[str, list, Any]] = {}


def insert_row(
    connection: BaseDatabaseWrapper, instance: models.Model, *, skip_conflict: bool = False
) -> models.Model | None:
    """INSERT a new instance as `instance.save()` would — every concrete field but an automatic
    primary key, each value prepared by its field (`pre_save` first: auto_now_add, files) — and
    set its primary key from `RETURNING`. For models without their own `save()` and without
    signal receivers, on the paths written for every message; the statement is written once per
    model and database. With `skip_conflict`, a row that would break a unique constraint is not
    written and None is returned (`ON CONFLICT DO NOTHING`: no IntegrityError, so no savepoint
    is needed around it)."""
    model = type(instance)
    key = (connection.alias, model, skip_conflict)
    entry = _INSERTS.get(key)
    if entry is None:
        meta, q = model._meta, connection.ops.quote_name
        pk, fields = meta.pk, _insert_fields(model)
        sql = (
            f"INSERT INTO {q(meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
            f"{' ON CONFLICT DO NOTHING' if skip_conflict else ''} RETURNING {q(pk.column)}"
        )
        entry = _INSERTS[key] = (sql, fields, pk)
    sql, fields, pk = entry
    instance._prepare_related_fields_for_save(operation_name="save")
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:  # skipped on a conflict
        return None
    if pk.db_returning:
        setattr(instance, pk.attname, row[0])
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def insert_rows(
    connection: BaseDatabaseWrapper,
    instances: Sequence[models.Model],
    *,
    skip_conflict: bool = False,
    match: Sequence[str] = (),
) -> list[models.Model]:
    """`insert_row` for several new instances of one model in one statement (a multi-row
    VALUES list): the rows written, with their primary keys set. With `skip_conflict`, rows
    that would break a unique constraint are skipped; which rows were written is then told by
    the `match` fields (attnames, unique together), which the database returns with each key:
    the first instance with those values is the one written."""
    if not instances:
        return []
    model = type(instances[0])
    meta, q = model._meta, connection.ops.quote_name
    pk, fields = meta.pk, _insert_fields(model)
    if skip_conflict and not match:
        raise ValueError("skip_conflict needs the fields that tell the written rows")
    returning = [pk.attname] if pk.db_returning else []
    returning += [name for name in match if name not in returning]
    params: list[Any] = []
    for instance in instances:
        if type(instance) is not model:
            raise TypeError("insert_rows writes instances of one model")
        instance._prepare_related_fields_for_save(operation_name="save")
        params += [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]
    values = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
        f"VALUES {', '.join([values] * len(instances))}"
        f"{' ON CONFLICT DO NOTHING' if skip_conflict else ''}"
    )
    if returning:
        sql += f" RETURNING {', '.join(q(meta.get_field(a).column) for a in returning)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall() if returning else []
    if skip_conflict:
        by_key = {}
        for instance in instances:
            by_key.setdefault(tuple(getattr(instance, name) for name in match), instance)
        at = [returning.index(name) for name in match]
        written = [by_key[tuple(row[i] for i in at)] for row in rows]
    else:
        written = list(instances)
        # Keys come in the VALUES order, as Django's bulk_create takes them too.
        if pk.db_returning and len(rows) != len(written):
            raise RuntimeError(f"{len(rows)} keys returned for {len(written)} rows")
    if pk.db_returning:
        for instance, row in zip(written, rows, strict=True):
            setattr(instance, pk.attname, row[0])
    for instance in written:
        instance._state.adding = False
        instance._state.db = connection.alias
    return written
