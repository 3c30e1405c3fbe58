"""The figures team leads are judged on, for any period, team or person (beside the
effectiveness measures of rapport.interactions.measures).

Each figure's drill-down is the queryset its number counts (`figure_items`), so they agree.

Definitions (shown on the page):
- Average handling time = total duration ÷ number of the interactions started in the period
  that have a duration (calls, visits, chats), by the staff in scope.
- First-contact resolution = tickets resolved in the period that were resolved by the person who
  first took them (no hand-off), never reopened and never sent to another department ÷ all
  tickets resolved in the period (team: the ticket's team; person: its first responder).
- Volume trend = interactions started and tickets received per day (per month beyond 62 days).
- Backlog = tickets open now (not closed), by age since they were received.
- CSAT per agent = answers with a CSAT score submitted in the period, by the survey's owner:
  share rated 4 or 5, mean and n.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from rapport.interactions.measures import Scope, interactions_in_period
from rapport.interactions.models import Interaction
from rapport.surveys.models import SurveyResponse
from rapport.tickets.models import Ticket, TicketInvestigation

AGE_BUCKETS = [
    ("lt1d", 0, 1),
    ("1to3d", 1, 3),
    ("3to7d", 3, 7),
    ("7to30d", 7, 30),
    ("gt30d", 30, None),
]
FIGURES = ("handling", "fcr", "not_fcr", "backlog", "csat")


@dataclass(frozen=True)
class Period:
    """Whole local days from `first` to `last`, both included, as [start, end)."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, timezone.get_current_timezone())

    @property
    def end(self) -> datetime:
        return datetime.combine(
            self.last + timedelta(days=1), time.min, timezone.get_current_timezone()
        )

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def this_month() -> Period:
    today = timezone.localdate()
    following = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return Period(today.replace(day=1), following - timedelta(days=1))


def _ticket_scope(scope: Scope) -> Q:
    if scope.person is not None:
        return Q(first_responder=scope.person)
    if scope.team is not None:
        return Q(team=scope.team)
    return Q()


# -- The querysets behind the figures -----------------------------------------------------------


def handled_interactions(*, period: Period, scope: Scope) -> QuerySet[Interaction]:
    return interactions_in_period(start=period.start, end=period.end, scope=scope).filter(
        duration_seconds__gt=0
    )


def resolved_tickets(*, period: Period, scope: Scope) -> QuerySet[Ticket]:
    return Ticket.objects.filter(
        _ticket_scope(scope), resolved_at__gte=period.start, resolved_at__lt=period.end
    )


def _first_contact() -> Q:
    elsewhere = TicketInvestigation.objects.filter(ticket=OuterRef("pk"))
    return Q(reopened_count=0, assignee_id=F("first_responder_id")) & ~Q(Exists(elsewhere))


def backlog_tickets(*, scope: Scope, now: datetime, bucket: str = "") -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(_ticket_scope(scope), is_open=True)
    for key, low, high in AGE_BUCKETS:
        if key == bucket:
            qs = qs.filter(created_at__lte=now - timedelta(days=low))
            if high is not None:
                qs = qs.filter(created_at__gt=now - timedelta(days=high))
    return qs


def csat_answers(*, period: Period, scope: Scope, owner_id: int | None = None):
    qs = SurveyResponse.objects.filter(
        submitted_at__gte=period.start, submitted_at__lt=period.end, csat__isnull=False
    )
    if scope.person is not None:
        qs = qs.filter(send__owner=scope.person)
    elif scope.team is not None:
        qs = qs.filter(send__team=scope.team)
    if owner_id is not None:
        qs = qs.filter(send__owner_id=owner_id)
    return qs


def figure_items(*, figure: str, period: Period, scope: Scope, now: datetime, key: str = ""):
    """The records behind one figure (the list its number links to)."""
    if figure == "handling":
        qs = handled_interactions(period=period, scope=scope)
        return qs.select_related("customer", "staff").order_by("-started_at", "-id")
    if figure in ("fcr", "not_fcr"):
        qs = resolved_tickets(period=period, scope=scope)
        qs = qs.filter(_first_contact()) if figure == "fcr" else qs.exclude(_first_contact())
        return qs.select_related("customer", "assignee", "first_responder").order_by(
            "-resolved_at", "-id"
        )
    if figure == "backlog":
        qs = backlog_tickets(scope=scope, now=now, bucket=key)
        return qs.select_related("customer", "assignee").order_by("created_at", "id")
    if figure == "csat":
        owner = int(key) if key.isdigit() and len(key) < 18 else None
        qs = csat_answers(period=period, scope=scope, owner_id=owner)
        return qs.select_related("send", "send__customer", "send__owner").order_by(
            "-submitted_at", "-id"
        )
    raise KeyError(figure)


# -- The figures --------------------------------------------------------------------------------


def team_figures(*, period: Period, scope: Scope, now: datetime) -> dict:
    """Every figure of the page in six queries."""
    handling = handled_interactions(period=period, scope=scope).aggregate(
        n=Count("id"), seconds=Sum("duration_seconds")
    )
    handling["average"] = handling["seconds"] / handling["n"] if handling["n"] else None
    fcr = resolved_tickets(period=period, scope=scope).aggregate(
        resolved=Count("id"), first_contact=Count("id", filter=_first_contact())
    )
    fcr["rate"] = fcr["first_contact"] / fcr["resolved"] if fcr["resolved"] else None
    fcr["not_first"] = fcr["resolved"] - fcr["first_contact"]
    ages = {"total": Count("id")}
    for key, low, high in AGE_BUCKETS:
        condition = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(days=high))
        ages[key] = Count("id", filter=condition)
    backlog = backlog_tickets(scope=scope, now=now).aggregate(**ages)
    backlog["buckets"] = [(key, backlog[key]) for key, _low, _high in AGE_BUCKETS]
    return {
        "handling": handling,
        "fcr": fcr,
        "backlog": backlog,
        "trend": volume_trend(period=period, scope=scope),
        "csat_agents": csat_by_agent(period=period, scope=scope),
    }


def volume_trend(*, period: Period, scope: Scope) -> list[dict]:
    """Interactions (inbound, outbound) and tickets received per day, or per month when the
    period is longer than 62 days; every day or month of the period, zeros included."""
    monthly = period.days > 62
    trunc = TruncMonth if monthly else TruncDate
    zone = timezone.get_current_timezone()
    contacts = (
        interactions_in_period(start=period.start, end=period.end, scope=scope)
        .annotate(bucket=trunc("started_at", tzinfo=zone))
        .values("bucket")
        .annotate(
            inbound=Count("id", filter=Q(direction="inbound")),
            outbound=Count("id", filter=Q(direction="outbound")),
        )
        .order_by()
    )
    tickets = (
        Ticket.objects.filter(
            _ticket_scope(scope), created_at__gte=period.start, created_at__lt=period.end
        )
        .annotate(bucket=trunc("created_at", tzinfo=zone))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by()
    )

    def day(value) -> date:
        return value.date() if isinstance(value, datetime) else value

    rows: dict[date, dict] = {}
    cursor = period.first.replace(day=1) if monthly else period.first
    while cursor <= period.last:
        rows[cursor] = {"bucket": cursor, "inbound": 0, "outbound": 0, "tickets": 0}
        cursor = (cursor + timedelta(days=32)).replace(day=1) if monthly else cursor + timedelta(1)
    for row in contacts:
        target = rows.get(day(row["bucket"]))
        if target is not None:
            target["inbound"], target["outbound"] = row["inbound"], row["outbound"]
    for row in tickets:
        target = rows.get(day(row["bucket"]))
        if target is not None:
            target["tickets"] = row["n"]
    peak = max([r["inbound"] + r["outbound"] for r in rows.values()] or [0])
    for r in rows.values():
        r["total"] = r["inbound"] + r["outbound"]
        r["share"] = round(100 * r["total"] / peak) if peak else 0
        r["monthly"] = monthly
    return list(rows.values())


def csat_by_agent(*, period: Period, scope: Scope) -> list[dict]:
    rows = (
        csat_answers(period=period, scope=scope)
        .filter(send__owner__isnull=False)
        .values("send__owner_id", "send__owner__display_name", "send__owner__username")
        .annotate(n=Count("id"), satisfied=Count("id", filter=Q(csat__gte=4)), mean=Avg("csat"))
        .order_by("-n", "send__owner_id")
    )
    return [
        {
            "owner_id": r["send__owner_id"],
            "name": r["send__owner__display_name"] or r["send__owner__username"],
            "n": r["n"],
            "satisfied": r["satisfied"],
            "share": r["satisfied"] / r["n"] if r["n"] else None,
            "mean": r["mean"],
        }
        for r in rows
    ]
