"""Daily rollups of service-level compliance (达标率日汇总), kept current by the worker.

The compliance figures (rapport.sla.selectors.ComplianceRow) of a period [start, end) are, per
group: stopped (clocks stopped in the period), met (of those, never breached) and carried (clocks
breached before `end` and still counting at `end`). The first two are sums over the days of the
period. Carried is a snapshot at one instant; it is kept here as per-day deltas — carried_in (a
clock breached that day) and carried_out (a breached clock stopped that day) — so that

    carried(E) = carried(A) + Σ (carried_in − carried_out) over the days between A and E,

for any anchor A: a CarriedSnapshot at the start of a month, or nothing (zero, before history).
Why deltas rather than a snapshot of every day: a write changes the deltas of at most two days
per clock (the day it breached, the day it stopped), so reassigning a ticket that breached a
year ago marks two days to rebuild, where per-day snapshots would mark every day since the
breach and leave them all to be computed live until the worker caught up. The monthly snapshots
keep the read short however long the history is: the table reads one snapshot and the days of
its month, the 12-month trend 13 snapshots and a year of one row per day.

ComplianceRollup holds the counts per local day (site time zone), clock kind and group (each
grain: the ticket's current team, assignee, type, channel, priority, kind, or all). The page
reads them for the days that are current and computes the rest live from the clocks — today,
days changed since their last build, days never built — so its figures are always exactly
those of the live computation, however far behind the worker is:

- Every write that changes a day's counts calls `rollup_touch` (through `rollup_clock_changed`
  or `rollup_tickets_regrouped`) in its own transaction: the day's version goes up. The sla
  services do it for every start, pause, resume, stop, retarget and breach; tickets call
  `clocks_regroup` when a ticket's team, assignee, type, channel, priority or kind changes.
- The worker (`sla.rollups`) rebuilds each changed day before today from the clocks, in one
  transaction, and records the version it read; a write that comes in meanwhile leaves the day
  changed for the next round. A day's rows are what the live computation gives for that day
  (`_live`), so a current day reads exactly as live.
- A snapshot records the sum of the versions of the days before it when it was computed; a
  write to any of those days raises the sum, and the snapshot is not used until the worker
  computes it again (a write that changes carried(E) always changes a day before E: the day the
  clock breached or stopped).
- `manage.py sla_rollups --rebuild` rebuilds every day and snapshot; `--check` compares every
  current day and snapshot with a recomputation from the clocks and fails on any difference.

Rows written around the services (bulk seeding) are not rolled up until a rebuild; days never
built are computed live, so nothing is wrong, only slower. Snapshots exist once a rebuild made
them; until then the carried count is summed from the start of history.
"""

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Func, Min, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from rapport.core.rollup_days import touch_days
from rapport.sla.models import (
    CarriedCount,
    CarriedSnapshot,
    ComplianceRollup,
    ComplianceRollupDay,
    ServiceClock,
)
from rapport.staff.models import Team

Grain = ComplianceRollup.Grain
STOPPED = ServiceClock.State.STOPPED
KINDS = tuple(ServiceClock.Kind.values)
GRAINS = tuple(Grain.values)
# The ticket's fields each grain groups by, reached by name (sla never imports tickets).
FIELDS = {
    Grain.TEAM: "ticket__team_id",
    Grain.PERSON: "ticket__assignee_id",
    Grain.TYPE: "ticket__ticket_type_id",
    Grain.CHANNEL: "ticket__interaction__channel",
    Grain.PRIORITY: "ticket__priority",
    Grain.KIND: "ticket__kind",
}
INTEGER_KEYS = {Grain.TEAM, Grain.PERSON, Grain.TYPE, Grain.PRIORITY}
# Reads look for a current snapshot this far either side of the instants they need.
SNAPSHOT_WINDOW = timedelta(days=92)

Range = tuple[datetime | None, datetime]  # [start, end); start None: since the beginning
Key = tuple[str, str, str | None]  # (clock kind, grain, key as text)


def _day(instant: datetime) -> date:
    """The site's local day of an instant (the site time zone, whatever zone is active)."""
    return timezone.localtime(instant, timezone.get_default_timezone()).date()


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def _next(day: date) -> date:
    return day + timedelta(days=1)


def _text(value) -> str | None:
    return None if value is None else str(value)


def key_value(grain: str, text: str | None):
    """A stored key back as the value the live query groups by (an id or priority as int)."""
    if text is None or grain not in INTEGER_KEYS:
        return text
    return int(text)


# -- Marking days changed -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClockFacts:
    """What a clock's contribution to the counts depends on (its group aside)."""

    kind: str
    state: str
    stopped_at: datetime | None
    breached_at: datetime | None

    @classmethod
    def of(cls, clock: ServiceClock) -> "ClockFacts":
        return cls(clock.kind, clock.state, clock.stopped_at, clock.breached_at)

    def counts(self) -> dict[date, tuple[int, int, int, int]]:
        """(stopped, met, carried_in, carried_out) this clock adds to each local day, as `_live`
        counts them."""
        out: dict[date, list[int]] = {}
        stopped, breached = self.stopped_at, self.breached_at
        if self.state == STOPPED and stopped is not None:
            row = out.setdefault(_day(stopped), [0, 0, 0, 0])
            row[0] += 1
            row[1] += breached is None
        if breached is not None and (stopped is None or stopped >= breached):
            out.setdefault(_day(breached), [0, 0, 0, 0])[2] += 1
            if stopped is not None:
                out.setdefault(_day(stopped), [0, 0, 0, 0])[3] += 1
        return {day: (row[0], row[1], row[2], row[3]) for day, row in out.items()}


def changed_days(before: ClockFacts | None, after: ClockFacts | None) -> set[date]:
    """The days whose counts differ between a clock before and after a write (None: no clock)."""
    old = before.counts() if before else {}
    new = after.counts() if after else {}
    if before and after and before.kind != after.kind:
        return set(old) | set(new)
    return {day for day in set(old) | set(new) if old.get(day) != new.get(day)}


def rollup_touch(days: Iterable[date]) -> None:
    """The counts of these days changed: count one more version of each, in the caller's
    transaction (one statement, in day order, so two writes to the same days wait instead of
    deadlocking)."""
    touch_days(ComplianceRollupDay, days)


def rollup_clock_changed(before: ClockFacts | None, after: ClockFacts | None) -> None:
    rollup_touch(changed_days(before, after))


def rollup_tickets_regrouped(*, ticket_ids: Iterable[int]) -> None:
    """The tickets' team, assignee, type, channel, priority or kind changed: every day their
    clocks count in changed (their counts moved from one group to another)."""
    days: set[date] = set()
    facts = ServiceClock.objects.filter(ticket_id__in=list(ticket_ids)).values_list(
        "kind", "state", "stopped_at", "breached_at"
    )
    for row in facts:
        days.update(ClockFacts(*row).counts())
    rollup_touch(days)


# -- The live counts, for any instant ranges ----------------------------------------------------

Table = dict[Key, list[int]]  # (kind, grain, key) → [stopped, met, carried_in, carried_out]


def _add(table: Table, key: Key, counts) -> None:
    row = table.setdefault(key, [0, 0, 0, 0])
    for i, value in enumerate(counts):
        row[i] += value


def _between(field: str, start: datetime | None, end: datetime) -> Q:
    q = Q(**{f"{field}__lt": end})
    return q & Q(**{f"{field}__gte": start}) if start is not None else q


# Breached, and not stopped before it breached (else it was never carried).
CARRIED_EVER = Q(breached_at__isnull=False) & (
    Q(stopped_at__isnull=True) | Q(stopped_at__gte=F("breached_at"))
)


def _aggregates(n: int, start: datetime | None, end: datetime) -> dict:
    stopped = Q(state=STOPPED) & _between("stopped_at", start, end)
    return {
        f"s{n}": Count("id", filter=stopped),
        f"m{n}": Count("id", filter=stopped & Q(breached_at__isnull=True)),
        f"i{n}": Count("id", filter=_between("breached_at", start, end) & CARRIED_EVER),
        f"o{n}": Count("id", filter=_between("stopped_at", start, end) & CARRIED_EVER),
    }


def _live(ranges: list[Range], *, kinds, grains) -> list[Table]:
    """For each instant range, the four counts per (kind, grain, key) computed from the clocks;
    one query. Each condition names the kind, so each is one range of an index."""
    tables: list[Table] = [{} for _range in ranges]
    if not ranges:
        return tables
    where = Q()
    for kind in kinds:
        for start, end in ranges:
            for field in ("stopped_at", "breached_at"):
                where |= Q(kind=kind) & _between(field, start, end)
    fields = list(dict.fromkeys(FIELDS[g] for g in grains if g != Grain.ALL))
    aggregates: dict = {}
    for n, (start, end) in enumerate(ranges):
        aggregates |= _aggregates(n, start, end)
    rows = ServiceClock.objects.filter(where).values("kind", *fields).annotate(**aggregates)
    for row in rows.order_by():
        for n, table in enumerate(tables):
            counts = (row[f"s{n}"], row[f"m{n}"], row[f"i{n}"], row[f"o{n}"])
            if not any(counts):
                continue
            for grain in grains:
                key = None if grain == Grain.ALL else _text(row[FIELDS[grain]])
                _add(table, (row["kind"], grain, key), counts)
    return tables


# -- Building a day -----------------------------------------------------------------------------


def day_rows(day: date) -> list[ComplianceRollup]:
    """The rollup rows of one day: the live counts of its instants, for every kind and grain."""
    (table,) = _live([(_start(day), _start(_next(day)))], kinds=KINDS, grains=GRAINS)
    return [
        ComplianceRollup(
            day=day,
            clock_kind=kind,
            grain=grain,
            key=key,
            stopped=c[0],
            met=c[1],
            carried_in=c[2],
            carried_out=c[3],
        )
        for (kind, grain, key), c in table.items()
    ]


def rollup_build_day(day: date, *, now: datetime | None = None) -> bool:
    """Rebuild one day's rows; True when the day is current afterwards (no write came in)."""
    now = now or timezone.now()
    with transaction.atomic():
        ComplianceRollupDay.objects.get_or_create(day=day)
        # Locked: a second builder (the worker beside --rebuild) waits instead of doubling rows.
        marker = ComplianceRollupDay.objects.select_for_update().get(day=day)
        version = marker.version
        ComplianceRollup.objects.filter(day=day).delete()
        ComplianceRollup.objects.bulk_create(day_rows(day), batch_size=1000)
        return bool(
            ComplianceRollupDay.objects.filter(pk=marker.pk, version=version).update(
                built_version=version, built_at=now
            )
        )


# -- Snapshots of the carried count -------------------------------------------------------------


def _versions(days: QuerySet) -> Coalesce:
    """The sum of the versions of `days` (a query of ComplianceRollupDay), as a subquery."""
    total = days.order_by().values(total=Func(F("version"), function="SUM"))
    return Coalesce(Subquery(total), Value(0))


def _versions_sum(before: date) -> int:
    return ComplianceRollupDay.objects.filter(day__lt=before).aggregate(
        n=Coalesce(Sum("version"), Value(0))
    )["n"]


def current_snapshots(*, first: date | None = None, last: date | None = None) -> dict[date, int]:
    """The snapshots in [first, last] that are current: day → id."""
    qs = CarriedSnapshot.objects.filter(versions__isnull=False)
    if first is not None:
        qs = qs.filter(day__gte=first)
    if last is not None:
        qs = qs.filter(day__lte=last)
    # The days before a snapshot are all days but those since it: the sum over all days is
    # read once, and each snapshot reads only the days since it, not the whole history.
    qs = qs.annotate(
        every=_versions(ComplianceRollupDay.objects.all()),
        since=_versions(ComplianceRollupDay.objects.filter(day__gte=OuterRef("day"))),
    ).filter(versions=F("every") - F("since"))
    return dict(qs.values_list("day", "pk"))


def _snapshot_counts(ids: Iterable[int], *, kinds, grains) -> dict[int, dict[Key, int]]:
    out: dict[int, dict[Key, int]] = {}
    rows = CarriedCount.objects.filter(
        snapshot_id__in=list(ids), clock_kind__in=kinds, grain__in=grains
    ).values_list("snapshot_id", "clock_kind", "grain", "key", "carried")
    for snapshot_id, kind, grain, key, carried in rows:
        out.setdefault(snapshot_id, {})[(kind, grain, key)] = carried
    return out


def month_starts(first: date, last: date) -> list[date]:
    """The first days of the months from the one holding `first` to the one holding `last`."""
    out = []
    day = first.replace(day=1)
    while day <= last:
        out.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return out


def snapshot_build(day: date, *, now: datetime | None = None) -> None:
    """Compute the carried count at the start of `day` and record the versions it read.

    The versions are read first, and the count only from the days before `day` (the latest
    current snapshot before it, or none, plus the days between): a write that changes any part
    of it raises those versions, so a snapshot computed across a write is never taken as
    current."""
    now = now or timezone.now()
    with transaction.atomic():
        versions = _versions_sum(day)
        CarriedSnapshot.objects.get_or_create(day=day)
        snapshot = CarriedSnapshot.objects.select_for_update().get(day=day)
        earlier = current_snapshots(last=day - timedelta(days=1))
        anchors = [max(earlier) if earlier else None]
        at = [_start(day)]
        deltas = _sums(_carried_ranges(at, anchors), kinds=KINDS, grains=GRAINS, today=None)
        (table,) = _carried(at, anchors, deltas, earlier, kinds=KINDS, grains=GRAINS)
        # A deleted team's rows keep its id while its tickets now count as no team, so the sum
        # can move a clock between the two keys (breached on a day still read from the rollup,
        # stopped on a day rebuilt since): stored folded, as every reader folds them.
        teams = {str(pk) for pk in Team.objects.values_list("pk", flat=True)}
        folded = _folded({key: (n,) for key, n in table.items()}, teams)
        CarriedCount.objects.filter(snapshot=snapshot).delete()
        CarriedCount.objects.bulk_create(
            [
                CarriedCount(snapshot=snapshot, clock_kind=k, grain=g, key=key, carried=n)
                for (k, g, key), (n,) in folded.items()
                if n
            ],
            batch_size=1000,
        )
        CarriedSnapshot.objects.filter(pk=snapshot.pk).update(versions=versions, built_at=now)


# -- Reading ------------------------------------------------------------------------------------


def current_days(*, first: date | None, last: date, today: date | None) -> list[date]:
    """The days in [first, last] before today whose rollup is current, in order."""
    qs = ComplianceRollupDay.objects.filter(built_version=F("version"), day__lte=last)
    if first is not None:
        qs = qs.filter(day__gte=first)
    if today is not None:
        qs = qs.filter(day__lt=today)
    return list(qs.order_by("day").values_list("day", flat=True))


def _pieces(start: datetime | None, end: datetime, days: list[date]) -> tuple[list, list[Range]]:
    """[start, end) as the current `days` wholly inside it and the instant ranges between them."""
    whole: list[date] = []
    gaps: list[Range] = []
    cursor = start
    first = 0 if start is None else bisect_left(days, _day(start))
    for day in days[first:]:
        begins, ends = _start(day), _start(_next(day))
        if ends > end:
            break
        if start is not None and begins < start:
            continue
        if cursor is None or cursor < begins:
            gaps.append((cursor, begins))
        whole.append(day)
        cursor = ends
    if cursor is None or cursor < end:
        gaps.append((cursor, end))
    return whole, gaps


def _sums(ranges: list[Range], *, kinds, grains, today: date | None) -> list[Table]:
    """For each range, the four counts per (kind, grain, key): the rollup rows of its current
    days and the live counts of the rest. Three queries, however many ranges."""
    if not ranges:
        return []
    starts = [s for s, _e in ranges]
    first = None if None in starts else min(_day(s) for s in starts)
    last = max(_day(e) for _s, e in ranges)
    days = current_days(first=first, last=last, today=today)
    plans = [_pieces(start, end, days) for start, end in ranges if start is None or start < end]
    wanted = sorted({day for whole, _gaps in plans for day in whole})
    by_day: dict[date, list[tuple[Key, tuple]]] = {}
    if wanted:
        rows = ComplianceRollup.objects.filter(
            clock_kind__in=kinds, grain__in=grains, day__gte=wanted[0], day__lte=wanted[-1]
        ).values_list(
            "day", "clock_kind", "grain", "key", "stopped", "met", "carried_in", "carried_out"
        )
        for day, kind, grain, key, *counts in rows:
            by_day.setdefault(day, []).append(((kind, grain, key), counts))
    gaps = list(dict.fromkeys(gap for _whole, gs in plans for gap in gs))
    live = dict(zip(gaps, _live(gaps, kinds=kinds, grains=grains), strict=True))
    out: list[Table] = []
    plan = iter(plans)
    for start, end in ranges:
        table: Table = {}
        if start is None or start < end:
            whole, gs = next(plan)
            for day in whole:
                for key, counts in by_day.get(day, ()):
                    _add(table, key, counts)
            for gap in gs:
                for key, counts in live[gap].items():
                    _add(table, key, counts)
        out.append(table)
    return out


def _carried_ranges(ends: list[datetime], anchors: list[date | None]) -> list[Range]:
    """The ranges whose deltas lead from each anchor (a snapshot's day, or None: the
    beginning) to its instant."""
    ranges: list[Range] = []
    for end, anchor in zip(ends, anchors, strict=True):
        at = _start(anchor) if anchor else None
        ranges.append((at, end) if at is None or at <= end else (end, at))
    return ranges


def _carried(
    ends: list[datetime],
    anchors: list[date | None],
    deltas: list[Table],
    snapshots: dict[date, int],
    *,
    kinds,
    grains,
) -> list[dict[Key, int]]:
    """The carried count at each instant of `ends`: its anchor's snapshot plus (or, for an
    anchor after it, minus) the deltas of `_carried_ranges`."""
    counts = _snapshot_counts(
        {snapshots[a] for a in anchors if a is not None}, kinds=kinds, grains=grains
    )
    out = []
    for end, anchor, delta in zip(ends, anchors, deltas, strict=True):
        carried = dict(counts.get(snapshots[anchor], {})) if anchor else {}
        sign = -1 if anchor and _start(anchor) > end else 1
        for key, (_s, _m, came_in, went_out) in delta.items():
            carried[key] = carried.get(key, 0) + sign * (came_in - went_out)
        out.append(carried)
    return out


def _anchor(end: datetime, snapshots: dict[date, int]) -> date | None:
    """The current snapshot nearest to `end` (fewest days to add or take away), or None."""
    if not snapshots:
        return None
    return min(snapshots, key=lambda day: (abs(_start(day) - end), day))


@dataclass(frozen=True)
class Counts:
    stopped: int = 0
    met: int = 0
    carried: int = 0


def compliance_counts(
    *, kinds: list[str], periods: list[tuple[datetime, datetime]], grain: str = Grain.ALL
) -> dict[str, list[dict[object, Counts]]]:
    """For each clock kind and each period [start, end), the compliance counts per group of
    `grain` (keys as the live query groups them; grain "all": the one key None). Exactly the
    live figures: rollup rows for the current days, the clocks for the rest; five queries
    however many kinds and periods."""
    today = _day(timezone.now())
    ends = [end for _start_, end in periods]
    first = min(_day(e) for e in ends) - SNAPSHOT_WINDOW
    last = min(max(_day(e) for e in ends) + SNAPSHOT_WINDOW, today)
    snapshots = current_snapshots(first=first, last=last)
    anchors = [_anchor(end, snapshots) for end in ends]
    grains = [grain]
    tables = _sums(
        [*periods, *_carried_ranges(ends, anchors)], kinds=kinds, grains=grains, today=today
    )
    stopped, deltas = tables[: len(periods)], tables[len(periods) :]
    carried = _carried(ends, anchors, deltas, snapshots, kinds=kinds, grains=grains)
    out: dict[str, list[dict[object, Counts]]] = {kind: [] for kind in kinds}
    for table, open_ in zip(stopped, carried, strict=True):
        for kind in kinds:
            figures: dict[object, Counts] = {}
            for k, _g, key in set(table) | set(open_):
                if k == kind:
                    s_, m, _i, _o = table.get((kind, grain, key), (0, 0, 0, 0))
                    figures[key_value(grain, key)] = Counts(s_, m, open_.get((kind, grain, key), 0))
            out[kind].append(figures)
    return out


# -- The worker, the rebuild and the check ------------------------------------------------------


def rollup_sweep(*, now: datetime | None = None, limit: int = 60) -> int:
    """Rebuild the changed days before today, oldest first, then the snapshots they made stale
    (and the one of a month just begun); returns how many days and snapshots were built.
    Snapshots are kept once a rebuild has made the first of them."""
    now = now or timezone.now()
    today = _day(now)
    days = list(
        ComplianceRollupDay.objects.filter(day__lt=today)
        .exclude(built_version=F("version"))
        .order_by("day")
        .values_list("day", flat=True)[:limit]
    )
    built = sum(rollup_build_day(day, now=now) for day in days)
    first = CarriedSnapshot.objects.order_by("day").values_list("day", flat=True).first()
    if first is None:
        return built
    for day in month_starts(first, today):
        CarriedSnapshot.objects.get_or_create(day=day)
    current = current_snapshots()
    stale = CarriedSnapshot.objects.exclude(day__in=list(current)).order_by("day")
    for day in list(stale.values_list("day", flat=True)[:limit]):
        snapshot_build(day, now=now)
        built += 1
    return built


def _first_day() -> date | None:
    instants = ServiceClock.objects.aggregate(
        stopped=Min("stopped_at"), breached=Min("breached_at")
    )
    found = [i for i in instants.values() if i is not None]
    return _day(min(found)) if found else None


def rollups_built() -> bool:
    """Whether a rebuild has made the snapshots (since when the worker keeps them)."""
    return CarriedSnapshot.objects.exists()


def rollup_rebuild(*, now: datetime | None = None, log=None) -> int:
    """Build every day from the first stop or breach up to yesterday (and any other day that
    has a row, so nothing is left from clocks since gone), then a snapshot at the start of every
    month from its month to this one; returns how many days."""
    now = now or timezone.now()
    today = _day(now)
    first = _first_day()
    days = set(ComplianceRollupDay.objects.filter(day__lt=today).values_list("day", flat=True))
    starts = set(CarriedSnapshot.objects.filter(day__lte=today).values_list("day", flat=True))
    if first is not None:
        days.update(first + timedelta(days=n) for n in range((today - first).days))
        starts.update(month_starts(first, today))
    for built, day in enumerate(sorted(days), start=1):
        rollup_build_day(day, now=now)
        if log and built % 30 == 0:
            log(f"  compliance rollups: {built} days, up to {day}")
    for start in sorted(starts):
        snapshot_build(start, now=now)
    if log:
        log(f"  compliance rollups: {len(days)} days, {len(starts)} monthly snapshots")
    return len(days)


def carried_live(at: datetime) -> dict[Key, int]:
    """The carried count at `at` per kind and group, straight from its definition: breached
    before `at` and not stopped by then."""
    fields = list(FIELDS.values())
    rows = (
        ServiceClock.objects.filter(breached_at__lt=at)
        .filter(Q(stopped_at__isnull=True) | Q(stopped_at__gte=at))
        .values("kind", *fields)
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[Key, int] = {}
    for row in rows:
        for grain in GRAINS:
            key = None if grain == Grain.ALL else _text(row[FIELDS[grain]])
            out[(row["kind"], grain, key)] = out.get((row["kind"], grain, key), 0) + row["n"]
    return out


def _folded(rows: dict[Key, tuple], teams: set[str]) -> dict[Key, tuple]:
    """`rows` with the keys of teams that no longer exist counted as no team, as the tickets
    of a deleted team are (its rows keep the id; the selectors read them so)."""
    out: dict[Key, tuple] = {}
    for (kind, grain, key), counts in rows.items():
        if grain == Grain.TEAM and key is not None and key not in teams:
            key = None
        before = out.get((kind, grain, key), (0,) * len(counts))
        out[(kind, grain, key)] = tuple(a + b for a, b in zip(before, counts, strict=True))
    return out


def _differences(label: str, stored: dict[Key, tuple], fresh: dict[Key, tuple]) -> list[str]:
    teams = {str(pk) for pk in Team.objects.values_list("pk", flat=True)}
    stored, fresh = _folded(stored, teams), _folded(fresh, teams)
    return [
        f"{label}: {key} stored {stored.get(key)}, recomputed {fresh.get(key)}"
        for key in sorted(set(stored) | set(fresh), key=str)
        if stored.get(key) != fresh.get(key)
    ]


def rollup_check() -> list[str]:
    """Every current day's rows and every current snapshot beside a recomputation from the
    clocks: the differences, as lines (empty when the rollup is exact)."""
    differences = []
    days = ComplianceRollupDay.objects.filter(built_version=F("version")).order_by("day")
    for day in days.values_list("day", flat=True).iterator():
        stored = {
            (r.clock_kind, r.grain, r.key): (r.stopped, r.met, r.carried_in, r.carried_out)
            for r in ComplianceRollup.objects.filter(day=day)
        }
        fresh = {
            (r.clock_kind, r.grain, r.key): (r.stopped, r.met, r.carried_in, r.carried_out)
            for r in day_rows(day)
        }
        differences += _differences(str(day), stored, fresh)
    for day, pk in sorted(current_snapshots().items()):
        stored = {
            (k, g, key): (n,)
            for k, g, key, n in CarriedCount.objects.filter(snapshot_id=pk).values_list(
                "clock_kind", "grain", "key", "carried"
            )
        }
        fresh = {key: (n,) for key, n in carried_live(_start(day)).items() if n}
        differences += _differences(f"snapshot {day}", stored, fresh)
    return differences
