"""Reads for the team inbox and conversations, scoped to what the staff member may see ("not
allowed" looks exactly like "not found"). In tickets because the inbox shows each customer's open
tickets next to their message."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from rapport.channels.models import Conversation, InboundMessage, Message, OutboxMessage
from rapport.core.errors import NotFound
from rapport.customers.models import Customer, Identity
from rapport.interactions.models import Interaction
from rapport.staff.models import User
from rapport.tickets.models import Ticket
from rapport.tickets.selectors import ticket_visible_qs

TABS = ("team", "mine", "all")


def _team_ids(staff: User) -> list[int]:
    if not hasattr(staff, "_inbox_team_ids"):
        staff._inbox_team_ids = list(staff.teams.values_list("id", flat=True))
    return staff._inbox_team_ids


def conversation_visible_qs(*, staff: User) -> QuerySet[Conversation]:
    """Leads see every conversation; the others those of their teams and those they claimed."""
    if not staff.can("inbox.work"):
        return Conversation.objects.none()
    if staff.can("inbox.see_all"):
        return Conversation.objects.all()
    return Conversation.objects.filter(Q(team_id__in=_team_ids(staff)) | Q(claimed_by=staff))


def conversation_get_for_staff(*, staff: User, conversation_id) -> Conversation:
    try:
        return (
            conversation_visible_qs(staff=staff)
            .select_related("customer", "account", "team", "claimed_by", "closed_by")
            .get(pk=conversation_id)
        )
    except (Conversation.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such conversation.")) from exc


def inbox(*, staff: User, tab: str = "team") -> QuerySet[Conversation]:
    """Unassigned conversations of my teams (all teams for leads), those I claimed, or every
    open one I may see; the newest message first."""
    visible = conversation_visible_qs(staff=staff)
    if tab == "mine":
        qs = visible.filter(state=Conversation.State.CLAIMED, claimed_by=staff)
    elif tab == "all":
        qs = visible.filter(state__in=Conversation.OPEN_STATES)
    else:
        qs = visible.filter(state=Conversation.State.UNASSIGNED)
        if not staff.can("inbox.see_all"):
            qs = qs.filter(team_id__in=_team_ids(staff))
    last = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Message.Direction.INBOUND
    ).order_by("-created_at", "-id")
    return (
        qs.select_related("customer", "account", "team", "claimed_by")
        .annotate(
            last_text=Subquery(last.values("reply_text")[:1]),
            last_sender=Subquery(last.values("sender")[:1]),
        )
        .order_by("-last_message_at", "-id")
    )


def inbox_counts(*, staff: User) -> dict[str, int]:
    return {
        "team": inbox(staff=staff, tab="team").order_by().count(),
        "mine": inbox(staff=staff, tab="mine").order_by().count(),
    }


def customer_context(*, customers: list[Customer]) -> dict[int, dict]:
    """For each customer: open tickets and the last contact, in two queries."""
    ids = [c.pk for c in customers]
    if not ids:
        return {}
    open_tickets = dict(
        Ticket.objects.filter(customer_id__in=ids, is_open=True)
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    last = Interaction.objects.filter(customer_id=OuterRef("pk")).order_by("-started_at", "-id")
    contacts = {
        row["pk"]: row
        for row in Customer.objects.filter(pk__in=ids)
        .annotate(
            last_contact_at=Subquery(last.values("started_at")[:1]),
            last_contact_channel=Subquery(last.values("channel")[:1]),
        )
        .values("pk", "last_contact_at", "last_contact_channel")
    }
    channels = dict(Interaction.Channel.choices)
    return {
        pk: {
            "open_tickets": open_tickets.get(pk, 0),
            "last_contact_at": contacts.get(pk, {}).get("last_contact_at"),
            "last_contact_channel": channels.get(
                contacts.get(pk, {}).get("last_contact_channel"), ""
            ),
        }
        for pk in ids
    }


def conversation_detail(*, conversation: Conversation, staff: User) -> dict:
    """What the conversation page shows, in a fixed number of queries."""
    customer = conversation.customer
    messages = list(
        conversation.messages.select_related("sent_by", "outbox")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    pending = list(
        OutboxMessage.objects.filter(conversation=conversation)
        .exclude(state__in=[OutboxMessage.State.SENT, OutboxMessage.State.DELIVERED])
        .select_related("created_by")
        .order_by("created_at", "id")
    )
    tickets = list(
        ticket_visible_qs(staff=staff)
        .filter(customer=customer)
        .only("id", "subject", "status", "is_open", "created_at")
        .order_by("-is_open", "-created_at")[:8]
    )
    return {
        "thread": messages,
        "pending": pending,
        "identities": list(
            Identity.objects.filter(customer=customer, is_primary=True).order_by("kind")
        ),
        "tickets": tickets,
        "open_tickets": [t for t in tickets if t.is_open],
        "recent_interactions": list(
            Interaction.objects.filter(customer=customer)
            .select_related("purpose")
            .order_by("-started_at", "-id")[:4]
        ),
        "linked_ticket": Ticket.objects.filter(pk=conversation.ticket_id).first()
        if conversation.ticket_id
        else None,
    }


def message_get_for_staff(*, staff: User, message_id) -> Message:
    """A message of a conversation the staff member may see, or of a ticket they may see."""
    try:
        message = Message.objects.select_related("conversation").get(pk=message_id)
    except (Message.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such message.")) from exc
    if (
        message.conversation_id
        and conversation_visible_qs(staff=staff).filter(pk=message.conversation_id).exists()
    ):
        return message
    if message.ticket_id and ticket_visible_qs(staff=staff).filter(pk=message.ticket_id).exists():
        return message
    raise NotFound(_("No such message."))


def quarantine(*, state: str = "quarantined") -> QuerySet[InboundMessage]:
    if state not in InboundMessage.State.values:
        state = InboundMessage.State.QUARANTINED
    return (
        InboundMessage.objects.filter(state=state)
        .select_related("account")
        .defer("raw_bytes")
        .order_by("-received_at", "-id")
    )
