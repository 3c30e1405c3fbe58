"""Querysets compiled once per process, run again with other values.

Reading a page's rows through the ORM costs more Python building the statements than the database
spends running them: a ticket's detail page made 14 queries that took about 0.1 ms each in SQLite
and 0.4–0.8 ms each to build (filters, joins, the SELECT list, converters). Most pages ask the
same questions every time with other ids. `Prepared` builds such a queryset once — with stand-in
values in place of the ids — compiles it, and remembers where each stand-in landed among the
statement's parameters. Later calls put the real values there, run the same SQL, and turn the
rows into instances with the ORM's own converters and populators (`select_related` included), so
the result equals what the queryset would have read; `rapport/core/tests/test_prepared.py`
compares the two.

Rules for a build function:
- It is called as `build(shape, **values)`: it takes the values as keyword arguments and uses them only as query values (filters,
  subquery filters): anything that changes the statement's shape (a role, a flag, which filter
  applies) goes in `shape`, which keys the compiled plan. Values are ints, strs, datetimes (for
  datetime fields: adapted as such a field adapts them, a naive one read in the default time
  zone), None, or lists/tuples of them (a list's length is part of the shape; duplicates are
  dropped).
- It must not read the clock or other state: what it captures is frozen into the plan.
- No `prefetch_related`, no querysets from related managers (`ticket.events`): those attach
  per-instance state the plan cannot replay. Both are refused when the plan is built.

A value that does not reach the parameters unchanged (`__icontains` wraps it in %) is refused
when the plan is built, never silently frozen.
"""

import threading
import weakref
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    _get_from_db,
    get_related_populators,
)
from django.utils import timezone

# Stand-ins no real id or text can equal (out of every key's range; private-use characters).
# Stand-ins for values, two sets (see _compile): numbers below 32,767 (every integer field's
# range holds them), text no one types (private-use characters), instants no one records.
_INT_BASE = (30_000, 31_000)
_STR_MARK = "\ue000prepared{}:{}\ue001"
MAX_PLANS = (
    256  # per prepared queryset: shapes that vary without bound (a page number) stay bounded
)
_TIME_BASE = (
    datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime(1902, 3, 4, 5, 6, 7, tzinfo=UTC),
)


class _Plan:
    __slots__ = (
        "annotations",
        "compiler",
        "converters",
        "empty",
        "end",
        "from_db",
        "init",
        "kind",
        "model",
        "names",
        "params",
        "populators",
        "slots",
        "sql",
        "start",
        "track_peers",
    )


class Prepared:
    """A queryset built by `build(**values)`, compiled once per shape and database."""

    def __init__(self, build: Callable[..., models.QuerySet], *, using: str = "default") -> None:
        self.build, self.using = build, using
        self._plans: dict[Hashable, _Plan] = {}
        self._lock = threading.Lock()

    # -- running --------------------------------------------------------------------------

    def list(self, shape: Hashable = (), **values: Any) -> list:
        """Every row, as the queryset's iterable gives them (instances, tuples, dicts, values)."""
        return self._run(shape, values, counting=False)

    def _run(self, shape: Hashable, values: dict[str, Any], *, counting: bool) -> Any:
        values = {name: _unique(value) for name, value in values.items()}
        plan = self._plan(shape, values)
        if plan.empty:
            return 0 if counting else []
        params = list(plan.params)
        connection = connections[self.using]
        for index, name, position, is_time in plan.slots:
            value = values[name]
            if position is not None:
                value = value[position]
            params[index] = _adapt_time(connection, value) if is_time else value
        sql = f"SELECT COUNT(*) FROM ({plan.sql}) counted" if counting else plan.sql
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: Iterable = cursor.fetchall()
        if counting:
            return rows[0][0]
        if plan.converters:
            rows = plan.compiler.apply_converters(rows, plan.converters)
        return _shape_rows(plan, rows, self.using)

    def first(self, shape: Hashable = (), **values: Any) -> Any:
        """The first row, or None."""
        rows = self.list(shape, **values)
        return rows[0] if rows else None

    def count(self, shape: Hashable = (), **values: Any) -> int:
        """How many rows the queryset reads (`SELECT COUNT(*)` around its statement; slice the
        queryset to bound the count)."""
        return self._run(shape, values, counting=True)

    def forget(self) -> None:
        with self._lock:
            self._plans.clear()

    # -- building -------------------------------------------------------------------------

    def _plan(self, shape: Hashable, values: dict[str, Any]) -> _Plan:
        key = (shape, tuple((name, _signature(value)) for name, value in values.items()))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(shape, values)
            with self._lock:
                while (
                    len(self._plans) >= MAX_PLANS
                ):  # the oldest first: a bound, not a cache policy
                    self._plans.pop(next(iter(self._plans)))
                self._plans[key] = plan
        return plan

    def _build(self, shape: Hashable, values: dict[str, Any], variant: int):
        """(queryset, compiler, sql, params, stand-ins) built with the variant's stand-ins, or
        None when the statement can match nothing (Django's EmptyResultSet)."""
        stand_ins: dict[Any, tuple[str, int | None, bool]] = {}
        arguments = {}
        counter = 0
        connection = connections[self.using]

        def stand_in(value: Any, name: str, position: int | None) -> Any:
            nonlocal counter
            counter += 1
            if value is None:
                return None
            if isinstance(value, datetime):
                mark = _TIME_BASE[variant] + timedelta(seconds=counter)
                stand_ins[_adapt_time(connection, mark)] = (name, position, True)
                return mark
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise TypeError(f"{name}: a prepared value is an int, str or datetime: {value!r}")
            if isinstance(value, int):
                mark = _INT_BASE[variant] + counter
            else:
                mark = _STR_MARK.format(variant, counter)
            stand_ins[mark] = (name, position, False)
            return mark

        for name, value in values.items():
            if isinstance(value, tuple):
                arguments[name] = [stand_in(v, name, i) for i, v in enumerate(value)]
            else:
                arguments[name] = stand_in(value, name, None)
        if counter > 900:
            raise ValueError("Too many prepared values for the stand-ins")
        queryset = self.build(shape, **arguments)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:
            raise ValueError("A prepared queryset cannot prefetch or come from a related manager")
        compiler = queryset.query.get_compiler(using=self.using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return None
        return queryset, compiler, sql, list(params), stand_ins

    def _compile(self, shape: Hashable, values: dict[str, Any]) -> _Plan:
        # Built twice with two sets of stand-ins: the parameters that differ between the two are
        # the values' places; a constant of the query that happens to equal a stand-in does not
        # differ, so it is never taken for one. Stand-ins are small positive numbers, within the
        # range of every integer field (a value outside a field's range makes Django drop the
        # condition, which would freeze the plan empty).
        first = self._build(shape, values, 0)
        second = self._build(shape, values, 1)
        plan = _Plan()
        plan.empty = first is None
        if first is None or second is None:
            if (first is None) != (second is None):
                raise ValueError("Prepared values change whether the statement can match")
            return plan
        queryset, compiler, sql, params, stand_ins = first
        _q, _c, sql_b, params_b, _s = second
        if sql != sql_b or len(params) != len(params_b):
            raise ValueError("Prepared values change the statement's shape")
        plan.sql, plan.params = sql, tuple(params)
        plan.slots = []
        for index, (param, other) in enumerate(zip(params, params_b, strict=True)):
            if param == other:
                continue
            hashable = isinstance(param, (int, str, datetime)) and not isinstance(param, bool)
            if not (hashable and param in stand_ins):
                names = sorted({n for m, (n, *_r) in stand_ins.items() if str(m) in str(param)})
                raise ValueError(f"Prepared values did not reach the SQL unchanged: {names}")
            plan.slots.append((index, *stand_ins[param]))
        # A value the statement does not use (this shape leaves it out) is simply not there.
        plan.compiler = compiler
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("A prepared queryset cannot read composite fields")
        plan.converters = compiler.get_converters(fields)
        iterable = queryset._iterable_class
        plan.kind = iterable
        if iterable is ModelIterable:
            klass_info, select = compiler.klass_info, compiler.select
            fetch_mode = queryset._fetch_mode
            plan.model = klass_info["model"]
            select_fields = klass_info["select_fields"]
            plan.start, plan.end = select_fields[0], select_fields[-1] + 1
            plan.init = [f[0].target.attname for f in select[plan.start : plan.end]]
            plan.from_db = _get_from_db(plan.model, fetch_mode)
            plan.populators = get_related_populators(klass_info, select, self.using, fetch_mode)
            plan.annotations = list((compiler.annotation_col_map or {}).items())
            plan.track_peers = fetch_mode.track_peers
        elif iterable in (ValuesIterable, ValuesListIterable, FlatValuesListIterable):
            query = queryset.query
            plan.names = (
                list(query.selected)
                if query.selected
                else [*query.extra_select, *query.values_select, *query.annotation_select]
            )
        else:
            raise ValueError(f"A prepared queryset cannot read {iterable.__name__} rows")
        return plan


def key_value(value: Any) -> int | None:
    """`value` as a row id a prepared query can take (an int within SQLite's and PostgreSQL's
    64-bit integers), or None: no row has such an id. The ORM turns an id out of range into
    "no rows"; a prepared statement would fail on it instead."""
    try:
        number = int(value)
    except (ValueError, TypeError, OverflowError):
        return None
    return number if -(2**63) <= number < 2**63 else None


def _unique(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(dict.fromkeys(value))
    return value


def _signature(value: Any) -> Hashable:
    if isinstance(value, tuple):
        return ("list", tuple(_signature(v) for v in value))
    if isinstance(value, datetime):
        return "datetime"
    return "none" if value is None else type(value).__name__


def _adapt_time(connection, value: datetime) -> Any:
    """A datetime as a DateTimeField hands it to the database (a naive one is read in the
    default time zone, as the field reads it, without its warning)."""
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return connection.ops.adapt_datetimefield_value(value)


def _shape_rows(plan: _Plan, rows: Iterable, using: str) -> list:
    kind = plan.kind
    if kind is FlatValuesListIterable:
        return [row[0] for row in rows]
    if kind is ValuesListIterable:
        return [tuple(row) for row in rows]
    if kind is ValuesIterable:
        names = plan.names
        return [dict(zip(names, row, strict=True)) for row in rows]
    start, end, init, from_db = plan.start, plan.end, plan.init, plan.from_db
    populators, annotations = plan.populators, plan.annotations
    result = []
    peers: list = []
    for row in rows:
        obj = from_db(using, init, row[start:end])
        if plan.track_peers:
            peers.append(weakref.ref(obj))
            obj._state.peers = peers
        for populator in populators:
            populator.populate(row, obj)
        for attr, position in annotations:
            setattr(obj, attr, row[position])
        result.append(obj)
    return result


def attach_related(
    instances: Iterable[models.Model], name: str, rows: Iterable[models.Model], key: str
) -> None:
    """Give each instance its reverse relation `name` as `prefetch_related(name)` would: the
    rows whose attribute `key` is the instance's primary key, in the order given, so
    `instance.<name>.all()` reads no more rows."""
    instances = list(instances)
    if not instances:
        return
    by_owner: dict[Any, list] = {obj.pk: [] for obj in instances}
    for row in rows:
        by_owner[getattr(row, key)].append(row)
    related_model = type(instances[0])._meta.get_field(name).related_model
    for obj in instances:
        qs = related_model._default_manager.all()
        qs._result_cache = by_owner[obj.pk]
        qs._prefetch_done = True
        obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = qs


class Pageable:
    """An ordered queryset a paginator pages through, its pages and bounded counts prepared:
    `build(shape, **values)` returns the queryset; `rows(shape, **values)` the object a
    (Fast)Paginator takes in its place (slices read one page; `capped_count(cap)` counts up to
    `cap` rows, as rapport.core.queries.capped_count does)."""

    def __init__(self, build: Callable[..., models.QuerySet], *, using: str = "default") -> None:
        self._page = Prepared(
            lambda shape, **values: build(shape[0], **values)[shape[1] : shape[2]], using=using
        )
        self._count = Prepared(
            lambda shape, **values: build(shape[0], **values).order_by().values("pk")[: shape[1]],
            using=using,
        )

    def rows(self, shape: Hashable, **values: Any) -> "PageableRows":
        return PageableRows(self, shape, values)


class PageableRows:
    ordered = True  # for Django's paginator, which warns about unordered lists

    def __init__(self, pageable: Pageable, shape: Hashable, values: dict[str, Any]) -> None:
        self.pageable, self.shape, self.values = pageable, shape, values

    def __getitem__(self, part: slice) -> list:
        if not isinstance(part, slice) or part.step is not None:
            raise TypeError("Prepared rows are read a page (a slice) at a time")
        start, stop = part.start or 0, part.stop
        if start < 0 or (stop is not None and stop < start):
            raise ValueError("A page starts at 0 and ends after it starts")
        return self.pageable._page.list((self.shape, start, stop), **self.values)

    def capped_count(self, cap: int) -> int:
        return self.pageable._count.count((self.shape, cap), **self.values)
