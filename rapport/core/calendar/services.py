"""Writes to business calendars and the loading of their snapshots.

Cross-row rules live here (the models check one row): a weekday's intervals must not overlap, a
calendar must have working time, an imported file must not list a date twice. Every service
raises `CalendarError` (a `DomainError` naming the field) instead of a database error.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rapport.core.calendar import chinese
from rapport.core.calendar.compute import (
    MINUTES_PER_DAY,
    CalendarError,
    Interval,
    check_intervals,
    end_minute_of,
    minute_of,
    parse_hours,
)
from rapport.core.calendar.selectors import calendar_weekly_pattern
from rapport.core.models import BusinessCalendar, CalendarException, Weekday, WorkingInterval

# A weekday's hours as "09:00-12:00, 13:30-18:00" or as (start, end) time pairs; end 00:00 = 24:00.
DayHours = str | Sequence[tuple[time, time]]


def _refuse(exc: ValidationError) -> CalendarError:
    """The first message of a ValidationError as a CalendarError naming its field."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        message = errors[0].messages[0]
        return CalendarError(message, field=None if field == NON_FIELD_ERRORS else field)
    return CalendarError(exc.messages[0])


def _full_clean(obj, **kwargs) -> None:
    try:
        obj.full_clean(**kwargs)
    except ValidationError as exc:
        raise _refuse(exc) from exc


def _day_minutes(hours: DayHours) -> tuple[Interval, ...]:
    if isinstance(hours, str):
        return parse_hours(hours)
    pairs = []
    for start, end in hours:
        for value in (start, end):
            if value.second or value.microsecond:
                raise CalendarError(
                    _("Enter a time on a whole minute, e.g. 13:30."), field="intervals"
                )
        pairs.append((minute_of(start), end_minute_of(end)))
    return check_intervals(pairs, field="intervals")


def week_minutes(intervals: Mapping[int, DayHours]) -> dict[int, tuple[Interval, ...]]:
    """Checked weekly hours: weekdays 0 (Monday) to 6, no overlaps, some working time."""
    week = {}
    for weekday, hours in intervals.items():
        if weekday not in range(7):
            raise CalendarError(_("The weekday must be Monday to Sunday."), field="intervals")
        try:
            week[weekday] = _day_minutes(hours)
        except CalendarError as exc:
            raise CalendarError(exc.message, field="intervals") from exc
    if not any(week.values()):
        raise CalendarError(
            _("A calendar needs working time on at least one weekday."),
            code="calendar_no_working_time",
            field="intervals",
        )
    return week


def _as_time(minute: int) -> time:
    return time(0) if minute == MINUTES_PER_DAY else time(minute // 60, minute % 60)


def _touch(calendar: BusinessCalendar) -> None:
    """Changes to a calendar's rows invalidate its cached snapshot through `updated_at`."""
    calendar.save(update_fields=["updated_at"])


def calendar_set_week(
    *, calendar: BusinessCalendar, intervals: Mapping[int, DayHours]
) -> list[WorkingInterval]:
    """Replace the calendar's weekly working hours, e.g. {0: "09:00-12:00, 13:30-18:00", ...}.

    Weekdays left out have no working time. Raises CalendarError (field ``intervals``) for an
    inverted or overlapping interval, a weekday outside 0–6 or a week with no working time.
    """
    week = week_minutes(intervals)
    rows = [
        WorkingInterval(calendar=calendar, weekday=weekday, start=_as_time(s), end=_as_time(e))
        for weekday, day in sorted(week.items())
        for s, e in day
    ]
    with transaction.atomic():
        calendar.intervals.all().delete()
        WorkingInterval.objects.bulk_create(rows)
        _touch(calendar)
    return rows


@transaction.atomic
def calendar_create(
    *,
    name: str,
    intervals: Mapping[int, DayHours],
    time_zone: str = "Asia/Shanghai",
    is_default: bool = False,
    description: str = "",
) -> BusinessCalendar:
    """A new calendar with its weekly hours; the new default replaces the old one."""
    calendar = BusinessCalendar(
        name=name, time_zone=time_zone, is_default=is_default, description=description
    )
    week_minutes(intervals)  # refuse a calendar without working time before anything is written
    if is_default:
        BusinessCalendar.objects.filter(is_default=True).update(is_default=False)
    _full_clean(calendar)
    calendar.save()
    calendar_set_week(calendar=calendar, intervals=intervals)
    return calendar


def calendar_make_default(*, calendar: BusinessCalendar) -> BusinessCalendar:
    with transaction.atomic():
        BusinessCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(
            is_default=False
        )
        calendar.is_default = True
        calendar.save(update_fields=["is_default", "updated_at"])
    return calendar


def calendar_exception_add(
    *,
    calendar: BusinessCalendar,
    date: date,
    kind: str,
    name: str = "",
    hours: str = "",
    works_as_weekday: int = 0,
) -> CalendarException:
    """Add a holiday, make-up working day, half day or custom-hours day.

    Raises CalendarError (field ``date``) when the date is already listed, (field ``hours``) for
    bad hours or hours on a holiday.
    """
    exception = CalendarException(
        calendar=calendar,
        date=date,
        kind=kind,
        name=name,
        hours=hours,
        works_as_weekday=works_as_weekday,
    )
    _check_exception(exception)
    calendar_exception_check_hours(exception, calendar_weekly_pattern(calendar=calendar))
    with transaction.atomic():
        exception.save()
        _touch(calendar)
    return exception


def calendar_exception_check_hours(
    exception: CalendarException, week: tuple[tuple[Interval, ...], ...]
) -> None:
    """A working exception that borrows a weekday's hours must find some there."""
    if exception.kind != CalendarException.Kind.HOLIDAY and not exception.resolve(week):
        raise CalendarError(
            _("%(weekday)s has no working hours on this calendar; enter the hours for this day.")
            % {"weekday": Weekday(exception.works_as_weekday).label},
            code="calendar_no_hours",
            field="hours",
        )


def _check_exception(exception: CalendarException) -> None:
    try:
        exception.full_clean()
    except ValidationError as exc:
        for error in getattr(exc, "error_dict", {}).get(NON_FIELD_ERRORS, []):
            if error.code == "duplicate_date":
                raise CalendarError(
                    _("%(date)s is already listed for this calendar.")
                    % {"date": f"{exception.date:%Y-%m-%d}"},
                    code="calendar_duplicate_date",
                    field="date",
                ) from exc
        raise _refuse(exc) from exc


def calendar_exception_remove(*, exception: CalendarException) -> None:
    with transaction.atomic():
        exception.delete()
        _touch(exception.calendar)


# --- import from a file --------------------------------------------------------------------------

_KIND_ALIASES = {
    "holiday": CalendarException.Kind.HOLIDAY,
    "节假日": CalendarException.Kind.HOLIDAY,
    "假日": CalendarException.Kind.HOLIDAY,
    "休": CalendarException.Kind.HOLIDAY,
    "放假": CalendarException.Kind.HOLIDAY,
    "workday": CalendarException.Kind.WORKDAY,
    "make-up working day": CalendarException.Kind.WORKDAY,
    "调休": CalendarException.Kind.WORKDAY,
    "调休上班": CalendarException.Kind.WORKDAY,
    "班": CalendarException.Kind.WORKDAY,
    "上班": CalendarException.Kind.WORKDAY,
    "half_day": CalendarException.Kind.HALF_DAY,
    "half day": CalendarException.Kind.HALF_DAY,
    "半天": CalendarException.Kind.HALF_DAY,
    "custom": CalendarException.Kind.CUSTOM,
    "custom hours": CalendarException.Kind.CUSTOM,
    "自定义": CalendarException.Kind.CUSTOM,
}
_HEADER_ALIASES = {
    "日期": "date",
    "类型": "kind",
    "名称": "name",
    "工作时段": "hours",
    "时段": "hours",
    "按星期": "works_as_weekday",
}
_WEEKDAY_ALIASES = {
    **{str(i): i for i in range(7)},
    **{n: i for i, n in enumerate(["周一", "周二", "周三", "周四", "周五", "周六", "周日"])},
    **{
        n: i
        for i, n in enumerate(
            ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
        )
    },
    **{n: i for i, n in enumerate(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])},
}


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _parse_row(calendar: BusinessCalendar, row: Mapping[str, Any]) -> CalendarException:
    raw_date = row.get("date")
    if isinstance(raw_date, datetime):
        day = raw_date.date()
    elif isinstance(raw_date, date):
        day = raw_date
    else:
        try:
            day = date.fromisoformat(_cell(raw_date).replace("/", "-"))
        except ValueError as exc:
            raise CalendarError(
                _("“%(value)s” is not a date like 2027-10-01.") % {"value": _cell(raw_date)},
                field="date",
            ) from exc
    kind = _KIND_ALIASES.get(_cell(row.get("kind")).lower())
    if kind is None:
        raise CalendarError(
            _("“%(value)s” is not a kind: use holiday, workday, half_day or custom.")
            % {"value": _cell(row.get("kind"))},
            field="kind",
        )
    weekday_text = _cell(row.get("works_as_weekday")).lower()
    weekday = _WEEKDAY_ALIASES.get(weekday_text.removesuffix(".0")) if weekday_text else 0
    if weekday is None:
        raise CalendarError(
            _("“%(value)s” is not a weekday.") % {"value": weekday_text}, field="works_as_weekday"
        )
    return CalendarException(
        calendar=calendar,
        date=day,
        kind=kind,
        name=_cell(row.get("name")),
        hours=_cell(row.get("hours")),
        works_as_weekday=weekday,
    )


def calendar_import_exceptions(
    *, calendar: BusinessCalendar, rows: Iterable[Mapping[str, Any]], replace: bool = False
) -> ImportResult:
    """Import exception rows (keys date, kind, name, hours, works_as_weekday), all or nothing.

    A date listed twice in the rows is refused; a date the calendar already lists is refused unless
    `replace`, which overwrites it. Errors name the row (first data row is 1).
    """
    week = calendar_weekly_pattern(calendar=calendar)
    parsed: list[CalendarException] = []
    seen: dict[date, int] = {}
    for number, row in enumerate(rows, start=1):
        try:
            exception = _parse_row(calendar, row)
            if exception.date in seen:
                raise CalendarError(
                    _("%(date)s is listed twice (rows %(first)d and %(second)d).")
                    % {
                        "date": f"{exception.date:%Y-%m-%d}",
                        "first": seen[exception.date],
                        "second": number,
                    },
                    code="calendar_duplicate_date",
                    field="date",
                )
            seen[exception.date] = number
            _full_clean(exception, validate_unique=False, validate_constraints=False)
            calendar_exception_check_hours(exception, week)
        except CalendarError as exc:
            raise CalendarError(
                _("Row %(row)d: %(message)s") % {"row": number, "message": exc.message},
                code=exc.code,
                field=exc.field,
            ) from exc
        parsed.append(exception)
    with transaction.atomic():
        existing = {
            e.date: e
            for e in CalendarException.objects.select_for_update().filter(
                calendar=calendar, date__in=seen
            )
        }
        if existing and not replace:
            day = min(existing)
            raise CalendarError(
                _("Row %(row)d: %(date)s is already listed for this calendar.")
                % {"row": seen[day], "date": f"{day:%Y-%m-%d}"},
                code="calendar_duplicate_date",
                field="date",
            )
        for exception in parsed:
            if exception.date in existing:
                exception.pk = existing[exception.date].pk
        created = [e for e in parsed if e.pk is None]
        updated = [e for e in parsed if e.pk is not None]
        CalendarException.objects.bulk_create(created)
        CalendarException.objects.bulk_update(
            updated, ["kind", "name", "hours", "works_as_weekday"]
        )
        _touch(calendar)
    return ImportResult(created=len(created), updated=len(updated))


def read_exception_file(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a .csv (UTF-8, with or without BOM) or .xlsx file whose first row is the header.

    Headers in English (date, kind, name, hours, works_as_weekday) or Chinese (日期, 类型, 名称,
    工作时段, 按星期). Raises CalendarError for another file type.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:
            table = [list(r) for r in csv.reader(handle)]
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        table = [list(r) for r in workbook.active.iter_rows(values_only=True)]
        workbook.close()
    else:
        raise CalendarError(_("Import a .csv or .xlsx file."), field="file")
    if not table:
        return []
    headers = [_HEADER_ALIASES.get(_cell(h), _cell(h).lower()) for h in table[0]]
    return [dict(zip(headers, r, strict=False)) for r in table[1:] if any(_cell(v) for v in r)]


# --- seeding from chinesecalendar -----------------------------------------------------------------


@dataclass(frozen=True)
class SeedResult:
    created: int
    kept: int  # dates the calendar already listed, left as the administrator set them


def calendar_seed_official_days(*, calendar: BusinessCalendar, years: list[int]) -> SeedResult:
    """Add China's holidays and make-up working days for `years` from chinesecalendar.

    Idempotent: dates the calendar already lists are kept as they are. Raises CalendarError (field
    ``years``) for a year the package has no data for.
    """
    known = chinese.known_years()
    missing = [y for y in years if y not in known]
    if missing:
        raise CalendarError(
            _(
                "The chinesecalendar package has no holidays for %(years)s (it covers %(first)d–"
                "%(last)d); enter them by hand or import a file."
            )
            % {"years": ", ".join(map(str, missing)), "first": known.start, "last": known.stop - 1},
            field="years",
        )
    days = chinese.official_days(years)
    with transaction.atomic():
        listed = set(
            calendar.exceptions.filter(date__in=[d for d, _k, _n in days]).values_list(
                "date", flat=True
            )
        )
        rows = [
            CalendarException(calendar=calendar, date=day, kind=kind, name=name)
            for day, kind, name in days
            if day not in listed
        ]
        CalendarException.objects.bulk_create(rows)
        _touch(calendar)
    return SeedResult(created=len(rows), kept=len(days) - len(rows))
