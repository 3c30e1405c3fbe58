"""Build outgoing mail as bytes: our Message-ID, thread headers, names Chinese clients display.

Headers are encoded here rather than left to the `email` policies: attachment names go out both
as RFC 2231 `filename*` (standard; Thunderbird, Apple Mail, Gmail) and as an RFC 2047 word in
`filename=`/`name=` (what Outlook, Foxmail and older QQ/163 webmail read), as Zammad does.
"""

import base64
import mimetypes
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email import encoders, policy
from email.generator import BytesGenerator
from email.message import Message
from email.utils import format_datetime, formataddr, parseaddr
from io import BytesIO
from urllib.parse import quote

AUTO_SUBMITTED_VALUES = frozenset({"auto-generated", "auto-replied", "auto-notified"})
_MAX_WORD_BYTES = 45  # 60 base64 characters + "=?utf-8?b??=" ≤ 75 (RFC 2047 §2)
_CRLF = re.compile(r"[\r\n]+")


def _clean(value: str) -> str:
    """No header injection: a header value never carries a line break."""
    return _CRLF.sub(" ", value or "").strip()


def encode_words(text: str) -> str:
    """RFC 2047 UTF-8 base64 words for non-ASCII text (split on character boundaries)."""
    text = _clean(text)
    if text.isascii() and "=?" not in text:
        return text
    words: list[str] = []
    chunk = b""
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _MAX_WORD_BYTES:
            words.append(chunk)  # type: ignore[arg-type]
            chunk = b""
        chunk += encoded
    if chunk:
        words.append(chunk)  # type: ignore[arg-type]
    return " ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)  # type: ignore[arg-type]


def _address(value: str | tuple[str, str]) -> str:
    name, address = value if isinstance(value, tuple) else parseaddr(_clean(value))
    name, address = _clean(name), _clean(address)
    if not address:
        raise ValueError(f"not an e-mail address: {value!r}")
    if name.isascii():
        return formataddr((name, address))
    return f"{encode_words(name)} <{address}>"


def _address_list(values) -> str:
    if isinstance(values, str | tuple):
        values = [values]
    return ", ".join(_address(v) for v in values)


def _angle(message_id: str) -> str:
    value = _clean(message_id).strip("<>")
    return f"<{value}>"


def _rfc2231(name: str) -> list[str]:
    """filename*=… parameters, split into numbered continuations when long (RFC 2231 §3)."""
    encoded = quote(name, safe="")
    if len(encoded) <= 60:
        return [f"filename*=utf-8''{encoded}"]
    tokens = re.findall(r"%[0-9A-F]{2}|.", encoded)  # never split a %XX escape
    pieces: list[str] = [""]
    for token in tokens:
        if len(pieces[-1]) + len(token) > 60:
            pieces.append("")
        pieces[-1] += token
    return [
        f"filename*{i}*=utf-8''{piece}" if i == 0 else f"filename*{i}*={piece}"
        for i, piece in enumerate(pieces)
    ]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attachment_part(attachment) -> Message:
    if isinstance(attachment, tuple):
        filename, content, *rest = attachment
        content_type = rest[0] if rest else None
        content_id = rest[1] if len(rest) > 1 else None
    else:
        filename = attachment.filename
        content = attachment.content
        content_type = getattr(attachment, "content_type", None)
        content_id = getattr(attachment, "content_id", None)
    filename = _clean(filename).replace("/", "_").replace("\\", "_") or "attachment.bin"
    content_type = (
        content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    ).lower()
    maintype, _slash, subtype = content_type.partition("/")
    part = Message()
    part.set_payload(bytes(content))
    encoders.encode_base64(part)
    legacy = _quoted(encode_words(filename))
    part["Content-Type"] = f"{maintype}/{subtype or 'octet-stream'}; name={legacy}"
    disposition = "inline" if content_id else "attachment"
    part["Content-Disposition"] = "; ".join(
        [disposition, f"filename={legacy}", *_rfc2231(filename)]
    )
    if content_id:
        part["Content-ID"] = _angle(content_id)
    return part


def _text_part(body: str, subtype: str) -> Message:
    part = Message()
    part.set_payload(base64.encodebytes(body.replace("\r\n", "\n").encode("utf-8")).decode("ascii"))
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "base64"
    return part


def _multipart(subtype: str, parts: list[Message]) -> Message:
    container = Message()
    container["Content-Type"] = f"multipart/{subtype}"
    for part in parts:
        container.attach(part)
    return container


def build_email(
    *,
    from_addr: str | tuple[str, str],
    to,
    subject: str,
    text: str,
    html: str | None = None,
    message_id: str,
    in_reply_to: str | None = None,
    references: Iterable[str] = (),
    auto_submitted: str | None = None,
    attachments: Iterable = (),
    reply_to: str | tuple[str, str] | None = None,
    cc=(),
    date: datetime | None = None,
    extra_headers: dict[str, str] | None = None,
) -> bytes:
    """One outgoing message as CRLF bytes, ready for SMTP.

    Addresses are "addr", "Name <addr>" or (name, addr). Attachments are (filename, content[,
    content_type[, content_id]]) tuples or objects with those attributes (ParsedAttachment).
    `auto_submitted` ("auto-replied" for acknowledgements, "auto-generated" for notifications)
    also sets `X-Auto-Response-Suppress: All` so Exchange does not answer back.
    Raises ValueError for an empty address or an unknown `auto_submitted` value.
    """
    if auto_submitted is not None and auto_submitted not in AUTO_SUBMITTED_VALUES:
        raise ValueError(f"auto_submitted must be one of {sorted(AUTO_SUBMITTED_VALUES)}")
    body: Message = _text_part(text or "", "plain")
    if html:
        body = _multipart("alternative", [body, _text_part(html, "html")])
    attachment_parts = [_attachment_part(a) for a in attachments]
    root = _multipart("mixed", [body, *attachment_parts]) if attachment_parts else body

    headers: list[tuple[str, str]] = [
        ("From", _address(from_addr)),
        ("To", _address_list(to)),
    ]
    if cc:
        headers.append(("Cc", _address_list(cc)))
    if reply_to:
        headers.append(("Reply-To", _address(reply_to)))
    headers += [
        ("Subject", encode_words(subject)),
        ("Date", format_datetime(date or datetime.now(UTC))),
        ("Message-ID", _angle(message_id)),
    ]
    reference_ids = [_angle(r) for r in references if _clean(r)]
    if in_reply_to:
        headers.append(("In-Reply-To", _angle(in_reply_to)))
        if _angle(in_reply_to) not in reference_ids:
            reference_ids.append(_angle(in_reply_to))
    if reference_ids:
        headers.append(("References", " ".join(reference_ids)))
    if auto_submitted:
        headers += [("Auto-Submitted", auto_submitted), ("X-Auto-Response-Suppress", "All")]
    for name, value in (extra_headers or {}).items():
        headers.append((_clean(name), encode_words(value)))
    headers.append(("MIME-Version", "1.0"))

    # Top-level headers first, then the body's own Content-* headers.
    body_headers = list(root.items())
    for name in list(root.keys()):
        del root[name]
    for name, value in headers + body_headers:
        root[name] = value

    out = BytesIO()
    BytesGenerator(out, policy=policy.compat32.clone(linesep="\r\n"), mangle_from_=False).flatten(
        root
    )
    return out.getvalue()
