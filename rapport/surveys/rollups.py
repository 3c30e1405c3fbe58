"""Daily rollups of the satisfaction analysis (满意度日汇总), kept current by the worker.

Every figure of the analysis is a sum over sends, responses, answers or credits, so it can be
summed per day first. `SatisfactionRollup` holds, per day of the send's creation, the counts and
sums of each measure (see its docstring), loyalty included, at three grains: the day's totals;
by team, owner and questionnaire; and by those and the channel, ticket type and customer tier.
The analysis (rapport.surveys.analysis) reads the coarsest grain that keeps its filters for the
days that are current and computes the rest live — today, days changed since their last build,
and days never built — so its figures are always exactly those of a full recomputation, however
far behind the worker is:

- Every write that changes a day's figures marks the day changed in its own transaction (its
  version goes up): the survey services (a survey sent, delivered or found undeliverable,
  answered or changed) through `rollup_touch`, and what other domains change under the
  figures — a customer's tier, stage or churn reason, a merge, a return contact or a purchase —
  through the hooks of rapport.surveys.rollup_hooks.
- The worker (`surveys.rollups`) rebuilds each changed day before today from the rows, in one
  transaction, and records the version it read; a write that comes in meanwhile leaves the day
  changed for the next round.
- `manage.py satisfaction_rollups --rebuild` rebuilds every day; `--check` compares the rollup
  with a full recomputation and fails on any difference (tests run both).

Channel and ticket type are copied on the send when it is made and never change; the tier, stage
and churn reason are the customer's current ones, and "came back" depends on contacts after the
answer, which is why those hooks exist. Rows written around the services and the hooks (bulk
seeding) are not rolled up until a rebuild; until then their days are computed live, so
nothing is wrong, only slower — unless they change a day already built, which only a rebuild
(or `--check`) then finds.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncQuarter
from django.utils import timezone

from rapport.core.rollup_days import touch_days
from rapport.surveys import loyalty
from rapport.surveys.models import (
    Answer,
    Question,
    SatisfactionRollup,
    SatisfactionRollupDay,
    SurveyCredit,
    SurveyResponse,
    SurveySend,
)

Measure = SatisfactionRollup.Measure
SUMS = ("n", "a", "b", "c", "d", "e")
Grain = SatisfactionRollup.Grain
# The dimensions a rollup row can keep: its field and the lookup on SurveySend that fills it.
DIMENSIONS = {
    "team_id": "team_id",
    "owner_id": "owner_id",
    "template_id": "template_id",
    "channel": "channel",
    "ticket_type": "ticket_type",
    "tier": "customer__tier",
}
# What each grain keeps, coarsest first: the analysis reads the first that keeps its filters.
GRAINS = {
    Grain.TOTAL: (),
    Grain.STAFF: ("team_id", "owner_id", "template_id"),
    Grain.FULL: tuple(DIMENSIONS),
}
# What a row holds in a dimension its grain does not keep: NULL for the ids, "" for the others.
EMPTY = {"team_id": None, "owner_id": None, "template_id": None}


def grain_keeping(fields: set[str]) -> str:
    """The coarsest grain whose rows keep every one of `fields`."""
    return next(grain for grain, kept in GRAINS.items() if fields <= set(kept))


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# -- Marking a day changed ----------------------------------------------------------------------


def rollup_touch(*, created_at: datetime) -> None:
    """The figures of the day a send was created on changed: count one more version of it."""
    touch_days(SatisfactionRollupDay, [timezone.localdate(created_at)])


def rollup_touch_sends(sends: QuerySet[SurveySend]) -> int:
    """The figures of the days these sends were created on changed: one more version of each
    (one query finds the days, one statement marks them). Returns how many days."""
    days = {timezone.localdate(at) for at in sends.values_list("created_at", flat=True)}
    return touch_days(SatisfactionRollupDay, days)


# -- The grouped queries, for any set of sends --------------------------------------------------


def _grouped(measure: str, sends_q: Q, *, prefix: str, grain: bool) -> QuerySet:
    """One measure's sums for the sends matching `sends_q` (written from SurveySend), grouped by
    key (and by every dimension, as g_<field>, when `grain`)."""
    g = {f"g_{name}": F(prefix + lookup) for name, lookup in DIMENSIONS.items()} if grain else {}
    q = _prefixed(sends_q, prefix)
    if measure == Measure.STATUS:
        return (
            SurveySend.objects.filter(q)
            .values(**g, k=F("status"), k2=F("template_id"))
            .annotate(n=Count("id"))
            .order_by()
        )
    if measure in (Measure.CSAT, Measure.NPS):
        return (
            SurveyResponse.objects.filter(q, **{f"{measure}__isnull": False})
            .values(**g, k=F(measure))
            .annotate(n=Count("id"))
            .order_by()
        )
    if measure == Measure.SERVQUAL:
        return (
            Answer.objects.filter(
                q, question__kind=Question.Kind.SERVQUAL, value__isnull=False, value_b__isnull=False
            )
            .values(**g, k=F("question__dimension"), k2=TruncQuarter("response__submitted_at"))
            .annotate(n=Count("id"), a=Sum("value"), b=Sum("value_b"))
            .order_by()
        )
    if measure == Measure.KANO:
        return (
            Answer.objects.filter(
                q, question__kind=Question.Kind.KANO, value__isnull=False, value_b__isnull=False
            )
            .values(**g, k=F("question_id"), v=F("value"), vb=F("value_b"))
            .annotate(n=Count("id"))
            .order_by()
        )
    if measure == Measure.CREDIT:
        return (
            SurveyCredit.objects.filter(q, send__response__isnull=False)
            .values(**g, k=F("staff_id"), k2=F("role"))
            .annotate(
                n=Count("id"),
                a=Sum("send__response__csat"),
                b=Count("send__response__csat"),
                c=Count("id", filter=Q(send__response__nps__gte=9)),
                d=Count("id", filter=Q(send__response__nps__lte=6)),
                e=Count("send__response__nps"),
            )
            .order_by()
        )
    if measure == Measure.LOYALTY:
        back = loyalty.came_back(customer="send__customer_id", after="submitted_at")
        return (
            SurveyResponse.objects.filter(q, loyalty.HAS_BAND)
            .annotate(came_back=back)
            .values(
                **g,
                k=loyalty.BAND,
                stage=F("send__customer__lifecycle_stage"),
                churn=F("send__customer__churn_reason"),
            )
            .annotate(n=Count("id"), a=Count("id", filter=Q(came_back=True)))
            .order_by()
        )
    raise ValueError(measure)


PREFIX = {
    Measure.STATUS: "",
    Measure.CSAT: "send__",
    Measure.NPS: "send__",
    Measure.SERVQUAL: "response__send__",
    Measure.KANO: "response__send__",
    Measure.CREDIT: "send__",
    Measure.LOYALTY: "send__",
}


def _prefixed(q: Q, prefix: str) -> Q:
    """`q`, written from SurveySend, written from a table that reaches the send by `prefix`."""
    if not prefix:
        return q
    out = Q(_connector=q.connector, _negated=q.negated)
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(_prefixed(child, prefix))
        else:
            name, value = child
            out.children.append((prefix + name, value))
    return out


def _keys(measure: str, row: dict) -> tuple[str, str]:
    if measure == Measure.SERVQUAL:
        quarter = row["k2"]
        return str(row["k"]), timezone.localdate(quarter).isoformat() if quarter else ""
    if measure == Measure.KANO:
        return str(row["k"]), f"{row['v']}:{row['vb']}"
    if measure == Measure.LOYALTY:
        return str(row["k"]), f"{row['stage']}:{row['churn']}"
    return str(row["k"]), str(row.get("k2") or "")


@dataclass
class Figures:
    """One measure's sums by (key, key2)."""

    sums: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def add(self, key: tuple[str, str], values) -> None:
        row = self.sums.setdefault(key, [0] * len(SUMS))
        for i, v in enumerate(values):
            row[i] += int(v or 0)


def live_figures(measure: str, sends_q: Q) -> Figures:
    figures = Figures()
    for row in _grouped(measure, sends_q, prefix=PREFIX[measure], grain=False):
        figures.add(_keys(measure, row), (row.get(s) for s in SUMS))
    return figures


# -- Building a day -----------------------------------------------------------------------------


def _day_q(day: date) -> Q:
    return Q(created_at__gte=_start(day), created_at__lt=_start(day + timedelta(days=1)))


def day_rows(day: date) -> list[SatisfactionRollup]:
    """The rollup rows of one day at every grain, computed from the sends created that day: the
    full grain by the database, the coarser ones summed from it."""
    sums: dict[tuple, list[int]] = {}
    for measure in Measure.values:
        for row in _grouped(measure, _day_q(day), prefix=PREFIX[measure], grain=True):
            values = {name: row[f"g_{name}"] for name in DIMENSIONS}
            keys = _keys(measure, row)
            for grain, kept in GRAINS.items():
                dimensions = tuple(
                    values[name] if name in kept else EMPTY.get(name, "") for name in DIMENSIONS
                )
                total = sums.setdefault((grain, measure, *keys, dimensions), [0] * len(SUMS))
                for i, name in enumerate(SUMS):
                    total[i] += int(row.get(name) or 0)
    return [
        SatisfactionRollup(
            day=day,
            grain=grain,
            measure=measure,
            key=key,
            key2=key2,
            **dict(zip(DIMENSIONS, dimensions, strict=True)),
            **dict(zip(SUMS, total, strict=True)),
        )
        for (grain, measure, key, key2, dimensions), total in sums.items()
    ]


def _of_day(day: date) -> QuerySet[SatisfactionRollup]:
    """One day's rows, found through the covering index (grain and measure lead it)."""
    return SatisfactionRollup.objects.filter(grain__in=GRAINS, measure__in=Measure.values, day=day)


def rollup_build_day(day: date, *, now: datetime | None = None) -> bool:
    """Rebuild one day's rows; True when the day is current afterwards (no write came in)."""
    now = now or timezone.now()
    with transaction.atomic():
        marker, _created = SatisfactionRollupDay.objects.get_or_create(day=day)
        version = marker.version
        _of_day(day).delete()
        SatisfactionRollup.objects.bulk_create(day_rows(day), batch_size=1000)
        return bool(
            SatisfactionRollupDay.objects.filter(pk=marker.pk, version=version).update(
                built_version=version, built_at=now
            )
        )


def rollup_sweep(*, now: datetime | None = None, limit: int = 60) -> int:
    """Rebuild the changed days before today, oldest first; returns how many were built."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = list(
        SatisfactionRollupDay.objects.filter(day__lt=today)
        .exclude(built_version=F("version"))
        .order_by("day")
        .values_list("day", flat=True)[:limit]
    )
    return sum(rollup_build_day(day, now=now) for day in days)


def rollup_rebuild(*, now: datetime | None = None, log=None) -> int:
    """Mark every day with sends before today and build it; returns how many days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = SurveySend.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if first is None:
        return 0
    day, built = timezone.localdate(first), 0
    SatisfactionRollup.objects.filter(day__gte=today).delete()
    while day < today:
        rollup_build_day(day, now=now)
        built += 1
        if log and built % 30 == 0:
            log(f"  satisfaction rollups: {built} days, up to {day}")
        day += timedelta(days=1)
    return built


# -- Reading ------------------------------------------------------------------------------------


def current_days(*, first: date | None, last: date | None, today: date) -> list[date]:
    """The days in [first, last] before today whose rollup is current."""
    qs = SatisfactionRollupDay.objects.filter(built_version=F("version"), day__lt=today)
    if first:
        qs = qs.filter(day__gte=first)
    if last:
        qs = qs.filter(day__lte=last)
    return list(qs.order_by("day").values_list("day", flat=True))


def runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    out: list[tuple[date, date]] = []
    for day in days:
        if out and out[-1][1] + timedelta(days=1) == day:
            out[-1] = (out[-1][0], day)
        else:
            out.append((day, day))
    return out


def gaps(
    built: list[tuple[date, date]], *, first: date | None, last: date | None
) -> list[tuple[datetime | None, datetime | None]]:
    """The instants of [first, last] (None: unbounded) outside the `built` runs, as ranges."""
    out: list[tuple[datetime | None, datetime | None]] = []
    cursor = first
    for a, b in built:
        if cursor is None or cursor < a:
            out.append((_start(cursor) if cursor else None, _start(a)))
        cursor = b + timedelta(days=1)
    if last is None or cursor is None or cursor <= last:
        out.append(
            (_start(cursor) if cursor else None, _start(last + timedelta(days=1)) if last else None)
        )
    return out


REST_IDS = 20_000  # beyond this many sends outside the rollup, query them by their lookups


def rest_q(sends_q: Q, built: list[tuple[date, date]], *, first, last) -> Q:
    """The sends of `sends_q` on no built day, as `pk IN (…)` when there are few (today's, a
    changed day's): measures over answers and credits then start from those sends instead of
    scanning every answer. One index range read per gap."""
    ids: list[int] = []
    for start, end in gaps(built, first=first, last=last):
        q = sends_q
        if start is not None:
            q &= Q(created_at__gte=start)
        if end is not None:
            q &= Q(created_at__lt=end)
        ids += SurveySend.objects.filter(q).values_list("pk", flat=True)[: REST_IDS + 1 - len(ids)]
        if len(ids) > REST_IDS:
            return sends_q & outside(built)
    return Q(pk__in=ids)


def outside(built: list[tuple[date, date]]) -> Q:
    """Sends created on no day of `built` (as SurveySend lookups)."""
    q = Q()
    for first, last in built:
        q &= Q(created_at__lt=_start(first)) | Q(created_at__gte=_start(last + timedelta(days=1)))
    return q


def rolled_figures(measure: str, built: list[tuple[date, date]], grain: str, grain_q: Q) -> Figures:
    """The sums of one measure over the rollup rows of the `built` days at `grain` matching
    `grain_q`."""
    figures = Figures()
    if not built:
        return figures
    within = Q()
    for first, last in built:
        within |= Q(day__gte=first, day__lte=last)
    rows = (
        SatisfactionRollup.objects.filter(within, grain_q, grain=grain, measure=measure)
        .values("key", "key2")
        .annotate(**{s: Sum(s) for s in SUMS})
        .order_by()
    )
    for row in rows:
        figures.add((row["key"], row["key2"]), (row[s] for s in SUMS))
    return figures


def rollup_check() -> list[str]:
    """Every current day's rows beside a recomputation from the surveys: the differences, as
    lines (empty when the rollup is exact)."""
    differences = []
    days = SatisfactionRollupDay.objects.filter(built_version=F("version")).order_by("day")
    for day in days.values_list("day", flat=True).iterator():
        stored = _as_set(_of_day(day))
        fresh = _as_set(day_rows(day))
        for row in sorted(stored - fresh, key=repr):
            differences.append(f"{day}: stored, not recomputed: {row}")
        for row in sorted(fresh - stored, key=repr):
            differences.append(f"{day}: recomputed, not stored: {row}")
    return differences


def _as_set(rows) -> set[tuple]:
    names = ("grain", *DIMENSIONS, "measure", "key", "key2", *SUMS)
    return {tuple(getattr(r, n) for n in names) for r in rows}
