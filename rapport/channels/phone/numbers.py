"""Caller numbers as call centres push them, to the E.164 form identities are stored in.

Call centres send "+8613800138000", "8613800138000", "008613800138000", "138 0013 8000",
"010-6552 9988" (a Beijing landline) or "01065529988"; all reach the same identity.
"""

import re

from django.core.exceptions import ValidationError

from rapport.core.phones import normalize_phone

_NOISE = re.compile(r"[\s\-().·]")


def caller_e164(raw: str) -> str:
    """The E.164 form of a pushed number, or "" when it is withheld or not a number."""
    text = _NOISE.sub("", (raw or "").strip())
    if not text or len(text) > 32:
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text.startswith("86") and len(text) >= 12 and not text.startswith("+"):
        # 86 + a mobile (11 digits) or a landline with its area code (9–11 digits): the
        # country code without "+"; a national number never starts with 86 at that length.
        text = "+" + text
    try:
        return normalize_phone(text)
    except ValidationError:
        return ""
