"""Clocks follow their calendar (issue 15 #16).

Adding a holiday or a make-up day, or changing the hours of a business calendar, bumps its
`updated_at` (rapport.core.calendar.services). Every `rapport worker` runs
`sla_recompute_for_calendars` (rapport.sla.periodic): for a calendar newer than its
CalendarRecompute mark, each running or paused clock under it whose `calendar_version` is behind
is recomputed in its own transaction (so a worker stopped midway loses nothing and a clock is
never recomputed twice for one change), in batches; handlers registered by higher layers are told
of each due instant that moved (tickets put it on the timeline). Stopped clocks keep their verdict.
"""

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from rapport.core.models import BusinessCalendar
from rapport.sla.models import CalendarRecompute, ServiceClock

State = ServiceClock.State
OPEN_STATES = (State.RUNNING, State.PAUSED)

# (clock, due before, calendar) → None; called inside the clock's transaction.
DueMovedHandler = Callable[[ServiceClock, datetime | None, BusinessCalendar], None]
_due_moved_handlers: dict[str, DueMovedHandler] = {}


def on_due_moved(name: str) -> Callable[[DueMovedHandler], DueMovedHandler]:
    """Register a handler (by name, so importing twice registers once) told of every due
    instant a calendar change moved. Higher layers register at start-up (AppConfig.ready)."""

    def decorator(handler: DueMovedHandler) -> DueMovedHandler:
        _due_moved_handlers[name] = handler
        return handler

    return decorator


def _recompute(clock_id: int) -> bool:
    """Recompute one clock if it is behind its calendar; True when its due instant moved."""
    from rapport.sla.services import _locked, _refresh

    with transaction.atomic():
        clock = _locked(ServiceClock(pk=clock_id))
        calendar = BusinessCalendar.objects.get(pk=clock.policy.calendar_id)
        if clock.state not in OPEN_STATES or clock.calendar_version == calendar.updated_at:
            return False
        clock.policy.calendar = calendar  # fresh: the snapshot follows its updated_at
        before = clock.due_at
        _refresh(clock)
        if clock.due_at == before:
            return False
        for handler in _due_moved_handlers.values():
            handler(clock, before, calendar)
        return True


def sla_recompute_for_calendars(*, now: datetime | None = None, limit: int = 500) -> int:
    """Recompute up to `limit` open clocks behind their calendar; returns how many due instants
    moved. Cheap when nothing changed: one look at each calendar and its mark."""
    now = now or timezone.now()
    moved = 0
    budget = limit
    for calendar in BusinessCalendar.objects.order_by("pk"):
        mark, _created = CalendarRecompute.objects.get_or_create(calendar=calendar)
        if mark.done_for == calendar.updated_at or budget <= 0:
            continue
        behind = list(
            ServiceClock.objects.filter(policy__calendar=calendar, state__in=OPEN_STATES)
            .exclude(calendar_version=calendar.updated_at)
            .order_by("pk")
            .values_list("pk", flat=True)[:budget]
        )
        for clock_id in behind:
            moved += _recompute(clock_id)
        budget -= len(behind)
        if budget > 0:  # none left behind for this version of the calendar
            CalendarRecompute.objects.filter(pk=mark.pk).update(done_for=calendar.updated_at)
    return moved
