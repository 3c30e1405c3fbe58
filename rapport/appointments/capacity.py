"""Reading the workshop's capacity and proposing levelled slots (平准化). Reads only.

A day-part is one working interval of a resource's calendar on a day (09:00–12:00 is part 0,
13:30–18:00 part 1 on the default calendar). An arrival takes `slot_minutes` of a service advisor
(reception, walk-around, work order); the job takes the service type's duration of a bay and,
when a skill is named, of a technician who has it. Each resource keeps a walk-in reserve per
day-part that bookings may not use.

Proposals score every bookable arrival time in the window by the load of the advisors and bays in
that day-part, the distance from the customer's wish, and peak days (the first working day after
a long holiday such as 春节 or 国庆, and Mondays), and return the best three on different days,
each with its reasons in words.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.appointments.models import (
    Appointment,
    CapacityBucket,
    Resource,
    ServiceType,
    WorkshopSettings,
)
from rapport.core.calendar import CalendarSnapshot
from rapport.core.calendar.selectors import calendar_get_default, calendar_snapshot
from rapport.core.models import BusinessCalendar, CalendarException

ONE_DAY = timedelta(days=1)
WINDOW_BEFORE_DAYS = 3
WINDOW_AFTER_DAYS = 14
LONG_BREAK_DAYS = 3  # a working day after this many days off in a row is a peak day
PEAK_PENALTY = 30.0
MONDAY_PENALTY = 8.0
DAY_DISTANCE_WEIGHT = 6.0
HOUR_DISTANCE_WEIGHT = 1.5


@dataclass(frozen=True)
class Part:
    resource_id: int
    day: date
    index: int
    starts_at: datetime
    ends_at: datetime

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass
class Proposal:
    starts_at: datetime
    ends_at: datetime
    advisor: Resource
    bay: Resource | None
    technician: Resource | None
    advisor_load: int  # percent of the day-part's advisor capacity booked
    bay_load: int
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def day(self) -> date:
        return timezone.localtime(self.starts_at).date()

    @property
    def reason(self) -> str:
        return "；".join(self.reasons) if self.reasons else ""


@dataclass
class Workshop:
    """Everything a proposal or a booking check needs for a range of days, loaded in a few
    queries: resources, their calendars, the capacity booked and the arrivals taken."""

    rules: WorkshopSettings
    first: date
    last: date
    advisors: list[Resource]
    bays: list[Resource]
    technicians: list[Resource]
    snapshots: dict[int | None, CalendarSnapshot]
    default: CalendarSnapshot
    holidays: dict[date, str]
    booked: dict[tuple[int, date, int], tuple[int, int, int]]  # capacity, reserve, booked
    arrivals: set[tuple[int, datetime]]
    arrivals_per_time: dict[datetime, int]
    _parts: dict[tuple[int, date], list[Part]] = field(default_factory=dict)

    # -- calendars --------------------------------------------------------------------------

    def calendar_of(self, resource: Resource) -> CalendarSnapshot:
        return self.snapshots.get(resource.calendar_id) or self.default

    def parts(self, resource: Resource, day: date) -> list[Part]:
        key = (resource.pk, day)
        found = self._parts.get(key)
        if found is None:
            cal = self.calendar_of(resource)
            found = [
                Part(resource.pk, day, i, s, e) for i, (s, e) in enumerate(cal.instants_on(day))
            ]
            self._parts[key] = found
        return found

    def part_holding(self, resource: Resource, start: datetime, end: datetime) -> Part | None:
        day = start.astimezone(self.default.zone).date()
        for part in self.parts(resource, day):
            if part.starts_at <= start and end <= part.ends_at:
                return part
        return None

    # -- capacity ---------------------------------------------------------------------------

    def capacity(self, resource: Resource, part: Part) -> tuple[int, int, int]:
        """(capacity, reserve, booked) minutes of a resource's day-part."""
        bucket = self.booked.get((resource.pk, part.day, part.index))
        if bucket is not None:
            return bucket
        return part.minutes, part.minutes * resource.walk_in_reserve_percent // 100, 0

    def free(self, resource: Resource, part: Part) -> int:
        capacity, reserve, booked = self.capacity(resource, part)
        return capacity - reserve - booked

    def load(self, resources: list[Resource], day: date, index: int) -> int:
        """Percent of the bookable minutes of these resources' day-part already booked."""
        total = used = 0
        for resource in resources:
            parts = self.parts(resource, day)
            if index < len(parts):
                capacity, reserve, booked = self.capacity(resource, parts[index])
                total += capacity - reserve
                used += booked
        return round(100 * used / total) if total > 0 else 100

    # -- peak days --------------------------------------------------------------------------

    def peak_reason(self, day: date) -> str:
        """Why `day` is a peak day, or "" when it is not."""
        if not self.default.intervals_on(day):
            return ""
        off, cursor, name = 0, day - ONE_DAY, ""
        while not self.default.intervals_on(cursor) and off < 30:
            name = name or self.holidays.get(cursor, "")
            off += 1
            cursor -= ONE_DAY
        if off >= LONG_BREAK_DAYS:
            if name:
                return _("the first working day after %(holiday)s is a peak day") % {
                    "holiday": name
                }
            return _("the first working day after a long break is a peak day")
        return ""

    def penalty(self, day: date) -> float:
        if self.peak_reason(day):
            return PEAK_PENALTY
        return MONDAY_PENALTY if day.weekday() == 0 else 0.0


def _snapshot_of(calendar: BusinessCalendar) -> CalendarSnapshot:
    return calendar_snapshot(calendar=calendar)


def workshop_load(*, first: date, last: date, service_type: ServiceType | None = None) -> Workshop:
    """Load the workshop for days `first`..`last` (inclusive). Five to seven queries."""
    rules = WorkshopSettings.current()
    resources = list(Resource.objects.filter(is_active=True).select_related("calendar"))
    default_calendar = rules.calendar or calendar_get_default()
    snapshots: dict[int | None, CalendarSnapshot] = {None: _snapshot_of(default_calendar)}
    for resource in resources:
        if resource.calendar_id and resource.calendar_id not in snapshots:
            snapshots[resource.calendar_id] = _snapshot_of(resource.calendar)
    holidays = dict(
        CalendarException.objects.filter(
            calendar=default_calendar,
            kind=CalendarException.Kind.HOLIDAY,
            date__range=(first - timedelta(days=30), last),
        ).values_list("date", "name")
    )
    # (capacity, reserve, booked) minutes as plain tuples: a 20-bay workshop has about a thousand
    # buckets in a fortnight, and building model instances for them cost a third of a proposal.
    booked = {
        (resource_id, day, part): (capacity, reserve, taken)
        for resource_id, day, part, capacity, reserve, taken in CapacityBucket.objects.filter(
            day__range=(first, last)
        ).values_list(
            "resource_id", "day", "part", "capacity_minutes", "reserve_minutes", "booked_minutes"
        )
    }
    arrivals: set[tuple[int, datetime]] = set()
    per_time: dict[datetime, int] = defaultdict(int)
    for advisor_id, starts_at in Appointment.objects.filter(
        day__range=(first, last), state__in=Appointment.HOLDING
    ).values_list("advisor_id", "starts_at"):
        arrivals.add((advisor_id, starts_at.astimezone(UTC)))
        per_time[starts_at.astimezone(UTC)] += 1
    kinds = defaultdict(list)
    for resource in resources:
        kinds[resource.kind].append(resource)
    technicians = kinds[Resource.Kind.TECHNICIAN]
    if service_type is not None and service_type.technician_skill:
        technicians = [t for t in technicians if service_type.technician_skill in t.skill_set]
    return Workshop(
        rules=rules,
        first=first,
        last=last,
        advisors=kinds[Resource.Kind.ADVISOR],
        bays=kinds[Resource.Kind.BAY],
        technicians=technicians,
        snapshots=snapshots,
        default=snapshots[None],
        holidays=holidays,
        booked=booked,
        arrivals=arrivals,
        arrivals_per_time=per_time,
    )


# -- choosing resources for one arrival time --------------------------------------------------


@dataclass
class Choice:
    advisor: Resource
    advisor_part: Part
    bay: Resource | None
    bay_part: Part | None
    technician: Resource | None
    technician_part: Part | None


def _least_loaded(
    shop: Workshop, resources: list[Resource], start: datetime, end: datetime, minutes: int
) -> tuple[Resource, Part] | None:
    best = None
    for resource in resources:
        part = shop.part_holding(resource, start, end)
        if part is None:
            continue
        free = shop.free(resource, part)
        if free < minutes:
            continue
        capacity, reserve, booked = shop.capacity(resource, part)
        ratio = booked / max(1, capacity - reserve)
        if best is None or (ratio, resource.pk) < best[0]:
            best = ((ratio, resource.pk), resource, part)
    return (best[1], best[2]) if best else None


def choose_resources(shop: Workshop, service_type: ServiceType, start: datetime) -> Choice | None:
    """The least-loaded advisor (free at `start`), bay and technician for an arrival at `start`,
    or None when one of them cannot be had."""
    start = start.astimezone(UTC)
    slot = timedelta(minutes=shop.rules.slot_minutes)
    end = start + timedelta(minutes=service_type.duration_minutes)
    free_advisors = [a for a in shop.advisors if (a.pk, start) not in shop.arrivals]
    advisor = _least_loaded(shop, free_advisors, start, start + slot, shop.rules.slot_minutes)
    if advisor is None:
        return None
    bay = technician = None
    if service_type.needs_bay:
        bay = _least_loaded(shop, shop.bays, start, end, service_type.duration_minutes)
        if bay is None:
            return None
    if service_type.technician_skill:
        technician = _least_loaded(
            shop, shop.technicians, start, end, service_type.duration_minutes
        )
        if technician is None:
            return None
    return Choice(
        advisor=advisor[0],
        advisor_part=advisor[1],
        bay=bay[0] if bay else None,
        bay_part=bay[1] if bay else None,
        technician=technician[0] if technician else None,
        technician_part=technician[1] if technician else None,
    )


# -- proposals ----------------------------------------------------------------------------------


def _arrival_times(shop: Workshop, day: date, earliest: datetime) -> list[tuple[int, datetime]]:
    """(day-part index, arrival time) on the advisors' grids of `day`, not before `earliest`."""
    step = timedelta(minutes=shop.rules.slot_minutes)
    times: set[tuple[int, datetime]] = set()
    for advisor in shop.advisors:
        for part in shop.parts(advisor, day):
            t = part.starts_at
            while t + step <= part.ends_at:
                if t >= earliest:
                    times.add((part.index, t))
                t += step
    return sorted(times, key=lambda x: x[1])


def _hours_from_wish(start: datetime, wish_time: time | None, zone: ZoneInfo) -> float:
    if wish_time is None:
        return 0.0
    local = start.astimezone(zone)
    return abs(local.hour * 60 + local.minute - wish_time.hour * 60 - wish_time.minute) / 60


def slot_proposals(
    *,
    service_type: ServiceType,
    wish: date | None = None,
    wish_time: time | None = None,
    now: datetime | None = None,
    count: int = 3,
    exclude: set[datetime] | None = None,
) -> list[Proposal]:
    """The `count` best arrival times for `service_type`, on different days where possible.

    The window runs from three days before the wish (never before the minimum notice) to
    fourteen days after it, within the booking horizon.
    """
    now = now or timezone.now()
    zone: ZoneInfo = timezone.get_current_timezone()
    today = now.astimezone(zone).date()
    wish = wish or today
    rules = WorkshopSettings.current()
    first = max(today, wish - timedelta(days=WINDOW_BEFORE_DAYS))
    last = min(wish + timedelta(days=WINDOW_AFTER_DAYS), today + timedelta(days=rules.horizon_days))
    if last < first:
        return []
    shop = workshop_load(first=first, last=last, service_type=service_type)
    earliest = (now + timedelta(minutes=rules.min_notice_minutes)).astimezone(UTC)
    best_per_part: dict[tuple[date, int], Proposal] = {}
    day = first
    while day <= last:
        penalty = shop.penalty(day)
        loads: dict[int, tuple[int, int]] = {}
        for index, start in _arrival_times(shop, day, earliest):
            if exclude and start in exclude:
                continue
            if index not in loads:
                loads[index] = (
                    shop.load(shop.advisors, day, index),
                    shop.load(shop.bays, day, index) if service_type.needs_bay else 0,
                )
            advisor_load, bay_load = loads[index]
            crowd = shop.arrivals_per_time.get(start, 0)
            score = (
                (advisor_load + bay_load) / 2
                + abs((day - wish).days) * DAY_DISTANCE_WEIGHT
                + _hours_from_wish(start, wish_time, zone) * HOUR_DISTANCE_WEIGHT
                + crowd * 4
                + penalty
            )
            current = best_per_part.get((day, index))
            if current is not None and current.score <= score:
                continue
            choice = choose_resources(shop, service_type, start)
            if choice is None:
                continue
            best_per_part[(day, index)] = Proposal(
                starts_at=start,
                ends_at=start + timedelta(minutes=service_type.duration_minutes),
                advisor=choice.advisor,
                bay=choice.bay,
                technician=choice.technician,
                advisor_load=advisor_load,
                bay_load=bay_load,
                score=score,
            )
        day += ONE_DAY
    ranked = sorted(best_per_part.values(), key=lambda p: (p.score, p.starts_at))
    chosen: list[Proposal] = []
    for proposal in ranked:  # different days first
        if len(chosen) < count and all(p.day != proposal.day for p in chosen):
            chosen.append(proposal)
    for proposal in ranked:  # then other day-parts
        if len(chosen) < count and proposal not in chosen:
            chosen.append(proposal)
    chosen.sort(key=lambda p: p.starts_at)
    peaks = [d for d in _days(first, last) if shop.peak_reason(d)]
    for proposal in chosen:
        proposal.reasons = _reasons(
            shop, proposal, wish=wish, wish_time=wish_time, peaks=peaks, service_type=service_type
        )
    return chosen


def _days(first: date, last: date):
    while first <= last:
        yield first
        first += ONE_DAY


def _reasons(
    shop: Workshop,
    proposal: Proposal,
    *,
    wish: date,
    wish_time: time | None,
    peaks: list[date],
    service_type: ServiceType,
) -> list[str]:
    reasons = []
    if service_type.needs_bay:
        reasons.append(
            _("workload that half-day: advisors %(advisors)d%%, bays %(bays)d%%")
            % {"advisors": proposal.advisor_load, "bays": proposal.bay_load}
        )
    else:
        reasons.append(
            _("workload that half-day: advisors %(advisors)d%%")
            % {"advisors": proposal.advisor_load}
        )
    distance = (proposal.day - wish).days
    if distance == 0:
        reasons.append(_("on the day the customer asked for"))
    elif distance > 0:
        reasons.append(_("%(days)d day(s) after the day asked for") % {"days": distance})
    else:
        reasons.append(_("%(days)d day(s) before the day asked for") % {"days": -distance})
    if wish_time and timezone.localtime(proposal.starts_at).time() == wish_time:
        reasons.append(_("at the time asked for"))
    peak = shop.peak_reason(proposal.day)
    if peak:
        reasons.append(_("busy: %(why)s") % {"why": peak})
    else:
        for day in peaks:
            reasons.append(
                _("avoids %(day)s: %(why)s")
                % {"day": day.isoformat(), "why": shop.peak_reason(day)}
            )
            break
        if proposal.day.weekday() == 0:
            reasons.append(_("Mondays are usually busy"))
    return reasons
