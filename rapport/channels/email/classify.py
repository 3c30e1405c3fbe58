"""Which mail a person wrote and which a machine did: auto-replies, out-of-office, bounces, lists, loops.

The rules are data (REFERENCE §1: Zammad, Chatwoot, RFC 3834). Automatic mail is still recorded by
the pipeline; it must never answer back, open or reopen a ticket, or start a clock.
"""

import re
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses

from .decode import (
    content_charset,
    decode_bytes,
    decode_header_value,
    payload_bytes,
    raw_header,
    raw_payload,
)
from .thread import is_own_message_id, normalize_message_id


@dataclass(frozen=True)
class BounceReport:
    recipient: str  # the address that failed, lower case ("" when the report does not say)
    action: str  # failed | delayed | delivered | relayed | expanded ("" when unknown)
    status: str  # "5.1.1" …
    diagnostic: str
    original_message_id: str  # without <> ("" when the original headers were not returned)
    permanent: bool  # Action: failed with a 5.x.x status — the address is undeliverable


AUTO_REPLY = "auto_reply"
OUT_OF_OFFICE = "out_of_office"
BOUNCE = "bounce"
LIST = "list"
LOOP = "loop"

# (header, pattern on the decoded value, kind). Checked after loop and bounce detection, first
# match wins, so the more specific kinds come first.
HEADER_RULES: tuple[tuple[str, str, str], ...] = (
    ("X-MS-Exchange-Inbox-Rules-Loop", r".", OUT_OF_OFFICE),
    ("Auto-Submitted", r"vacation|out.?of.?office", OUT_OF_OFFICE),
    ("X-Autoreply", r".", AUTO_REPLY),
    ("X-Autorespond", r".", AUTO_REPLY),
    ("X-Auto-Reply", r".", AUTO_REPLY),
    ("Auto-Submitted", r"^(?!\s*no\s*$).+", AUTO_REPLY),
    ("X-Auto-Response-Suppress", r"\b(all|oof|autoreply)\b", AUTO_REPLY),
    ("Precedence", r"^\s*(bulk|junk|auto_reply)\s*$", AUTO_REPLY),
    ("X-Loop", r"^\s*(yes|true)\s*$", AUTO_REPLY),
    ("List-Id", r".", LIST),
    ("List-Unsubscribe", r".", LIST),
    ("List-Post", r".", LIST),
    ("Precedence", r"^\s*list\s*$", LIST),
    ("Return-Path", r"^\s*<\s*>\s*$", AUTO_REPLY),
)

# Out-of-office replies often carry only a telling subject (QQ, 163, Exchange without headers).
OUT_OF_OFFICE_SUBJECT = re.compile(
    r"^\s*(自动回复|自动答复|自動回覆|自動回復|Automatic reply|Auto[- ]?reply|Autoreply|"
    r"Out of (the )?office|不在办公室|休假)\s*[:：]",
    re.IGNORECASE,
)
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
BOUNCE_SUBJECT = re.compile(
    r"(Undeliver|Delivery Status Notification|Mail delivery failed|Returned mail|"
    r"退信|系统退信|投递失败|未能送达|无法送达)",
    re.IGNORECASE,
)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


def _content_type_parts(msg: Message) -> tuple[str, dict[str, str]]:
    ctype = (msg.get_content_type() or "").lower()
    report_type = (msg.get_param("report-type") or "") if ctype == "multipart/report" else ""
    if isinstance(report_type, tuple):
        report_type = report_type[2]
    return ctype, {"report-type": str(report_type).lower()}


def classify(msg: Message, *, own_domain: str, from_address: str, subject: str) -> str:
    """ "" for a person's mail, else auto_reply | out_of_office | bounce | list | loop."""
    message_id = raw_header(msg, "Message-ID") or ""
    precedence = (raw_header(msg, "Precedence") or "").strip().lower()
    auto_submitted = (raw_header(msg, "Auto-Submitted") or "").strip().lower()
    if message_id and is_own_message_id(message_id, own_domain=own_domain):
        return LOOP
    id_domain = normalize_message_id(message_id).rpartition("@")[2]
    if (
        own_domain
        and id_domain == own_domain.lower()
        and (precedence in ("bulk", "junk", "list") or auto_submitted not in ("", "no"))
    ):
        return LOOP

    ctype, params = _content_type_parts(msg)
    if ctype == "multipart/report" and params["report-type"] == "delivery-status":
        return BOUNCE
    if raw_header(msg, "X-Failed-Recipients"):
        return BOUNCE
    if BOUNCE_SENDER.match(from_address or "") and (
        find_delivery_status(msg) is not None or BOUNCE_SUBJECT.search(subject or "")
    ):
        return BOUNCE
    if ctype == "multipart/report":  # read receipts (disposition-notification) and the like
        return AUTO_REPLY

    for header, pattern, kind in HEADER_RULES:
        value = raw_header(msg, header)
        if value is not None and re.search(pattern, value, re.IGNORECASE):
            if kind == AUTO_REPLY and OUT_OF_OFFICE_SUBJECT.search(subject or ""):
                return OUT_OF_OFFICE
            return kind
    if OUT_OF_OFFICE_SUBJECT.search(subject or ""):
        return OUT_OF_OFFICE
    if BOUNCE_SENDER.match(from_address or ""):
        return AUTO_REPLY
    return ""


def find_delivery_status(msg: Message) -> Message | None:
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            return part
    return None


def _status_blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status part (compat32 parses them as messages)."""
    payload = raw_payload(part)
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # Some MTAs send it with a transfer encoding; parse the decoded text ourselves.
    data, _problem = payload_bytes(part)
    text = data.decode("utf-8", "replace")
    return [HeaderParser().parsestr(chunk) for chunk in re.split(r"\r?\n\s*\r?\n", text) if chunk]


def _address_field(value: str | None) -> str:
    if not value:
        return ""
    value = value.split(";", 1)[-1].strip()  # "rfc822; x@y"
    return value.strip("<>").strip().lower()


def _original_headers(msg: Message) -> Message | None:
    """The headers of the message that bounced, when the report returns them."""
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            payload = raw_payload(part)
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return payload[0]
        elif ctype == "text/rfc822-headers":
            data, _problem = payload_bytes(part)
            return HeaderParser().parsestr(data.decode("utf-8", "replace"))
    return None


def parse_bounce(msg: Message) -> BounceReport | None:
    """The delivery report of a bounce: the failed recipient, action, status and original id."""
    status_part = find_delivery_status(msg)
    recipient = action = status = diagnostic = ""
    if status_part is not None:
        blocks = _status_blocks(status_part)
        per_recipient = [
            b for b in blocks if raw_header(b, "Final-Recipient") or raw_header(b, "Action")
        ]
        chosen = next(
            (
                b
                for b in per_recipient
                if (raw_header(b, "Action") or "").strip().lower() == "failed"
            ),
            per_recipient[0] if per_recipient else None,
        )
        if chosen is not None:
            recipient = _address_field(
                raw_header(chosen, "Final-Recipient") or raw_header(chosen, "Original-Recipient")
            )
            action = (raw_header(chosen, "Action") or "").strip().lower()
            match = _STATUS.search(raw_header(chosen, "Status") or "")
            status = match.group(0) if match else ""
            diagnostic = decode_header_value(raw_header(chosen, "Diagnostic-Code"))[0]
    if not recipient:
        recipient = _address_field(raw_header(msg, "X-Failed-Recipients"))
        recipient = recipient.split(",")[0].strip()
    original = _original_headers(msg)
    if status_part is None:
        # A plain-text bounce (163/QQ "系统退信", old Exim/qmail): the recipient comes from
        # X-Failed-Recipients or the returned original's single To, the status from an enhanced
        # code (5.1.1) in the text. Without an enhanced code it is never permanent.
        if not recipient and original is not None:
            to = [a for _n, a in getaddresses([raw_header(original, "To") or ""]) if "@" in a]
            recipient = to[0].lower() if len(to) == 1 else ""
        text = _first_text(msg)
        match = _STATUS.search(text)
        if match:
            status = match.group(0)
            action = {"5": "failed", "4": "delayed"}.get(status[0], "")
            line = next((x for x in text.splitlines() if status in x), "")
            diagnostic = line.strip()
        if not recipient and not status:
            return None
    original_id = raw_header(original, "Message-ID") if original is not None else None
    return BounceReport(
        recipient=recipient,
        action=action,
        status=status,
        diagnostic=diagnostic[:1000],
        original_message_id=normalize_message_id(original_id) if original_id else "",
        permanent=bool(recipient) and action == "failed" and status.startswith("5."),
    )


def _first_text(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain" and isinstance(raw_payload(part), str):
            data, _problem = payload_bytes(part)
            return decode_bytes(data, content_charset(part))[0][:20_000]
    return ""
