"""Business-time arithmetic over an in-memory calendar snapshot. Pure: no queries, no clock.

A `CalendarSnapshot` holds a calendar's weekly working intervals and its dated exceptions, already
resolved to the intervals of each exception day, so SLA sweeps can load a calendar once (or take it
from the cache) and compute due instants for many tickets without touching the database.

Conventions (the SLA code and its tests rely on them):

* Working intervals are wall-clock times in the calendar's time zone, half-open ``[start, end)``:
  09:00–12:00 contains 09:00 and 11:59:59 but not 12:00. An interval may end at 24:00 (stored as
  minute 1440), which is midnight of the next day; a 7×24 calendar is 00:00–24:00 on every weekday.
* Each interval is mapped to real instants with zoneinfo (``fold=0``) and business time is the real
  elapsed time inside intervals, so a working interval that spans a DST change counts its real
  length; one collapsed inside a DST gap counts as zero. Asia/Shanghai has no DST.
* ``is_working_time(t)`` is true inside an interval, false at its end instant.
* ``next_working_instant(t)`` is ``t`` itself during working time, otherwise the start of the next
  working interval.
* ``add_business_minutes(start, 0)`` is ``next_working_instant(start)``: a clock that may not run
  yet is due when work can start.
* ``add_business_minutes(start, m)`` for ``m > 0`` is the *earliest* instant ``T`` with
  ``business_time_between(start, T) == m minutes``. The last minute consumed always ends inside a
  working interval or exactly at its end, so a due instant is never in non-working time except
  exactly at the end of an interval: 450 minutes from Friday 09:00 on a 9–12/13:30–18 calendar are
  due Friday 18:00, not at the next working day's 09:00.
* ``business_time_between(start, end)`` is exact (a timedelta, to the microsecond) and signed:
  negative when ``end`` is before ``start``, so it is additive over any split point.
  ``business_minutes_between`` truncates it toward zero to whole minutes; for instants on whole
  minutes (everything the SLA code produces) it is exact and ``between(s, add(s, m)) == m``.
* A calendar with no working time within ``HORIZON_DAYS`` days of where the search starts raises
  `DomainError` (code ``calendar_no_working_time``) instead of looping.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from rapport.core.errors import DomainError

MINUTES_PER_DAY = 24 * 60
HORIZON_DAYS = 3 * 366
_INSTANTS_MEMO_DAYS = 4000  # per snapshot; about eleven years of days
ONE_DAY = timedelta(days=1)

# (start minute, end minute) from local midnight, 0 <= start < end <= 1440, sorted, disjoint.
Interval = tuple[int, int]
DayIntervals = tuple[Interval, ...]


class CalendarError(DomainError):
    """A calendar definition or computation the domain refuses."""

    code = "calendar_invalid"


def no_working_time_error(name: str) -> CalendarError:
    return CalendarError(
        _("Calendar “%(name)s” has no working time within %(years)d years; add working hours.")
        % {"name": name, "years": HORIZON_DAYS // 366},
        code="calendar_no_working_time",
    )


# --- parsing and checking intervals -------------------------------------------------------------

_HOURS_PART = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~～至]\s*(\d{1,2}):(\d{2})\s*$")


def minute_of(value: time) -> int:
    return value.hour * 60 + value.minute


def end_minute_of(value: time) -> int:
    """An interval end as a minute of the day; 00:00 as an end means midnight, 24:00."""
    minute = minute_of(value)
    return minute or MINUTES_PER_DAY


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_intervals(intervals: Iterable[Interval]) -> str:
    return ", ".join(f"{format_minute(s)}-{format_minute(e)}" for s, e in intervals)


def parse_hours(text: str) -> DayIntervals:
    """Parse "09:00-12:00, 13:30-18:00" (also 、；; or spaces between parts, 24:00 allowed).

    Raises `CalendarError` (field ``hours``) on a malformed, inverted or overlapping interval.
    Empty text is an empty tuple.
    """
    parts = [
        p
        for p in re.split(r"[,，、;；\n]+|\s{2,}|\s(?=\d{1,2}:\d{2}\s*[-–~～至])", text)
        if p.strip()
    ]
    intervals = []
    for part in parts:
        match = _HOURS_PART.match(part)
        if not match:
            raise CalendarError(
                _("“%(part)s” is not a time range like 09:00-12:00.") % {"part": part.strip()},
                field="hours",
            )
        sh, sm, eh, em = (int(g) for g in match.groups())
        if sm > 59 or em > 59 or sh > 23 or eh > 24 or (eh == 24 and em):
            raise CalendarError(
                _("“%(part)s” is not a valid time of day.") % {"part": part.strip()}, field="hours"
            )
        intervals.append((sh * 60 + sm, eh * 60 + em))
    return check_intervals(intervals, field="hours")


def check_intervals(intervals: Iterable[Interval], *, field: str | None = None) -> DayIntervals:
    """Sorted intervals of one day; refuses inverted, empty or overlapping ones."""
    ordered = sorted(intervals)
    for start, end in ordered:
        if not (0 <= start < MINUTES_PER_DAY and 0 < end <= MINUTES_PER_DAY):
            raise CalendarError(_("A working time must lie within the day."), field=field)
        if end <= start:
            raise CalendarError(
                _("The working time %(interval)s ends before it starts.")
                % {"interval": format_intervals([(start, end)])},
                field=field,
            )
    for (s1, e1), (s2, e2) in itertools.pairwise(ordered):
        if s2 < e1:
            raise CalendarError(
                _("The working times %(first)s and %(second)s overlap.")
                % {"first": format_intervals([(s1, e1)]), "second": format_intervals([(s2, e2)])},
                field=field,
            )
    return tuple(ordered)


# --- the snapshot -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarSnapshot:
    """A calendar frozen in memory: weekly pattern plus resolved exception days. Picklable."""

    name: str
    zone: ZoneInfo
    week: tuple[DayIntervals, ...]  # index 0 = Monday
    # Read-only by convention; left out of the hash so a snapshot can key an lru_cache.
    exceptions: Mapping[date, DayIntervals] = field(default_factory=dict, hash=False)
    _working_exception_days: tuple[date, ...] = field(default=(), repr=False, compare=False)
    # A cache of derived values, not state: the snapshot stays immutable in what it answers.
    _instants: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self):
        if len(self.week) != 7:
            raise ValueError("A week has seven days.")
        object.__setattr__(self, "week", tuple(check_intervals(d) for d in self.week))
        resolved = {d: check_intervals(iv) for d, iv in self.exceptions.items()}
        object.__setattr__(self, "exceptions", resolved)
        working = tuple(sorted(d for d, iv in resolved.items() if iv))
        object.__setattr__(self, "_working_exception_days", working)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_instants"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _instants={})

    @classmethod
    def build(
        cls,
        *,
        name: str,
        time_zone: str,
        week: Mapping[int, Iterable[Interval]],
        exceptions: Mapping[date, Iterable[Interval]] | None = None,
    ) -> CalendarSnapshot:
        try:
            zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(
                _("“%(zone)s” is not a known time zone.") % {"zone": time_zone}, field="time_zone"
            ) from exc
        return cls(
            name=name,
            zone=zone,
            week=tuple(tuple(week.get(day, ())) for day in range(7)),
            exceptions={d: tuple(iv) for d, iv in (exceptions or {}).items()},
        )

    @property
    def has_weekly_work(self) -> bool:
        return any(self.week)

    def intervals_on(self, day: date) -> DayIntervals:
        found = self.exceptions.get(day)
        return found if found is not None else self.week[day.weekday()]

    def instants_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's working intervals as instants in UTC, memoised per day.

        UTC because Python adds and subtracts datetimes sharing a tzinfo on the wall clock.
        """
        found = self._instants.get(day)
        if found is None:
            if len(self._instants) > _INSTANTS_MEMO_DAYS:
                self._instants.clear()
            midnight = datetime(day.year, day.month, day.day)  # noqa: DTZ001 - zone below
            pairs = []
            for start, end in self.intervals_on(day):
                s = (midnight + timedelta(minutes=start)).replace(tzinfo=self.zone).astimezone(UTC)
                e = (midnight + timedelta(minutes=end)).replace(tzinfo=self.zone).astimezone(UTC)
                if e > s:  # zero inside a DST gap
                    pairs.append((s, e))
            found = self._instants[day] = tuple(pairs)
        return found

    def next_day_with_work(self, day: date, *, limit: date) -> date | None:
        """The first day on or after `day` (and before `limit`) with working intervals."""
        if self.has_weekly_work:
            while day < limit:
                if self.intervals_on(day):
                    return day
                day += ONE_DAY
            return None
        i = bisect.bisect_left(self._working_exception_days, day)
        if i < len(self._working_exception_days) and self._working_exception_days[i] < limit:
            return self._working_exception_days[i]
        return None


# --- the computation ----------------------------------------------------------------------------


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("Business-time functions take aware datetimes.")
    return instant.astimezone(UTC)


def _local_date(cal: CalendarSnapshot, instant: datetime) -> date:
    # Yesterday's intervals end by today's midnight, so the local date is where a search starts.
    return instant.astimezone(cal.zone).date()


def _working_stretches(
    cal: CalendarSnapshot, start: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals (clipped to begin no earlier than `start`) in time order, endlessly.

    Raises CalendarError when no working time lies within HORIZON_DAYS after the last one found.
    """
    start = _utc(start)
    day = _local_date(cal, start) - ONE_DAY  # a DST fold can put start before its own midnight
    while True:
        found = cal.next_day_with_work(day, limit=day + timedelta(days=HORIZON_DAYS))
        if found is None:
            raise no_working_time_error(cal.name)
        for s, e in cal.instants_on(found):
            if e > start:
                yield max(s, start), e
        day = found + ONE_DAY


def is_working_time(cal: CalendarSnapshot, instant: datetime) -> bool:
    """True if `instant` lies inside a working interval (the interval's end is not inside)."""
    instant = _utc(instant)
    day = _local_date(cal, instant)
    return any(s <= instant < e for d in (day - ONE_DAY, day) for s, e in cal.instants_on(d))


def next_working_instant(cal: CalendarSnapshot, instant: datetime) -> datetime:
    """`instant` during working time, else the start of the next working interval."""
    for s, _e in _working_stretches(cal, instant):
        return s.astimezone(instant.tzinfo)
    raise AssertionError("unreachable")  # pragma: no cover


def add_business_minutes(
    cal: CalendarSnapshot, start: datetime, minutes: int, *, within: timedelta | None = None
) -> datetime:
    """The instant `minutes` business minutes after `start`, in `start`'s time zone.

    See the module docstring for the conventions at 0 minutes and at interval ends.
    Raises ValueError for negative minutes or a naive start, CalendarError when the calendar has
    no working time or (with `within`) the due instant lies further than `within` after start.
    """
    _utc(start)
    if minutes < 0:
        raise ValueError("Business minutes to add must not be negative.")
    return add_business_time(cal, start, timedelta(minutes=minutes), within=within)


def add_business_time(
    cal: CalendarSnapshot, start: datetime, amount: timedelta, *, within: timedelta | None = None
) -> datetime:
    """`add_business_minutes` for an exact amount (a paused clock leaves seconds behind).

    Work is proportional to the working intervals passed, and with `within` stops (CalendarError,
    code ``span_too_long``) once the search passes that far beyond `start`.
    Raises ValueError for a negative amount or a naive start, CalendarError when the calendar
    has no working time.
    """
    _utc(start)
    if amount < timedelta(0):
        raise ValueError("Business time to add must not be negative.")
    if amount == timedelta(0):
        return next_working_instant(cal, start)
    remaining = amount
    limit = _utc(start) + within if within is not None else None
    for s, e in _working_stretches(cal, start):
        if limit is not None and s > limit:
            raise span_too_long_error(within, field="minutes")
        if e - s >= remaining:
            return (s + remaining).astimezone(start.tzinfo)
        remaining -= e - s
    raise AssertionError("unreachable")  # pragma: no cover


def span_too_long_error(span: timedelta, *, field: str) -> CalendarError:
    return CalendarError(
        _("Business time is computed over at most %(days)d days; shorten the span.")
        % {"days": span.days},
        code="span_too_long",
        field=field,
    )


def business_time_between(
    cal: CalendarSnapshot, start: datetime, end: datetime, *, within: timedelta | None = None
) -> timedelta:
    """Working time between two instants, exact; negative when `end` is before `start`.

    Work is proportional to the days with working time in the span (days without any are
    skipped). With `within`, a span longer than that raises CalendarError (``span_too_long``,
    field ``end``) before any work.
    """
    start, end = _utc(start), _utc(end)
    if within is not None and abs(end - start) > within:
        raise span_too_long_error(within, field="end")
    if end < start:
        return -business_time_between(cal, end, start)
    total = timedelta(0)
    day = _local_date(cal, start) - ONE_DAY
    last = _local_date(cal, end)
    while day <= last:
        found = cal.next_day_with_work(day, limit=last + ONE_DAY)
        if found is None:
            break
        for s, e in cal.instants_on(found):
            overlap = min(e, end) - max(s, start)
            if overlap > timedelta(0):
                total += overlap
        day = found + ONE_DAY
    return total


def business_minutes_between(
    cal: CalendarSnapshot, start: datetime, end: datetime, *, within: timedelta | None = None
) -> int:
    """Whole business minutes between two instants, truncated toward zero; signed."""
    exact = business_time_between(cal, start, end, within=within)
    whole = abs(exact) // timedelta(minutes=1)
    return whole if exact >= timedelta(0) else -whole
