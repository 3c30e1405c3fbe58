"""The inbound pipeline, the same for every channel: store raw → parse → customer → thread →
Message + attachments + interaction → a conversation or a ticket.

`inbound_receive` only stores and acknowledges; `inbound_process` (run by a task, and by a sweep
for rows a dead worker left behind) does the rest under a lease, so two workers never process
the same message and nothing is ever dropped silently: a message either gets processed,
quarantined with a readable reason, or ignored with one.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.channels import registry
from rapport.channels.models import (
    ChannelAccount,
    Conversation,
    InboundMessage,
    Message,
    MessageAttachment,
    MessagingSettings,
    OutboxMessage,
)
from rapport.core.enqueue import enqueue_for_row, enqueue_for_rows
from rapport.core.errors import DomainError, Forbidden
from rapport.core.rawsql import Columns, insert_row, insert_rows, read_one, update_where
from rapport.customers.models import Customer
from rapport.customers.services import (
    customer_get_or_create_from_contact,
    identity_mark_undeliverable,
)
from rapport.interactions.models import Interaction, Purpose
from rapport.interactions.services import interaction_log
from rapport.staff.models import User

logger = logging.getLogger(__name__)

# A worker holds a message this long; after it, the sweep may take it over.
PROCESS_LEASE = timedelta(minutes=5)
# A message whose processing keeps failing for a database reason is quarantined after this.
MAX_PROCESS_ATTEMPTS = 5
MAX_RAW_BYTES = 40 * 1024 * 1024
# Rows still `received` this long after arriving are picked up by the sweep.
STUCK_AFTER = timedelta(minutes=2)
# Automatic replies per sender address per day (RFC 3834).
ACK_KEY = "ack:{channel}:{address}:{day}"


class Quarantine(Exception):
    """The message cannot be recorded as it is; `reason` is shown to the administrator."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Ignore(Exception):
    """The message is recorded raw but belongs to no customer (our own loop, a stray bounce)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Incoming:
    """What the pipeline needs of a parsed message, whatever the channel."""

    sender: str  # the address/id the customer wrote from ("" → quarantine)
    sender_name: str = ""
    recipients: list[str] = field(default_factory=list)
    subject: str = ""
    text: str = ""
    reply_text: str = ""
    html: str = ""
    message_id: str = ""
    message_id_hash: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    auto: str = ""
    defects: list[str] = field(default_factory=list)
    attachments: list[Any] = field(default_factory=list)
    sent_at: Any = None
    own_ticket_id: int | None = None
    own_outbox_id: int | None = None
    bounce: Any = None
    parsed: Any = None  # the channel's own parsed form, for threaders
    # Chat channels (WeChat, WeCom, SMS): the identity kind the sender id is, a customer the
    # parser already resolved, threading into the customer's open conversation on the account,
    # and `handled`: dealt with by the parser (an event), no Message — the text is the summary.
    identity_kind: str = "email"
    customer: Any = None
    thread_by_customer: bool = False
    handled: str = ""


def own_domain(account: ChannelAccount) -> str:
    return (account.address.rpartition("@")[2] or "rapport.invalid").lower()


def message_id_secret() -> str:
    """Signs our Message-IDs so a sender cannot forge a reply into someone else's ticket."""
    return "rapport.channels.message-id:" + settings.SECRET_KEY


# --- Receiving --------------------------------------------------------------------------------


def _unsaved_inbound(account: ChannelAccount, provider_id: str, raw: bytes) -> InboundMessage:
    """The row `inbound_receive` stores (not saved; a large message's file is written), or
    ValidationError naming `provider_id` or `raw`, DomainError for an inactive account."""
    provider_id = (provider_id or "").strip()
    errors: dict[str, list[str]] = {}
    if not provider_id:
        errors["provider_id"] = [_("The message needs the provider's id.")]
    elif len(provider_id) > 255:
        errors["provider_id"] = [_("The provider's id has at most 255 characters.")]
    if not isinstance(raw, bytes | bytearray | memoryview) or not bytes(raw).strip():
        errors["raw"] = [_("The message is empty.")]
    elif len(raw) > MAX_RAW_BYTES:
        errors["raw"] = [
            _("The message is larger than %(mb)d MB.") % {"mb": MAX_RAW_BYTES // (1024 * 1024)}
        ]
    if errors:
        raise ValidationError(errors)
    if not account.is_active:
        raise DomainError(_("This account is switched off."), code="account_inactive")
    raw = bytes(raw)
    digest = hashlib.sha256(raw).hexdigest()
    inbound = InboundMessage(
        account=account,
        provider_id=provider_id,
        content_hash=digest,
        size=len(raw),
        received_at=timezone.now(),
    )
    if len(raw) <= InboundMessage.INLINE_MAX_BYTES:
        inbound.raw_bytes = raw
    else:
        inbound.raw_file.save(f"{account.pk}-{digest[:24]}.eml", ContentFile(raw), save=False)
    return inbound


def _stored(account: ChannelAccount, provider_id: str) -> InboundMessage | None:
    return InboundMessage.objects.filter(account=account, provider_id=provider_id.strip()).first()


def inbound_receive(*, account: ChannelAccount, provider_id: str, raw: bytes) -> InboundMessage:
    """Store one message as it arrived and queue its processing; returns the stored row.

    The same `provider_id` on the same account (an IMAP re-sync, a webhook retry) returns the
    first row and queues nothing, also when two deliveries race. Raises ValidationError naming
    `provider_id` or `raw` for an empty id, an empty or oversized message, DomainError for an
    inactive account.
    """
    inbound = _unsaved_inbound(account, provider_id, raw)
    try:  # a repeated provider id (the common duplicate) fails on the unique constraint
        with transaction.atomic():
            insert_row(connections[InboundMessage.objects.db], inbound)
            _enqueue_process(inbound.pk)
    except IntegrityError:
        existing = _stored(account, provider_id)
        if existing is None:
            raise
        return existing
    return inbound


def inbound_receive_many(
    items: list[tuple[ChannelAccount, str, bytes]],
) -> list[InboundMessage | Exception]:
    """`inbound_receive` for several messages (account, provider id, raw) in one transaction:
    one commit, however many arrived together (the callback ingress's group commit). Each
    item's outcome in order: its stored row (the first row for a repeated provider id, also
    within the batch), or the ValidationError/DomainError `inbound_receive` would raise. A
    database error fails the whole batch (raised): nothing of it is stored."""
    outcomes: list[Any] = []
    for account, provider_id, raw in items:
        try:
            outcomes.append(_unsaved_inbound(account, provider_id, raw))
        except (ValidationError, DomainError) as exc:
            outcomes.append(exc)
    connection = connections[InboundMessage.objects.db]
    new = [inbound for inbound in outcomes if isinstance(inbound, InboundMessage)]
    with transaction.atomic(using=connection.alias):
        stored = insert_rows(
            connection, new, skip_conflict=True, match=("account_id", "provider_id")
        )
        if stored:
            _enqueue_process(*(inbound.pk for inbound in stored))
    stored_ids = {id(inbound) for inbound in stored}
    for n, inbound in enumerate(outcomes):
        if isinstance(inbound, InboundMessage) and id(inbound) not in stored_ids:
            outcomes[n] = _stored(inbound.account, inbound.provider_id) or inbound
    return outcomes


# Messages stored together are queued as one task per this many (inbound_process_batch_task):
# one task row instead of one each, while a burst still spreads over several workers.
INBOUND_TASK_BATCH = 10


def _enqueue_process(*inbound_ids: int) -> None:
    """Queue the processing with the stored rows (rapport.core.enqueue)."""
    from rapport.channels.tasks import inbound_process_batch_task, inbound_process_task

    def failed() -> None:  # the sweep picks the rows up; the messages are stored either way
        logger.exception("Could not queue processing of inbound messages %s", inbound_ids)

    using = InboundMessage.objects.db
    if len(inbound_ids) == 1:
        enqueue_for_row(
            inbound_process_task, using=using, on_error=failed, inbound_id=inbound_ids[0]
        )
        return
    chunks = [
        {"inbound_ids": list(inbound_ids[n : n + INBOUND_TASK_BATCH])}
        for n in range(0, len(inbound_ids), INBOUND_TASK_BATCH)
    ]
    enqueue_for_rows(inbound_process_batch_task, chunks, using=using, on_error=failed)


# --- Processing -------------------------------------------------------------------------------


_INBOUND = Columns(InboundMessage, "m")


def _claim(inbound_id: int, now) -> InboundMessage | None:
    """Take the row with a lease (a conditional UPDATE), then read it; None when another
    worker holds it or it is done. Both statements are written once (rapport.core.rawsql):
    building them through the ORM cost more than running them, for every message."""
    connection = connections[InboundMessage.objects.db]
    q = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {q(InboundMessage._meta.db_table)} SET {q('lease_until')} = %s, "
            f"{q('attempts')} = {q('attempts')} + 1 WHERE {q('id')} = %s AND {q('state')} = %s "
            f"AND ({q('lease_until')} IS NULL OR {q('lease_until')} < %s)",
            [
                adapt(now + PROCESS_LEASE),
                inbound_id,
                InboundMessage.State.RECEIVED.value,
                adapt(now),
            ],
        )
        if cursor.rowcount != 1:
            return None
    found = read_one(connection, [_INBOUND], "", f"WHERE m.{q('id')} = %s", [inbound_id])
    return found[0] if found is not None else None


def inbound_process(*, inbound_id: int, now=None) -> InboundMessage | None:
    """Parse, match, thread and record one received message; idempotent.

    Claims the row with a lease (a conditional UPDATE), so a message another worker is processing
    or has processed is left alone (returns None). A message that cannot be read, has no sender or
    whose recording fails is quarantined with the reason; our own mail coming back and stray
    bounces are ignored with the reason. A database failure leaves the row for the sweep, up to
    MAX_PROCESS_ATTEMPTS, then quarantines it.
    """
    now = now or timezone.now()
    inbound = _claim(inbound_id, now)
    if inbound is None:
        return None
    # The account as the outbox keeps it per process (saving an account forgets it): the same
    # few rows for every message, cheaper than joining them in.
    from rapport.channels.services.outbox import sending_account

    inbound.account = sending_account(inbound.account_id)
    try:
        # Mail is read before the write transaction: parsing is pure CPU (a quarter of a
        # message's), so another worker may write while this one parses. Other channels' parsers
        # record what they learn (a follow, a session) and run inside it.
        incoming = _parse(inbound) if inbound.account.kind == ChannelAccount.Kind.EMAIL else None
        with transaction.atomic():
            _process(inbound, incoming)
    except Quarantine as exc:
        _finish(inbound, InboundMessage.State.QUARANTINED, exc.reason)
    except Ignore as exc:
        _finish(inbound, InboundMessage.State.IGNORED, exc.reason)
    except DatabaseError as exc:
        if inbound.attempts >= MAX_PROCESS_ATTEMPTS:
            _finish(inbound, InboundMessage.State.QUARANTINED, _error_text(exc))
        else:  # a passing failure (locked, connection lost): the sweep retries after the lease
            logger.warning("Inbound message %s: %s; will retry", inbound.pk, exc)
    except Exception as exc:
        logger.exception("Inbound message %s could not be recorded", inbound.pk)
        _finish(inbound, InboundMessage.State.QUARANTINED, _error_text(exc))
    return inbound


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    if isinstance(exc, DomainError):
        return str(exc.message)
    return f"{type(exc).__name__}: {exc}"[:2000]


def _finish(inbound: InboundMessage, state: str, reason: str, **fields) -> None:
    """Write the outcome to the row and to `inbound`."""
    fields.update(
        state=state,
        error=reason[:4000],
        summary=inbound.summary,
        processed_at=timezone.now(),
        lease_until=None,
    )
    update_where(connections[InboundMessage.objects.db], InboundMessage, fields, {"id": inbound.pk})
    for name, value in fields.items():
        setattr(inbound, name, value)


def _parse(inbound: InboundMessage) -> Incoming:
    account = inbound.account
    if account.kind != ChannelAccount.Kind.EMAIL:
        parser = registry.inbound_parser(account.kind)
        if parser is None:
            raise Quarantine(_("Messages of this channel cannot be read yet."))
        return parser(inbound)
    from rapport.channels.email import EmailParseError, message_id_hash, own_token, parse_email

    domain = own_domain(account)
    try:
        parsed = parse_email(inbound.read_raw(), own_domain=domain)
    except EmailParseError as exc:
        raise Quarantine(exc.reason) from exc
    candidates = [*parsed.in_reply_to, *reversed(parsed.references)]
    if parsed.bounce is not None and parsed.bounce.original_message_id:
        candidates.insert(0, parsed.bounce.original_message_id)
    ticket_id, outbox_id = own_token(candidates, own_domain=domain, secret=message_id_secret())
    return Incoming(
        sender=parsed.from_address,
        sender_name=parsed.from_name,
        recipients=[*parsed.to, *parsed.cc][:100],
        subject=parsed.subject,
        text=parsed.text,
        reply_text=parsed.reply_text,
        html=parsed.html,
        message_id=parsed.message_id,
        message_id_hash=message_id_hash(parsed.message_id) if parsed.message_id else "",
        in_reply_to=list(parsed.in_reply_to),
        references=list(parsed.references),
        auto=parsed.auto,
        defects=list(parsed.defects),
        attachments=list(parsed.attachments),
        sent_at=parsed.date,
        own_ticket_id=ticket_id,
        own_outbox_id=outbox_id,
        bounce=parsed.bounce,
        parsed=parsed,
    )


def _process(inbound: InboundMessage, incoming: Incoming | None = None) -> None:
    account = inbound.account
    incoming = incoming or _parse(inbound)
    if incoming.handled:
        inbound.summary = incoming.handled[:300]
        _finish(inbound, InboundMessage.State.PROCESSED, "")
        return
    inbound.summary = f"{incoming.sender} {incoming.subject or incoming.text[:80]}".strip()[:300]
    if incoming.auto == Message.Auto.LOOP:
        raise Ignore(_("Our own message came back (a mail loop); not recorded again."))
    bounced_outbox = _handle_bounce(incoming)
    customer = _customer_of(incoming, bounced_outbox)
    now = timezone.now()
    message = Message(
        account=account,
        direction=Message.Direction.INBOUND,
        channel=account.kind,
        customer=customer,
        sender=incoming.sender[:254],
        sender_name=incoming.sender_name[:200],
        recipients=incoming.recipients,
        subject=incoming.subject[:500],
        text=incoming.text,
        reply_text=incoming.reply_text,
        html=incoming.html,
        message_id=incoming.message_id,
        message_id_hash=incoming.message_id_hash,
        in_reply_to=incoming.in_reply_to[:100],
        references=incoming.references[-100:],
        auto=incoming.auto,
        defects=incoming.defects[:100],
        created_at=now,
    )
    # Threading, step 1 and 2: our own Message-ID token, then Message-IDs we already know.
    conversation = _known_thread(message, incoming)
    if conversation is None and incoming.thread_by_customer:
        conversation = (
            Conversation.objects.filter(
                account=account, customer=customer, state__in=Conversation.OPEN_STATES
            )
            .order_by("-last_message_at", "-id")
            .first()
        )
    insert_row(connections[Message.objects.db], message)  # written once: made for every message
    _save_attachments(message, incoming.attachments)
    # Step 3: the registered threaders (tickets); they see message.ticket_id as a hint.
    decision = _ask_threaders(message, incoming.parsed, account)
    if decision is not None:
        message.ticket_id = decision.ticket_id
    elif conversation is None or not conversation.is_open:
        conversation = None
        if not message.auto:  # step 4: a new conversation in the account's team inbox
            conversation = _open_conversation(account, customer, message, now)
    if conversation is not None:
        message.conversation = conversation
        if conversation.created_at != now:
            update_where(
                connections[Conversation.objects.db],
                Conversation,
                {"last_message_at": now},
                {"id": conversation.pk},
            )
    message.interaction = interaction_log(
        by=None,
        customer=customer,
        channel=_interaction_channel(account.kind),
        direction=Interaction.Direction.INBOUND,
        purpose=_purpose(),
        summary=_interaction_summary(message),
        started_at=min(now, incoming.sent_at) if incoming.sent_at else now,
    )
    update_where(
        connections[Message.objects.db],
        Message,
        {
            "ticket_id": message.ticket_id,
            "conversation": message.conversation_id,
            "interaction": message.interaction_id,
        },
        {"id": message.pk},
    )
    if conversation is not None and conversation.created_at != now:
        from rapport.channels.notices import conversation_message_announce

        conversation_message_announce(conversation=conversation, message=message)
    for recorded in registry.inbound_recorded(account.kind):
        recorded(message, incoming, account)
    _finish(
        inbound,
        InboundMessage.State.PROCESSED,
        "",
        conversation=conversation,
        message=message,
    )
    if conversation is not None and conversation.created_at == now and decision is None:
        _acknowledge(account, customer, message)


def _handle_bounce(incoming: Incoming) -> OutboxMessage | None:
    """A permanent bounce: the address is undeliverable and the outbox row that bounced failed."""
    bounce = incoming.bounce
    if incoming.auto != Message.Auto.BOUNCE or bounce is None:
        return None
    outbox = None
    if incoming.own_outbox_id:
        outbox = OutboxMessage.objects.filter(pk=incoming.own_outbox_id).first()
    if not bounce.permanent:
        return outbox
    recipient = bounce.recipient or (outbox.to_address if outbox else "")
    reason = f"{bounce.status} {bounce.diagnostic}".strip()[:300]
    if recipient:
        identity_mark_undeliverable(kind="email", value=recipient, reason=reason)
    if outbox is not None:
        changed = OutboxMessage.objects.filter(
            pk=outbox.pk,
            state__in=[OutboxMessage.State.SENT, OutboxMessage.State.DELIVERED],
        ).update(
            state=OutboxMessage.State.FAILED,
            reason=OutboxMessage.Reason.BOUNCED,
            error=reason,
            lease_until=None,
        )
        if changed:
            from rapport.channels.services.outbox import notify_listeners

            notify_listeners(outbox.pk)
    return outbox


def _customer_of(incoming: Incoming, bounced_outbox: OutboxMessage | None) -> Customer:
    if incoming.customer is not None:
        return _live(incoming.customer)
    if bounced_outbox is not None:
        return _live(bounced_outbox.customer)
    if incoming.auto == Message.Auto.BOUNCE:
        recipient = incoming.bounce.recipient if incoming.bounce is not None else ""
        from rapport.customers.selectors import customer_find_by_identity

        customer = customer_find_by_identity(kind="email", raw=recipient) if recipient else None
        if customer is None:
            raise Ignore(_("A delivery failure for an address no customer has."))
        return customer
    if not incoming.sender:
        raise Quarantine(_("The message has no sender (From is missing or unreadable)."))
    if incoming.auto:
        # Automatic mail from someone we do not know does not make a potential customer.
        from rapport.customers.selectors import customer_find_by_identity

        customer = customer_find_by_identity(kind=incoming.identity_kind, raw=incoming.sender)
        if customer is None:
            raise Ignore(_("Automatic mail from an unknown sender."))
        return customer
    try:
        customer, _created = customer_get_or_create_from_contact(
            kind=incoming.identity_kind, value=incoming.sender, name=incoming.sender_name
        )
    except ValidationError as exc:
        raise Quarantine(
            _("The sender's address “%(address)s” is not valid.") % {"address": incoming.sender}
        ) from exc
    return customer


def _live(customer: Customer) -> Customer:
    while customer.merged_into_id:
        customer = customer.merged_into
    return customer


_THREAD_MESSAGE = Columns(Message, "t", ["id", "conversation", "ticket_id"])
_THREAD_CONVERSATION = Columns(Conversation, "v")


def _known_thread(message: Message, incoming: Incoming) -> Conversation | None:
    """Our token first (no lookup needed), then any referenced Message-ID we stored. Sets the
    ticket hint on `message` and returns the conversation the thread lives in, if any."""
    # Each lookup reads the row and its conversation at once (select_related; `only` keeps the
    # referring row to the two ids wanted).
    if incoming.own_outbox_id:
        outbox = next(
            iter(
                OutboxMessage.objects.filter(pk=incoming.own_outbox_id)
                .select_related("conversation")
                .only("ticket_id", "conversation")
                .order_by()[:1]
            ),
            None,
        )
        if outbox is not None:
            message.ticket_id = outbox.ticket_id or incoming.own_ticket_id
            if outbox.conversation_id:
                return outbox.conversation
            if message.ticket_id:
                return None
    if incoming.own_ticket_id and message.ticket_id is None:
        message.ticket_id = incoming.own_ticket_id
    if not (incoming.in_reply_to or incoming.references):
        return None
    from rapport.channels.email import message_id_hash

    ids = [*incoming.in_reply_to, *reversed(incoming.references)][:50]
    if not ids:
        return None
    hashes = [message_id_hash(m) for m in ids]
    # The newest stored message of the thread that has a home, with its conversation: read for
    # every reply, so written once (rapport.core.rawsql) rather than built by the ORM.
    connection = connections[Message.objects.db]
    q = connection.ops.quote_name
    found = read_one(
        connection,
        [_THREAD_MESSAGE, _THREAD_CONVERSATION],
        f"LEFT OUTER JOIN {_THREAD_CONVERSATION.table(connection)} "
        f"ON v.{q('id')} = t.{q('conversation_id')}",
        f"WHERE t.{q('message_id_hash')} IN ({', '.join(['%s'] * len(hashes))}) "
        f"AND (t.{q('conversation_id')} IS NOT NULL OR t.{q('ticket_id')} IS NOT NULL) "
        f"ORDER BY t.{q('created_at')} DESC, t.{q('id')} DESC LIMIT 1",
        hashes,
    )
    if found is None:
        return None
    known, conversation = found
    if message.ticket_id is None:
        message.ticket_id = known.ticket_id
    return conversation


def _ask_threaders(message: Message, parsed, account: ChannelAccount):
    for threader in registry.inbound_threaders():
        decision = threader(message, parsed, account)
        if decision is not None:
            if message.auto and decision.action != "append":
                raise Quarantine(
                    _("A threader opened or reopened a ticket for automatic mail (%(action)s).")
                    % {"action": decision.action}
                )
            return decision
    return None


def _open_conversation(
    account: ChannelAccount, customer: Customer, message: Message, now
) -> Conversation:
    from rapport.channels.email import strip_subject_prefixes

    conversation = Conversation(
        account=account,
        customer=customer,
        team_id=account.default_team_id,
        subject=(
            strip_subject_prefixes(message.subject)
            or message.subject
            or " ".join((message.reply_text or message.text).split())[:60]
        )[:300],
        last_message_at=now,
        created_at=now,
    )
    # Built here from saved rows; the database constraints hold the one-row rules.
    conversation.full_clean(
        exclude=["account", "customer", "team", "claimed_by", "closed_by"],
        validate_constraints=False,
    )
    insert_row(connections[Conversation.objects.db], conversation)  # made for every new thread
    from rapport.channels.services.assignment import conversation_route

    conversation_route(conversation=conversation)
    return conversation


def _save_attachments(message: Message, attachments: list) -> None:
    rows = []
    for attachment in attachments:
        row = MessageAttachment(
            message=message,
            filename=attachment.filename[:255],
            content_type=(attachment.content_type or "application/octet-stream")[:127],
            size=len(attachment.content),
            content_id=(attachment.content_id or "")[:255],
            is_inline=bool(attachment.is_inline),
            flagged=bool(getattr(attachment, "flagged", False)),
        )
        row.file.save(attachment.filename[:120], ContentFile(attachment.content), save=False)
        rows.append(row)
    if rows:
        MessageAttachment.objects.bulk_create(rows)


def _interaction_channel(kind: str) -> str:
    return {"wecom": "wechat"}.get(kind, kind)


def _purpose() -> Purpose:
    from rapport.channels.services.outbox import interaction_purpose

    return interaction_purpose("information")


def _interaction_summary(message: Message) -> str:
    body = (message.reply_text or message.text or "").strip()
    label = message.get_auto_display() if message.auto else ""
    head = " ".join(part for part in (label and f"[{label}]", message.subject) if part)
    return (f"{head}\n{body}" if head else body or "—")[:4000]


def _acknowledge(account: ChannelAccount, customer: Customer, message: Message) -> None:
    """One automatic acknowledgement per sender address and day (RFC 3834), if switched on."""
    if account.kind != ChannelAccount.Kind.EMAIL:  # chat customers see the answer, not a receipt
        return
    if not MessagingSettings.cached().acknowledgement_enabled or not message.sender:
        return
    from rapport.channels.services.outbox import outbox_queue

    day = timezone.localdate().isoformat()
    key = ACK_KEY.format(channel=message.channel, address=message.sender, day=day)
    connection = connections[OutboxMessage.objects.db]
    q = connection.ops.quote_name
    with connection.cursor() as cursor:  # asked for every new conversation: written once
        cursor.execute(
            f"SELECT 1 FROM {q(OutboxMessage._meta.db_table)} "
            f"WHERE {q('idempotency_key')} = %s LIMIT 1",
            [key],
        )
        if cursor.fetchone() is not None:
            return
    try:
        with transaction.atomic():
            outbox_queue(
                customer=customer,
                purpose="service",
                source="ack",
                template_code="acknowledgement",
                context={"subject": message.subject},
                channel=message.channel,
                to_address=message.sender,
                thread=message,
                idempotency_key=key,
                auto_submitted="auto-replied",
            )
    except (DomainError, ValidationError):  # no template, a race on the key: no acknowledgement
        logger.info("No acknowledgement for inbound message %s", message.pk)


# --- Replay and the sweep ---------------------------------------------------------------------


def inbound_replay(*, inbound: InboundMessage, by: User) -> InboundMessage:
    """Process a quarantined or ignored message again (after a fix); administrators only.

    Raises Forbidden for anyone else. A processed message is left alone (it would duplicate).
    """
    if not by.can("messaging.admin"):
        raise Forbidden(_("Only administrators may process messages again."))
    reset = InboundMessage.objects.filter(
        pk=inbound.pk,
        state__in=[InboundMessage.State.QUARANTINED, InboundMessage.State.IGNORED],
    ).update(state=InboundMessage.State.RECEIVED, lease_until=None, attempts=0, error="")
    if reset:
        inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    return inbound


def inbound_process_stuck(*, now=None, limit: int = 200) -> int:
    """Process rows still `received` a while after arriving (the worker died, the queue lost the
    task). Each row is claimed on its own, so several sweeps never process one twice."""
    now = now or timezone.now()
    ids = list(
        InboundMessage.objects.filter(
            state=InboundMessage.State.RECEIVED, received_at__lte=now - STUCK_AFTER
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for inbound_id in ids:
        if inbound_process(inbound_id=inbound_id, now=now) is not None:
            done += 1
    return done
