"""The supervisor's team dashboard: what is happening now in the teams a lead looks after.

Every figure on the board is the count of a queryset defined here, and the list a figure links
to is that same queryset (`figure_items`), so the number and the list cannot disagree.

Definitions (shown on the page):
- People: the active members of the teams, each in their current status since it was set
  (nobody who never set a status is counted as offline).
- Open tickets: tickets of the teams not closed; unassigned: of those, without an assignee.
- Breached: open tickets with a service-level clock that is not stopped and either breached
  or running past its due instant; overdue by now − the earliest such clock's due instant.
- At risk: open tickets with a running clock past its warning instant and not yet due, and no
  breached clock (a ticket counts once, under its worst state).
- Open conversations: conversations of the teams unassigned or claimed; unassigned: not claimed.
- Approvals waiting: remedies the viewer may decide (rapport.tickets.selectors.pending_approvals).
- Today's volume: interactions started today (site time zone) by members of the teams.
- CSAT (7 days): survey answers with a CSAT score submitted in the last 7 days about the teams'
  work; the figure is the share of satisfied answers (4 or 5), beside the mean and n.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import In, IsNull
from django.utils import timezone

from rapport.channels.models import Conversation
from rapport.core.queries import Unindexed
from rapport.interactions.models import AgentStatusInterval, Interaction
from rapport.sla.models import ServiceClock
from rapport.staff.models import Team, User
from rapport.surveys.models import SurveyResponse
from rapport.tickets.models import Ticket
from rapport.tickets.selectors import pending_approvals

Status = AgentStatusInterval.Status
CSAT_DAYS = 7
TICKET_FIGURES = ("open", "unassigned", "at_risk", "breached")
CONVERSATION_FIGURES = ("conversations", "conversations_unassigned")
FIGURES = ("agents", *TICKET_FIGURES, *CONVERSATION_FIGURES, "volume", "csat")


def dashboard_teams(*, staff: User) -> list[Team]:
    """The teams a lead looks after: a supervisor their own, managers and administrators all."""
    if not staff.can("measures.view"):
        return []
    teams = Team.objects.filter(is_active=True).order_by("name")
    if staff.role == User.Role.SUPERVISOR and not staff.is_superuser:
        teams = teams.filter(members=staff)
    return list(teams)


@dataclass
class Scope:
    """The teams on the board and the instant it was drawn at."""

    teams: list[Team]
    options: list[Team] = field(default_factory=list)  # every team the lead may look at
    now: datetime = field(default_factory=timezone.now)

    @property
    def team_param(self) -> str:
        """The ?team= value that gives this scope back ('' for all the lead's teams)."""
        return str(self.teams[0].pk) if len(self.teams) == 1 < len(self.options) else ""

    @property
    def team_ids(self) -> list[int]:
        return [t.pk for t in self.teams]

    @property
    def today_start(self) -> datetime:
        today = timezone.localdate(self.now)
        return datetime.combine(today, time.min, timezone.get_current_timezone())

    @property
    def csat_start(self) -> datetime:
        return self.now - timedelta(days=CSAT_DAYS)


def scope_for(*, staff: User, team_id: str | None = None) -> Scope:
    """All the lead's teams, or the one asked for by ?team= (an unknown one means all)."""
    teams = dashboard_teams(staff=staff)
    chosen = [t for t in teams if str(t.pk) == str(team_id)] if team_id else []
    return Scope(teams=chosen or teams, options=teams)


# -- The querysets behind the figures -----------------------------------------------------------


def members(scope: Scope) -> QuerySet[User]:
    """The teams' active members, each with their current status and since when."""
    current = AgentStatusInterval.objects.filter(staff=OuterRef("pk"), ended_at__isnull=True)
    in_teams = Team.members.through.objects.filter(user=OuterRef("pk"), team_id__in=scope.team_ids)
    return (
        User.objects.filter(Exists(in_teams), is_active=True)
        .annotate(
            current_status=Coalesce(
                Subquery(current.values("status")[:1]), Value(Status.OFFLINE.value)
            ),
            status_since=Subquery(current.values("started_at")[:1]),
        )
        .order_by("current_status", "status_since", "display_name", "id")
    )


OPEN_CLOCK_STATES = (ServiceClock.State.RUNNING, ServiceClock.State.PAUSED)


def _breached(now: datetime) -> Q:
    return Q(breached_at__isnull=False) | Q(state=ServiceClock.State.RUNNING, due_at__lte=now)


def _at_risk(now: datetime) -> Q:
    # "Not breached" is checked row by row: with planner statistics SQLite would otherwise read
    # every unbreached clock ever from the breach index instead of the short (state, team,
    # due_at) range (0.2 → 30 ms at S).
    return Q(
        IsNull(Unindexed("breached_at"), True),
        state=ServiceClock.State.RUNNING,
        warn_at__lte=now,
        due_at__gt=now,
    )


def open_clocks(scope: Scope) -> QuerySet[ServiceClock]:
    """The teams' clocks still counting (closing a ticket stops its clocks; the clock's team
    follows the ticket's: rapport.tickets.clocks.clocks_reassign); read from the
    sla_clock_state_team index."""
    # `team_id + 0` keeps SQLite off the plain team index (every clock ever) and on the
    # index of the clocks by state.
    return ServiceClock.objects.alias(team_unindexed=F("team_id") + 0).filter(
        team_unindexed__in=scope.team_ids, state__in=OPEN_CLOCK_STATES
    )


def _clock_conditions(scope: Scope) -> dict[str, Q]:
    """Per clock: breached, or at risk on a ticket with no breached clock (a ticket counts once,
    under its worst state)."""
    breached_sibling = ServiceClock.objects.filter(
        Q(ticket_id=OuterRef("ticket_id")),
        _breached(scope.now),
        state__in=OPEN_CLOCK_STATES,
    )
    return {
        "breached": _breached(scope.now),
        "at_risk": _at_risk(scope.now) & ~Q(Exists(breached_sibling)),
    }


def team_tickets(scope: Scope) -> QuerySet[Ticket]:
    # `is_open` spelt as a literal: SQLite uses a partial index (the team queue's, WHERE
    # is_open) only when the query states its condition as written, not as a parameter.
    return Ticket.objects.filter(team_id__in=scope.team_ids).extra(
        where=[f'"tickets_ticket"."is_open" = {_literal_true()}']
    )


def _literal_true() -> str:
    return "1" if connection.vendor == "sqlite" else "true"


COUNT_CAP = 1000


def _running_clocks(scope: Scope) -> QuerySet[ServiceClock]:
    """The teams' running clocks through the (state, team, due_at) index: at risk means not
    yet due, a short range of it."""
    return ServiceClock.objects.filter(team_id__in=scope.team_ids, state=ServiceClock.State.RUNNING)


def _most_overdue(scope: Scope, limit: int = 10) -> list[tuple[int, datetime]]:
    """The `limit` most overdue (ticket, since) pairs of the teams' breached clocks, one per
    ticket (its longest overdue clock), read in the order of the (state, due_at) index so no
    query sorts every breached clock: running clocks by due instant, then the paused breached
    ones, merged. A ticket has at most three clocks, so 3 × limit rows of each are enough."""
    breached = _clock_conditions(scope)["breached"]
    rows = 3 * limit
    running = list(
        open_clocks(scope)
        .filter(breached, state=ServiceClock.State.RUNNING)
        .order_by("due_at", "id")
        .values_list("ticket_id", "due_at", "breached_at", "id")[:rows]
    )
    paused = list(
        open_clocks(scope)
        .filter(state=ServiceClock.State.PAUSED, breached_at__isnull=False)
        .annotate(since=Coalesce("due_at", "breached_at"))
        .order_by("since", "id")
        .values_list("ticket_id", "since", "id")[:rows]
    )
    pairs = [(due or at, pk, ticket) for ticket, due, at, pk in running]
    pairs += [(since, pk, ticket) for ticket, since, pk in paused]
    first: dict[int, datetime] = {}
    for since, _pk, ticket in sorted(pairs):
        first.setdefault(ticket, since)
    return list(first.items())[:limit]


class OverdueTickets(Sequence):
    """The breached tickets, most overdue first, up to COUNT_CAP: a list a paginator pages
    through, reading only the page's tickets (with `clock_moment`, the instant overdue since)."""

    def __init__(self, scope: Scope):
        self.pairs = _most_overdue(scope, limit=COUNT_CAP)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        pairs = self.pairs[index]
        tickets = Ticket.objects.select_related("customer", "assignee", "team").in_bulk(
            [ticket for ticket, _since in pairs]
        )
        out = []
        for ticket_id, since in pairs:
            ticket = tickets.get(ticket_id)
            if ticket is not None:
                ticket.clock_moment = since
                out.append(ticket)
        return out


def ticket_items(scope: Scope, figure: str) -> QuerySet[Ticket]:
    """The open tickets behind one ticket figure; breached ones the most overdue first, at-risk
    ones the soonest due first, the rest by priority."""
    related = ("customer", "assignee", "team")
    if figure in ("open", "unassigned"):
        qs = team_tickets(scope)
        if figure == "unassigned":
            qs = qs.filter(assignee__isnull=True)
        return qs.select_related(*related).order_by("-priority", "created_at", "id")
    if figure == "breached":
        return OverdueTickets(scope)
    clocks = open_clocks(scope).filter(_clock_conditions(scope)[figure])
    mine = clocks.filter(ticket_id=OuterRef("pk"))
    if figure == "breached":
        moment = mine.annotate(at=Coalesce("due_at", "breached_at")).order_by("at").values("at")
    else:
        moment = mine.order_by("due_at").values("due_at")
    return (
        Ticket.objects.filter(pk__in=clocks.values("ticket_id"))
        .select_related(*related)
        .annotate(clock_moment=Subquery(moment[:1]))
        .order_by("clock_moment", "id")
    )


def conversation_items(scope: Scope, figure: str) -> QuerySet[Conversation]:
    qs = Conversation.objects.filter(team_id__in=scope.team_ids, state__in=Conversation.OPEN_STATES)
    if figure == "conversations_unassigned":
        qs = qs.filter(state=Conversation.State.UNASSIGNED)
    return qs.select_related("customer", "account", "claimed_by").order_by("last_message_at", "id")


def volume_items(scope: Scope, member_ids: list[int], channel: str = "") -> QuerySet[Interaction]:
    qs = Interaction.objects.filter(started_at__gte=scope.today_start, staff_id__in=member_ids)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.select_related("customer", "staff", "purpose").order_by("-started_at", "-id")


def csat_items(scope: Scope) -> QuerySet[SurveyResponse]:
    # `team_id + 0`: start from the week's answers (the submitted_at index), not from every
    # send of the teams (48 ms at M).
    return (
        SurveyResponse.objects.alias(send_team_unindexed=F("send__team_id") + 0)
        .filter(
            submitted_at__gte=scope.csat_start,
            csat__isnull=False,
            send_team_unindexed__in=scope.team_ids,
        )
        .select_related("send", "send__customer", "send__owner")
        .order_by("-submitted_at", "-id")
    )


# -- The board ----------------------------------------------------------------------------------


@dataclass
class Board:
    scope: Scope
    people: list[User]
    status_counts: list[tuple[str, str, int]]
    tickets: dict[str, int]
    most_overdue: list[Ticket]
    conversations: dict[str, int]
    approvals: int
    volume: list[tuple[str, str, int]]
    volume_total: int
    csat: dict


def board(*, staff: User, scope: Scope) -> Board:
    """Every figure of the dashboard in a fixed number of queries (eight), whatever the size."""
    people = list(members(scope))
    counts = {s: 0 for s in Status.values}
    for person in people:
        counts[person.current_status] = counts.get(person.current_status, 0) + 1
    # Two counts, each from its own index (the team queue's, the unassigned queue's).
    tickets = {
        "open": team_tickets(scope).count(),
        # From the unassigned queue's partial index: with planner statistics SQLite would
        # read every open ticket of the teams instead (0.4 → 13 ms at S).
        "unassigned": Ticket.objects.filter(Q(In(Unindexed("team_id"), scope.team_ids)))
        .extra(where=[f'"tickets_ticket"."is_open" = {_literal_true()}'])
        .filter(assignee__isnull=True)
        .count(),
    }
    conditions = _clock_conditions(scope)
    # Counted up to COUNT_CAP tickets ("1000+"): a centre behind on 50,000 tickets (dataset M)
    # made these two counts and the list below cost 300 ms, and beyond a thousand the exact
    # number changes nothing a lead does today.
    for name in ("breached", "at_risk"):
        clocks = open_clocks(scope) if name == "breached" else _running_clocks(scope)
        n = (
            clocks.filter(conditions[name])
            .order_by()
            .values("ticket_id")
            .distinct()[: COUNT_CAP + 1]
            .count()
        )
        tickets[name], tickets[f"{name}_more"] = min(n, COUNT_CAP), n > COUNT_CAP
    overdue = _most_overdue(scope) if tickets["breached"] else []
    since_of: dict[int, datetime] = {}
    for ticket_id, since in overdue:
        since_of.setdefault(ticket_id, since)
    top = list(since_of)[:5]
    most_overdue = (
        Ticket.objects.filter(pk__in=top).select_related("assignee").in_bulk() if top else {}
    )
    for ticket in most_overdue.values():
        ticket.overdue_since = since_of[ticket.pk]
    conversation_counts = Conversation.objects.filter(
        team_id__in=scope.team_ids, state__in=Conversation.OPEN_STATES
    ).aggregate(
        conversations=Count("id"),
        conversations_unassigned=Count("id", filter=Q(state=Conversation.State.UNASSIGNED)),
    )
    member_ids = [p.pk for p in people]
    by_channel = dict(
        volume_items(scope, member_ids)
        .order_by()
        .values("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    csat = (
        csat_items(scope)
        .order_by()
        .aggregate(n=Count("id"), satisfied=Count("id", filter=Q(csat__gte=4)), mean=Avg("csat"))
    )
    csat["share"] = csat["satisfied"] / csat["n"] if csat["n"] else None
    return Board(
        scope=scope,
        people=people,
        status_counts=[(s.value, str(s.label), counts.get(s.value, 0)) for s in Status],
        tickets=tickets,
        most_overdue=[most_overdue[pk] for pk in top if pk in most_overdue],
        conversations=conversation_counts,
        approvals=pending_approvals(staff=staff, team_ids=scope.team_ids).order_by().count(),
        volume=[
            (c.value, str(c.label), by_channel[c.value])
            for c in Interaction.Channel
            if by_channel.get(c.value)
        ],
        volume_total=sum(by_channel.values()),
        csat=csat,
    )


def figure_items(*, scope: Scope, figure: str, status: str = "", channel: str = ""):
    """The items behind one figure of the board: the list its number links to."""
    if figure == "agents":
        qs = members(scope)
        return qs.filter(current_status=status) if status else qs
    if figure in TICKET_FIGURES:
        return ticket_items(scope, figure)
    if figure in CONVERSATION_FIGURES:
        return conversation_items(scope, figure)
    if figure == "volume":
        ids = list(members(scope).values_list("pk", flat=True))
        return volume_items(scope, ids, channel)
    if figure == "csat":
        return csat_items(scope)
    raise KeyError(figure)
