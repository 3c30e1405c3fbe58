"""E-mail for the channels pipeline: parse inbound mail, build outbound mail (pure functions).

The contract is docs/design/messaging.md, Piece A. Everything other pieces use is importable from
here or from `rapport.channels.email.parse`.
"""

from .build import build_email
from .classify import BounceReport
from .parse import (
    MAX_ATTACHMENTS,
    MAX_EMAIL_BYTES,
    MAX_RECIPIENTS,
    REASONS,
    EmailParseError,
    ParsedAttachment,
    ParsedEmail,
    parse_email,
)
from .quotes import reply_text
from .sanitize import sanitize_html
from .thread import (
    make_message_id,
    message_id_hash,
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
    "reply_text",
    "sanitize_html",
    "strip_subject_prefixes",
    "subject_ticket_number",
]
