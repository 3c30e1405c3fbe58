"""The effectiveness measures of DOMAIN.md §9, for any period, team or person.

Every measure is one aggregate query whatever the data size; a measure whose denominator is zero
is None (shown as "—"), never a division by zero.

Definitions (shown with each figure on the supervisor page):
- CSR empowerment (授权水平) = interactions with no transfer to a specialist or a senior manager
  ÷ all interactions, both counted over interactions started in the period by the staff in scope.
- Generalist degree (通才程度) = interactions with no transfer to another representative
  ÷ all interactions, same population.
- Non-contact time (非接触时间) = time in after-contact work (paperwork), training or break,
  from the agent status intervals, clipped to the period. Its share is non-contact time ÷ logged-in
  time, where logged-in time is every status except offline. Time "available" (waiting for the
  next contact) is logged-in time but neither contact nor non-contact time; offline is excluded.
- CSR turnover (流动率) = representatives whose leave date falls in the period ÷ the average
  representative headcount of the previous calendar year, the headcount taken on the first day of
  each of its twelve months. Not defined for a single person.
- Contacts by channel: interactions started in the period, inbound and outbound per channel.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from rapport.interactions.models import AgentStatusInterval, Interaction
from rapport.staff.models import Team, User

S = AgentStatusInterval.Status
NON_CONTACT_STATUSES = (S.AFTER_CONTACT_WORK, S.TRAINING, S.BREAK)
LOGGED_IN_STATUSES = (S.AVAILABLE, S.IN_CONTACT, *NON_CONTACT_STATUSES)


@dataclass(frozen=True)
class Scope:
    """Whose figures: everyone, one team, or one person."""

    team: Team | None = None
    person: User | None = None

    def staff_filter(self, prefix: str = "staff") -> Q:
        if self.person is not None:
            return Q(**{prefix: self.person})
        if self.team is not None:
            return Q(**{f"{prefix}__teams": self.team})
        return Q()


@dataclass
class ChannelRow:
    channel: str
    label: str
    inbound: int = 0
    outbound: int = 0

    @property
    def total(self) -> int:
        return self.inbound + self.outbound


@dataclass
class Measures:
    start: datetime
    end: datetime
    interactions: int = 0
    escalated: int = 0
    passed_on: int = 0
    status_seconds: dict[str, int] = field(default_factory=dict)
    left: int = 0
    average_headcount: float | None = None
    channels: list[ChannelRow] = field(default_factory=list)

    @property
    def empowerment(self) -> float | None:
        return _ratio(self.interactions - self.escalated, self.interactions)

    @property
    def generalist_degree(self) -> float | None:
        return _ratio(self.interactions - self.passed_on, self.interactions)

    @property
    def non_contact_seconds(self) -> int:
        return sum(self.status_seconds.get(s, 0) for s in NON_CONTACT_STATUSES)

    @property
    def logged_in_seconds(self) -> int:
        return sum(self.status_seconds.get(s, 0) for s in LOGGED_IN_STATUSES)

    @property
    def non_contact_share(self) -> float | None:
        return _ratio(self.non_contact_seconds, self.logged_in_seconds)

    @property
    def turnover(self) -> float | None:
        if self.average_headcount is None:
            return None
        return _ratio(self.left, self.average_headcount)

    @property
    def inbound(self) -> int:
        return sum(row.inbound for row in self.channels)

    @property
    def outbound(self) -> int:
        return sum(row.outbound for row in self.channels)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def month_bounds(day: date) -> tuple[datetime, datetime]:
    """The local calendar month containing `day`, as [start, end) aware datetimes."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(first, datetime.min.time(), tzinfo=tz),
        datetime.combine(following, datetime.min.time(), tzinfo=tz),
    )


def interactions_in_period(*, start: datetime, end: datetime, scope: Scope) -> QuerySet:
    return Interaction.objects.filter(
        scope.staff_filter(), started_at__gte=start, started_at__lt=end
    )


def interaction_counts(*, start: datetime, end: datetime, scope: Scope) -> list[dict]:
    """Per channel and direction: all interactions, escalated (to a specialist or senior) and
    passed on (to another representative). One grouped query, answered from the covering index."""
    return list(
        interactions_in_period(start=start, end=end, scope=scope)
        .values("channel", "direction")
        .annotate(
            n=Count("id"),
            escalated_n=Count("id", filter=Q(escalated=True)),
            passed_on_n=Count("id", filter=Q(passed_on=True)),
        )
        .order_by()
    )


def _overlapping(start: datetime, end: datetime) -> Q:
    """Intervals overlapping [start, end), spelt so every branch can use the ended_at index:
    history grows without bound, and a plain `started_at < end` would scan all of it."""
    return (
        Q(ended_at__gt=start, ended_at__lte=end)
        | Q(ended_at__gt=end, started_at__lt=end)
        | Q(ended_at__isnull=True, started_at__lt=end)
    )


def status_seconds(*, start: datetime, end: datetime, scope: Scope) -> dict[str, int]:
    """Seconds spent in each status within [start, min(end, now)), intervals clipped to it.

    Intervals wholly inside the period add their stored length (an integer sum); only the few
    that cross a boundary or are still open are clipped with datetime arithmetic.
    """
    now = timezone.now()
    end = min(end, now)
    if end <= start:
        return {}
    staff = AgentStatusInterval.objects.filter(scope.staff_filter())
    inside = Q(started_at__gte=start, ended_at__lte=end, seconds__isnull=False)
    totals: dict[str, int] = {}
    whole = staff.filter(inside).values("status").annotate(total=Sum("seconds")).order_by()
    for row in whole:
        totals[row["status"]] = row["total"] or 0
    clipped = ExpressionWrapper(
        Least(Coalesce(F("ended_at"), Value(now)), Value(end))
        - Greatest(F("started_at"), Value(start)),
        output_field=DurationField(),
    )
    edges = (
        staff.filter(_overlapping(start, end))
        .exclude(inside)
        .values("status")
        .annotate(total=Sum(clipped))
        .order_by()
    )
    for row in edges:
        if row["total"]:
            totals[row["status"]] = totals.get(row["status"], 0) + int(row["total"].total_seconds())
    return {status: seconds for status, seconds in totals.items() if seconds}


def _previous_year_month_starts(start: datetime) -> list[date]:
    year = timezone.localtime(start).year - 1
    return [date(year, month, 1) for month in range(1, 13)]


def turnover_counts(*, start: datetime, end: datetime, scope: Scope) -> tuple[int, float | None]:
    """(representatives who left in the period, average headcount of the previous year)."""
    if scope.person is not None:
        return 0, None
    first_day = timezone.localtime(start).date()
    last_day = timezone.localtime(end).date()  # exclusive
    csrs = User.objects.filter(role=User.Role.REPRESENTATIVE)
    if scope.team is not None:
        csrs = csrs.filter(teams=scope.team)
    aggregates = {
        "left": Count("id", filter=Q(left_on__gte=first_day, left_on__lt=last_day), distinct=True)
    }
    for n, day in enumerate(_previous_year_month_starts(start)):
        employed = (Q(hired_on__isnull=True) | Q(hired_on__lte=day)) & (
            Q(left_on__isnull=True) | Q(left_on__gt=day)
        )
        aggregates[f"m{n}"] = Count("id", filter=employed, distinct=True)
    row = csrs.aggregate(**aggregates)
    average = sum(row[f"m{n}"] for n in range(12)) / 12
    return row["left"], average


def channel_rows(counts: list[dict]) -> list[ChannelRow]:
    """Every channel in a fixed order, with inbound and outbound counts (zeros included)."""
    rows = {c.value: ChannelRow(c.value, str(c.label)) for c in Interaction.Channel}
    for item in counts:
        row = rows.get(item["channel"])
        if row is not None:
            setattr(row, item["direction"], getattr(row, item["direction"]) + item["n"])
    return list(rows.values())


def measures_for(*, start: datetime, end: datetime, scope: Scope | None = None) -> Measures:
    """All five measures for [start, end) in four queries."""
    scope = scope or Scope()
    counts = interaction_counts(start=start, end=end, scope=scope)
    left, average = turnover_counts(start=start, end=end, scope=scope)
    return Measures(
        start=start,
        end=end,
        interactions=sum(c["n"] for c in counts),
        escalated=sum(c["escalated_n"] for c in counts),
        passed_on=sum(c["passed_on_n"] for c in counts),
        status_seconds=status_seconds(start=start, end=end, scope=scope),
        left=left,
        average_headcount=average,
        channels=channel_rows(counts),
    )


DRILLDOWNS = ("empowerment", "generalist", "channel", "non_contact", "turnover")


def drilldown_interactions(
    *,
    measure: str,
    start: datetime,
    end: datetime,
    scope: Scope,
    channel: str = "",
    direction: str = "",
) -> QuerySet[Interaction]:
    """The interactions behind a figure: those that lowered empowerment (escalated) or the
    generalist degree (passed on), or those of one channel and direction."""
    qs = interactions_in_period(start=start, end=end, scope=scope)
    if measure == "empowerment":
        qs = qs.filter(escalated=True)
    elif measure == "generalist":
        qs = qs.filter(passed_on=True)
    elif measure == "channel":
        if channel:
            qs = qs.filter(channel=channel)
        if direction:
            qs = qs.filter(direction=direction)
    return qs.select_related("customer", "staff", "purpose").order_by("-started_at", "-id")


def drilldown_status_intervals(
    *, start: datetime, end: datetime, scope: Scope
) -> QuerySet[AgentStatusInterval]:
    """The non-contact intervals that overlap the period."""
    return (
        AgentStatusInterval.objects.filter(scope.staff_filter(), status__in=NON_CONTACT_STATUSES)
        .filter(_overlapping(start, end))
        .select_related("staff")
        .order_by("-started_at", "-id")
    )


def drilldown_leavers(*, start: datetime, end: datetime, scope: Scope) -> QuerySet[User]:
    qs = User.objects.filter(
        role=User.Role.REPRESENTATIVE,
        left_on__gte=timezone.localtime(start).date(),
        left_on__lt=timezone.localtime(end).date(),
    )
    if scope.team is not None:
        qs = qs.filter(teams=scope.team)
    if scope.person is not None:
        qs = qs.none()
    return qs.order_by("-left_on", "id")
