"""Reads for service levels: compliance (达标率), a staff member's alerts, a ticket's clocks."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.db.models import BooleanField, Case, Count, Min, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.core.errors import NotFound
from rapport.core.prepared import Prepared, attach_related
from rapport.sla import rollups
from rapport.sla.models import ClockPause, ServiceClock, SlaAlert
from rapport.staff.models import Team, User

# The groupings of the compliance table, by the ticket's current values (rollups.FIELDS).
GROUPS = {grain.value: grain.label for grain in rollups.Grain if grain != rollups.Grain.ALL}


@dataclass
class ComplianceRow:
    """One row of the compliance table and how its figure is made up.

    judged = stopped in the period + carried (still counting at the period's end, already
    breached by then); met = stopped in the period without breaching; rate = met ÷ judged.
    A clock that breached and stays open is judged again in every period it stays open."""

    key: object
    label: str
    stopped: int
    met: int
    carried: int

    @property
    def total(self) -> int:
        return self.stopped + self.carried

    @property
    def stopped_late(self) -> int:
        return self.stopped - self.met

    @property
    def breached(self) -> int:
        return self.total - self.met

    @property
    def rate(self) -> float | None:
        return self.met / self.total if self.total else None


STOPPED = ServiceClock.State.STOPPED


def _stopped_in(start: datetime, end: datetime) -> Q:
    return Q(state=STOPPED, stopped_at__gte=start, stopped_at__lt=end)


def _breached_and_open_at(end: datetime) -> Q:
    """Breached before `end` and not stopped by then (still counting at that instant)."""
    return Q(breached_at__lt=end) & (Q(stopped_at__isnull=True) | Q(stopped_at__gte=end))


def compliance_population(*, kind: str, start: datetime, end: datetime) -> QuerySet[ServiceClock]:
    """The clocks judged in [start, end): those stopped in the period (met unless they breached)
    and those still counting at its end that had breached by then. The second part makes a
    breached clock count against every period it stays open, not only the one it breached in."""
    return ServiceClock.objects.filter(kind=kind).filter(
        _stopped_in(start, end) | _breached_and_open_at(end)
    )


def _labels(by: str, keys: set) -> dict:
    """Each group's name as the live query reads it from the ticket's relation; a team that no
    longer exists is missing (its tickets' team was set to none)."""
    ids = [k for k in keys if k is not None]
    if by == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by == "person":
        return dict(User.objects.filter(pk__in=ids).values_list("pk", "display_name"))
    if by == "type":
        ticket_type = apps.get_model("tickets", "TicketType")  # a higher app: by label only
        return dict(ticket_type.objects.filter(pk__in=ids).values_list("pk", "name_zh"))
    return {k: k for k in ids}


def _rows(by: str, figures: dict, labels: dict) -> list[ComplianceRow]:
    merged: dict = {}
    for key, counts in figures.items():
        if key is not None and key not in labels and by in ("team", "person", "type"):
            key = None  # deleted since: grouped with the tickets that have none, as live
        s, m, c = merged.get(key, (0, 0, 0))
        merged[key] = (s + counts.stopped, m + counts.met, c + counts.carried)
    rows = [
        ComplianceRow(key=key, label=str(labels.get(key) or "—"), stopped=s, met=m, carried=c)
        for key, (s, m, c) in merged.items()
        if s + c  # a group with no clock judged in the period has no row
    ]
    return sorted(rows, key=lambda r: (r.key not in labels, labels.get(r.key) or "", str(r.key)))


def sla_compliance_by_kind(
    *, kinds: list[str], start: datetime, end: datetime, by: str | None = None
) -> dict[str, list[ComplianceRow]]:
    """Compliance rate for each clock kind, overall (by=None) or grouped by the ticket's
    current team, assignee, type, channel, priority or kind; from the daily rollups, exactly as
    the live count of the clocks (rapport.sla.rollups)."""
    counts = rollups.compliance_counts(
        kinds=kinds, periods=[(start, end)], grain=by or rollups.Grain.ALL
    )
    labels = _labels(by, {key for (figures,) in counts.values() for key in figures}) if by else {}
    out = {}
    for kind, (figures,) in counts.items():
        if by is None:
            total = figures.get(None, rollups.Counts())
            out[kind] = [
                ComplianceRow(
                    key=None,
                    label=str(_("All")),
                    stopped=total.stopped,
                    met=total.met,
                    carried=total.carried,
                )
            ]
        else:
            out[kind] = _rows(by, figures, labels)
    return out


def sla_compliance(
    *, kind: str, start: datetime, end: datetime, by: str | None = None
) -> list[ComplianceRow]:
    """Compliance rate for one clock kind (sla_compliance_by_kind)."""
    return sla_compliance_by_kind(kinds=[kind], start=start, end=end, by=by)[kind]


def compliance_breaches(*, kind: str, start: datetime, end: datetime) -> QuerySet[ServiceClock]:
    """The drill-down: the breached clocks behind a compliance figure, the most overdue first;
    `carried` says whether it counts as still open at the period's end."""
    return (
        compliance_population(kind=kind, start=start, end=end)
        .filter(breached_at__isnull=False)
        .annotate(
            carried=Case(
                When(_stopped_in(start, end), then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .select_related("ticket", "policy", "assignee")
        .order_by("due_at", "id")
    )


def month_starts(last: date, months: int = 12) -> list[datetime]:
    """The first instants of `months` local months ending with the one holding `last`, plus the
    instant after the last one: [m1, m2, …, m12, end]."""
    zone = timezone.get_current_timezone()
    year, month = last.year, last.month
    firsts = []
    for _n in range(months + 1):
        firsts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    firsts.reverse()
    firsts.append((firsts[-1] + timedelta(days=32)).replace(day=1))
    return [datetime.combine(d, time.min, zone) for d in firsts[1:]]


def compliance_trend(*, kind: str, last: date, months: int = 12) -> list[ComplianceRow]:
    """Compliance per month for the `months` months ending with the one holding `last`, on the
    same rule as the table (breached clocks carried while open); from the daily rollups."""
    bounds = month_starts(last, months)
    periods = [(bounds[n], bounds[n + 1]) for n in range(months)]
    (figures,) = rollups.compliance_counts(kinds=[kind], periods=periods).values()
    rows = []
    for (start, _end), counts in zip(periods, figures, strict=True):
        total = counts.get(None, rollups.Counts())
        rows.append(
            ComplianceRow(
                key=timezone.localtime(start).date(),
                label=f"{timezone.localtime(start):%Y-%m}",
                stopped=total.stopped,
                met=total.met,
                carried=total.carried,
            )
        )
    return rows


OVERDUE_BUCKETS = [  # (key, from hours, to hours)
    ("lt1d", 0, 24),
    ("1to3d", 24, 72),
    ("3to7d", 72, 168),
    ("7to30d", 168, 720),
    ("gt30d", 720, None),
]


def backlog_clocks(*, kind: str, now: datetime, bucket: str = "") -> QuerySet[ServiceClock]:
    """The open backlog: clocks still counting that are past their due instant now (breached, or
    running past due before the sweep has marked it), the most overdue first; `bucket` keeps
    those overdue by a range of OVERDUE_BUCKETS."""
    qs = (
        ServiceClock.objects.filter(
            kind=kind, state__in=[ServiceClock.State.RUNNING, ServiceClock.State.PAUSED]
        )
        .filter(Q(breached_at__isnull=False) | Q(state=ServiceClock.State.RUNNING, due_at__lte=now))
        .annotate(overdue_from=Coalesce("due_at", "breached_at"))
    )
    for key, low, high in OVERDUE_BUCKETS:
        if key == bucket:
            qs = qs.filter(overdue_from__lte=now - timedelta(hours=low))
            if high is not None:
                qs = qs.filter(overdue_from__gt=now - timedelta(hours=high))
    return qs.select_related("ticket", "policy", "assignee").order_by("overdue_from", "id")


def backlog_summary(*, kind: str, now: datetime) -> dict:
    """How many clocks of the open backlog are overdue by each range, and in all; one query."""
    aggregates = {"total": Count("id"), "oldest": Min("overdue_from")}
    for key, low, high in OVERDUE_BUCKETS:
        condition = Q(overdue_from__lte=now - timedelta(hours=low))
        if high is not None:
            condition &= Q(overdue_from__gt=now - timedelta(hours=high))
        aggregates[key] = Count("id", filter=condition)
    return backlog_clocks(kind=kind, now=now).order_by().aggregate(**aggregates)


def alerts_for(*, staff: User, open_only: bool = True) -> QuerySet[SlaAlert]:
    qs = SlaAlert.objects.filter(recipient=staff).select_related("clock", "clock__ticket")
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def alert_get_for_staff(*, staff: User, alert_id: int) -> SlaAlert:
    try:
        return SlaAlert.objects.get(pk=alert_id, recipient=staff)
    except (SlaAlert.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such alert.")) from exc


_TICKET_CLOCKS = Prepared(
    lambda shape, ticket_id: (
        ServiceClock.objects.filter(ticket_id=ticket_id)
        .select_related("policy", "policy__calendar")
        .order_by("kind")
    )
)
_CLOCK_PAUSES = Prepared(
    lambda shape, clock_ids: ClockPause.objects.filter(clock_id__in=clock_ids).order_by(
        "started_at", "id"
    )
)


def clocks_for_ticket(*, ticket_id: int) -> list[ServiceClock]:
    """The ticket's clocks with their policy, calendar and pauses (`clock.pauses.all()`), as
    statements compiled once per process."""
    clocks = _TICKET_CLOCKS.list(ticket_id=ticket_id)
    if clocks:
        pauses = _CLOCK_PAUSES.list(clock_ids=[c.pk for c in clocks])
        attach_related(clocks, "pauses", pauses, "clock_id")
    return clocks
