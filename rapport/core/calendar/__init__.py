"""The business calendar: working hours, holidays and make-up working days (调休).

`compute` holds the pure arithmetic over a `CalendarSnapshot`; `services` the writes and the
loading of snapshots. Import the computation from here.
"""

from rapport.core.calendar.compute import (
    HORIZON_DAYS,
    CalendarError,
    CalendarSnapshot,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
    is_working_time,
    next_working_instant,
)

__all__ = [
    "HORIZON_DAYS",
    "CalendarError",
    "CalendarSnapshot",
    "add_business_minutes",
    "add_business_time",
    "business_minutes_between",
    "business_time_between",
    "is_working_time",
    "next_working_instant",
]
