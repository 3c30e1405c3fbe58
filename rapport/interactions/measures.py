"""The effectiveness measures of DOMAIN.md §9, for any period, team or person.

Contacts and status time are read from daily rollups for the whole past days they hold current
and computed from the rows for the rest (rapport.interactions.rollups), so a period costs about
the same whatever the length of the history; turnover reads the staff's leave dates. A measure
whose denominator is zero is None (shown as "—"), never a division by zero.

Definitions (shown with each figure on the supervisor page):
- CSR empowerment (授权水平) = interactions with no transfer to a specialist or a senior manager
  ÷ all interactions, both counted over interactions started in the period by the staff in scope.
- Generalist degree (通才程度) = interactions with no transfer to another representative
  ÷ all interactions, same population.
- Non-contact time (非接触时间) = time in after-contact work (paperwork), training or break,
  from the agent status intervals, clipped to the period (and to now), summed exactly and
  rounded down to whole seconds once, for the whole period. Its share is non-contact time ÷ logged-in
  time, where logged-in time is every status except offline. Time "available" (waiting for the
  next contact) is logged-in time but neither contact nor non-contact time; offline is excluded.
- CSR turnover (流动率) = representatives whose leave date falls in the period ÷ the average
  representative headcount of the previous calendar year, the headcount taken on the first day of
  each of its twelve months. Not defined for a single person.
- Contacts by channel: interactions started in the period, inbound and outbound per channel.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from rapport.interactions import rollups
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


# A period is read from daily rollups: its cost grows with its days, not with the history. The
# page compares it with as many days before, so this bounds a page at twice as many.
MAX_PERIOD_YEARS = 5


def period_length_message(first: date, last: date) -> str | None:
    """Why the days [first, last] (both included) are refused as a period, or None."""
    try:
        limit = first.replace(year=first.year + MAX_PERIOD_YEARS)
    except ValueError:  # 29 February
        limit = first.replace(year=first.year + MAX_PERIOD_YEARS, day=28) + timedelta(days=1)
    if last < limit:
        return None
    return ngettext(
        "Choose a period of at most %(years)s year.",
        "Choose a period of at most %(years)s years.",
        MAX_PERIOD_YEARS,
    ) % {"years": MAX_PERIOD_YEARS}


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


def measures_for(
    *,
    start: datetime,
    end: datetime,
    scope: Scope | None = None,
    live: bool = False,
    now: datetime | None = None,
) -> Measures:
    """All five measures for [start, end): the whole past days the rollups hold current are read
    from them, the rest is computed from the rows (rapport.interactions.rollups); the figures are
    exactly those of `live=True`, which computes everything from the rows.

    Queries: the current days (when the period holds a whole past day), the versions of the
    month rows (when it holds a whole month of current days), the rolled-up contacts and status
    time (when any day is current), the live contacts and status time (two) (when anything is
    outside them) and turnover (not for a person). `now` (default: the clock) is where
    open status intervals and the period's live part end."""
    scope = scope or Scope()
    now = now or timezone.now()
    plan = rollups.plan_for(start=start, end=end, now=now, live=live)
    counts = rollups.interaction_counts(plan=plan, staff_q=scope.staff_filter())
    left, average = turnover_counts(start=start, end=end, scope=scope)
    return Measures(
        start=start,
        end=end,
        interactions=sum(c["n"] for c in counts),
        escalated=sum(c["escalated_n"] for c in counts),
        passed_on=sum(c["passed_on_n"] for c in counts),
        status_seconds=rollups.status_seconds(plan=plan, staff_q=scope.staff_filter(), now=now),
        left=left,
        average_headcount=average,
        channels=channel_rows(counts),
    )


def measures_differences(
    *, periods: list[tuple[datetime, datetime]], scopes: list[Scope]
) -> list[str]:
    """Each period and scope read through the rollups beside the same computed from the rows
    alone: the differences, as lines (empty when the rollups are exact)."""
    differences = []
    now = timezone.now()
    for scope in scopes:
        for start, end in periods:
            read = _figures(measures_for(start=start, end=end, scope=scope, now=now))
            live = _figures(measures_for(start=start, end=end, scope=scope, now=now, live=True))
            if read != live:
                differences.append(
                    f"{_label(scope)} {timezone.localtime(start):%Y-%m-%d %H:%M} to "
                    f"{timezone.localtime(end):%Y-%m-%d %H:%M}: rollups {read}, rows {live}"
                )
    return differences


def _label(scope: Scope) -> str:
    if scope.person is not None:
        return f"person {scope.person.pk}"
    if scope.team is not None:
        return f"team {scope.team.pk}"
    return "everyone"


def _figures(measures: Measures) -> tuple:
    channels = tuple((row.channel, row.inbound, row.outbound) for row in measures.channels)
    counts = (measures.interactions, measures.escalated, measures.passed_on)
    return counts, tuple(sorted(measures.status_seconds.items())), channels


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
        .filter(rollups.overlapping(start, end))
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
