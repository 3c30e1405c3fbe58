"""Conversations in the team inbox: claim, reply, close, link to a ticket."""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.channels.models import Conversation, Message, OutboxMessage
from rapport.core.errors import Conflict, Forbidden
from rapport.staff.models import User

TEXT_MAX = 10_000


def _require_inbox(by: User) -> None:
    if not by.can("inbox.work"):
        raise Forbidden(_("You may not work on the team inbox."))


def conversation_claim(*, conversation: Conversation, by: User) -> Conversation:
    """`by` takes an unassigned conversation. Two people claiming at once: one wins (a
    conditional UPDATE), the other gets Conflict(code="already_claimed") naming the winner.
    Claiming one's own claim again is a no-op. Raises Forbidden without `inbox.work`."""
    _require_inbox(by)
    now = timezone.now()
    won = Conversation.objects.filter(
        pk=conversation.pk, state=Conversation.State.UNASSIGNED
    ).update(state=Conversation.State.CLAIMED, claimed_by=by, claimed_at=now)
    fresh = Conversation.objects.select_related("claimed_by").get(pk=conversation.pk)
    if not won and not (fresh.state == Conversation.State.CLAIMED and fresh.claimed_by_id == by.pk):
        if fresh.state == Conversation.State.CLAIMED:
            raise Conflict(
                _("%(name)s claimed this conversation first.") % {"name": fresh.claimed_by},
                code="already_claimed",
            )
        raise Conflict(_("This conversation is already dealt with."), code="conversation_closed")
    return fresh


def _last_inbound(conversation: Conversation) -> Message | None:
    return (
        conversation.messages.filter(direction=Message.Direction.INBOUND)
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def conversation_reply(
    *, conversation: Conversation, by: User, body: str, idempotency_key: str | None = None
) -> OutboxMessage:
    """Queue a reply to the customer in the conversation's thread (outbox, source
    "conversation_reply"). An unassigned conversation becomes `by`'s; one claimed by someone
    else may not be answered (Conflict). Raises ValidationError for an empty or too long body."""
    from rapport.channels.services.outbox import outbox_queue

    _require_inbox(by)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write the reply.")]})
    if len(body) > TEXT_MAX:
        raise ValidationError({"body": [_("At most 10,000 characters, please.")]})
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.state == Conversation.State.CLOSED:
        raise Conflict(_("This conversation is closed."), code="conversation_closed")
    if conversation.state == Conversation.State.CLAIMED and conversation.claimed_by_id != by.pk:
        raise Conflict(
            _("%(name)s is handling this conversation.") % {"name": conversation.claimed_by},
            code="already_claimed",
        )
    if conversation.state == Conversation.State.UNASSIGNED:
        conversation.state = Conversation.State.CLAIMED
        conversation.claimed_by = by
        conversation.claimed_at = timezone.now()
        conversation.save(update_fields=["state", "claimed_by", "claimed_at"])
    thread = _last_inbound(conversation)
    from rapport.channels.email import strip_subject_prefixes

    subject = strip_subject_prefixes(thread.subject if thread else conversation.subject)
    key = idempotency_key or f"conversation_reply:{conversation.pk}:{uuid.uuid4().hex}"
    return outbox_queue(
        customer=conversation.customer,
        purpose="service",
        source="conversation_reply",
        subject=_("Re: %(subject)s") % {"subject": subject} if subject else "",
        body=body,
        thread=thread,
        conversation=conversation,
        ticket_id=conversation.ticket_id,
        idempotency_key=key,
        by=by,
    )


@transaction.atomic
def conversation_close(*, conversation: Conversation, by: User, reason: str) -> Conversation:
    """Close an open conversation (no action needed, answered, spam, other). Raises
    ValidationError for an unknown reason, Conflict when it is already dealt with or someone
    else holds it."""
    _require_inbox(by)
    if reason not in Conversation.CloseReason.values:
        raise ValidationError({"reason": [_("Choose why the conversation is closed.")]})
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not conversation.is_open:
        raise Conflict(_("This conversation is already dealt with."), code="conversation_closed")
    if (
        conversation.state == Conversation.State.CLAIMED
        and conversation.claimed_by_id != by.pk
        and not by.can("inbox.see_all")
    ):
        raise Conflict(
            _("%(name)s is handling this conversation.") % {"name": conversation.claimed_by},
            code="already_claimed",
        )
    conversation.state = Conversation.State.CLOSED
    conversation.closed_reason = reason
    conversation.closed_at = timezone.now()
    conversation.closed_by = by
    conversation.save(update_fields=["state", "closed_reason", "closed_at", "closed_by"])
    return conversation


@transaction.atomic
def conversation_link_ticket(
    *, conversation: Conversation, ticket_id: int, by: User | None, converted: bool = False
) -> Conversation:
    """Record that the conversation became (`converted`) or was linked to ticket `ticket_id`;
    its messages carry the ticket id from now on. Called by tickets, which checks the ticket.
    Raises Conflict when the conversation is already closed or belongs to another ticket."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.ticket_id not in (None, ticket_id) or conversation.state == (
        Conversation.State.CLOSED
    ):
        raise Conflict(_("This conversation is already dealt with."), code="conversation_closed")
    conversation.ticket_id = ticket_id
    conversation.state = Conversation.State.CONVERTED if converted else Conversation.State.LINKED
    conversation.save(update_fields=["ticket_id", "state"])
    conversation.messages.filter(ticket_id__isnull=True).update(ticket_id=ticket_id)
    OutboxMessage.objects.filter(conversation=conversation, ticket_id__isnull=True).update(
        ticket_id=ticket_id
    )
    return conversation
