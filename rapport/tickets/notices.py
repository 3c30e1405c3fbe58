"""What ticket work tells staff (rapport.notifications): who hears of which event.

`ticket_event_announce` is called with every timeline event the ticket services and the customer
messaging record, in the same transaction; it decides from the event who is told. Every
notification carries a dedupe key derived from the event (or the customer's message), so a
retried call creates nothing new. `notify` itself skips inactive staff and the actor.

Who is told:
- assigned / handed to a supervisor → the new assignee (ticket_assigned);
- a department asked to investigate → that department's members (investigation_requested);
- its answer → the ticket's people: its owner (first responder), assignee and who asked;
- a remedy needing approval → the supervisors who may decide for the ticket's team;
- the decision → the ticket's people and who offered it (approval_decided);
- the customer wrote / confirmed → the ticket's people (customer_replied / customer_confirmed);
- a ticket from the public form → the team's members, or with no team every service team's
  (public_ticket);
- `@name` in an internal note → that staff member (mention).
"""

import re

from django.db.models import Q
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rapport.notifications.services import (
    notification_recipients_supervisors,
    notification_team_members,
    notify,
)
from rapport.staff.models import Team, User
from rapport.tickets.models import Remedy, Ticket, TicketEvent, TicketInvestigation

E = TicketEvent.Kind
MENTION = re.compile(r"(?<![\w.@])@([\w.\-]{1,40})")  # not an e-mail address
BODY_MAX = 200


def ticket_url(ticket: Ticket) -> str:
    return reverse("tickets:detail", args=[ticket.pk])


def ticket_people(ticket: Ticket, *extra: User | None) -> list[User]:
    """The ticket's owner (first responder) and assignee, and any `extra`, once each."""
    people: dict[int, User] = {}
    for user in (ticket.first_responder, ticket.assignee, *extra):
        if user is not None:
            people.setdefault(user.pk, user)
    return list(people.values())


def mentioned_staff(text: str) -> list[User]:
    """Active staff named as `@username` or `@display name` in `text`. A Chinese name runs into
    the words after it (`@李娜请看`), so every prefix of a mention is tried; one query."""
    words = MENTION.findall(text or "")
    if not words:
        return []
    prefixes = {w[:n] for w in words for n in range(1, len(w) + 1)}
    found = User.objects.filter(is_active=True).filter(
        Q(username__in=prefixes) | Q(display_name__in=prefixes)
    )
    return list(found.order_by("id"))


def _number(ticket: Ticket, text) -> object:
    return format_lazy(text, number=ticket.number)


def ticket_event_announce(event: TicketEvent) -> int:
    """Tell whoever `event` concerns; returns the number of notifications created."""
    handler = _HANDLERS.get(event.kind)
    if handler is None:
        return 0
    return handler(event.ticket, event)


def _assigned(ticket: Ticket, event: TicketEvent) -> int:
    to_id = (event.data or {}).get("to")
    user = ticket.assignee if ticket.assignee_id == to_id else User.objects.filter(pk=to_id).first()
    if user is None:
        return 0
    if event.kind == E.ESCALATED:
        title = _number(ticket, _("Ticket {number} was handed to you as supervisor"))
    else:
        title = _number(ticket, _("Ticket {number} was assigned to you"))
    return notify(
        users=[user],
        kind="ticket_assigned",
        title=title,
        body=event.body or ticket.subject,
        url=ticket_url(ticket),
        actor=event.actor,
        dedupe_key=f"ticket_assigned:{event.pk}",
    )


def _investigation(ticket: Ticket, event: TicketEvent) -> int:
    investigation = TicketInvestigation.objects.select_related(
        "team", "requested_by", "answered_by"
    ).get(pk=event.data["investigation"])
    if event.kind == E.INVESTIGATION:
        return notify(
            users=notification_team_members(team=investigation.team),
            kind="investigation_requested",
            title=_number(ticket, _("Ticket {number}: your department is asked to investigate")),
            body=investigation.question,
            url=ticket_url(ticket),
            actor=event.actor,
            dedupe_key=f"investigation_requested:{investigation.pk}",
        )
    return notify(
        users=ticket_people(ticket, investigation.requested_by),
        kind="investigation_answered",
        title=format_lazy(
            _("Ticket {number}: {team} answered the investigation"),
            number=ticket.number,
            team=investigation.team.name,
        ),
        body=investigation.finding[:BODY_MAX],
        url=ticket_url(ticket),
        actor=event.actor,
        dedupe_key=f"investigation_answered:{investigation.pk}",
    )


def _remedy(ticket: Ticket, event: TicketEvent) -> int:
    remedy = Remedy.objects.select_related("offered_by").get(pk=event.data["remedy"])
    if event.kind == E.REMEDY:
        if remedy.approval != Remedy.Approval.PENDING:
            return 0
        return notify(
            users=notification_recipients_supervisors(team=ticket.team),
            kind="approval_requested",
            title=_number(ticket, _("Ticket {number}: a remedy waits for your approval")),
            body=event.body,
            url=ticket_url(ticket),
            actor=event.actor,
            dedupe_key=f"approval_requested:{remedy.pk}",
        )
    if remedy.approval == Remedy.Approval.APPROVED:
        title = _number(ticket, _("Ticket {number}: the remedy was approved"))
    else:
        title = _number(ticket, _("Ticket {number}: the remedy was rejected"))
    return notify(
        users=ticket_people(ticket, remedy.offered_by),
        kind="approval_decided",
        title=title,
        body=remedy.decision_comment,
        url=ticket_url(ticket),
        actor=event.actor,
        dedupe_key=f"approval_decided:{remedy.pk}",
    )


def _customer_message(ticket: Ticket, event: TicketEvent) -> int:
    data = event.data or {}
    if data.get("automatic") or not event.is_public:
        return 0
    message_id = data.get("message_id")
    key = f"message:{message_id}" if message_id else f"event:{event.pk}"
    return notify(
        users=ticket_people(ticket),
        kind="customer_replied",
        title=_number(ticket, _("Ticket {number}: the customer replied")),
        body=event.body[:BODY_MAX],
        url=ticket_url(ticket),
        dedupe_key=f"customer_replied:{ticket.pk}:{key}",
    )


def _transition(ticket: Ticket, event: TicketEvent) -> int:
    if event.action != "customer_confirmed":
        return 0
    return notify(
        users=ticket_people(ticket),
        kind="customer_confirmed",
        title=_number(ticket, _("Ticket {number}: the customer confirmed the resolution")),
        url=ticket_url(ticket),
        dedupe_key=f"customer_confirmed:{event.pk}",
    )


def _created(ticket: Ticket, event: TicketEvent) -> int:
    if ticket.source != Ticket.Source.PUBLIC_FORM:
        return 0
    if ticket.team_id is not None:
        people = notification_team_members(team=ticket.team)
    else:  # a new customer has no service team yet: every service team hears of it
        people = list(
            User.objects.filter(
                is_active=True, teams__kind=Team.Kind.SERVICE, teams__is_active=True
            ).distinct()
        )
    return notify(
        users=people,
        kind="public_ticket",
        title=_number(ticket, _("New ticket {number} from the public form")),
        body=ticket.subject,
        url=ticket_url(ticket),
        dedupe_key=f"public_ticket:{ticket.pk}",
    )


def _note(ticket: Ticket, event: TicketEvent) -> int:
    people = mentioned_staff(event.body)
    if not people:
        return 0
    author = event.actor.name if event.actor else ""
    return notify(
        users=people,
        kind="mention",
        title=format_lazy(
            _("{name} mentioned you on ticket {number}"), name=author, number=ticket.number
        ),
        body=event.body[:BODY_MAX],
        url=ticket_url(ticket),
        actor=event.actor,
        dedupe_key=f"mention:{event.pk}",
    )


_HANDLERS = {
    E.ASSIGNED: _assigned,
    E.ESCALATED: _assigned,
    E.INVESTIGATION: _investigation,
    E.INVESTIGATION_DONE: _investigation,
    E.REMEDY: _remedy,
    E.APPROVAL: _remedy,
    E.CUSTOMER_MESSAGE: _customer_message,
    E.TRANSITION: _transition,
    E.CREATED: _created,
    E.NOTE: _note,
}
