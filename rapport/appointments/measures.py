"""Measures of the workshop: capacity utilisation per day and resource (and whether the load is
levelled: the spread between the busiest and the quietest day-part), booking lead time and the
no-show rate."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q

from rapport.appointments.models import Appointment, CapacityBucket


@dataclass
class Measures:
    first: date
    last: date
    per_resource_day: list[dict] = field(
        default_factory=list
    )  # resource, day, booked, bookable, percent
    per_day: list[dict] = field(default_factory=list)  # day, percent
    busiest_part: int | None = None  # percent of the busiest day-part with capacity
    quietest_part: int | None = None
    spread: int | None = None  # busiest − quietest, in percentage points
    booked: int = 0
    no_shows: int = 0
    arrived: int = 0
    no_show_rate: float | None = None  # no-shows / (arrived + no-shows)
    lead_time_days: float | None = None  # average days from booking to arrival time


def _percent(used: int, total: int) -> int:
    return round(100 * used / total) if total > 0 else 0


def workshop_measures(*, first: date, last: date) -> Measures:
    """Three queries, whatever the range."""
    result = Measures(first=first, last=last)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    per_part: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0])
    for bucket in (
        CapacityBucket.objects.filter(day__range=(first, last))
        .select_related("resource")
        .order_by("day", "resource__kind", "resource__name", "part")
    ):
        bookable = bucket.capacity_minutes - bucket.reserve_minutes
        result.per_resource_day.append(
            {
                "resource": bucket.resource.name,
                "kind": bucket.resource.kind,
                "day": bucket.day,
                "part": bucket.part,
                "booked": bucket.booked_minutes,
                "bookable": bookable,
                "percent": _percent(bucket.booked_minutes, bookable),
            }
        )
        per_day[bucket.day][0] += bucket.booked_minutes
        per_day[bucket.day][1] += bookable
        per_part[(bucket.day, bucket.part)][0] += bucket.booked_minutes
        per_part[(bucket.day, bucket.part)][1] += bookable
    result.per_day = [
        {"day": d, "percent": _percent(u, t)} for d, (u, t) in sorted(per_day.items())
    ]
    parts = [_percent(u, t) for u, t in per_part.values() if t > 0]
    if parts:
        result.busiest_part, result.quietest_part = max(parts), min(parts)
        result.spread = result.busiest_part - result.quietest_part
    counts = Appointment.objects.filter(day__range=(first, last)).aggregate(
        booked=Count("pk"),
        no_shows=Count("pk", filter=Q(state=Appointment.State.NO_SHOW)),
        arrived=Count("pk", filter=Q(state=Appointment.State.ARRIVED)),
    )
    result.booked, result.no_shows, result.arrived = (
        counts["booked"],
        counts["no_shows"],
        counts["arrived"],
    )
    if result.no_shows + result.arrived:
        result.no_show_rate = round(result.no_shows / (result.no_shows + result.arrived), 3)
    leads = [
        (starts - created).total_seconds()
        for starts, created in Appointment.objects.filter(day__range=(first, last))
        .exclude(state=Appointment.State.RESCHEDULED)
        .values_list("starts_at", "created_at")
    ]
    if leads:
        result.lead_time_days = round(
            sum(leads) / len(leads) / timedelta(days=1).total_seconds(), 1
        )
    return result
