"""The callback URLs WeChat and WeCom call: verify, decrypt, store raw, answer at once.

GET  /api/v1/channels/wechat/{account_id}?signature&timestamp&nonce&echostr → echostr (plain)
POST /api/v1/channels/wechat/{account_id}?signature&timestamp&nonce[&encrypt_type=aes&msg_signature]
GET  /api/v1/channels/wecom/{account_id}?msg_signature&timestamp&nonce&echostr → decrypted echostr
POST /api/v1/channels/wecom/{account_id}?msg_signature&timestamp&nonce

A POST is checked (signature in constant time, timestamp within 5 minutes, the appid/corpid
inside the plaintext), stored with `inbound_receive` and answered "success" — the processing runs
in the inbound task, never here, so the 5-second limit is never at risk. Retries of one message
(same MsgId; for events the same sender + CreateTime + Event) are one record. Refusals are plain
text with a stable code first ("bad_signature: …"), never a 500.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.models import ChannelAccount
from rapport.channels.models.chat import CALLBACK_ACCOUNTS
from rapport.channels.services import inbound_receive
from rapport.channels.wechat.client import ChatSettings, chat_settings
from rapport.channels.wechat.crypto import CryptoError, signature_ok
from rapport.channels.wechat.wxml import MAX_BODY_BYTES, XmlError, parse_xml
from rapport.core.errors import DomainError

logger = logging.getLogger(__name__)

router = Router(auth=None)
MAX_SKEW_SECONDS = 300


class Refused(Exception):
    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def _refusal(exc: Refused) -> HttpResponse:
    return _text(f"{exc.code}: {exc.reason}", exc.status)


def _load(account_id: int):
    account = ChannelAccount.objects.filter(pk=account_id, is_active=True).first()
    if account is None:
        return None
    try:
        return account, chat_settings(account)
    except SecretsUnreadable as exc:
        return account, exc


def _account(account_id: int, kind: str) -> tuple[ChannelAccount, ChatSettings]:
    """The active account and its settings, kept per process for 30 s (CALLBACK_ACCOUNTS)."""
    found = CALLBACK_ACCOUNTS.get(account_id, lambda: _load(account_id))
    if found is None or found[0].kind != kind:
        raise Refused(404, "unknown_account", _("No active account here."))
    account, settings = found
    if isinstance(settings, SecretsUnreadable):
        raise Refused(503, "secrets", str(settings))
    if not settings.token:
        raise Refused(503, "not_configured", _("The account has no token yet."))
    return account, settings


def _fresh(timestamp: str) -> None:
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise Refused(
            403, "stale_timestamp", _("The timestamp is missing or more than 5 minutes off.")
        )


def _read_body(content_length: str, read: Callable[[int], bytes]) -> bytes:
    declared = content_length or ""
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refused(413, "too_large", _("The body is larger than 5 MB."))
    body = read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, "too_large", _("The body is larger than 5 MB."))
    return body


def _xml(body: bytes) -> dict[str, str]:
    try:
        return parse_xml(body)
    except XmlError as exc:
        status = 413 if exc.code == "too_large" else 400
        raise Refused(status, exc.code, exc.reason) from exc


def _bad_signature() -> Refused:
    return Refused(403, "bad_signature", _("The signature is missing or wrong."))


def provider_id_of(message: dict[str, str], plaintext: bytes) -> str:
    """MsgId for messages; sender + CreateTime + Event (+ EventKey) for events (no MsgId)."""
    if message.get("MsgId"):
        return f"msg:{message['MsgId']}"
    if message.get("Event"):
        parts = [
            message.get("FromUserName", ""),
            message.get("CreateTime", ""),
            message.get("Event", ""),
            message.get("Token", "") or message.get("EventKey", ""),
        ]
        return "event:" + ":".join(parts)[:240]
    return "sha256:" + hashlib.sha256(plaintext).hexdigest()


def _decrypt_post(q: Mapping[str, str], settings: ChatSettings, outer: dict[str, str]) -> bytes:
    """The plaintext message XML of a checked POST (`q`: the query string's parameters)."""
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    encrypted = outer.get("Encrypt", "")
    if settings.safe or q.get("encrypt_type") == "aes":
        if not encrypted:
            raise Refused(400, "not_encrypted", _("Safe mode expects an encrypted message."))
        if not signature_ok(
            q.get("msg_signature", ""), settings.token, timestamp, nonce, encrypted
        ):
            raise _bad_signature()
        _fresh(timestamp)
        try:
            return settings.crypto().decrypt(encrypted)
        except CryptoError as exc:
            raise Refused(400, exc.code, exc.reason) from exc
    if not signature_ok(q.get("signature", ""), settings.token, timestamp, nonce):
        raise _bad_signature()
    _fresh(timestamp)
    return b""  # plain mode: the body itself is the message


def answer(
    *,
    account_id: int,
    kind: str,
    query: Mapping[str, str],
    content_length: str,
    read: Callable[[int], bytes],
    store: Callable[..., object] | None = None,
) -> tuple[int, str]:
    """Check, store, and the answer as (status, text): "success", or a refusal with its code
    first. What the POST view and the WSGI ingress (ingress.py) both answer; `store` is
    `inbound_receive` or the ingress's (the same, written with the other callbacks in
    flight)."""
    try:
        account, settings = _account(account_id, kind)
        body = _read_body(content_length, read)
        outer = _xml(body)
        plaintext = _decrypt_post(query, settings, outer) or body
        message = _xml(plaintext) if plaintext is not body else outer
        if not message.get("MsgType") and not message.get("Event"):
            raise Refused(400, "not_a_message", _("The XML has no MsgType."))
        try:
            (store or inbound_receive)(
                account=account, provider_id=provider_id_of(message, plaintext), raw=plaintext
            )
        except DomainError as exc:  # switched off since the account was read
            raise Refused(404, "unknown_account", _("No active account here.")) from exc
        except ValidationError as exc:
            raise Refused(400, "not_a_message", "; ".join(exc.messages)) from exc
    except Refused as exc:
        logger.info("Callback for account %s refused: %s %s", account_id, exc.code, exc.reason)
        return exc.status, f"{exc.code}: {exc.reason}"
    return 200, "success"


def receive(request: HttpRequest, account_id: int, kind: str) -> HttpResponse:
    """Check, store, answer "success"."""
    status, text = answer(
        account_id=account_id,
        kind=kind,
        query=request.GET,
        content_length=request.META.get("CONTENT_LENGTH") or "",
        read=request.read,
    )
    return _text(text, status)


@router.get("/wechat/{account_id}", include_in_schema=False)
def wechat_verify(request: HttpRequest, account_id: int):
    try:
        _account_row, settings = _account(account_id, ChannelAccount.Kind.WECHAT)
        q = request.GET
        if not signature_ok(
            q.get("signature", ""), settings.token, q.get("timestamp", ""), q.get("nonce", "")
        ):
            raise _bad_signature()
    except Refused as exc:
        return _refusal(exc)
    return _text(q.get("echostr", ""))


@router.post("/wechat/{account_id}", include_in_schema=False)
def wechat_receive(request: HttpRequest, account_id: int):
    return receive(request, account_id, ChannelAccount.Kind.WECHAT)


@router.get("/wecom/{account_id}", include_in_schema=False)
def wecom_verify(request: HttpRequest, account_id: int):
    """WeCom wants the decrypted echostr back within a second: no quotes, BOM or newline."""
    try:
        _account_row, settings = _account(account_id, ChannelAccount.Kind.WECOM)
        q = request.GET
        echostr = q.get("echostr", "")
        if not echostr or not signature_ok(
            q.get("msg_signature", ""),
            settings.token,
            q.get("timestamp", ""),
            q.get("nonce", ""),
            echostr,
        ):
            raise _bad_signature()
        try:
            plain = settings.crypto().decrypt(echostr)
        except CryptoError as exc:
            raise Refused(400, exc.code, exc.reason) from exc
    except Refused as exc:
        return _refusal(exc)
    return _text(plain.decode("utf-8", "replace"))


@router.post("/wecom/{account_id}", include_in_schema=False)
def wecom_receive(request: HttpRequest, account_id: int):
    return receive(request, account_id, ChannelAccount.Kind.WECOM)
