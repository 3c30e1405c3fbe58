"""Threading helpers: Message-ID hashing, our own Message-ID scheme, subject tokens and prefixes."""

import hashlib
import hmac
import re
import secrets
import unicodedata

# Ticket numbers are "T" + at least six digits (Ticket.number).
_TICKET_TOKEN = re.compile(r"[\[【〔(]\s*#?\s*(T\d{6,})\s*[\]】〕)]", re.IGNORECASE)

# One reply/forward prefix: 回复：, 答复:, RE:, Re[2]:, Re(2):, FW:, Fwd:, AW:, WG:, SV:, VS:, 转发 …
_PREFIX = re.compile(
    r"^\s*(?:回复|答复|回覆|回覆|覆|转发|轉寄|轉發|转寄|RE|FW|FWD|AW|WG|SV|VS|RIF|TR|ODP)"
    r"\s*(?:\[\d+\]|\(\d+\)|［\d+］)?\s*[:：]\s*",
    re.IGNORECASE,
)

_OWN_ID = re.compile(r"^rp\.t(\d+)\.m(\d+)\.([A-Za-z0-9]+)@(.+)$")


def normalize_message_id(message_id: str) -> str:
    """Message-ID without angle brackets and surrounding space; the domain part lower-cased."""
    value = message_id.strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    local, at, domain = value.rpartition("@")
    if at:
        value = f"{local}@{domain.lower()}"
    return value


def message_id_hash(message_id: str) -> str:
    """SHA-256 hex of the normalised Message-ID (ids can exceed any sensible column length)."""
    return hashlib.sha256(normalize_message_id(message_id).encode("utf-8", "replace")).hexdigest()


def subject_ticket_number(subject: str) -> str | None:
    """The ticket number in a subject token: "[T000123]", "［Ｔ０００１２３］", "【T000123】" → "T000123"."""
    if not subject:
        return None
    match = _TICKET_TOKEN.search(unicodedata.normalize("NFKC", subject))
    return match.group(1).upper() if match else None


def strip_subject_prefixes(subject: str) -> str:
    """The subject without any stack of reply/forward prefixes (Chinese and Western, both colons)."""
    value = subject or ""
    while True:
        # Match on NFKC (full-width "ＲＥ：") but cut the original text, character by character.
        normalized = ""
        origin: list[int] = []
        for index, char in enumerate(value[:40]):
            folded = unicodedata.normalize("NFKC", char)
            normalized += folded
            origin.extend([index] * len(folded))
        match = _PREFIX.match(normalized)
        if not match or not match.end():
            return value.strip()
        end = match.end()
        value = value[origin[end - 1] + 1 :]


def _signature(secret: bytes | str, ticket: int, outbox: int) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"rp.t{ticket}.m{outbox}".encode(), hashlib.sha256).hexdigest()[:16]


def make_message_id(
    *, ticket_id: int | None, outbox_id: int, own_domain: str, secret: bytes | str | None = None
) -> str:
    """Our Message-ID (without <>): rp.t{ticket}.m{outbox}.{random}@{own_domain}.

    `ticket_id=None` is written as t0. With `secret`, the last part is an HMAC of the ids instead of
    random, so the id is stable across retries of the same outbox row and cannot be forged by a
    sender who guesses ticket numbers (`own_token(..., secret=...)` then checks it).
    """
    ticket = int(ticket_id or 0)
    outbox = int(outbox_id)
    tail = _signature(secret, ticket, outbox) if secret else secrets.token_hex(8)
    return f"rp.t{ticket}.m{outbox}.{tail}@{own_domain.lower()}"


def own_token(
    message_ids: list[str], *, own_domain: str, secret: bytes | str | None = None
) -> tuple[int | None, int | None]:
    """(ticket_id, outbox_id) from the first of `message_ids` in our scheme, else (None, None).

    Pass In-Reply-To first, then References newest first. Ids on another domain, or with a
    wrong signature when `secret` is given, are ignored.
    """
    domain = own_domain.lower()
    for message_id in message_ids:
        match = _OWN_ID.match(normalize_message_id(message_id))
        if not match or match.group(4) != domain:
            continue
        ticket, outbox, tail = int(match.group(1)), int(match.group(2)), match.group(3)
        if secret and not hmac.compare_digest(tail, _signature(secret, ticket, outbox)):
            continue
        return (ticket or None), outbox
    return None, None


def is_own_message_id(message_id: str, *, own_domain: str) -> bool:
    """True when `message_id` is in our scheme on our domain (our own mail coming back)."""
    match = _OWN_ID.match(normalize_message_id(message_id))
    return bool(match and match.group(4) == own_domain.lower())
