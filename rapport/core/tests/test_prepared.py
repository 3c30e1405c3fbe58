"""Querysets compiled once and run again with other values read what the ORM reads."""

from datetime import time

import pytest
from django.db import connection
from django.db.models import Count, Exists, Q
from django.test.utils import CaptureQueriesContext

from rapport.core.models import BusinessCalendar, WorkingInterval
from rapport.core.prepared import Prepared, attach_related, key_value

pytestmark = pytest.mark.django_db


def _calendars():
    made = []
    for i, name in enumerate(["甲历", "乙历", "丙历"]):
        cal = BusinessCalendar.objects.create(name=name, description=f"第{i}号")
        for weekday in range(i + 1):
            WorkingInterval.objects.create(
                calendar=cal, weekday=weekday, start=time(9), end=time(12 + i)
            )
        made.append(cal)
    return made


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


INTERVALS = Prepared(
    lambda shape, calendar_id: (
        WorkingInterval.objects.filter(calendar_id=calendar_id)
        .select_related("calendar")
        .order_by("weekday")
    )
)


def test_rows_equal_the_orm_s_with_their_related_rows_and_types():
    calendars = _calendars()
    for cal in calendars:
        expected = list(
            WorkingInterval.objects.filter(calendar_id=cal.pk)
            .select_related("calendar")
            .order_by("weekday")
        )
        got = INTERVALS.list(calendar_id=cal.pk)
        assert [_fields(o) for o in got] == [_fields(o) for o in expected]
        assert all(isinstance(o.start, time) for o in got)  # converted as the ORM converts
        with CaptureQueriesContext(connection) as queries:
            assert [o.calendar.name for o in got] == [cal.name] * len(expected)
        assert len(queries) == 0  # the related row came with it
        assert not got[0]._state.adding and got[0]._state.db == "default"


def test_the_statement_is_compiled_once_and_other_values_take_its_place():
    a, b, _c = _calendars()
    built = []
    prepared = Prepared(
        lambda shape, calendar_id: (
            built.append(calendar_id) or WorkingInterval.objects.filter(calendar_id=calendar_id)
        )
    )
    assert len(prepared.list(calendar_id=a.pk)) == 1
    assert len(prepared.list(calendar_id=b.pk)) == 2
    assert len(prepared.list(calendar_id=999_999)) == 0
    assert len(built) == 2 and a.pk not in built  # built once (twice, with two stand-ins)
    with CaptureQueriesContext(connection) as queries:
        prepared.list(calendar_id=b.pk)
    assert len(queries) == 1 and str(b.pk) in queries[0]["sql"]


def test_lists_strings_shapes_values_and_annotations():
    calendars = _calendars()
    names = Prepared(
        lambda shape, ids, text: (
            BusinessCalendar.objects.filter(pk__in=ids)
            .exclude(name=text)
            .order_by(*shape)
            .values_list("name", flat=True)
        )
    )
    ids = [c.pk for c in calendars]
    assert names.list(("name",), ids=ids, text="乙历") == sorted(["甲历", "丙历"])
    assert names.list(("-name",), ids=ids[:1] * 3, text="x") == ["甲历"]  # duplicates dropped
    assert names.list(("name",), ids=[], text="x") == []  # an empty list matches nothing
    rows = Prepared(
        lambda shape, calendar_id: BusinessCalendar.objects.filter(pk=calendar_id).values(
            "name", n=Count("intervals"), has=Exists(WorkingInterval.objects.filter(weekday=2))
        )
    )
    assert rows.first(calendar_id=calendars[2].pk) == {"name": "丙历", "n": 3, "has": True}
    assert rows.first(calendar_id=-5) is None
    annotated = Prepared(
        lambda shape, calendar_id: (
            BusinessCalendar.objects.filter(Q(pk=calendar_id) | Q(name="甲历"))
            .annotate(n=Count("intervals"))
            .order_by("pk")
        )
    )
    got = annotated.list(calendar_id=calendars[1].pk)
    assert [(c.name, c.n) for c in got] == [("甲历", 1), ("乙历", 2)]


def test_a_value_that_does_not_reach_the_sql_unchanged_is_refused():
    contains = Prepared(lambda shape, text: BusinessCalendar.objects.filter(name__icontains=text))
    with pytest.raises(ValueError, match="text"):
        contains.list(text="历")
    with pytest.raises(TypeError):
        INTERVALS.list(calendar_id=True)
    related = Prepared(lambda shape, pk: BusinessCalendar.objects.prefetch_related("intervals"))
    with pytest.raises(ValueError, match="prefetch"):
        related.list(pk=1)


def test_attach_related_is_what_prefetch_related_gives():
    calendars = _calendars()
    ids = [c.pk for c in calendars]
    intervals = WorkingInterval.objects.filter(calendar_id__in=ids).order_by("weekday")
    attach_related(calendars, "intervals", intervals, "calendar_id")
    expected = BusinessCalendar.objects.filter(pk__in=ids).prefetch_related("intervals")
    expected = expected.order_by("pk")
    with CaptureQueriesContext(connection) as queries:
        got = [[_fields(i) for i in c.intervals.all()] for c in calendars]
    assert len(queries) == 0
    assert got == [[_fields(i) for i in c.intervals.all()] for c in expected]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), ("12", 12), (2**63 - 1, 2**63 - 1), (2**63, None), ("x", None), (None, None)],
)
def test_key_value_keeps_ids_a_statement_can_take(value, expected):
    assert key_value(value) == expected


def test_datetimes_are_adapted_as_the_field_adapts_them():
    from datetime import timedelta

    from django.utils import timezone

    calendars = _calendars()
    for i, cal in enumerate(calendars):
        BusinessCalendar.objects.filter(pk=cal.pk).update(
            created_at=timezone.now() - timedelta(days=10 - i, microseconds=i)
        )
    ids = [c.pk for c in calendars]
    older = Prepared(
        lambda shape, at, ids: (
            BusinessCalendar.objects.filter(created_at__lt=at, pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    )
    for cal in BusinessCalendar.objects.filter(pk__in=ids):
        expected = list(
            BusinessCalendar.objects.filter(created_at__lt=cal.created_at, pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        assert older.list(at=cal.created_at, ids=ids) == expected
    naive = timezone.make_naive(timezone.now(), timezone.get_default_timezone()) - timedelta(days=9)
    aware = timezone.make_aware(naive, timezone.get_default_timezone())
    assert older.list(at=naive, ids=ids) == older.list(at=aware, ids=ids)
    assert len(older.list(at=aware, ids=ids)) == 2


def test_count_counts_what_the_queryset_reads_and_plans_stay_bounded(monkeypatch):
    from rapport.core import prepared as prepared_module

    calendars = _calendars()
    ids = [c.pk for c in calendars]
    counted = Prepared(
        lambda cap, ids: WorkingInterval.objects.filter(calendar_id__in=ids).values("pk")[:cap]
    )
    assert counted.count(100, ids=ids) == 6
    assert counted.count(4, ids=ids) == 4  # the slice bounds the count
    assert counted.count(100, ids=[]) == 0
    monkeypatch.setattr(prepared_module, "MAX_PLANS", 3)
    for cap in range(1, 10):
        assert counted.count(cap, ids=ids) == min(cap, 6)
    assert len(counted._plans) == 3


def test_small_and_positive_integer_fields_and_constants_like_a_stand_in():
    """Values of a PositiveSmallIntegerField are prepared like any (a stand-in out of its range
    would make Django drop the condition and freeze the plan empty), and a constant of the
    query that equals a stand-in is left a constant."""
    _calendars()
    by_day = Prepared(
        lambda shape, weekday: (
            WorkingInterval.objects.filter(weekday=weekday, pk__lt=30_001)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    )
    for weekday in range(7):
        expected = list(
            WorkingInterval.objects.filter(weekday=weekday)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        assert by_day.list(weekday=weekday) == expected
        assert expected or weekday > 4
