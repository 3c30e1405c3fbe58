"""Tickets and the messages customers send and receive (rapport.channels).

Inbound: `thread_inbound` is registered with rapport.channels.registry at start-up; for each
inbound message it finds the ticket the message belongs to (our Message-ID token, a known
Message-ID, then a `[T000123]` subject token of the same customer) and appends, reopens or opens a
linked ticket; with no ticket it opens one only when the account's routing says so. Automatic mail
(auto-replies, out-of-office, bounces) only ever appends: it never reopens, opens or resumes a
clock.

Outbound: `reply_queue` puts a ticket reply in the outbox with the thread headers;
`tracking_link_send` sends the tracking link. The customer's side of the tracking page
(`ticket_customer_answer`, `ticket_customer_confirm`) goes through the same rules as mail.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.channels import services as channel_services
from rapport.channels.email import (
    message_id_hash,
    strip_subject_prefixes,
    subject_ticket_number,
)
from rapport.channels.models import (
    ChannelAccount,
    Conversation,
    Message,
    MessagingSettings,
    OutboxMessage,
)
from rapport.channels.registry import ThreadDecision
from rapport.core.prepared import Prepared
from rapport.core.urls import reverse_kept
from rapport.customers.models import Identity
from rapport.staff.models import User
from rapport.tickets import clocks, notices
from rapport.tickets import services as ticket_services
from rapport.tickets.models import Ticket, TicketEvent, TicketType, validate_no_markup

S = Ticket.Status
E = TicketEvent.Kind
TEXT_MAX = 4000


# -- Finding the ticket of an inbound message ---------------------------------------------------


def _ticket_number_pk(number: str | None) -> int | None:
    digits = (number or "").upper().lstrip("T")
    return int(digits) if digits.isdigit() and int(digits) > 0 else None


def ticket_for_message(message: Message) -> Ticket | None:
    """The ticket an inbound message answers: the ticket the pipeline already found (our own
    Message-ID token), a known Message-ID of a ticket's message, then a subject token — the
    subject token only for the same customer, as anyone can type one."""
    header_ids = [*message.in_reply_to, *message.references]
    ticket_id = message.ticket_id
    if ticket_id is None and header_ids:
        ticket_id = (
            Message.objects.filter(
                message_id_hash__in=[message_id_hash(m) for m in header_ids[-20:]],
                ticket_id__isnull=False,
            )
            .order_by("-created_at", "-id")
            .values_list("ticket_id", flat=True)
            .first()
        )
    if ticket_id is not None:
        ticket = Ticket.objects.filter(pk=ticket_id).first()
        if ticket is not None:
            return ticket
    pk = _ticket_number_pk(subject_ticket_number(message.subject or ""))
    if pk is None:
        return None
    return Ticket.objects.filter(pk=pk, customer_id=message.customer_id).first()


# -- Writing a customer's message onto a ticket -------------------------------------------------


def _safe_text(text: str) -> str:
    """A customer's text as a ticket keeps it: markup that could run in a browser is defused
    with full-width angle brackets (the original stays on the message)."""
    text = (text or "").strip()[:TEXT_MAX]
    try:
        validate_no_markup(text)
    except ValidationError:
        text = text.replace("<", "＜").replace(">", "＞")
    return text


def _message_text(message: Message) -> str:
    return _safe_text(message.reply_text or message.text) or _safe_text(message.subject)


def _reopen_window_open(ticket: Ticket, now: datetime) -> bool:
    if ticket.status != S.CLOSED:
        return True
    days = MessagingSettings.cached().reopen_window_days
    return ticket.closed_at is not None and now - ticket.closed_at <= timedelta(days=days)


def ticket_receive_text(
    *,
    ticket: Ticket,
    text: str,
    channel: str,
    automatic: str = "",
    message_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Ticket, str]:
    """The customer wrote `text` about `ticket`: returns (the ticket it went to, the action).

    Open ticket → "append" (a ticket waiting on the customer runs again); resolved, or closed
    within MessagingSettings.reopen_window_days → "reopen"; closed longer → "new_linked", a new
    ticket linked to the old one. Automatic mail is always "append" and changes nothing else.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        data = {"channel": channel, "message_id": message_id}
        if automatic:
            data["automatic"] = automatic
            _customer_event(ticket, text, now, data, public=False)
            return ticket, "append"
        if ticket.is_open and ticket.status != S.RESOLVED:
            _customer_event(ticket, text, now, data)
            if ticket.status == S.WAITING and ticket.waiting_on == Ticket.WaitingOn.CUSTOMER:
                ticket = ticket_services.ticket_transition(
                    ticket=ticket, by=None, action="customer_answered"
                )
            else:
                Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
            return ticket, "append"
        if _reopen_window_open(ticket, now):
            _customer_event(ticket, text, now, data)
            ticket = ticket_services.ticket_transition(
                ticket=ticket,
                by=None,
                action="customer_reopened",
                reason=_site(lambda: _("The customer wrote again.")),
            )
            return ticket, "reopen"
        new = _open_linked(ticket, text, channel, now, message_id)
        return new, "new_linked"


def _site(build) -> str:
    return ticket_services._site_text(build)


def _customer_event(ticket: Ticket, text: str, now: datetime, data: dict, public=True) -> None:
    event = TicketEvent(
        ticket=ticket,
        kind=E.CUSTOMER_MESSAGE,
        at=now,
        body=text[:TEXT_MAX],
        is_public=public,
        data=data,
    )
    event.full_clean(exclude=["ticket", "actor"])
    event.save()
    notices.ticket_event_announce(event)


def _open_linked(
    old: Ticket, text: str, channel: str, now: datetime, message_id: int | None
) -> Ticket:
    new = ticket_services.ticket_create(
        by=None,
        customer=old.customer,
        kind=old.kind,
        source=Ticket.Source.MESSAGE,
        subject=old.subject,
        description=text,
        customer_words=text,
        contact_name=old.contact_name,
        contact_phone=old.contact_phone,
        contact_email=old.contact_email,
        occurred_at=now,
        occurred_where=_channel_label(channel),
        asset=old.asset,
        team=old.team,
    )
    Ticket.objects.filter(pk=new.pk).update(repeat_of=old, is_repeat=True)
    new.repeat_of, new.is_repeat = old, True
    if message_id is not None:
        Message.objects.filter(pk=message_id).update(ticket_id=new.pk)
    note = _site(
        lambda: (
            _("The customer wrote after the reopening window; new ticket %(number)s.")
            % {"number": new.number}
        )
    )
    TicketEvent.objects.create(
        ticket=old,
        kind=E.NOTE,
        at=now,
        body=note,
        data={"linked_ticket_id": new.pk, **ticket_services.site_texts(note)},
    )
    return new


def _channel_label(channel: str) -> str:
    from rapport.interactions.models import Interaction

    labels = dict(Interaction.Channel.choices)
    return _site(lambda: str(labels.get(channel, channel)))


def ticket_open_from_message(
    *,
    message: Message,
    by: User | None = None,
    kind: str = "",
    ticket_type_code: str = "",
    team=None,
    text: str = "",
) -> Ticket:
    """A ticket whose description and customer's own words (顾客原话) are the message's text.

    `by` (converting a conversation) becomes the first responder; without it (an account routed
    to tickets) the account's team gets it. The message and its conversation are linked to it.
    """
    text = text or _message_text(message) or _safe_text(message.text)
    with transaction.atomic():
        ticket = ticket_services.ticket_create(
            by=by,
            customer=message.customer,
            kind=kind or Ticket.Kind.COMPLAINT,
            source=Ticket.Source.MESSAGE,
            subject=_safe_text(strip_subject_prefixes(message.subject or ""))[:120],
            description=text,
            customer_words=text,
            contact_name=(message.sender_name or message.customer.name)[:100],
            contact_email=message.sender if message.channel == "email" else "",
            contact_phone=_phone_of(message),
            occurred_at=message.created_at,
            occurred_where=_channel_label(message.channel),
            interaction=message.interaction
            if message.interaction and message.interaction.customer_id == message.customer_id
            else None,
            team=team if by is None else None,
        )
        fields = []
        ticket_type = (
            TicketType.objects.filter(code=ticket_type_code, is_active=True).first()
            if ticket_type_code
            else None
        )
        if ticket_type is not None:
            ticket.ticket_type = ticket_type
            ticket.priority = ticket_services.priority_for(
                ticket_type=ticket_type, impact=ticket.impact, tier=ticket.customer.tier
            )
            fields += ["ticket_type", "priority"]
        if fields:
            ticket.save(update_fields=fields)
            clocks.clocks_retarget(ticket)
            clocks.clocks_reassign(ticket)
            clocks.clocks_regrouped([ticket.pk])
        Message.objects.filter(pk=message.pk).update(ticket_id=ticket.pk)
    return ticket


def _phone_of(message: Message) -> str:
    if message.channel == "sms":
        return message.sender
    if message.channel == "email" and message.sender:
        return ""
    identity = Identity.objects.filter(
        customer_id=message.customer_id, kind="phone", is_primary=True
    ).first()
    return identity.value if identity is not None else ""


# Channels without threading headers (SMS, WeChat): an account may send a customer's message to
# the customer's open ticket (config "thread_open_ticket": true) instead of a new conversation.
HEADERLESS_CHANNELS = ("sms", "wechat", "wecom")


def _open_ticket_by_routing(message: Message, account: ChannelAccount) -> Ticket | None:
    if message.channel not in HEADERLESS_CHANNELS:
        return None
    if not (account.config or {}).get("thread_open_ticket"):
        return None
    return (
        Ticket.objects.filter(customer_id=message.customer_id, is_open=True)
        .order_by("-updated_at", "-id")
        .first()
    )


def thread_inbound(message: Message, parsed, account: ChannelAccount) -> ThreadDecision | None:
    """The registry hook: where an inbound message goes on the ticket side, or None (the
    pipeline then files it in a conversation)."""
    ticket = ticket_for_message(message)
    if ticket is None and account is not None and not message.auto:
        ticket = _open_ticket_by_routing(message, account)
    if ticket is not None:
        target, action = ticket_receive_text(
            ticket=ticket,
            text=_message_text(message),
            channel=message.channel,
            automatic=message.auto,
            message_id=message.pk,
            now=message.created_at,
        )
        return ThreadDecision(ticket_id=target.pk, action=action)
    if message.auto or account is None or account.open_as != ChannelAccount.OpenAs.TICKET:
        return None
    ticket = ticket_open_from_message(
        message=message,
        kind=account.ticket_kind,
        ticket_type_code=account.ticket_type_code,
        team=account.default_team,
    )
    return ThreadDecision(ticket_id=ticket.pk, action="open_ticket")


# -- Conversations that become tickets ----------------------------------------------------------


def _first_inbound(conversation: Conversation) -> Message:
    message = (
        conversation.messages.filter(direction=Message.Direction.INBOUND, auto="")
        .select_related("customer", "interaction")
        .order_by("created_at", "id")
        .first()
    )
    if message is None:
        raise ValidationError({"conversation": [_("This conversation has no customer message.")]})
    return message


@transaction.atomic
def conversation_convert(*, conversation: Conversation, by: User, kind: str = "") -> Ticket:
    """Open a ticket from the conversation: the customer's first message is the description and
    their own words; later messages follow on the timeline. The conversation links to it."""
    if not by.can("tickets.create"):
        from rapport.core.errors import Forbidden

        raise Forbidden(_("You may not open tickets."))
    if not conversation.is_open:
        from rapport.core.errors import Conflict

        raise Conflict(_("This conversation is already dealt with."), code="conversation_closed")
    first = _first_inbound(conversation)
    if conversation.account.kind in CHAT_CHANNELS:
        # A chat is many short lines: all of them, in order, are the customer's own words.
        lines = _chat_lines(conversation)
        ticket = ticket_open_from_message(message=first, by=by, kind=kind, text=lines)
        conversation.messages.update(ticket_id=ticket.pk)
    else:
        ticket = ticket_open_from_message(message=first, by=by, kind=kind)
        _copy_later_messages(conversation, ticket, exclude=first.pk)
    channel_services.conversation_link_ticket(
        conversation=conversation, ticket_id=ticket.pk, by=by, converted=True
    )
    return ticket


CHAT_CHANNELS = ("wechat", "wecom")


def _chat_lines(conversation: Conversation) -> str:
    """The customer's chat messages, one per line, as they wrote them (no timestamps added)."""
    texts = [
        _message_text(m)
        for m in conversation.messages.filter(
            direction=Message.Direction.INBOUND, auto=""
        ).order_by("created_at", "id")
    ]
    return _safe_text("\n".join(t for t in texts if t))


@transaction.atomic
def conversation_attach(*, conversation: Conversation, ticket: Ticket, by: User) -> Ticket:
    """Add the conversation's messages to an existing ticket of the same customer."""
    if ticket.customer_id != conversation.customer_id:
        raise ValidationError({"ticket": [_("That ticket is another customer's.")]})
    if not ticket.is_open:
        raise ValidationError({"ticket": [_("That ticket is closed; convert to a new one.")]})
    if not conversation.is_open:
        from rapport.core.errors import Conflict

        raise Conflict(_("This conversation is already dealt with."), code="conversation_closed")
    _copy_later_messages(conversation, ticket, exclude=None)
    channel_services.conversation_link_ticket(
        conversation=conversation, ticket_id=ticket.pk, by=by, converted=False
    )
    return ticket


def _copy_later_messages(conversation: Conversation, ticket: Ticket, exclude: int | None) -> None:
    messages = conversation.messages.filter(direction=Message.Direction.INBOUND).order_by(
        "created_at", "id"
    )
    for message in messages:
        if message.pk != exclude:
            _customer_event(
                ticket,
                _message_text(message),
                message.created_at,
                {"channel": message.channel, "message_id": message.pk, "automatic": message.auto},
                public=not message.auto,
            )
    conversation.messages.update(ticket_id=ticket.pk)


# -- Replies and the tracking link --------------------------------------------------------------


def ticket_email_address(ticket: Ticket) -> str:
    """Where e-mail about the ticket goes: the contact address given, else the customer's
    primary e-mail identity."""
    if ticket.contact_email:
        return ticket.contact_email
    identity = (
        Identity.objects.filter(customer_id=ticket.customer_id, kind="email")
        .order_by("-is_primary", "id")
        .first()
    )
    return identity.value if identity is not None else ""


def last_inbound_message(ticket: Ticket) -> Message | None:
    return (
        Message.objects.filter(ticket_id=ticket.pk, direction=Message.Direction.INBOUND)
        .exclude(message_id="")
        .order_by("-created_at", "-id")
        .first()
    )


def reply_subject(ticket: Ticket, thread: Message | None) -> str:
    base = strip_subject_prefixes(thread.subject) if thread is not None else ticket.subject
    base = base or ticket.subject
    tagged = base if subject_ticket_number(base) else f"[{ticket.number}] {base}"
    return (f"回复：{tagged}" if thread is not None else tagged)[:300]


def reply_queue(
    *, ticket: Ticket, by: User, body: str, event_id: int, channel: str = "email"
) -> OutboxMessage:
    """Queue a ticket reply by e-mail in the thread of the customer's last message, or with
    channel "auto" on the channel that reaches the customer (the outbox chooses and says why)."""
    if channel == "auto":
        return channel_services.outbox_queue(
            customer=ticket.customer,
            purpose="service",
            source="ticket_reply",
            subject=reply_subject(ticket, None),
            body=body,
            ticket_id=ticket.pk,
            idempotency_key=f"ticket_reply:{event_id}",
            by=by,
        )
    to = ticket_email_address(ticket)
    if not to:
        raise ValidationError(
            {"channel": [_("The customer has no e-mail address; choose another channel.")]}
        )
    thread = last_inbound_message(ticket)
    return channel_services.outbox_queue(
        customer=ticket.customer,
        purpose="service",
        source="ticket_reply",
        subject=reply_subject(ticket, thread),
        body=body,
        channel="email",
        to_address=to,
        ticket_id=ticket.pk,
        thread=thread,
        idempotency_key=f"ticket_reply:{event_id}",
        by=by,
    )


def tracking_url(ticket: Ticket) -> str:
    return settings.SITE_URL.rstrip("/") + reverse_kept("tickets:track", args=[ticket.public_token])


@transaction.atomic
def tracking_link_send(*, ticket: Ticket, by: User) -> OutboxMessage:
    """Send the customer the tracking link (once a day at most for the same ticket): to the
    e-mail address given on the ticket, else on the channel that reaches the customer
    (channel_choose: WeChat, SMS, e-mail). Raises ValidationError when nothing reaches them."""
    ticket_services._check(ticket, by, "reply")
    to = ticket.contact_email or None
    link = tracking_url(ticket)
    subject = _site(
        lambda: _("[%(number)s] Follow your request online") % {"number": ticket.number}
    )
    body = _site(
        lambda: (
            _(
                "Hello %(name)s,\n\nYou can follow request %(number)s, answer us and tell us when it "
                "is resolved on this page:\n%(link)s\n\n%(company)s"
            )
            % {
                "name": ticket.contact_name,
                "number": ticket.number,
                "link": link,
                "company": settings.COMPANY_NAME,
            }
        )
    )
    outbox = channel_services.outbox_queue(
        customer=ticket.customer,
        purpose="service",
        source="tracking_link",
        subject=subject,
        body=body,
        # The link opens the ticket to whoever holds it: the timeline gets no copy of it.
        summary=_site(
            lambda: (
                _("[%(number)s] Tracking link sent (the link is in the message only).")
                % {"number": ticket.number}
            )
        ),
        channel="email" if to else None,
        to_address=to,
        ticket_id=ticket.pk,
        idempotency_key=f"tracking_link:{ticket.pk}:{timezone.localdate():%Y%m%d}",
        by=by,
    )
    to = outbox.to_address
    if not to:
        raise ValidationError({"channel": [_("No channel reaches the customer.")]})
    if not TicketEvent.objects.filter(ticket=ticket, data__outbox_id=outbox.pk).exists():
        sent = _site(lambda: _("Tracking link sent to %(to)s.") % {"to": to})
        TicketEvent.objects.create(
            ticket=ticket,
            kind=E.NOTE,
            actor=by,
            body=sent,
            data={
                "outbox_id": outbox.pk,
                "source": "tracking_link",
                **ticket_services.site_texts(sent),
            },
        )
    return outbox


def reply_deliveries(events: list[TicketEvent]) -> dict[int, OutboxMessage]:
    """The outbox rows behind the events that sent something, by id (one query)."""
    ids = [e.data.get("outbox_id") for e in events if isinstance(e.data, dict)]
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return {}
    return {o.pk: o for o in OutboxMessage.objects.filter(pk__in=ids)}


_UNDELIVERED = Prepared(
    lambda shape, ticket_id: OutboxMessage.objects.filter(
        ticket_id=ticket_id,
        state__in=[OutboxMessage.State.FAILED, OutboxMessage.State.REFUSED],
    ).order_by("-created_at", "-id")[:3]
)


def undelivered_replies(*, ticket: Ticket) -> list[OutboxMessage]:
    """Messages about this ticket that will never arrive (failed or refused), newest first (on
    every ticket page: compiled once per process)."""
    return _UNDELIVERED.list(ticket_id=ticket.pk)


# -- The customer on the tracking page ----------------------------------------------------------


def ticket_customer_answer(*, ticket: Ticket, text: str) -> tuple[Ticket, str]:
    """The customer answers on the tracking page: the same rules as a reply by mail, recorded as
    an inbound web-form interaction."""
    from rapport.interactions import services as interaction_services
    from rapport.interactions.models import Interaction

    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write your message.")]})
    if len(text) > TEXT_MAX:
        raise ValidationError({"text": [_("At most 4000 characters, please.")]})
    validate_no_markup(text)
    with transaction.atomic():
        target, action = ticket_receive_text(ticket=ticket, text=text, channel="web_form")
        interaction_services.interaction_log(
            by=None,
            customer=target.customer,
            channel=Interaction.Channel.WEB_FORM,
            direction=Interaction.Direction.INBOUND,
            purpose=_complaint_purpose(),
            summary=f"{target.number} {text}"[:TEXT_MAX],
        )
    return target, action


def _complaint_purpose():
    from rapport.interactions.models import Purpose

    return (
        Purpose.objects.filter(code="complaint").first()
        or Purpose.objects.filter(is_active=True).order_by("sort_order", "id").first()
    )


def ticket_customer_confirm(*, ticket: Ticket) -> Ticket:
    """The customer confirms on the tracking page that the problem is resolved: the ticket
    closes as confirmed satisfied. Only a resolved ticket can be confirmed."""
    return ticket_services.ticket_transition(ticket=ticket, by=None, action="customer_confirmed")


# -- The outbox tells the ticket ----------------------------------------------------------------


def on_outbox_change(outbox: OutboxMessage) -> None:
    """A ticket's message that failed for good or was refused shows on its timeline once."""
    if outbox.ticket_id is None or outbox.state not in (
        OutboxMessage.State.FAILED,
        OutboxMessage.State.REFUSED,
    ):
        return
    ticket = Ticket.objects.filter(pk=outbox.ticket_id).first()
    if ticket is None:
        return
    if TicketEvent.objects.filter(
        ticket=ticket, kind=E.DELIVERY, data__outbox_id=outbox.pk
    ).exists():
        return
    reason = outbox.get_reason_display() or outbox.error
    failed = _site(
        lambda: (
            _("Not delivered to %(to)s: %(reason)s")
            % {"to": outbox.to_address or "—", "reason": reason}
        )
    )[:TEXT_MAX]
    TicketEvent.objects.create(
        ticket=ticket,
        kind=E.DELIVERY,
        body=failed,
        data={
            "outbox_id": outbox.pk,
            "state": outbox.state,
            "reason": outbox.reason,
            **ticket_services.site_texts(failed),
        },
    )
