"""Business calendars over HTTP: read the week and its exceptions, add or remove exceptions,
and ask the calendar for a due instant or the business minutes between two instants."""

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rapport.core.api import BodyIn, ErrorOut, IsoDatetime, QueryIn
from rapport.core.bounds import BoundedDate, InBounds
from rapport.core.calendar import add_business_minutes, business_minutes_between
from rapport.core.calendar.selectors import calendar_get, calendar_list, calendar_snapshot
from rapport.core.calendar.services import calendar_exception_add, calendar_exception_remove
from rapport.core.errors import Forbidden, NotFound
from rapport.core.models import BusinessCalendar, CalendarException

router = Router()
# The longest span the endpoints compute over: five years of days, a few milliseconds of work.
MAX_SPAN = timedelta(days=5 * 366)
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class IntervalOut(Schema):
    weekday: int
    start: str
    end: str


class ExceptionOut(Schema):
    date: date
    kind: str
    name: str
    hours: str
    works_as_weekday: int


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    is_default: bool
    description: str
    week: list[IntervalOut]


class CalendarDetailOut(CalendarOut):
    exceptions: list[ExceptionOut]


class ExceptionIn(BodyIn):
    date: BoundedDate
    kind: Literal["holiday", "workday", "half_day", "custom"]
    name: str = Field("", max_length=80)
    hours: str = Field("", max_length=200)
    works_as_weekday: int = Field(0, ge=0, le=6)


class DueOut(Schema):
    calendar_id: int
    start: datetime
    minutes: int
    due: datetime


class BetweenOut(Schema):
    calendar_id: int
    start: datetime
    end: datetime
    minutes: int


class YearFilter(QueryIn):
    year: int | None = Field(None, ge=2000, le=2100, description="Exceptions of this year only.")


def _out(calendar: BusinessCalendar) -> dict:
    week = [
        {
            "weekday": i.weekday,
            "start": i.start.strftime("%H:%M"),
            "end": "24:00" if i.end.hour == 0 and i.end.minute == 0 else i.end.strftime("%H:%M"),
        }
        for i in calendar.intervals.order_by("weekday", "start")
    ]
    return {
        "id": calendar.pk,
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "is_default": calendar.is_default,
        "description": calendar.description,
        "week": week,
    }


def _require_manage(request: HttpRequest) -> None:
    if not request.user.can("calendars.manage"):
        raise Forbidden(_("Only administrators change business calendars."))


@router.get("", response={200: list[CalendarOut], **ERRORS}, summary="List business calendars")
def list_calendars(request: HttpRequest):
    return [_out(c) for c in calendar_list().prefetch_related("intervals")]


@router.get(
    "/{int:calendar_id}", response={200: CalendarDetailOut, **ERRORS}, summary="Read a calendar"
)
def read_calendar(request: HttpRequest, calendar_id: int, filters: Query[YearFilter]):
    calendar = calendar_get(calendar_id=calendar_id)
    exceptions = calendar.exceptions.order_by("date")
    if filters.year:
        exceptions = exceptions.filter(date__year=filters.year)
    return {**_out(calendar), "exceptions": list(exceptions)}


@router.post(
    "/{int:calendar_id}/exceptions",
    response={201: ExceptionOut, **ERRORS},
    summary="Add a holiday, make-up working day (调休), half day or custom hours",
)
def add_exception(request: HttpRequest, calendar_id: int, payload: ExceptionIn):
    _require_manage(request)
    calendar = calendar_get(calendar_id=calendar_id)
    return Status(201, calendar_exception_add(calendar=calendar, **payload.model_dump()))


@router.delete(
    "/{int:calendar_id}/exceptions/{day}",
    response={204: None, **ERRORS},
    summary="Remove the exception on a date",
)
def remove_exception(request: HttpRequest, calendar_id: int, day: BoundedDate):
    _require_manage(request)
    calendar = calendar_get(calendar_id=calendar_id)
    exception = CalendarException.objects.filter(calendar=calendar, date=day).first()
    if exception is None:
        raise NotFound(_("That date has no exception."))
    calendar_exception_remove(exception=exception)
    return Status(204, None)


@router.get(
    "/{int:calendar_id}/due",
    response={200: DueOut, **ERRORS},
    summary="The instant N business minutes after a start",
)
def due(
    request: HttpRequest,
    calendar_id: int,
    start: Annotated[IsoDatetime, InBounds],
    minutes: int = Query(..., ge=0, le=10_000_000),
):
    if start.tzinfo is None:
        raise _naive("start")
    snapshot = calendar_snapshot(calendar=calendar_get(calendar_id=calendar_id))
    return {
        "calendar_id": calendar_id,
        "start": start,
        "minutes": minutes,
        "due": add_business_minutes(snapshot, start, minutes, within=MAX_SPAN),
    }


@router.get(
    "/{int:calendar_id}/between",
    response={200: BetweenOut, **ERRORS},
    summary="Business minutes between two instants",
)
def between(
    request: HttpRequest,
    calendar_id: int,
    start: Annotated[IsoDatetime, InBounds],
    end: Annotated[IsoDatetime, InBounds],
):
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise _naive(name)
    snapshot = calendar_snapshot(calendar=calendar_get(calendar_id=calendar_id))
    return {
        "calendar_id": calendar_id,
        "start": start,
        "end": end,
        "minutes": business_minutes_between(snapshot, start, end, within=MAX_SPAN),
    }


def _naive(field: str):
    from rapport.core.errors import DomainError

    return DomainError(
        _("Give the time with its zone, e.g. 2026-09-30T17:00:00+08:00."),
        code="naive_datetime",
        field=field,
    )
