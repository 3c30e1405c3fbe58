"""Who works on a ticket without anyone handing it over: routing a new ticket to an agent
(rapport.interactions.routing), an agent claiming an unassigned one, and escalating those left
unassigned too long to the team's supervisors."""

from datetime import datetime, timedelta

from django.db.models import Count, F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.errors import Conflict, Forbidden
from rapport.interactions import routing
from rapport.staff.models import User
from rapport.tickets import clocks, notices
from rapport.tickets.models import Ticket, TicketEvent, TicketType

E = TicketEvent.Kind


def open_tickets_per_agent(user_ids: list[int]) -> dict[int, int]:
    """The load counter tickets register with routing: open tickets assigned to each agent."""
    rows = (
        Ticket.objects.filter(assignee_id__in=user_ids, is_open=True)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {row["assignee_id"]: row["n"] for row in rows}


def ticket_type_skills() -> list[tuple[str, str]]:
    return [(t.code, str(t)) for t in TicketType.objects.filter(is_active=True).order_by("id")]


def _assigned_event(ticket: Ticket, by: User | None, to: User, action: str) -> TicketEvent:
    event = TicketEvent(
        ticket=ticket,
        kind=E.ASSIGNED,
        actor=by,
        at=timezone.now(),
        action=action,
        data={"from": None, "to": to.pk},
    )
    event.full_clean(exclude=["ticket", "actor"])
    event.save()
    notices.ticket_event_announce(event)
    return event


def ticket_route(*, ticket: Ticket) -> User | None:
    """Give an unassigned new ticket to the agent its team's routing picks, in the caller's
    transaction; the agent is told (ticket_assigned). None: the team routes by hand, or nobody
    is available under their cap. A ticket someone took meanwhile is left alone."""
    if ticket.assignee_id is not None or ticket.team_id is None or not ticket.is_open:
        return None
    if not routing.team_routes_work(ticket.team_id):
        return None  # by hand; asked before the team and the type are read
    skill = ticket.ticket_type.code if ticket.ticket_type_id else ""
    agent = routing.pick_agent(team=ticket.team, skill=skill)
    if agent is None:
        return None
    if not Ticket.objects.filter(pk=ticket.pk, assignee__isnull=True).update(assignee=agent):
        return None
    ticket.assignee = agent
    _assigned_event(ticket, None, agent, "route")
    clocks.clocks_reassign(ticket)
    clocks.clocks_regrouped([ticket.pk])
    return agent


def ticket_claim(*, ticket: Ticket, by: User) -> Ticket:
    """`by` takes an unassigned open ticket and becomes its assignee (and its first responder
    if it has none, 首问负责制). Two people claiming at once: one conditional UPDATE wins, the
    other gets Conflict(code="already_claimed") naming the winner; claiming one's own ticket
    again is a no-op. Raises Forbidden without `tickets.work`, Conflict(code="ticket_closed")
    for a closed ticket."""
    if not by.can("tickets.work"):
        raise Forbidden(_("You may not work on tickets."))
    changes = {
        "assignee": by,
        "first_responder": Coalesce(F("first_responder"), Value(by.pk)),
        "updated_at": timezone.now(),
    }
    own_team = by.teams.order_by("id").values_list("id", flat=True).first()
    if own_team is not None:
        changes["team"] = Coalesce(F("team"), Value(own_team))
    won = Ticket.objects.filter(pk=ticket.pk, assignee__isnull=True, is_open=True).update(**changes)
    fresh = Ticket.objects.select_related("assignee", "team").get(pk=ticket.pk)
    if not won:
        if fresh.assignee_id == by.pk:
            return fresh
        if fresh.assignee_id is not None:
            raise Conflict(
                _("%(name)s claimed this ticket first.") % {"name": fresh.assignee},
                code="already_claimed",
            )
        raise Conflict(_("This ticket is closed."), code="ticket_closed")
    _assigned_event(fresh, by, by, "claim")
    clocks.clocks_reassign(fresh)
    clocks.clocks_regrouped([fresh.pk])
    return fresh


def tickets_escalate_unassigned(*, now: datetime | None = None, limit: int = 500) -> int:
    """Tell the supervisors of each team that escalates (TeamRouting.escalate_after_minutes)
    about its open tickets still unassigned after that time, once per ticket. Returns how many
    tickets were escalated."""
    now = now or timezone.now()
    escalated = 0
    for setting in routing.teams_escalating():
        waiting = (
            Ticket.objects.filter(
                team=setting.team,
                assignee__isnull=True,
                is_open=True,
                created_at__lte=now - timedelta(minutes=setting.escalate_after_minutes),
            )
            .exclude(pk__in=routing.already_escalated("ticket"))
            .order_by("created_at")[:limit]
        )
        for ticket in waiting:
            escalated += routing.unassigned_escalate(
                source="ticket",
                item_id=ticket.pk,
                team=setting.team,
                title=format_lazy(
                    gettext_lazy("Ticket {number} is still unassigned after {minutes} minutes"),
                    number=ticket.number,
                    minutes=setting.escalate_after_minutes,
                ),
                url=reverse("tickets:detail", args=[ticket.pk]),
            )
    return escalated
