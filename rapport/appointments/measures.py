"""Measures of the workshop: capacity utilisation per day and resource (and whether the load is
levelled: the spread between the busiest and the quietest day-part), booking lead time, the
no-show rate and, over the work orders opened in the period, on-time start and delivery, the
repeat-repair rate and how long the customer's authorisation took."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from rapport.appointments.models import Appointment, Authorisation, CapacityBucket, WorkOrder

# Work that starts within this long after the booked arrival time started on time.
ON_TIME_START_GRACE = timedelta(minutes=30)


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
    # resource, kind, booked, bookable, percent, busiest, quietest, spread (over its day-parts)
    per_resource: list[dict] = field(default_factory=list)
    work_orders: int = 0  # opened in the period
    repeats: int = 0
    repeat_rate: float | None = None  # repeats / work orders
    starts_booked: int = 0  # started orders that came from an appointment
    starts_on_time: int = 0  # … started within ON_TIME_START_GRACE of the arrival time
    on_time_start_rate: float | None = None
    deliveries_promised: int = 0  # delivered orders with a promised time
    deliveries_on_time: int = 0  # … delivered by it
    on_time_delivery_rate: float | None = None
    authorisations: int = 0  # authorisations counted in the wait
    authorisation_wait_minutes: float | None = None  # average wait for the customer's yes


def _percent(used: int, total: int) -> int:
    return round(100 * used / total) if total > 0 else 0


def workshop_measures(*, first: date, last: date) -> Measures:
    """Five queries, whatever the range."""
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
    day_parts: dict[date, list[int]] = defaultdict(list)
    for (d, _part), (u, t) in per_part.items():
        if t > 0:
            day_parts[d].append(_percent(u, t))
    result.per_day = [
        {"day": d, "percent": _percent(u, t), **_spread(day_parts.get(d, []))}
        for d, (u, t) in sorted(per_day.items())
    ]
    result.per_resource = _per_resource(result.per_resource_day)
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
        # (+ 0.0 turns a rounded −0.0 into 0.0, which reads "-0.0 天" otherwise)
        result.lead_time_days = (
            round(sum(leads) / len(leads) / timedelta(days=1).total_seconds(), 1) + 0.0
        )
    _work_order_measures(result)
    return result


def _spread(percents: list[int]) -> dict:
    if not percents:
        return {"busiest": None, "quietest": None, "spread": None}
    return {
        "busiest": max(percents),
        "quietest": min(percents),
        "spread": max(percents) - min(percents),
    }


def _per_resource(rows: list[dict]) -> list[dict]:
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    parts: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in rows:
        key = (row["kind"], row["resource"])
        totals[key][0] += row["booked"]
        totals[key][1] += row["bookable"]
        if row["bookable"] > 0:
            parts[key].append(row["percent"])
    return [
        {
            "kind": kind,
            "resource": name,
            "booked": booked,
            "bookable": bookable,
            "percent": _percent(booked, bookable),
            **_spread(parts[(kind, name)]),
        }
        for (kind, name), (booked, bookable) in sorted(totals.items())
    ]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _work_order_measures(result: Measures) -> None:
    """Over the work orders opened from `first` to `last` (local days). Two queries."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(result.first, time.min, tzinfo=zone)
    end = datetime.combine(result.last + timedelta(days=1), time.min, tzinfo=zone)
    opened = {}
    for pk, created, started, delivered, promised, repeat_of, arrival in WorkOrder.objects.filter(
        created_at__gte=start, created_at__lt=end
    ).values_list(
        "pk",
        "created_at",
        "started_at",
        "delivered_at",
        "promised_at",
        "repeat_of_id",
        "appointment__starts_at",
    ):
        opened[pk] = created
        result.work_orders += 1
        result.repeats += repeat_of is not None
        if started is not None and arrival is not None:
            result.starts_booked += 1
            result.starts_on_time += started <= arrival + ON_TIME_START_GRACE
        if delivered is not None and promised is not None:
            result.deliveries_promised += 1
            result.deliveries_on_time += delivered <= promised
    result.repeat_rate = _rate(result.repeats, result.work_orders)
    result.on_time_start_rate = _rate(result.starts_on_time, result.starts_booked)
    result.on_time_delivery_rate = _rate(result.deliveries_on_time, result.deliveries_promised)
    # The first authorisation waited from the opening of the order; a later one from the first
    # item it covers (work found on the way). A later one covering no item (more diagnosis time)
    # is not a wait of the customer's and is left out.
    waits = []
    seen: set[int] = set()
    for order_id, recorded, first_item in (
        Authorisation.objects.filter(
            work_order__created_at__gte=start, work_order__created_at__lt=end
        )
        .annotate(first_item=Min("items__added_at"))
        .order_by("work_order_id", "recorded_at", "pk")
        .values_list("work_order_id", "recorded_at", "first_item")
    ):
        if order_id not in seen:
            seen.add(order_id)
            waits.append(recorded - opened[order_id])
        elif first_item is not None:
            waits.append(recorded - first_item)
    if waits:
        result.authorisations = len(waits)
        result.authorisation_wait_minutes = round(
            sum(w.total_seconds() for w in waits) / len(waits) / 60, 1
        )
