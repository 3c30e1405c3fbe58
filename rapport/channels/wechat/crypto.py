"""WeChat / WeCom message crypto (the WXBizMsgCrypt scheme), written on `cryptography`.

Signature: SHA-1 over the sorted strings token, timestamp, nonce (and, in safe mode, the Encrypt
text), compared in constant time. Body: AES-256-CBC, key = base64(EncodingAESKey + "="),
IV = key[:16], PKCS#7 padding to 32-byte blocks; plaintext = 16 random bytes ‖ 4-byte
network-order length ‖ message ‖ receive id (the appid of an Official Account, the corpid of WeCom).
Used by both `wechat` and `wecom`; pure functions, no Django models.
"""

import base64
import binascii
import hashlib
import hmac
import os
import struct
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.utils.translation import gettext as _

BLOCK = 32  # WeChat pads to 32 bytes, not AES's 16


class CryptoError(Exception):
    """A signature or body that does not check out; `code` is stable, `reason` is words."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def signature(*parts: str) -> str:
    """sha1 hex of the sorted parts joined: sign(token, timestamp, nonce[, encrypt])."""
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode()).hexdigest()


def signature_ok(expected: str, *parts: str) -> bool:
    """Constant-time comparison of a received signature with ours."""
    return hmac.compare_digest(
        (expected or "").strip().lower().encode(), signature(*parts).encode()
    )


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte key from the 43-character EncodingAESKey; CryptoError when it is not one."""
    text = (encoding_aes_key or "").strip()
    if len(text) != 43:
        raise CryptoError("bad_key", _("The EncodingAESKey has 43 characters."))
    try:
        key = base64.b64decode(text + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("bad_key", _("The EncodingAESKey is not base64 text.")) from exc
    if len(key) != 32:
        raise CryptoError("bad_key", _("The EncodingAESKey does not give a 32-byte key."))
    return key


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("bad_padding", _("The decrypted message is empty."))
    n = data[-1]
    if n < 1 or n > BLOCK or n > len(data) or data[-n:] != bytes([n]) * n:
        raise CryptoError("bad_padding", _("The decrypted message has broken padding (tampered?)."))
    return data[:-n]


class MessageCrypto:
    """Encrypt and decrypt for one account: its token, key and receive id (appid or corpid).

    `random_bytes` is os.urandom; tests pass a fixed one for deterministic ciphertext.
    """

    def __init__(
        self,
        *,
        token: str,
        encoding_aes_key: str,
        receive_id: str,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ):
        self.token = token
        self.key = aes_key(encoding_aes_key)
        self.receive_id = receive_id
        self.random_bytes = random_bytes

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, plaintext: bytes | str) -> str:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        body = self.random_bytes(16) + struct.pack(">I", len(data)) + data
        body += self.receive_id.encode()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(_pad(body)) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> bytes:
        """The message bytes; CryptoError on bad base64, padding, length or receive id."""
        try:
            raw = base64.b64decode((encrypted or "").strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("bad_ciphertext", _("The encrypted text is not base64.")) from exc
        if not raw or len(raw) % 16:
            raise CryptoError("bad_ciphertext", _("The encrypted text has a wrong length."))
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < 20:
            raise CryptoError("bad_ciphertext", _("The decrypted message is too short."))
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CryptoError("bad_ciphertext", _("The decrypted length is wrong (tampered?)."))
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise CryptoError(
                "wrong_receiver",
                _("The message is for another account (its appid/corpid is not ours)."),
            )
        return message

    def sign(self, timestamp: str, nonce: str, encrypted: str = "") -> str:
        parts = [self.token, timestamp, nonce] + ([encrypted] if encrypted else [])
        return signature(*parts)

    def check(self, sig: str, timestamp: str, nonce: str, encrypted: str = "") -> bool:
        parts = [self.token, timestamp, nonce] + ([encrypted] if encrypted else [])
        return signature_ok(sig, *parts)
