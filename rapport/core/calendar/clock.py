"""A pausable business-time clock: the arithmetic behind service-level targets. Pure.

A clock starts at an instant, may be paused and resumed any number of times, and may stop (the
target was met, e.g. the first response was sent). Its elapsed time is the business time of the
calendar inside its running segments only: paused time never counts, whatever the calendar says.

* ``clock_elapsed`` — business time run up to an instant.
* ``clock_instant_reaching`` — the earliest instant at which the elapsed time reaches an amount;
  None while the clock is paused (or stopped) short of it, because nobody can say when it will run
  again. The due instant is this for the target; the warning instant is this for a share of it.
* ``clock_read`` — everything a page or a sweep needs at one instant.

Changing the target (a new policy) keeps the time already run and moves only the due instant:
reading the same pauses with the new target gives the new due instant from the moment of change.
Reopening a ticket is a resume: a pause from the resolution to the reopening.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from rapport.core.calendar.compute import (
    CalendarSnapshot,
    add_business_time,
    business_time_between,
)


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None = None  # None: still paused


@dataclass(frozen=True)
class ClockReading:
    at: datetime
    target: timedelta
    elapsed: timedelta
    due_at: datetime | None  # None while paused or stopped short of the target
    warn_at: datetime | None
    paused: bool
    stopped: bool

    @property
    def remaining(self) -> timedelta:
        return self.target - self.elapsed

    @property
    def breached(self) -> bool:
        """Past the due instant while running (even outside working hours: 18:01 after a due
        18:00 is late), or run past the target; a stopped clock keeps the verdict it had when it
        stopped. The due instant itself is still in time."""
        if self.elapsed > self.target:
            return True
        return not self.stopped and self.due_at is not None and self.at > self.due_at

    @property
    def at_risk(self) -> bool:
        return not self.breached and self.warn_at is not None and self.at >= self.warn_at

    @property
    def share_used(self) -> float:
        if self.target <= timedelta(0):
            return 1.0
        return self.elapsed / self.target


def running_segments(
    *, started_at: datetime, pauses: tuple[Pause, ...] | list[Pause] = (), stopped_at=None
) -> list[tuple[datetime, datetime | None]]:
    """The clock's running stretches in order; the last ends None if it is still running.

    Raises ValueError for pauses out of order, overlapping, before the start, or still open
    when another follows.
    """
    segments: list[tuple[datetime, datetime | None]] = []
    cursor = started_at
    for i, pause in enumerate(pauses):
        if pause.start < cursor:
            raise ValueError("Pauses must follow the start and each other in order.")
        if pause.end is None and i != len(pauses) - 1:
            raise ValueError("Only the last pause may still be open.")
        if pause.end is not None and pause.end < pause.start:
            raise ValueError("A pause cannot end before it starts.")
        segments.append((cursor, pause.start))
        if pause.end is None:
            cursor = None
            break
        cursor = pause.end
    if cursor is not None:
        segments.append((cursor, None))
    if stopped_at is not None:
        clipped = []
        for start, end in segments:
            if start >= stopped_at:
                break
            clipped.append((start, stopped_at if end is None or end > stopped_at else end))
        segments = clipped
    return [(s, e) for s, e in segments if e is None or e > s]


def clock_elapsed(
    cal: CalendarSnapshot,
    *,
    started_at: datetime,
    at: datetime,
    pauses: tuple[Pause, ...] | list[Pause] = (),
    stopped_at: datetime | None = None,
) -> timedelta:
    total = timedelta(0)
    for start, end in running_segments(started_at=started_at, pauses=pauses, stopped_at=stopped_at):
        if start >= at:
            break
        stop = at if end is None or end > at else end
        total += business_time_between(cal, start, stop)
    return total


def clock_instant_reaching(
    cal: CalendarSnapshot,
    *,
    started_at: datetime,
    amount: timedelta,
    pauses: tuple[Pause, ...] | list[Pause] = (),
    stopped_at: datetime | None = None,
) -> datetime | None:
    """The earliest instant at which the clock has run `amount`, or None if it is paused or
    stopped before that."""
    run = timedelta(0)
    for start, end in running_segments(started_at=started_at, pauses=pauses, stopped_at=stopped_at):
        if end is None:
            return add_business_time(cal, start, amount - run)
        length = business_time_between(cal, start, end)
        if run + length >= amount:
            return add_business_time(cal, start, amount - run)
        run += length
    return None


def clock_read(
    cal: CalendarSnapshot,
    *,
    started_at: datetime,
    target: timedelta,
    at: datetime,
    pauses: tuple[Pause, ...] | list[Pause] = (),
    stopped_at: datetime | None = None,
    warn_share: float = 0.8,
) -> ClockReading:
    """The clock at instant `at`: elapsed, due and warning instants, paused, stopped."""
    if target <= timedelta(0):
        raise ValueError("A target must be a positive duration.")
    if not 0 < warn_share <= 1:
        raise ValueError("The warning share lies in (0, 1].")
    kwargs = {"started_at": started_at, "pauses": pauses, "stopped_at": stopped_at}
    return ClockReading(
        at=at,
        target=target,
        elapsed=clock_elapsed(cal, at=at, **kwargs),
        due_at=clock_instant_reaching(cal, amount=target, **kwargs),
        warn_at=clock_instant_reaching(cal, amount=target * warn_share, **kwargs),
        paused=bool(pauses) and pauses[-1].end is None and pauses[-1].start <= at,
        stopped=stopped_at is not None and stopped_at <= at,
    )
