"""SMS in: replies into the inbound pipeline (with the opt-out words), receipts onto the outbox.

`sms_inbound_accept` stores each reply as an InboundMessage (raw = a small normalised JSON) and
the pipeline does the rest through the parser and the "recorded" hook registered in hooks.py:
the sender is matched by mobile number, the reply opens or joins a conversation (or a ticket,
by the account's routing), and an opt-out word withdraws marketing consent.
"""

import json
import logging
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.channels.models import ChannelAccount, InboundMessage, Message, OutboxMessage
from rapport.channels.services.inbound import Incoming, Quarantine, inbound_receive
from rapport.channels.sms.models import SmsReceipt
from rapport.channels.sms.providers import InboundSms, Receipt, readable
from rapport.core.phones import normalize_phone
from rapport.customers.models import Consent
from rapport.customers.selectors import consent_current
from rapport.customers.services import consent_record
from rapport.interactions.models import Interaction

logger = logging.getLogger(__name__)

# The carriers' opt-out words (回复TD退订 is the convention); a whole message, any width or case.
OPT_OUT_WORDS = frozenset({"TD", "T", "N", "退订", "STOP", "UNSUBSCRIBE"})
OPT_OUT_SOURCE = "sms_opt_out"


def is_opt_out(text: str) -> bool:
    """True when the whole message is an opt-out word: NFKC (full-width Ｔ Ｄ → T D), case
    folded, surrounding whitespace and a trailing full stop ignored."""
    folded = unicodedata.normalize("NFKC", text or "").strip().strip("。.!！").strip()
    return folded.upper() in OPT_OUT_WORDS


# --- Inbound ------------------------------------------------------------------------------------


def sms_inbound_accept(*, account: ChannelAccount, messages: list[InboundSms]) -> list[dict]:
    """Store each reply once (the provider id dedups retries) and queue its processing."""
    results = []
    for sms in messages:
        raw = json.dumps(
            {
                "phone": sms.phone,
                "text": sms.text,
                "sent_at": sms.sent_at.isoformat() if sms.sent_at else None,
            },
            ensure_ascii=False,
        ).encode()
        known = InboundMessage.objects.filter(
            account=account, provider_id=sms.provider_id[:255]
        ).exists()
        inbound = inbound_receive(account=account, provider_id=sms.provider_id[:255], raw=raw)
        results.append({"inbound_id": inbound.pk, "duplicate": known})
    return results


def parse_inbound_sms(inbound: InboundMessage) -> Incoming:
    """The registered parser for kind "sms": the stored JSON → the pipeline's Incoming."""
    try:
        data = json.loads(inbound.read_raw().decode("utf-8"))
        phone, text = str(data["phone"]), str(data.get("text") or "")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise Quarantine(_("The stored SMS cannot be read.")) from exc
    try:
        sender = normalize_phone(phone)
    except ValidationError as exc:
        raise Quarantine(
            _("The sender's number “%(number)s” is not valid.") % {"number": phone}
        ) from exc
    sent_at = None
    if data.get("sent_at"):
        try:
            sent_at = timezone.datetime.fromisoformat(data["sent_at"])
        except ValueError:
            sent_at = None
    text = text.strip()
    return Incoming(
        sender=sender,
        identity_kind="phone",
        text=text,
        reply_text=text,
        sent_at=sent_at,
        parsed={"opt_out": is_opt_out(text)},
        thread_by_customer=True,  # a second SMS joins the customer's open conversation
    )


def on_sms_recorded(message: Message, incoming: Incoming, account: ChannelAccount) -> None:
    """After an SMS reply is recorded: an opt-out word withdraws marketing consent, is logged
    on the timeline, and the customer is told once."""
    if not (incoming.parsed or {}).get("opt_out"):
        return
    customer = message.customer
    current = consent_current(customer=customer, purpose=Consent.Purpose.MARKETING)
    if current is not None and not current.granted and customer.marketing_opt_out:
        return  # already withdrawn: no second record, no second confirmation
    consent = consent_record(
        customer=customer,
        purpose=Consent.Purpose.MARKETING,
        granted=False,
        source=Consent.Source.SMS_REPLY,
        note=_("SMS reply “%(text)s” from %(number)s")
        % {
            "text": incoming.text[:20],
            "number": incoming.sender,
        },
    )
    from rapport.channels.services.inbound import _purpose
    from rapport.interactions.services import interaction_log

    interaction_log(
        by=None,
        customer=customer,
        channel="sms",
        direction=Interaction.Direction.INBOUND,
        purpose=_purpose(),
        summary=_("The customer replied “%(text)s”: marketing consent withdrawn.")
        % {"text": incoming.text[:20]},
        started_at=message.created_at,
    )
    from rapport.channels.services.outbox import outbox_queue

    outbox_queue(
        customer=customer,
        purpose="service",
        source=OPT_OUT_SOURCE,
        body=_("You will receive no more marketing messages from us."),
        channel="sms",
        to_address=incoming.sender,
        idempotency_key=f"{OPT_OUT_SOURCE}:{consent.pk}",
    )


# --- Receipts -----------------------------------------------------------------------------------


def _find_outbox(account: ChannelAccount, receipt: Receipt) -> OutboxMessage | None:
    rows = OutboxMessage.objects.filter(
        channel="sms", provider_message_id=receipt.provider_message_id
    )
    outbox = rows.filter(account=account).first() or rows.first()
    if outbox is None and receipt.out_id.isdigit():
        outbox = OutboxMessage.objects.filter(
            pk=int(receipt.out_id), channel="sms", account=account
        ).first()
    return outbox


def sms_receipts_apply(*, account: ChannelAccount, receipts: list[Receipt]) -> list[SmsReceipt]:
    """Record each receipt once and apply it: delivered → the outbox row is delivered; not
    delivered → failed with the provider's code and a readable reason. A receipt for a message
    we do not know is kept with that reason; a repeat returns the first row."""
    rows = []
    for receipt in receipts:
        status = SmsReceipt.Status.DELIVERED if receipt.delivered else SmsReceipt.Status.FAILED
        existing = SmsReceipt.objects.filter(
            account=account, provider_message_id=receipt.provider_message_id[:300], status=status
        ).first()
        if existing is not None:
            rows.append(existing)
            continue
        try:
            with transaction.atomic():
                rows.append(_apply(account, receipt, status))
        except IntegrityError:  # the same receipt raced in: the first one stands
            rows.append(
                SmsReceipt.objects.get(
                    account=account,
                    provider_message_id=receipt.provider_message_id[:300],
                    status=status,
                )
            )
    return rows


def _apply(account: ChannelAccount, receipt: Receipt, status: str) -> SmsReceipt:
    outbox = _find_outbox(account, receipt)
    row = SmsReceipt(
        account=account,
        provider_message_id=receipt.provider_message_id[:300],
        phone=receipt.phone[:32],
        status=status,
        code=receipt.code[:80],
        description=receipt.description[:300],
        reported_at=receipt.reported_at,
        outbox=outbox,
        raw=receipt.raw if isinstance(receipt.raw, dict) else {},
    )
    if outbox is None:
        row.outcome = SmsReceipt.Outcome.UNKNOWN
        row.reason = _("No SMS we sent has this id.")
        row.save()
        return row
    from rapport.channels.services.outbox import notify_listeners

    now = timezone.now()
    if status == SmsReceipt.Status.DELIVERED:
        changed = OutboxMessage.objects.filter(pk=outbox.pk, state=OutboxMessage.State.SENT).update(
            state=OutboxMessage.State.DELIVERED, delivered_at=receipt.reported_at or now
        )
    else:
        text = readable(receipt.code or "UNDELIV")
        if receipt.description and receipt.description not in text:
            text = f"{text} ({receipt.description})"
        changed = OutboxMessage.objects.filter(
            pk=outbox.pk,
            state__in=[OutboxMessage.State.SENT, OutboxMessage.State.DELIVERED],
        ).update(
            state=OutboxMessage.State.FAILED,
            reason=OutboxMessage.Reason.PROVIDER_REJECTED,
            error=text[:2000],
        )
    row.outcome = SmsReceipt.Outcome.APPLIED if changed else SmsReceipt.Outcome.IGNORED
    if not changed:
        row.reason = _("The message was %(state)s already.") % {"state": outbox.get_state_display()}
    row.save()
    if changed:
        notify_listeners(outbox.pk)
    return row
