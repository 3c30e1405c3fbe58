"""The outbox: every message to a customer goes through here.

`outbox_queue` refuses nothing but bad input. `outbox_send` claims one row with a lease (a
conditional UPDATE), checks the stop conditions at that moment, hands the message to the provider
with the row's idempotency key (e-mail: its fixed Message-ID), then records the outcome. A worker
killed between the provider and the record leaves the row `sending` with a lease; after the lease
another worker sends it again with the same key, which the provider treats as the same message.
So sending is at-least-once towards the provider and exactly once as the customer sees it.
"""

import copy
import hashlib
import json
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import Q
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.channels import providers, registry
from rapport.channels.models import (
    MESSAGE_TEMPLATES,
    SENDING_ACCOUNTS,
    Channel,
    ChannelAccount,
    Conversation,
    Message,
    MessageTemplate,
    MessagingSettings,
    OutboxMessage,
    Purpose,
    sms_opt_out_text,
)
from rapport.core.enqueue import enqueue_for_row
from rapport.core.errors import Conflict
from rapport.core.memo import ProcessMemo
from rapport.core.rawsql import Columns, insert_row, read_one, update_where
from rapport.customers.identities import normalize_identity
from rapport.customers.models import Customer, Identity
from rapport.customers.selectors import consent_and_deliverable, consent_current
from rapport.interactions.models import Interaction
from rapport.interactions.models import Purpose as InteractionPurpose
from rapport.interactions.services import interaction_log
from rapport.staff.models import User

logger = logging.getLogger(__name__)

# Waits after the 1st, 2nd, … failed attempt; the 6th failure is final.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=2),
)
MAX_ATTEMPTS = 6
# The identity kind that reaches a customer on each channel.
IDENTITY_KIND = {"email": "email", "sms": "phone", "wechat": "wxopenid", "wecom": "wecom"}
# The order channels are tried in when the caller names none.
CHANNEL_ORDER = ("email", "wechat", "wecom", "sms")
PURPOSE_MEMO = ProcessMemo("interaction purposes", ttl=300)
# Channels whose address is an id issued per account (openid, external_userid).
CHAT_CHANNELS = ("wechat", "wecom")
SENT_STATES = (OutboxMessage.State.SENT, OutboxMessage.State.DELIVERED)


def _lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "RAPPORT_OUTBOX_LEASE_SECONDS", 120))


# --- Queueing ---------------------------------------------------------------------------------


def _request_hash(**fields) -> str:
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _render(text: str, context: dict) -> str:
    return Template(text).render(Context(context, autoescape=False))


def default_account(channel: str) -> ChannelAccount | None:
    """The account messages on `channel` go out from when no conversation names one (kept per
    process for SENDING_ACCOUNTS.ttl seconds; saving an account forgets it)."""
    return SENDING_ACCOUNTS.get(
        ("default", channel),
        lambda: (
            ChannelAccount.objects.filter(kind=channel, is_active=True)
            .order_by("-is_default", "id")
            .first()
        ),
    )


def chat_accounts_active() -> bool:
    """Whether any WeChat or WeCom account is active (kept per process like `default_account`,
    a "no" as well: one query per process and ttl, not one per customer page)."""
    return SENDING_ACCOUNTS.get(
        "chat-active",
        lambda: ChannelAccount.objects.filter(
            kind__in=(Channel.WECHAT, Channel.WECOM), is_active=True
        ).exists(),
    )


def sending_account(account_id: int) -> ChannelAccount | None:
    """The account with this id, kept per process like `default_account`."""
    return SENDING_ACCOUNTS.get(
        account_id, lambda: ChannelAccount.objects.filter(pk=account_id).first()
    )


def _reachable(customer: Customer, channel: str) -> str:
    """The customer's deliverable address on `channel` (primary first), or ""."""
    kind = IDENTITY_KIND.get(channel)
    if kind is None:
        return ""
    return (
        Identity.objects.filter(customer=customer, kind=kind, undeliverable_at__isnull=True)
        .order_by("-is_primary", "id")
        .values_list("value", flat=True)
        .first()
        or ""
    )


def outbox_choose_channel(*, customer: Customer, purpose: str = "service") -> tuple[str, str]:
    """(channel, address) as channel_choose picks them; ("email", "") when nothing reaches the
    customer (the send then refuses)."""
    from rapport.channels.services.choice import channel_choose

    choice = channel_choose(customer=customer, purpose=purpose)
    return choice.channel, choice.to_address


def outbox_queue(
    *,
    customer: Customer,
    purpose: str,
    source: str,
    idempotency_key: str,
    template_code: str | None = None,
    context: dict | None = None,
    subject: str | None = None,
    body: str | None = None,
    html: str | None = None,
    summary: str | None = None,
    channel: str | None = None,
    to_address: str | None = None,
    ticket_id: int | None = None,
    thread: Message | None = None,
    conversation: Conversation | None = None,
    auto_submitted: str = "",
    by: User | None = None,
) -> OutboxMessage:
    """Queue a message to `customer`; it is sent by a task, and by the sweep if that is lost.

    With `template_code` the subject and text are the template's, rendered in the customer's
    language (zh-hans when they have none) with `context` plus customer_name and company (a given
    `subject`/`body` become the variables of the same name); without, `body` is the text. The
    channel is the caller's, or the thread's, or the first that reaches the customer
    (choice.channel_choose, whose reason in words is kept in `channel_reason` for the timeline);
    the address likewise. A marketing SMS gets the opt-out text appended when it lacks it. `thread` (a Message) makes it a reply in that
    thread (In-Reply-To/References, its conversation and ticket).

    The outbox alone writes the outbound Interaction, once, when the message is actually sent;
    callers never log their own. Its summary is `summary` (plain timeline text) when given, else
    the subject and text. A caller whose text carries a secret — a one-time survey link, a ticket
    tracking link — must give a `summary` without it: the timeline is read by every agent and kept.

    Refuses nothing but bad input (ValidationError keyed by field): the stop conditions are
    checked when it is sent. A repeated `idempotency_key` with the same request returns the first
    row; with a different request raises Conflict(code="idempotency_key_reused").
    """
    context = dict(context or {})
    errors: dict[str, list[str]] = {}
    key = (idempotency_key or "").strip()
    if not key:
        errors["idempotency_key"] = [_("A message needs an idempotency key.")]
    elif len(key) > 200:
        errors["idempotency_key"] = [_("The idempotency key has at most 200 characters.")]
    if purpose not in Purpose.values:
        errors["purpose"] = [_("Choose service or marketing.")]
    source = (source or "").strip()
    if not source or len(source) > 40:
        errors["source"] = [_("Say where the message comes from (at most 40 characters).")]
    if channel is not None and channel not in Channel.values:
        errors["channel"] = [_("Unknown channel “%(channel)s”.") % {"channel": channel}]
    template = None
    if template_code:
        template = MESSAGE_TEMPLATES.get(
            template_code,
            lambda: MessageTemplate.objects.filter(code=template_code, is_active=True).first(),
        )
        if template is None:
            errors["template_code"] = [
                _("No active template “%(code)s”.") % {"code": template_code}
            ]
    elif not (body or "").strip():
        errors["body"] = [_("Write the message.")]
    if errors:
        raise ValidationError(errors)

    request_hash = _request_hash(
        customer=customer.pk,
        purpose=purpose,
        source=source,
        template=template_code,
        context=context,
        subject=subject,
        body=body,
        html=html,
        channel=channel,
        to=to_address,
        # Only when given, so rows queued before `summary` existed keep their hash.
        **({"summary": summary} if summary else {}),
        ticket=ticket_id,
        thread=thread.pk if thread is not None else None,
    )
    existing = _by_key(key)
    if existing is not None:
        return _same_or_conflict(existing, request_hash)

    if template is not None and purpose == Purpose.SERVICE:
        purpose = template.purpose
    channel_reason = ""
    with translation.override(settings.LANGUAGE_CODE):  # the timeline's language
        if channel is not None:
            channel_reason = _("Chosen by the sender")
        if thread is not None:
            if channel is None:
                channel_reason = _("A reply on the channel the customer wrote on")
            channel = channel or thread.channel
            conversation = conversation or thread.conversation
            if not to_address and thread.channel == channel and channel in CHAT_CHANNELS:
                to_address = thread.sender  # the openid / external_userid the customer wrote from
            ticket_id = ticket_id if ticket_id is not None else thread.ticket_id
        if conversation is not None:
            if channel is None:
                channel_reason = _("A reply in the customer's conversation")
            channel = channel or conversation.account.kind
    if channel is None:
        from rapport.channels.services.choice import channel_choose

        choice = channel_choose(customer=customer, purpose=purpose)
        channel, channel_reason = choice.channel, choice.reason
        to_address = to_address or choice.to_address
    if to_address:
        to_address = to_address.strip()
        kind = IDENTITY_KIND.get(channel)
        try:
            to_address = normalize_identity(kind, to_address) if kind else to_address
        except ValidationError as exc:
            raise ValidationError({"to_address": exc.messages}) from exc
    else:
        to_address = _reachable(customer, channel)
    account = None
    if thread is not None and thread.account_id and thread.channel == channel:
        account = thread.account
    elif conversation is not None and conversation.account.kind == channel:
        account = conversation.account
    account = account or default_account(channel)

    language = customer.language or "zh-hans"
    if template is not None:
        variables = {
            "customer_name": customer.name,
            "company": settings.COMPANY_NAME,
            **context,
        }
        if subject is not None:
            variables.setdefault("subject", subject)
        if body is not None:
            variables.setdefault("body", body)
        english = language.startswith("en")
        subject = _render(
            (template.subject_en if english else template.subject_zh) or subject or "", variables
        )
        body = _render(template.body_en if english else template.body_zh, variables)
    if channel == Channel.SMS:
        body = sms_body(body or "", purpose=purpose, account=account)
    outbox = OutboxMessage(
        customer=customer,
        purpose=purpose,
        source=source,
        template=template,
        context=context,
        language=language,
        channel=channel,
        account=account,
        to_address=to_address or "",
        channel_reason=channel_reason[:300],
        subject=(subject or "").replace("\r", " ").replace("\n", " ").strip()[:500],
        body=body or "",
        html=html or "",
        summary=(summary or "").strip()[:1000],
        thread_message_id=thread.message_id if thread is not None else "",
        thread_references=_references(thread),
        auto_submitted=auto_submitted,
        ticket_id=ticket_id,
        conversation=conversation,
        idempotency_key=key,
        request_hash=request_hash,
        created_by=by,
        next_attempt_at=timezone.now(),
    )
    # The key's uniqueness is the IntegrityError below; the state constraints hold for a new row.
    outbox.full_clean(
        exclude=["customer", "template", "account", "conversation", "created_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            outbox.save()
            outbox.message_id = _message_id(outbox)
            if outbox.message_id:
                OutboxMessage.objects.filter(pk=outbox.pk).update(message_id=outbox.message_id)
    except IntegrityError:
        existing = OutboxMessage.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _same_or_conflict(existing, request_hash)
    _enqueue_send(outbox.pk)
    return outbox


def _by_key(key: str) -> OutboxMessage | None:
    """The row queued with this idempotency key, if any (asked for every message queued: the
    statement is written once, rapport.core.rawsql)."""
    connection = connections[OutboxMessage.objects.db]
    q = connection.ops.quote_name
    found = read_one(connection, [_CLAIM_OUTBOX], "", f"WHERE o.{q('idempotency_key')} = %s", [key])
    return found[0] if found is not None else None


def sms_body(body: str, *, purpose: str, account: ChannelAccount | None) -> str:
    """An SMS text as we keep it: without the 【signature】 the provider puts in front (a copy in
    the text would show twice), and with the opt-out text on marketing."""
    text = body.strip()
    signature = (account.config.get("sign_name", "") if account is not None else "").strip()
    if signature and text.startswith(f"【{signature}】"):
        text = text[len(signature) + 2 :].lstrip()
    opt_out = sms_opt_out_text()
    if purpose == Purpose.MARKETING and opt_out not in text:
        text = f"{text} {opt_out}"
    return text


def _same_or_conflict(existing: OutboxMessage, request_hash: str) -> OutboxMessage:
    if existing.request_hash != request_hash:
        raise Conflict(
            _("This idempotency key was already used for another message."),
            code="idempotency_key_reused",
            field="idempotency_key",
        )
    return existing


def _references(thread: Message | None) -> list[str]:
    if thread is None or not thread.message_id:
        return []
    refs = [r for r in thread.references if r != thread.message_id]
    return [*refs, thread.message_id][-20:]


def _message_id(outbox: OutboxMessage) -> str:
    """Fixed per row (signed, not random), so a resend after a crash is the same message."""
    if outbox.channel != Channel.EMAIL:
        return f"rp.m{outbox.pk}"
    from rapport.channels.email import make_message_id
    from rapport.channels.services.inbound import message_id_secret, own_domain

    domain = own_domain(outbox.account) if outbox.account else "rapport.invalid"
    return make_message_id(
        ticket_id=outbox.ticket_id,
        outbox_id=outbox.pk,
        own_domain=domain,
        secret=message_id_secret(),
    )


def _enqueue_send(outbox_id: int) -> None:
    """Queue the send with the queued row (rapport.core.enqueue)."""
    from rapport.channels.tasks import outbox_send_task

    def failed() -> None:  # the sweep sends it; the row is queued either way
        logger.exception("Could not queue sending of outbox message %s", outbox_id)

    enqueue_for_row(
        outbox_send_task, using=OutboxMessage.objects.db, on_error=failed, outbox_id=outbox_id
    )


def _due(outbox: OutboxMessage, now: datetime) -> bool:
    """Queued and due, or left `sending` by a worker whose lease ran out."""
    if outbox.state == OutboxMessage.State.QUEUED:
        return outbox.next_attempt_at is not None and outbox.next_attempt_at <= now
    if outbox.state == OutboxMessage.State.SENDING:
        return outbox.lease_until is not None and outbox.lease_until < now
    return False


# The claim's read: the row and the customer fields the stop conditions and the record read.
_CLAIM_OUTBOX = Columns(OutboxMessage, "o")
_CLAIM_CUSTOMER = Columns(
    Customer,
    "c",
    ["id", "merged_into", "is_deceased", "do_not_contact", "marketing_opt_out"],
)


def _claim(outbox_id: int, now: datetime) -> OutboxMessage | None:
    """Take the row for one attempt: read it, then a conditional UPDATE that only succeeds if
    no one changed it since (same state and attempt count). Returns the row as claimed; its
    `attempts` identifies this claim in every later write."""
    # Both statements are written once (rapport.core.rawsql): building them through the ORM was
    # 40 % of a send's Python. Whether the row is due is asked of the row read; the UPDATE only
    # succeeds if the row is still exactly as read. The account comes from a per-process memo.
    connection = connections[OutboxMessage.objects.db]
    q = connection.ops.quote_name
    found = read_one(
        connection,
        [_CLAIM_OUTBOX, _CLAIM_CUSTOMER],
        f"INNER JOIN {_CLAIM_CUSTOMER.table(connection)} ON c.{q('id')} = o.{q('customer_id')}",
        f"WHERE o.{q('id')} = %s",
        [outbox_id],
    )
    if found is None or not _due(found[0], now):
        return None
    outbox, outbox.customer = found
    if outbox.account_id is not None:
        outbox.account = sending_account(outbox.account_id)
    lease_until = now + _lease()
    claimed = update_where(
        connection,
        OutboxMessage,
        {
            "state": OutboxMessage.State.SENDING.value,
            "lease_until": lease_until,
            "attempts": outbox.attempts + 1,
        },
        {"id": outbox_id, "state": outbox.state, "attempts": outbox.attempts},
    )
    if not claimed:
        return None
    outbox.state, outbox.lease_until = OutboxMessage.State.SENDING, lease_until
    outbox.attempts += 1
    return outbox


def quiet_hours_end(now: datetime, rules: MessagingSettings) -> datetime | None:
    """When the quiet hours `now` falls in end (aware), or None outside quiet hours."""
    start, end = rules.quiet_hours_start, rules.quiet_hours_end
    if start == end:
        return None
    local = timezone.localtime(now)
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def _stop(outbox: OutboxMessage, now: datetime) -> tuple[str, datetime | None]:
    """(refusal reason, "") or ("", defer until) or ("", None) to send now."""
    R = OutboxMessage.Reason
    customer = outbox.customer
    if customer.is_merged:
        return R.MERGED, None
    if customer.is_deceased:
        return R.DECEASED, None
    if customer.do_not_contact:
        return R.DO_NOT_CONTACT, None
    marketing = outbox.purpose == Purpose.MARKETING
    if marketing and customer.marketing_opt_out:
        return R.MARKETING_CONSENT, None
    kind = IDENTITY_KIND.get(outbox.channel)
    allowed, undeliverable = consent_and_deliverable(  # one statement for both
        customer=customer,
        purpose=outbox.purpose,
        channel=outbox.channel,
        identity_kind=kind,
        address=outbox.to_address,
    )
    if not allowed:
        current = consent_current(customer=customer, purpose=outbox.purpose, channel=outbox.channel)
        withdrawn = current is not None and not current.granted
        return (R.MARKETING_CONSENT if marketing and withdrawn else R.NO_CONSENT), None
    if not outbox.to_address:
        return R.NO_ADDRESS, None
    if undeliverable:
        return R.UNDELIVERABLE, None
    rules = MessagingSettings.cached()
    quiet_end = quiet_hours_end(now, rules)
    if quiet_end is not None and (marketing or not rules.service_in_quiet_hours):
        return "", quiet_end
    if marketing:
        sent = OutboxMessage.objects.filter(
            customer=customer,
            purpose=Purpose.MARKETING,
            state__in=SENT_STATES,
            sent_at__gte=now - timedelta(days=7),
        ).count()
        if sent >= rules.marketing_cap_per_week:
            return R.FREQUENCY_CAP, None
    return "", None


def outbox_send(*, outbox_id: int, now: datetime | None = None) -> OutboxMessage | None:
    """Send one queued message if it is due and no one else holds it; idempotent.

    Returns the row after this attempt, or None when it was not due or another worker holds it.
    Refused (with the reason) when a stop condition holds now; deferred to the end of quiet hours
    when it may not go out during them; on a transient provider failure queued again after
    BACKOFF, failed after MAX_ATTEMPTS; failed on a permanent one. On success the row, an
    outbound Interaction and a Message are recorded in one transaction.
    """
    now = now or timezone.now()
    outbox = _claim(outbox_id, now)
    if outbox is None:
        return None
    attempt = outbox.attempts
    mine = {"id": outbox_id, "state": OutboxMessage.State.SENDING.value, "attempts": attempt}
    connection = connections[OutboxMessage.objects.db]

    def write(**fields) -> bool:
        """Change the row if this claim still holds it, and the object with it (the UPDATE
        written once, rapport.core.rawsql: it is made for every message)."""
        if not update_where(connection, OutboxMessage, fields, mine):
            return False
        for name, value in fields.items():
            setattr(outbox, name, value)
        return True

    reason, defer_until = _stop(outbox, now)
    if defer_until is not None:
        with transaction.atomic():
            if write(  # waiting out quiet hours is not a failed attempt
                state=OutboxMessage.State.QUEUED,
                next_attempt_at=defer_until,
                lease_until=None,
                attempts=attempt - 1,
            ):
                notify_listeners(outbox_id, outbox)
        return outbox
    account = outbox.account or default_account(outbox.channel)
    if not reason and account is None:
        reason = OutboxMessage.Reason.NO_ACCOUNT
    if reason:
        with transaction.atomic():
            if write(state=OutboxMessage.State.REFUSED, reason=reason, lease_until=None):
                notify_listeners(outbox_id, outbox)
        return outbox

    result = providers.send(outbox, account)  # outside any transaction: it may take a while

    taken_over = False
    with transaction.atomic():
        if result.ok:
            interaction = _record_sent(outbox, account, now)
            held = write(
                state=OutboxMessage.State.SENT,
                sent_at=now,
                lease_until=None,
                provider_message_id=result.provider_message_id[:300],
                account=account,
                interaction=interaction,
                reason="",
                error="",
            )
            if not held:
                # Our lease ran out and another worker took the row over: it records the send.
                transaction.set_rollback(True)
                taken_over = True
        elif result.refused:
            held = write(
                state=OutboxMessage.State.REFUSED,
                reason=result.code or OutboxMessage.Reason.PROVIDER_REJECTED,
                error=result.reason[:2000],
                lease_until=None,
            )
        elif result.permanent:
            held = write(
                state=OutboxMessage.State.FAILED,
                reason=OutboxMessage.Reason.PROVIDER_REJECTED,
                error=result.reason[:2000],
                lease_until=None,
            )
        elif attempt >= MAX_ATTEMPTS:
            held = write(
                state=OutboxMessage.State.FAILED,
                reason=OutboxMessage.Reason.TOO_MANY_ATTEMPTS,
                error=result.reason[:2000],
                lease_until=None,
            )
        else:
            held = write(
                state=OutboxMessage.State.QUEUED,
                next_attempt_at=now + BACKOFF[min(attempt, len(BACKOFF)) - 1],
                error=result.reason[:2000],
                lease_until=None,
            )
        if held:  # else the worker that took the row over tells the listeners
            notify_listeners(outbox_id, outbox)
    return OutboxMessage.objects.get(pk=outbox_id) if taken_over else outbox


def _record_sent(outbox: OutboxMessage, account: ChannelAccount, now: datetime) -> Interaction:
    """The outbound Interaction and Message of a sent row (same transaction as the state)."""
    from rapport.channels.email import message_id_hash

    by = (
        outbox.created_by
        if outbox.created_by and outbox.created_by.can("interactions.log")
        else None
    )
    purpose = interaction_purpose(_interaction_purpose(outbox))
    interaction = interaction_log(
        by=by,
        customer=outbox.customer.merged_into or outbox.customer,
        channel={"wecom": "wechat"}.get(outbox.channel, outbox.channel),
        direction=Interaction.Direction.OUTBOUND,
        purpose=purpose,
        summary=_timeline_summary(outbox),
        started_at=min(now, timezone.now()),
    )
    message = Message(
        conversation_id=outbox.conversation_id,
        ticket_id=outbox.ticket_id,
        account=account,
        direction=Message.Direction.OUTBOUND,
        channel=outbox.channel,
        customer_id=outbox.customer_id,
        sender=account.address,
        recipients=[outbox.to_address],
        subject=outbox.subject,
        text=outbox.body,
        reply_text=outbox.body,
        html=outbox.html,
        message_id=outbox.message_id,
        message_id_hash=message_id_hash(outbox.message_id) if outbox.message_id else "",
        in_reply_to=[outbox.thread_message_id] if outbox.thread_message_id else [],
        references=outbox.thread_references,
        interaction=interaction,
        outbox=outbox,
        sent_by=outbox.created_by,
        created_at=now,
    )
    insert_row(connections[Message.objects.db], message)  # written once: made for every send
    if outbox.conversation_id:
        Conversation.objects.filter(pk=outbox.conversation_id).update(last_message_at=now)
    return interaction


def _timeline_summary(outbox: OutboxMessage) -> str:
    text = (outbox.summary or f"{outbox.subject}\n{outbox.body}").strip() or "—"
    if outbox.channel_reason:
        with translation.override(settings.LANGUAGE_CODE):
            line = _("Channel: %(channel)s (%(reason)s)") % {
                "channel": Channel(outbox.channel).label,
                "reason": outbox.channel_reason,
            }
        text = f"{text[: 3990 - len(line)]}\n{line}"
    return text[:4000]


def _interaction_purpose(outbox: OutboxMessage) -> str:
    return {
        "survey_invitation": "survey",
        "ticket_reply": "complaint",
        "tracking_link": "complaint",
    }.get(outbox.source, "information")


def interaction_purpose(code: str) -> InteractionPurpose:
    """The interaction purpose with `code` (seed data), else the first active one; kept per
    process for a few minutes (read for every message sent)."""
    return PURPOSE_MEMO.get(
        code,
        lambda: (
            InteractionPurpose.objects.filter(code=code).order_by().first()
            or InteractionPurpose.objects.filter(is_active=True)
            .order_by("sort_order", "id")
            .first()
        ),
    )


def notify_listeners(outbox_id: int, outbox: OutboxMessage | None = None) -> None:
    """Call the registered outbox listeners after commit with the row as committed: `outbox`
    when the caller holds it exactly as it wrote it (saves a read per message), else read."""
    if not registry.outbox_listeners():
        return
    committed = copy.copy(outbox) if outbox is not None else None

    def call() -> None:
        outbox = committed or OutboxMessage.objects.filter(pk=outbox_id).first()
        if outbox is None:
            return
        for listener in registry.outbox_listeners():
            try:
                listener(outbox)
            except Exception:
                logger.exception("Outbox listener %r failed on %s", listener, outbox_id)

    transaction.on_commit(call)


def outbox_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send the rows that are due: queued and due, or left `sending` by a worker whose lease ran
    out. Each row is claimed on its own (outbox_send), never a window of rows at once.
    Returns how many rows this call attempted."""
    now = now or timezone.now()
    ids = list(
        OutboxMessage.objects.filter(
            Q(state=OutboxMessage.State.QUEUED, next_attempt_at__lte=now)
            | Q(state=OutboxMessage.State.SENDING, lease_until__lt=now)
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    attempted = 0
    for outbox_id in ids:
        if outbox_send(outbox_id=outbox_id, now=now) is not None:
            attempted += 1
    return attempted
