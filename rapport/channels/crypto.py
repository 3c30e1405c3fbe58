"""Encryption at rest for channel account secrets (passwords, 授权码, API secrets).

The Fernet key is derived from `RAPPORT_CHANNEL_KEY`, or from `SECRET_KEY` when that is unset.
Changing the key makes stored secrets unreadable: `SecretsUnreadable` says so instead of failing
with a cryptography traceback, and the administrator enters the secrets again.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.translation import gettext as _


class SecretsUnreadable(Exception):
    """The stored secrets were encrypted with another key (or are damaged)."""


def _fernet() -> Fernet:
    material = getattr(settings, "RAPPORT_CHANNEL_KEY", "") or settings.SECRET_KEY
    digest = hashlib.sha256(b"rapport.channels.secrets:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secrets(values: dict[str, str]) -> str:
    """The encrypted text of a dict of secrets; "" for no secrets."""
    cleaned = {k: v for k, v in values.items() if v}
    if not cleaned:
        return ""
    return _fernet().encrypt(json.dumps(cleaned, sort_keys=True).encode()).decode()


def decrypt_secrets(token: str) -> dict[str, str]:
    """The dict of secrets; raises SecretsUnreadable when the key changed or the text is damaged."""
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise SecretsUnreadable(
            _(
                "The stored passwords cannot be decrypted (RAPPORT_CHANNEL_KEY or SECRET_KEY "
                "changed?). Enter them again."
            )
        ) from exc
