"""Reads of business calendars, and their snapshots for computing with."""

from __future__ import annotations

from datetime import date

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from rapport.core.calendar.compute import (
    CalendarError,
    CalendarSnapshot,
    Interval,
    format_intervals,
)
from rapport.core.errors import NotFound
from rapport.core.models import BusinessCalendar, CalendarException

SNAPSHOT_CACHE_SECONDS = 24 * 3600


def calendar_list() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.order_by("-is_default", "name")


def calendar_get(*, calendar_id: int) -> BusinessCalendar:
    """Raises NotFound for an unknown id."""
    try:
        return BusinessCalendar.objects.get(pk=calendar_id)
    except BusinessCalendar.DoesNotExist as exc:
        raise NotFound(_("No such calendar.")) from exc


def calendar_get_default() -> BusinessCalendar:
    """The default calendar, else the first by name. Raises CalendarError when there is none."""
    calendar = calendar_list().first()
    if calendar is None:
        raise CalendarError(_("No business calendar is defined."), code="calendar_missing")
    return calendar


def calendar_exceptions_between(
    *, calendar: BusinessCalendar, first: date, last: date
) -> QuerySet[CalendarException]:
    return calendar.exceptions.filter(date__range=(first, last)).order_by("date")


def calendar_weekly_pattern(*, calendar: BusinessCalendar) -> tuple[tuple[Interval, ...], ...]:
    """The weekly working intervals as minutes from midnight, Monday first (one query)."""
    week: dict[int, list[Interval]] = {d: [] for d in range(7)}
    for interval in calendar.intervals.all():
        week[interval.weekday].append(interval.minutes)
    return tuple(tuple(sorted(week[d])) for d in range(7))


def calendar_snapshot_build(*, calendar: BusinessCalendar) -> CalendarSnapshot:
    """Load a calendar's rows (two queries) into an immutable snapshot."""
    week = calendar_weekly_pattern(calendar=calendar)
    exceptions = {e.date: e.resolve(week) for e in calendar.exceptions.all()}
    return CalendarSnapshot.build(
        name=calendar.name,
        time_zone=calendar.time_zone,
        week=dict(enumerate(week)),
        exceptions=exceptions,
    )


def calendar_snapshot(*, calendar: BusinessCalendar) -> CalendarSnapshot:
    """The calendar's snapshot from the cache, rebuilt when the calendar changed.

    Every service that changes a calendar's rows bumps its `updated_at`, which is part of the
    cache key, so pass a freshly fetched calendar: a stale instance gets the snapshot it knew.
    """
    key = f"core:calendar:{calendar.pk}:{calendar.updated_at.timestamp():.6f}"
    snapshot = cache.get(key)
    if snapshot is None:
        snapshot = calendar_snapshot_build(calendar=calendar)
        cache.set(key, snapshot, timeout=SNAPSHOT_CACHE_SECONDS)
    return snapshot


def calendar_snapshot_get(*, calendar_id: int | None = None) -> CalendarSnapshot:
    """The snapshot of calendar `calendar_id`, or of the default calendar when None.

    One query on a cache hit. Raises NotFound for an unknown id, CalendarError when no calendar
    exists at all.
    """
    calendar = (
        calendar_get_default() if calendar_id is None else calendar_get(calendar_id=calendar_id)
    )
    return calendar_snapshot(calendar=calendar)


def describe_week(snapshot: CalendarSnapshot) -> list[str]:
    """Human-readable weekly hours, one line per weekday (for commands and admin help)."""
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    return [f"{names[d]} {format_intervals(day) or '—'}" for d, day in enumerate(snapshot.week)]


# --- holidays not yet entered for the coming year ----------------------------------------------

GAP_WARNING_DAYS = 30


def calendar_year_gaps(*, today: date | None = None) -> list[tuple[BusinessCalendar, int]]:
    """(calendar, year) for each calendar that keeps public holidays but has none entered for
    the year about to start (from 30 days before 1 January) or already running.

    A calendar "keeps holidays" when it lists any holiday at all; a 7×24 calendar with none is
    left alone. The State Council publishes each year's schedule in the autumn and the
    chinesecalendar package follows later, so without this warning the service levels of the new
    year would silently count 春节 as working days."""
    from django.utils import timezone

    today = today or timezone.localdate()
    years = [today.year]
    if (date(today.year + 1, 1, 1) - today).days <= GAP_WARNING_DAYS:
        years.append(today.year + 1)
    keeping = set(
        CalendarException.objects.filter(kind=CalendarException.Kind.HOLIDAY)
        .values_list("calendar_id", flat=True)
        .distinct()
    )
    covered = set(
        CalendarException.objects.filter(kind=CalendarException.Kind.HOLIDAY, date__year__in=years)
        .values_list("calendar_id", "date__year")
        .distinct()
    )
    return [
        (calendar, year)
        for calendar in BusinessCalendar.objects.filter(pk__in=keeping).order_by("name")
        for year in years
        if (calendar.pk, year) not in covered
    ]


def calendar_gap_text(calendar: BusinessCalendar, year: int) -> str:
    return _(
        "The calendar “%(calendar)s” has no holidays for %(year)s yet: until they are entered, "
        "service levels count the Spring Festival and National Day as working days. Enter them "
        "by hand or import a file once the State Council publishes them."
    ) % {"calendar": calendar.name, "year": year}
