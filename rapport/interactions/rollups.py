"""Daily rollups of the effectiveness measures (互动日汇总), kept current by the worker.

The measures (rapport.interactions.measures) are sums: contacts per channel and direction with
their transfer flags, and the time in each agent status. `InteractionRollup` holds them per local
day (site time zone) and staff member, per channel and direction; `AgentStatusRollup` per local
day, staff member and status, the intervals split at local midnight. The measures read them for
the days that are current and compute the rest live — today, days changed since their last build,
days never built, and the part of a day a period cuts — so their figures are always exactly those
of a full recomputation (`measures_for(..., live=True)`), however far behind the worker is:

- Every service that changes a day's figures calls `rollup_touch` in its own transaction: the
  day's version goes up (interactions logged, corrected or transferred; a status changed).
- The worker (`interactions.rollups`) rebuilds each changed day before today from the rows, in
  one transaction, and records the version it read; a write that comes in meanwhile leaves the
  day changed for the next round. It also marks the days nobody wrote on (a weekend, the history
  before the rollups existed), so those are built too and a period is read in one run of days.
- `manage.py interaction_rollups --rebuild` rebuilds every day; `--check` compares the rollup
  with a full recomputation and fails on any difference (tests run both).

Once every day of a past month is current, the worker sums its day rows into month rows
(`whole_month`), so a period of years reads a row per person and month, not per day; a month is
read only while its days still add up to the versions it was built from (InteractionRollupMonth).

A team's figures sum its current members' rows (joined at read time), so a change of membership
needs no rebuild; a staff member deleted takes their rows with them, as their intervals go.

A status interval still open counts up to now. A past day holds its part whole (to midnight): the
interval can only be closed now, after that day, so closing it changes no past day. Time is
summed in microseconds and floored to seconds once, at the end, so the days add up to the period.

Rows written around the services (bulk seeding) are not rolled up until a rebuild; until then
their days are computed live, so nothing is wrong, only slower.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
)
from django.utils import timezone

from rapport.core.bounds import LATEST
from rapport.core.rollup_days import touch_days
from rapport.interactions.models import (
    AgentStatusInterval,
    AgentStatusRollup,
    Interaction,
    InteractionRollup,
    InteractionRollupDay,
    InteractionRollupMonth,
)

DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)
# With this many days older than a week to build (a first run, a worker stopped for long), the
# worker bounds its search for long intervals first: one pass over the intervals (about 2 s at
# 300k) instead of reading, for each old day, every interval that ended since (about 0.2 s).
CATCH_UP = 10

Range = tuple[datetime, datetime]


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# -- Marking days changed -----------------------------------------------------------------------


def rollup_touch(*, days: Iterable[date]) -> None:
    """The figures of these local days changed: count one more version of each (in the caller's
    transaction, one statement, in day order so two writers never wait on each other crosswise)."""
    touch_days(InteractionRollupDay, days)


# -- The live sums, for any ranges of instants --------------------------------------------------


def _any(parts: Iterable[Q]) -> Q:
    q = Q()
    for part in parts:
        q |= part
    return q


def _started_in(ranges: list[Range]) -> Q:
    return _any(Q(started_at__gte=a, started_at__lt=b) for a, b in ranges)


def interaction_counts_live(ranges: list[Range], staff_q: Q, *, by_staff: bool = False):
    """Per channel and direction (and staff member, `by_staff`): the interactions started in
    `ranges`, how many escalated, how many passed on. One grouped query."""
    if not ranges:
        return []
    grain = ["staff_id"] if by_staff else []
    return list(
        Interaction.objects.filter(staff_q, _started_in(ranges))
        .values(*grain, "channel", "direction")
        .annotate(
            n=Count("id"),
            escalated_n=Count("id", filter=Q(escalated=True)),
            passed_on_n=Count("id", filter=Q(passed_on=True)),
        )
        .order_by()
    )


def overlapping(start: datetime, end: datetime) -> Q:
    """Intervals overlapping [start, end), spelt so every branch can use the ended_at index:
    history grows without bound, and a plain `started_at < end` would scan all of it."""
    return (
        Q(ended_at__gt=start, ended_at__lte=end)
        | Q(ended_at__gt=end, started_at__lt=end)
        | Q(ended_at__isnull=True, started_at__lt=end)
    )


def _inside(a: datetime, b: datetime) -> Q:
    # Bounded on both sides on both indexed columns, so any plan reads one range.
    return Q(started_at__gte=a, started_at__lt=b, ended_at__gte=a, ended_at__lte=b)


def _crossing(a: datetime, b: datetime, longest: timedelta | None) -> list[Q]:
    """The intervals overlapping [a, b) without lying inside it, in three branches that each
    read one range of an index: those that end within it, those that start within it and run
    past its end (or are open), and those that span it. The last is bounded by `longest` (no
    interval is longer) when given; otherwise it reads the intervals that end after b (or
    are open), few when b is recent."""
    runs_past = Q(ended_at__gt=b) | Q(ended_at__isnull=True)
    if longest is not None:
        spanning = Q(started_at__gte=a - longest, started_at__lt=a) & runs_past
    else:
        spanning = Q(started_at__lt=a) & (
            Q(ended_at__gt=b, ended_at__lt=LATEST) | Q(ended_at__isnull=True)
        )
    return [
        Q(ended_at__gt=a, ended_at__lte=b, started_at__lt=a),
        Q(started_at__gte=a, started_at__lt=b) & runs_past,
        spanning,
    ]


def longest_interval(*, now: datetime) -> timedelta:
    """No status interval is longer, now or later, than this within any range before now: the
    longest closed one, or the time since the oldest open one started (closing it later cannot
    move its start). One pass over the intervals, for building many past days at once."""
    length = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    row = AgentStatusInterval.objects.aggregate(
        closed=Max(length, filter=Q(ended_at__isnull=False)),
        oldest_open=Min("started_at", filter=Q(ended_at__isnull=True)),
    )
    longest = row["closed"] or timedelta()
    if row["oldest_open"] is not None:
        longest = max(longest, now - row["oldest_open"])
    return longest + MICROSECOND


def status_time_live(
    ranges: list[Range],
    staff_q: Q,
    *,
    now: datetime,
    by_staff: bool = False,
    longest: timedelta | None = None,
) -> dict[tuple, int]:
    """Microseconds per status (per (staff id, status) when `by_staff`) of the intervals within
    `ranges` (disjoint), each range cut at `now` and each interval clipped to it; an open
    interval runs to now. Two queries: the intervals wholly inside a range are summed in the
    database; those that cross a range's edge or are open (about two per person and range) are
    clipped here. `longest` (longest_interval) bounds the search for intervals spanning a range
    that lies far in the past."""
    ranges = [(a, min(b, now)) for a, b in ranges if min(b, now) > a]
    if not ranges:
        return {}
    grain = ["staff_id"] if by_staff else []
    length = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    totals: dict[tuple, int] = {}
    whole = (
        AgentStatusInterval.objects.filter(staff_q, _any(_inside(a, b) for a, b in ranges))
        .values(*grain, "status")
        .annotate(total=Sum(length))
        .order_by()
    )
    for row in whole:
        key = tuple(row[name] for name in (*grain, "status"))
        totals[key] = totals.get(key, 0) + (row["total"] or timedelta()) // MICROSECOND
    crossing = _any(q for a, b in ranges for q in _crossing(a, b, longest))
    edges = AgentStatusInterval.objects.filter(crossing).order_by()
    if staff_q:
        # Asked of each row found, not joined: joined, the staff filter drives the search
        # through each person's whole history instead of the few rows at the ranges' edges.
        in_scope = AgentStatusInterval.objects.filter(staff_q, pk=OuterRef("pk"))
        edges = edges.alias(in_scope=Exists(in_scope)).filter(in_scope=True)
    rows = edges.values_list("staff_id", "status", "started_at", "ended_at")
    for staff_id, status, started_at, ended_at in rows:
        key = (staff_id, status) if by_staff else (status,)
        for a, b in ranges:
            part = min(ended_at or now, b) - max(started_at, a)
            if part > timedelta():
                totals[key] = totals.get(key, 0) + part // MICROSECOND
    return totals


# -- Building a day -----------------------------------------------------------------------------


def day_rows(
    day: date, *, longest: timedelta | None = None
) -> tuple[list[InteractionRollup], list[AgentStatusRollup]]:
    """The rollup rows of one past day, computed from its interactions and status intervals."""
    day_range = [(_start(day), _start(day + DAY))]
    contacts = [
        InteractionRollup(
            day=day,
            staff_id=row["staff_id"],
            channel=row["channel"],
            direction=row["direction"],
            interactions=row["n"],
            escalated=row["escalated_n"],
            passed_on=row["passed_on_n"],
        )
        for row in interaction_counts_live(day_range, Q(), by_staff=True)
    ]
    # A past day's end is before now: an interval still open counts to midnight.
    times = status_time_live(day_range, Q(), now=day_range[0][1], by_staff=True, longest=longest)
    statuses = [
        AgentStatusRollup(day=day, staff_id=staff_id, status=status, microseconds=total)
        for (staff_id, status), total in times.items()
        if total
    ]
    return contacts, statuses


def rollup_build_day(
    day: date, *, now: datetime | None = None, longest: timedelta | None = None
) -> bool:
    """Rebuild one day's rows; True when the day is current afterwards (no write came in).
    Today and later days are never built: they are still changing. `longest`: see
    longest_interval (computed at or before `now`)."""
    now = now or timezone.now()
    if day >= timezone.localdate(now):
        return False
    with transaction.atomic():
        marker, _created = InteractionRollupDay.objects.get_or_create(day=day)
        version = marker.version
        contacts, statuses = day_rows(day, longest=longest)
        InteractionRollup.objects.filter(day=day, whole_month=False).delete()
        AgentStatusRollup.objects.filter(day=day, whole_month=False).delete()
        # Its month's sums were made from the rows just replaced.
        InteractionRollupMonth.objects.filter(month=day.replace(day=1)).delete()
        InteractionRollup.objects.bulk_create(contacts, batch_size=1000)
        AgentStatusRollup.objects.bulk_create(statuses, batch_size=1000)
        return bool(
            InteractionRollupDay.objects.filter(pk=marker.pk, version=version).update(
                built_version=version, built_at=now
            )
        )


# -- Building a month ---------------------------------------------------------------------------


def _month_days(month: date) -> list[date]:
    following = (month + timedelta(days=32)).replace(day=1)
    return [month + timedelta(days=n) for n in range((following - month).days)]


def _current_versions(first: date, last: date) -> dict[date, int]:
    """The version of each day in [first, last] whose rollup is current."""
    return dict(
        InteractionRollupDay.objects.filter(
            built_version=F("version"), day__gte=first, day__lte=last
        ).values_list("day", "version")
    )


def _month_version(month: date, versions: dict[date, int]) -> int | None:
    """The sum of the month's day versions when every day of it is current, else None."""
    days = _month_days(month)
    if not all(day in versions for day in days):
        return None
    return sum(versions[day] for day in days)


def rollup_build_month(month: date, *, now: datetime | None = None) -> bool:
    """Sum a past month's day rows into its month rows, when every day of it is current;
    True when built."""
    now = now or timezone.now()
    days = _month_days(month)
    if days[-1] >= timezone.localdate(now):
        return False
    with transaction.atomic():
        version = _month_version(month, _current_versions(days[0], days[-1]))
        if version is None:
            return False
        day_rows_q = Q(whole_month=False, day__gte=days[0], day__lte=days[-1])
        InteractionRollup.objects.filter(whole_month=True, day=month).delete()
        AgentStatusRollup.objects.filter(whole_month=True, day=month).delete()
        contacts = (
            InteractionRollup.objects.filter(day_rows_q)
            .values("staff_id", "channel", "direction")
            .annotate(n=Sum("interactions"), e=Sum("escalated"), p=Sum("passed_on"))
            .order_by()
        )
        InteractionRollup.objects.bulk_create(
            [
                InteractionRollup(
                    day=month,
                    whole_month=True,
                    staff_id=row["staff_id"],
                    channel=row["channel"],
                    direction=row["direction"],
                    interactions=row["n"],
                    escalated=row["e"],
                    passed_on=row["p"],
                )
                for row in contacts
            ],
            batch_size=1000,
        )
        times = (
            AgentStatusRollup.objects.filter(day_rows_q)
            .values("staff_id", "status")
            .annotate(total=Sum("microseconds"))
            .order_by()
        )
        AgentStatusRollup.objects.bulk_create(
            [
                AgentStatusRollup(
                    day=month,
                    whole_month=True,
                    staff_id=row["staff_id"],
                    status=row["status"],
                    microseconds=row["total"],
                )
                for row in times
            ],
            batch_size=1000,
        )
        InteractionRollupMonth.objects.update_or_create(
            month=month, defaults={"days_version": version, "built_at": now}
        )
    return True


def rollup_build_months(*, now: datetime | None = None) -> int:
    """Build each past month whose days are all current and whose sums are missing or older
    than a day's build or write; returns how many."""
    now = now or timezone.now()
    this_month = timezone.localdate(now).replace(day=1)
    versions = _current_versions(date.min, this_month - DAY)
    built = dict(InteractionRollupMonth.objects.values_list("month", "days_version"))
    months = sorted({day.replace(day=1) for day in versions})
    due = [
        month
        for month in months
        if (version := _month_version(month, versions)) is not None and built.get(month) != version
    ]
    return sum(rollup_build_month(month, now=now) for month in due)


def _first_day() -> date | None:
    """The local day of the first interaction or status interval."""
    starts = [
        model.objects.order_by("started_at").values_list("started_at", flat=True).first()
        for model in (Interaction, AgentStatusInterval)
    ]
    starts = [s for s in starts if s is not None]
    return timezone.localdate(min(starts)) if starts else None


def _mark_unmarked_days(today: date) -> None:
    """Mark every day before today since the first row that no write marked (weekends, days
    before the rollups existed or before a bulk import), so the worker builds them too and a
    period is read in one run of days."""
    first = _first_day()
    if first is None or first >= today:
        return
    marked = set(
        InteractionRollupDay.objects.filter(day__gte=first, day__lt=today).values_list(
            "day", flat=True
        )
    )
    if len(marked) == (today - first).days:
        return
    days = (first + timedelta(days=n) for n in range((today - first).days))
    InteractionRollupDay.objects.bulk_create(
        [InteractionRollupDay(day=day) for day in days if day not in marked],
        batch_size=1000,
        ignore_conflicts=True,
    )


def rollup_sweep(*, now: datetime | None = None, limit: int = 60) -> int:
    """Rebuild the changed days before today, oldest first; returns how many were built."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    _mark_unmarked_days(today)
    days = list(
        InteractionRollupDay.objects.filter(day__lt=today)
        .exclude(built_version=F("version"))
        .order_by("day")
        .values_list("day", flat=True)[:limit]
    )
    old = sum(day < today - timedelta(days=7) for day in days)
    longest = longest_interval(now=now) if old >= CATCH_UP else None
    built = sum(rollup_build_day(day, now=now, longest=longest) for day in days)
    rollup_build_months(now=now)
    return built


def rollup_rebuild(*, now: datetime | None = None, log=None) -> int:
    """Build every day from the first interaction or status interval to yesterday, then every
    month; returns how many days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    day = _first_day()
    if day is None:
        return 0
    longest = longest_interval(now=now)
    InteractionRollupMonth.objects.all().delete()
    InteractionRollup.objects.filter(Q(day__gte=today) | Q(whole_month=True)).delete()
    AgentStatusRollup.objects.filter(Q(day__gte=today) | Q(whole_month=True)).delete()
    built = 0
    while day < today:
        rollup_build_day(day, now=now, longest=longest)
        built += 1
        if log and built % 30 == 0:
            log(f"  interaction rollups: {built} days, up to {day}")
        day += DAY
    rollup_build_months(now=now)
    return built


# -- Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How a period is read: `months` (their first days) read from the month rows, `days`,
    runs of the other whole days (first, last) read from the day rows, and `live`, the ranges of
    instants outside both, computed from the interactions and intervals."""

    months: list[date]
    days: list[tuple[date, date]]
    live: list[Range]

    @property
    def rolled(self) -> Q | None:
        """The rollup rows the plan reads, or None when it reads none."""
        if not (self.months or self.days):
            return None
        q = _any(Q(whole_month=False, day__gte=a, day__lte=b) for a, b in self.days)
        if self.months:
            q |= Q(whole_month=True, day__in=self.months)
        return q


def runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    out: list[tuple[date, date]] = []
    for day in days:
        if out and out[-1][1] + DAY == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def plan_for(*, start: datetime, end: datetime, now: datetime, live: bool = False) -> Plan:
    """Read [start, end): its whole days before today whose rollups are current (one query,
    none when the period holds no whole past day), a month of them at a time where the month
    rows are current (one more query, when the period holds a whole month), the rest live."""
    if end <= start:
        return Plan(months=[], days=[], live=[])
    first = timezone.localdate(start)
    if _start(first) < start:  # the period starts within a day: that day is partly live
        first += DAY
    last = min(timezone.localdate(end), timezone.localdate(now)) - DAY
    if live or first > last:
        return Plan(months=[], days=[], live=[(start, end)])
    versions = _current_versions(first, last)
    wanted = {
        month: version
        for month in sorted({day.replace(day=1) for day in versions})
        if (version := _month_version(month, versions)) is not None
    }
    months = []
    if wanted:
        built = InteractionRollupMonth.objects.filter(month__in=list(wanted)).values_list(
            "month", "days_version"
        )
        months = sorted(month for month, version in built if wanted[month] == version)
    in_months = {day for month in months for day in _month_days(month)}
    rest: list[Range] = []
    cursor = start
    for a, b in runs(sorted(versions)):
        if cursor < _start(a):
            rest.append((cursor, _start(a)))
        cursor = _start(b + DAY)
    if cursor < end:
        rest.append((cursor, end))
    days = runs(sorted(day for day in versions if day not in in_months))
    return Plan(months=months, days=days, live=rest)


def interaction_counts(*, plan: Plan, staff_q: Q) -> list[dict]:
    """Per channel and direction: n, escalated_n and passed_on_n over the plan's period."""
    totals: dict[tuple[str, str], dict] = {}

    def add(row: dict) -> None:
        key = (row["channel"], row["direction"])
        out = totals.setdefault(
            key,
            {"channel": key[0], "direction": key[1], "n": 0, "escalated_n": 0, "passed_on_n": 0},
        )
        for name in ("n", "escalated_n", "passed_on_n"):
            out[name] += row[name] or 0

    if plan.rolled is not None:
        rolled = (
            InteractionRollup.objects.filter(staff_q, plan.rolled)
            .values("channel", "direction")
            .annotate(
                n=Sum("interactions"),
                escalated_n=Sum("escalated"),
                passed_on_n=Sum("passed_on"),
            )
            .order_by()
        )
        for row in rolled:
            add(row)
    for row in interaction_counts_live(plan.live, staff_q):
        add(row)
    return list(totals.values())


def status_seconds(*, plan: Plan, staff_q: Q, now: datetime) -> dict[str, int]:
    """Whole seconds in each status over the plan's period (statuses with none left out)."""
    totals: dict[str, int] = {}
    if plan.rolled is not None:
        rolled = (
            AgentStatusRollup.objects.filter(staff_q, plan.rolled)
            .values("status")
            .annotate(total=Sum("microseconds"))
            .order_by()
        )
        for row in rolled:
            totals[row["status"]] = totals.get(row["status"], 0) + (row["total"] or 0)
    for (status,), total in status_time_live(plan.live, staff_q, now=now).items():
        totals[status] = totals.get(status, 0) + total
    seconds = {status: total // 1_000_000 for status, total in totals.items()}
    return {status: value for status, value in seconds.items() if value}


# -- Checking -----------------------------------------------------------------------------------


def rollup_check_days() -> list[str]:
    """Every current day's rows beside a recomputation from the interactions and intervals, and
    every current month's rows beside the sums of its days' rows: the differences, as lines
    (empty when the rollups are exact)."""
    differences = []
    longest = longest_interval(now=timezone.now())
    days = InteractionRollupDay.objects.filter(built_version=F("version")).order_by("day")
    for day in days.values_list("day", flat=True).iterator():
        contacts, statuses = day_rows(day, longest=longest)
        differences += _compare(f"{day}", day, False, contacts, statuses)
    for month, version in InteractionRollupMonth.objects.values_list("month", "days_version"):
        days = _month_days(month)
        if _month_version(month, _current_versions(days[0], days[-1])) != version:
            continue  # not read: to be built again
        contacts, statuses = _summed(month)
        differences += _compare(f"{month:%Y-%m}", month, True, contacts, statuses)
    return differences


def _summed(month: date) -> tuple[list[InteractionRollup], list[AgentStatusRollup]]:
    days = _month_days(month)
    rows = Q(whole_month=False, day__gte=days[0], day__lte=days[-1])
    contacts = [
        InteractionRollup(
            staff_id=r["staff_id"],
            channel=r["channel"],
            direction=r["direction"],
            interactions=r["n"],
            escalated=r["e"],
            passed_on=r["p"],
        )
        for r in InteractionRollup.objects.filter(rows)
        .values("staff_id", "channel", "direction")
        .annotate(n=Sum("interactions"), e=Sum("escalated"), p=Sum("passed_on"))
        .order_by()
    ]
    statuses = [
        AgentStatusRollup(staff_id=r["staff_id"], status=r["status"], microseconds=r["total"])
        for r in AgentStatusRollup.objects.filter(rows)
        .values("staff_id", "status")
        .annotate(total=Sum("microseconds"))
        .order_by()
    ]
    return contacts, statuses


def _compare(label: str, day: date, whole_month: bool, contacts, statuses) -> list[str]:
    differences = []
    for name, stored, fresh in (
        ("interactions", InteractionRollup, contacts),
        ("status", AgentStatusRollup, statuses),
    ):
        stored_set = _as_set(stored.objects.filter(day=day, whole_month=whole_month))
        fresh_set = _as_set(fresh)
        for row in sorted(stored_set - fresh_set):
            differences.append(f"{label} {name}: stored, not recomputed: {row}")
        for row in sorted(fresh_set - stored_set):
            differences.append(f"{label} {name}: recomputed, not stored: {row}")
    return differences


def _as_set(rows) -> set[tuple]:
    names = (
        "staff_id",
        "channel",
        "direction",
        "status",
        "interactions",
        "escalated",
        "passed_on",
        "microseconds",
    )
    return {tuple(getattr(r, n, None) for n in names) for r in rows}
