"""Parse one raw RFC 822 message into what the pipeline records (the contract in docs/design/messaging.md).

`parse_email` never raises anything but `EmailParseError`, whose `reason` is shown in the
quarantine list. Everything it could recover from is recorded in `defects` instead.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors as email_errors
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .build import build_email
from .classify import BOUNCE, BounceReport, classify, parse_bounce
from .decode import (
    content_charset,
    decode_bytes,
    decode_header_value,
    decode_param,
    header_param,
    html_to_text,
    normalize_text,
    payload_bytes,
    raw_header,
    raw_headers,
    raw_payload,
)
from .files import check_file, safe_filename
from .quotes import reply_text as cut_reply
from .sanitize import sanitize_html
from .thread import (
    make_message_id,
    message_id_hash,
    normalize_message_id,
    own_token,
    strip_subject_prefixes,
    subject_ticket_number,
)

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_EMAIL_BYTES",
    "MAX_RECIPIENTS",
    "REASONS",
    "BounceReport",
    "EmailParseError",
    "ParsedAttachment",
    "ParsedEmail",
    "build_email",
    "make_message_id",
    "message_id_hash",
    "own_token",
    "parse_email",
    "sanitize_html",
    "strip_subject_prefixes",
    "subject_ticket_number",
]

# A 25 MB attachment — the usual client limit — is about 34 MB once base64-encoded.
MAX_EMAIL_BYTES = 40 * 1024 * 1024
MAX_ATTACHMENTS = 100
MAX_RECIPIENTS = 100
MAX_REFERENCES = 100
MAX_MIME_DEPTH = 20
MAX_HEADER_CHARS = 2000

# The reasons `EmailParseError` carries, by code (translated when raised; zh-hans in the catalogue).
REASONS = {
    "empty": gettext_lazy("The message is empty."),
    "too_large": gettext_lazy(
        "The message is %(size)s bytes, larger than the %(limit)s-byte limit."
    ),
    "no_headers": gettext_lazy("This is not an e-mail message: it has no header lines."),
    "unreadable": gettext_lazy("The message could not be read (%(error)s)."),
}

# Parser defects (email.errors) in words, for `ParsedEmail.defects`.
PARSER_DEFECTS = {
    "StartBoundaryNotFoundDefect": gettext_lazy(
        "MIME: the multipart boundary was never found; the body was kept as text"
    ),
    "CloseBoundaryNotFoundDefect": gettext_lazy("MIME: the closing multipart boundary is missing"),
    "FirstHeaderLineIsContinuationDefect": gettext_lazy(
        "headers: the first header line is a continuation line"
    ),
    "MisplacedEnvelopeHeaderDefect": gettext_lazy("headers: a misplaced 'From ' envelope line"),
    "MissingHeaderBodySeparatorDefect": gettext_lazy(
        "headers: a line that is not a header ended the header block"
    ),
    "MultipartInvariantViolationDefect": gettext_lazy("MIME: declared multipart but has no parts"),
    "InvalidMultipartContentTransferEncodingDefect": gettext_lazy(
        "MIME: a multipart part with an invalid transfer encoding"
    ),
    "NoBoundaryInMultipartDefect": gettext_lazy(
        "MIME: multipart without a boundary parameter; the body was kept as text"
    ),
}


class EmailParseError(Exception):
    """The message cannot be recorded; `reason` says why in words, `code` is a key of REASONS."""

    def __init__(self, reason: str, *, code: str = "unreadable"):
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # decoded, safe (no path separators), never empty ("attachment-1.bin")
    content_type: str  # declared, lower case
    content: bytes
    content_id: str | None  # without <>, for inline cid: images
    is_inline: bool
    flagged: bool = False  # bytes do not match the name, or executable: never serve inline
    flag_reason: str = ""
    original_filename: str = ""  # as decoded, before a flagged file got its .bin name


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_address: str
    from_name: str
    reply_to: str
    to: list[str]
    cc: list[str]
    date: datetime | None
    text: str
    reply_text: str
    html: str
    attachments: list[ParsedAttachment]
    auto: str
    bounce: BounceReport | None
    headers: dict[str, str]
    defects: list[str] = field(default_factory=list)

    @property
    def message_id_hash(self) -> str:
        return message_id_hash(self.message_id)

    @property
    def ticket_number(self) -> str | None:
        return subject_ticket_number(self.subject)

    @property
    def thread_ids(self) -> list[str]:
        """Ids to thread by, best first: In-Reply-To, then References newest first (own_token)."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


KEPT_HEADERS = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Date",
    "Return-Path",
    "Delivered-To",
    "X-Original-Sender",
    "Auto-Submitted",
    "Precedence",
    "X-Auto-Response-Suppress",
    "X-Autoreply",
    "X-Autorespond",
    "X-MS-Exchange-Inbox-Rules-Loop",
    "X-Loop",
    "X-Failed-Recipients",
    "List-Id",
    "List-Unsubscribe",
    "X-Mailer",
    "User-Agent",
    "Content-Type",
)

_ANGLE_ID = re.compile(r"<([^<>\s]{1,998})>")


def _message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _ANGLE_ID.findall(value)
    if not found:  # some mailers omit the brackets
        found = [token for token in value.split() if "@" in token]
    ids: list[str] = []
    for item in found:
        normalised = normalize_message_id(item)
        if normalised and normalised not in ids:
            ids.append(normalised)
    return ids


def _addresses(
    values: list[str], defects: list[str], what: str
) -> tuple[list[tuple[str, str]], int]:
    if not values:
        return [], 0
    try:
        pairs = getaddresses(values)
    except (ValueError, IndexError, TypeError):
        defects.append(_("addresses: the %(header)s header could not be read") % {"header": what})
        return [], 0
    result: list[tuple[str, str]] = []
    for name, address in pairs:
        address = address.strip().strip("<>").strip().lower()
        if not address or "@" not in address or any(ch.isspace() for ch in address):
            continue
        result.append((decode_header_value(name)[0], address))
    return result, len(result)


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    parsed: datetime | None = None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"):
            try:
                parsed = datetime.strptime(value.strip()[:25], fmt)  # noqa: DTZ007 — made aware below
                break
            except ValueError:
                continue
    if parsed is None:
        defects.append(
            _("date: the Date header %(value)s could not be read") % {"value": repr(value[:60])}
        )
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


class _Walker:
    def __init__(self) -> None:
        self.text_parts: list[str] = []
        self.html_parts: list[str] = []
        self.attachments: list[ParsedAttachment] = []
        self.defects: list[str] = []
        self.skipped_attachments = 0
        self.seen_defects: set[str] = set()

    def note_parser_defects(self, part: Message) -> None:
        for defect in getattr(part, "defects", ()):
            name = type(defect).__name__
            described = PARSER_DEFECTS.get(name)
            text = str(described) if described is not None else None
            if text is None:
                if isinstance(defect, email_errors.HeaderDefect):
                    continue
                text = "MIME: " + name
            self.add_defect(text)

    def walk(self, part: Message, depth: int = 0) -> None:
        self.note_parser_defects(part)
        if depth > MAX_MIME_DEPTH:
            self.add_defect(
                _("MIME: parts nested deeper than %(depth)s were not read")
                % {"depth": MAX_MIME_DEPTH}
            )
            return
        ctype = part.get_content_type().lower()
        payload = raw_payload(part)
        if ctype == "message/rfc822" and isinstance(payload, list):
            inner = payload[0] if payload else None
            try:
                content = (
                    inner.as_bytes(policy=policy.compat32) if isinstance(inner, Message) else b""
                )
            except (ValueError, TypeError, LookupError, UnicodeError, AttributeError):
                content = b""  # the raw message keeps it; say so rather than lose the mail
                self.add_defect(_("MIME: a forwarded message could not be extracted"))
            self.add_attachment(part, ctype, content, default_name="message.eml")
            return
        if ctype in ("message/delivery-status", "text/rfc822-headers"):
            return  # read by classify.parse_bounce; the raw message keeps them
        if isinstance(payload, list):
            for child in payload:
                if isinstance(child, Message):
                    self.walk(child, depth + 1)
            return
        self.leaf(part, ctype)

    def leaf(self, part: Message, ctype: str) -> None:
        if ctype.startswith("multipart/"):  # boundary missing: the parser kept the body as text
            ctype = "text/plain"
        disposition_value = raw_header(part, "Content-Disposition") or ""
        disposition = disposition_value.split(";", 1)[0].strip().lower()
        filename = self.filename(part, disposition_value)
        content = self.payload_bytes(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            charset = content_charset(part)
            if not charset and ctype == "text/html":
                meta = re.search(rb"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", content[:4096])
                charset = meta.group(1).decode("ascii") if meta else None
            text, defect = decode_bytes(
                content, charset, what=_("the %(type)s body") % {"type": ctype}
            )
            if defect:
                self.defects.append(defect)
            (self.text_parts if ctype == "text/plain" else self.html_parts).append(
                normalize_text(text)
            )
            return
        self.add_attachment(part, ctype, content, filename=filename, disposition=disposition)

    def payload_bytes(self, part: Message) -> bytes:
        content, problem = payload_bytes(part)
        if problem:
            self.add_defect(
                _("decoding: %(problem)s (a %(type)s part)")
                % {"problem": problem, "type": part.get_content_type()}
            )
        return content

    def add_defect(self, text: str) -> None:
        if text not in self.seen_defects:
            self.seen_defects.add(text)
            self.defects.append(text)

    def filename(self, part: Message, disposition_value: str) -> str:
        for header_value, param in (
            (disposition_value, "filename"),
            (raw_header(part, "Content-Type"), "name"),
        ):
            value = header_param(header_value, param)
            if value:
                name, defects = decode_param(value)
                self.defects.extend(defects)
                if name:
                    return name
        return ""

    def add_attachment(
        self,
        part: Message,
        ctype: str,
        content: bytes,
        *,
        filename: str = "",
        disposition: str = "attachment",
        default_name: str = "",
    ) -> None:
        if len(self.attachments) >= MAX_ATTACHMENTS:
            self.skipped_attachments += 1
            return
        index = len(self.attachments) + 1
        name = safe_filename(filename or default_name, index=index, content_type=ctype)
        content_id = (raw_header(part, "Content-ID") or "").strip().strip("<>").strip() or None
        is_inline = disposition == "inline" or (bool(content_id) and disposition != "attachment")
        reason = check_file(name, content, ctype)
        original = name
        if reason:
            self.add_defect(
                _("attachment: %(name)s was renamed %(new)s: %(reason)s")
                % {"name": repr(name), "new": repr(name + ".bin"), "reason": reason}
            )
            name = name + ".bin"
            is_inline = False
        self.attachments.append(
            ParsedAttachment(
                filename=name,
                content_type=ctype,
                content=content,
                content_id=content_id,
                is_inline=is_inline,
                flagged=bool(reason),
                flag_reason=reason or "",
                original_filename=original,
            )
        )


def parse_email(raw: bytes, *, own_domain: str) -> ParsedEmail:
    """Parse `raw` (one RFC 822 message); raises EmailParseError when it cannot be recorded."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise EmailParseError(_("The message is not bytes."), code="unreadable")
    raw = bytes(raw)
    if len(raw) > MAX_EMAIL_BYTES:
        raise EmailParseError(
            str(REASONS["too_large"]) % {"size": f"{len(raw):,}", "limit": f"{MAX_EMAIL_BYTES:,}"},
            code="too_large",
        )
    if not raw.strip():
        raise EmailParseError(str(REASONS["empty"]), code="empty")
    try:
        return _parse(raw, own_domain=own_domain)
    except EmailParseError:
        raise
    except (RecursionError, MemoryError) as error:
        raise EmailParseError(
            str(REASONS["unreadable"]) % {"error": _("too deeply nested or too large to read")},
            code="unreadable",
        ) from error
    except Exception as error:  # a bug or a case the email package chokes on: quarantine, never 500
        raise EmailParseError(
            str(REASONS["unreadable"]) % {"error": f"{type(error).__name__}: {error}"[:300]},
            code="unreadable",
        ) from error


def _parse(raw: bytes, *, own_domain: str) -> ParsedEmail:
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    if not msg.keys():
        raise EmailParseError(str(REASONS["no_headers"]), code="no_headers")
    defects: list[str] = []

    def decoded(name: str) -> str:
        text, header_defects = decode_header_value(raw_header(msg, name))
        defects.extend(f"{d} [{name}]" for d in header_defects)
        return text

    subject = unicodedata.normalize("NFC", decoded("Subject")).replace("\x00", "")[
        :MAX_HEADER_CHARS
    ]

    froms, _count = _addresses(raw_headers(msg, "From"), defects, "From")
    from_name, from_address = froms[0] if froms else ("", "")
    if not froms and raw_header(msg, "From"):
        defects.append(_("addresses: the From header has no usable address"))
    reply_tos, _count = _addresses(raw_headers(msg, "Reply-To"), defects, "Reply-To")

    recipients: dict[str, list[str]] = {}
    for name in ("To", "Cc"):
        pairs, _count = _addresses(raw_headers(msg, name), defects, name)
        addresses = list(dict.fromkeys(address for _n, address in pairs))
        if len(addresses) > MAX_RECIPIENTS:
            defects.append(
                _("recipients: %(count)s %(header)s addresses, kept the first %(kept)s")
                % {"count": f"{len(addresses):,}", "header": name, "kept": MAX_RECIPIENTS}
            )
            addresses = addresses[:MAX_RECIPIENTS]
        recipients[name] = addresses

    message_ids = _message_ids(raw_header(msg, "Message-ID"))
    if message_ids:
        message_id = message_ids[0]
    else:
        message_id = f"{hashlib.sha256(raw).hexdigest()}@rapport.invalid"
        defects.append(_("headers: no Message-ID; one was made from the content"))
    in_reply_to = _message_ids(raw_header(msg, "In-Reply-To"))[:MAX_REFERENCES]
    references = _message_ids(raw_header(msg, "References"))
    if len(references) > MAX_REFERENCES:  # keep the newest, which thread best
        references = references[-MAX_REFERENCES:]

    walker = _Walker()
    walker.walk(msg)
    defects.extend(walker.defects)
    if walker.skipped_attachments:
        defects.append(
            _(
                "attachments: %(count)s more attachments beyond %(limit)s were not extracted "
                "(they remain in the raw message)"
            )
            % {"count": walker.skipped_attachments, "limit": MAX_ATTACHMENTS}
        )

    html = sanitize_html("\n".join(walker.html_parts), cid_urls={}) if walker.html_parts else ""
    text = "\n\n".join(part.strip("\n") for part in walker.text_parts)
    if not text.strip() and walker.html_parts:
        text = html_to_text("\n".join(walker.html_parts))
    text = normalize_text(text).strip("\n")

    auto = classify(msg, own_domain=own_domain, from_address=from_address, subject=subject)
    bounce = parse_bounce(msg) if auto == BOUNCE else None

    headers: dict[str, str] = {}
    for name in KEPT_HEADERS:
        value = raw_header(msg, name)
        if value is not None:
            headers[name] = decode_header_value(value)[0][:MAX_HEADER_CHARS]

    return ParsedEmail(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        from_address=from_address,
        from_name=unicodedata.normalize("NFC", from_name),
        reply_to=reply_tos[0][1] if reply_tos else "",
        to=recipients["To"],
        cc=recipients["Cc"],
        date=_date(raw_header(msg, "Date"), defects),
        text=text,
        reply_text=cut_reply(text),
        html=html,
        attachments=walker.attachments,
        auto=auto,
        bounce=bounce,
        headers=headers,
        defects=list(dict.fromkeys(defects)),
    )
