"""Talking to the WeChat and WeCom APIs: account settings, the access token, API calls.

Every call goes through `http.request` (one function tests replace). An account whose provider
is `fake` never calls out: `FakeServer` answers as the API would and records what would be sent
(FakeSentMessage), and WeCom messages "on the server" come from `FakeKfMessage`.

The access token lives in ChatAccessToken (one row per account, encrypted). It is fetched from
the stable-token endpoint (Official Account) or gettoken (WeCom), refreshed by one claimed job
ahead of expiry; a call answered "token expired/invalid" (40001, 40014, 42001) refreshes once and
retries once.
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.channels.crypto import SecretsUnreadable, decrypt_secrets, encrypt_secrets
from rapport.channels.models import ChannelAccount, ChatAccessToken
from rapport.channels.wechat import http
from rapport.channels.wechat.crypto import MessageCrypto

logger = logging.getLogger(__name__)

WECHAT_API = "https://api.weixin.qq.com"
WECOM_API = "https://qyapi.weixin.qq.com"
TOKEN_ERRORS = (40001, 40014, 42001)
# Refresh this long before the token expires (stable_token rolls 5 minutes early anyway).
REFRESH_AHEAD = timedelta(minutes=10)
REFRESH_CLAIM = timedelta(seconds=30)
FAKE_TOKEN = "fake-access-token"

# Readable words for the provider codes an administrator meets most.
ERROR_WORDS = {
    -1: gettext_lazy("The provider is busy; try again."),
    40001: gettext_lazy("The access token is invalid or expired."),
    40003: gettext_lazy("The openid is not valid for this account."),
    40013: gettext_lazy("The appid is not valid."),
    40014: gettext_lazy("The access token is invalid."),
    40037: gettext_lazy("The template id is not valid."),
    40125: gettext_lazy("The AppSecret is wrong."),
    41001: gettext_lazy("The access token is missing."),
    42001: gettext_lazy("The access token expired."),
    43004: gettext_lazy("The customer does not follow the account."),
    45015: gettext_lazy("The 48-hour window for customer-service messages is closed."),
    45047: gettext_lazy("The customer-service message quota of this window is used up."),
    47003: gettext_lazy("The template fields are not valid."),
    48001: gettext_lazy("The account is not authorised for this API."),
    95000: gettext_lazy(
        "The WeCom customer-service session is not in a state that allows sending."
    ),
    95001: gettext_lazy("The WeCom message quota is used up."),
    95007: gettext_lazy("The WeCom message id is not valid."),
}


class ApiError(Exception):
    """The API answered with an errcode; `code` is it, `message` the readable words."""

    def __init__(self, code: int, errmsg: str = ""):
        self.code = code
        self.errmsg = errmsg
        words = str(ERROR_WORDS.get(code, ""))
        detail = f" ({errmsg})" if errmsg else ""
        self.message = f"[{code}] {words}{detail}" if words else f"[{code}] {errmsg}"
        super().__init__(self.message)


@dataclass(frozen=True)
class ChatSettings:
    """One account's settings: receive id (appid/corpid), secrets, mode, WeCom open_kfid."""

    kind: str
    receive_id: str
    secret: str
    token: str
    encoding_aes_key: str
    mode: str = "safe"  # plain | safe (Official Account); WeCom is always safe
    open_kfid: str = ""
    template_id: str = ""
    template_fields: tuple[str, ...] = ("thing1", "thing2")
    extra: dict = field(default_factory=dict)

    @property
    def safe(self) -> bool:
        return self.kind == "wecom" or self.mode != "plain"

    def crypto(self, **kwargs) -> MessageCrypto:
        return MessageCrypto(
            token=self.token,
            encoding_aes_key=self.encoding_aes_key,
            receive_id=self.receive_id,
            **kwargs,
        )


def chat_settings(account: ChannelAccount) -> ChatSettings:
    """Raises SecretsUnreadable when the stored secrets cannot be decrypted."""
    config = account.config or {}
    secrets = decrypt_secrets(account.secrets)
    wecom = account.kind == ChannelAccount.Kind.WECOM
    fields = config.get("template_fields") or ["thing1", "thing2"]
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    return ChatSettings(
        kind=account.kind,
        receive_id=str(config.get("corpid" if wecom else "appid", "")),
        secret=secrets.get("kf_secret" if wecom else "secret", ""),
        token=secrets.get("token", ""),
        encoding_aes_key=secrets.get("encoding_aes_key", ""),
        mode="safe" if wecom else str(config.get("mode", "safe")),
        open_kfid=str(config.get("open_kfid", "")),
        template_id=str(config.get("template_id", "")),
        template_fields=tuple(fields),
    )


def is_fake(account: ChannelAccount) -> bool:
    return account.provider == ChannelAccount.Provider.FAKE


# --- The access token -------------------------------------------------------------------------


def _fetch_token(account: ChannelAccount, *, force: bool) -> tuple[str, int]:
    if is_fake(account):
        return FAKE_TOKEN, 7200
    settings = chat_settings(account)
    if account.kind == ChannelAccount.Kind.WECOM:
        query = urlencode({"corpid": settings.receive_id, "corpsecret": settings.secret})
        data = http.request("GET", f"{WECOM_API}/cgi-bin/gettoken?{query}").json()
    else:
        data = http.request(
            "POST",
            f"{WECHAT_API}/cgi-bin/stable_token",
            json_body={
                "grant_type": "client_credential",
                "appid": settings.receive_id,
                "secret": settings.secret,
                "force_refresh": force,
            },
        ).json()
    if data.get("errcode"):
        raise ApiError(int(data["errcode"]), str(data.get("errmsg", "")))
    token = str(data.get("access_token") or "")
    if not token:
        raise ApiError(-1, "no access_token in the answer")
    return token, int(data.get("expires_in") or 7200)


def token_refresh(account: ChannelAccount, *, force: bool = False, now=None) -> str:
    """Fetch a new token and store it; one worker at a time per account (a claimed row).

    A worker that finds the row claimed waits briefly for the other's result instead of
    fetching its own (a second fetch from /cgi-bin/token would invalidate the first)."""
    now = now or timezone.now()
    row, _created = ChatAccessToken.objects.get_or_create(account=account)
    claimed = (
        ChatAccessToken.objects.filter(pk=row.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + REFRESH_CLAIM)
    )
    if not claimed:
        for _attempt in range(20):
            time.sleep(0.1)
            token = _stored_token(account, timezone.now())
            if token:
                return token
        raise ApiError(-1, "another worker is refreshing the access token")
    try:
        token, expires_in = _fetch_token(account, force=force)
    except (ApiError, http.HttpError) as exc:
        ChatAccessToken.objects.filter(pk=row.pk).update(claimed_until=None, last_error=str(exc))
        raise
    ChatAccessToken.objects.filter(pk=row.pk).update(
        token=encrypt_secrets({"access_token": token}),
        expires_at=timezone.now() + timedelta(seconds=expires_in),
        refreshed_at=timezone.now(),
        claimed_until=None,
        last_error="",
    )
    return token


def _stored_token(account: ChannelAccount, now) -> str:
    row = (
        ChatAccessToken.objects.filter(account=account, expires_at__gt=now + timedelta(seconds=60))
        .values("token")
        .first()
    )
    if row is None or not row["token"]:
        return ""
    try:
        return decrypt_secrets(row["token"]).get("access_token", "")
    except SecretsUnreadable:
        return ""


def access_token(account: ChannelAccount) -> str:
    """The account's valid token, fetching one when there is none."""
    return _stored_token(account, timezone.now()) or token_refresh(account)


def tokens_refresh_due(*, now=None) -> int:
    """The periodic job: refresh tokens of real chat accounts that expire soon; returns how many."""
    now = now or timezone.now()
    accounts = ChannelAccount.objects.filter(
        kind__in=[ChannelAccount.Kind.WECHAT, ChannelAccount.Kind.WECOM], is_active=True
    ).exclude(provider=ChannelAccount.Provider.FAKE)
    done = 0
    for account in accounts:
        fresh = ChatAccessToken.objects.filter(
            account=account, expires_at__gt=now + REFRESH_AHEAD
        ).exists()
        if fresh:
            continue
        try:
            token_refresh(account, now=now)
            done += 1
        except (ApiError, http.HttpError, SecretsUnreadable) as exc:
            logger.warning("Access token of account %s: %s", account.pk, exc)
    return done


# --- API calls --------------------------------------------------------------------------------


def _base(account: ChannelAccount) -> str:
    return WECOM_API if account.kind == ChannelAccount.Kind.WECOM else WECHAT_API


def api_call(account: ChannelAccount, path: str, payload: dict) -> dict:
    """POST `payload` to `path` with the access token; ApiError for an errcode. An expired or
    invalid token is refreshed once (force) and the call retried once."""
    if is_fake(account):
        return FakeServer(account).call(path, payload)
    for attempt in (1, 2):
        token = access_token(account) if attempt == 1 else token_refresh(account, force=True)
        url = f"{_base(account)}{path}?{urlencode({'access_token': token})}"
        data = http.request("POST", url, json_body=payload).json()
        code = int(data.get("errcode") or 0)
        if code in TOKEN_ERRORS and attempt == 1:
            ChatAccessToken.objects.filter(account=account).update(expires_at=None)
            continue
        if code:
            raise ApiError(code, str(data.get("errmsg", "")))
        return data
    raise AssertionError("unreachable")


def media_download(account: ChannelAccount, media_id: str, pic_url: str = "") -> tuple[bytes, str]:
    """(bytes, content type) of a message's image; the media API first, then PicUrl."""
    if is_fake(account):
        return FakeServer(account).media(media_id)
    errors = []
    if media_id:
        try:
            query = urlencode({"access_token": access_token(account), "media_id": media_id})
            answer = http.request("GET", f"{_base(account)}/cgi-bin/media/get?{query}")
            if answer.content_type.startswith(("image/", "application/octet-stream")):
                return answer.body, answer.content_type or "image/jpeg"
            data = answer.json()
            errors.append(str(ApiError(int(data.get("errcode") or -1), str(data.get("errmsg")))))
        except (http.HttpError, ApiError) as exc:
            errors.append(str(exc))
    if pic_url.startswith("https://") or pic_url.startswith("http://"):
        try:
            answer = http.request("GET", pic_url)
            if answer.content_type.startswith("image/"):
                return answer.body, answer.content_type
            errors.append(_("PicUrl did not answer with an image."))
        except http.HttpError as exc:
            errors.append(str(exc))
    raise http.HttpError("; ".join(errors) or _("The message names no image."))


@dataclass(frozen=True)
class Media:
    content: bytes
    content_type: str
    filename: str  # as the provider names it (Content-Disposition), or ""


def _disposition_filename(value: str) -> str:
    """The file name in a Content-Disposition header, the RFC 5987 `filename*` first (WeCom
    sends both, in either order), made safe: no folders, printable, at most 200 characters."""
    import re
    from urllib.parse import unquote

    extended = re.search(r"filename\*\s*=\s*([\w-]*)'[^']*'([^;\s]+)", value or "", re.I)
    plain = re.search(r'filename\s*=\s*(?:"([^"]*)"|([^;\s]+))', value or "", re.I)
    if extended:
        try:
            name = unquote(extended.group(2), encoding=extended.group(1) or "utf-8")
        except LookupError:
            name = unquote(extended.group(2))
    elif plain:
        name = plain.group(1) if plain.group(1) is not None else plain.group(2)
    else:
        return ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    return "".join(c for c in name if c.isprintable())[:200]


def media_fetch(account: ChannelAccount, media_id: str) -> Media:
    """A message's voice, video or file through the temporary-media API (kept 3 days there).
    Raises HttpError (no answer, or larger than 10 MB) or ApiError (an errcode)."""
    if is_fake(account):
        return FakeServer(account).media_file(media_id)
    if not media_id:
        raise http.HttpError(_("The message names no media."))
    query = urlencode({"access_token": access_token(account), "media_id": media_id})
    answer = http.request("GET", f"{_base(account)}/cgi-bin/media/get?{query}")
    if answer.content_type in ("application/json", "text/plain"):
        data = answer.json()
        raise ApiError(int(data.get("errcode") or -1), str(data.get("errmsg", "")))
    return Media(
        content=answer.body,
        content_type=answer.content_type or "application/octet-stream",
        filename=_disposition_filename(answer.headers.get("content-disposition", "")),
    )


# --- The fake provider: the API as it would answer, never calling out --------------------------


def _placeholder_png(width: int = 240, height: int = 160) -> bytes:
    """A soft blue-grey gradient PNG: what the fake provider "downloads" for any image."""
    import struct
    import zlib

    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (190 - y // 3, 205 - x // 6, 228))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 6))
        + chunk(b"IEND", b"")
    )


PLACEHOLDER_PNG = _placeholder_png()


class FakeServer:
    """Answers API calls of a fake account the way Tencent would, and records what was sent.

    Special recipients make the error paths visible in the demo and tests: an openid ending in
    "_closed" answers 45015 (window closed), "_quota" 45047, "_badtpl" 40037 (invalid template).
    """

    def __init__(self, account: ChannelAccount):
        self.account = account

    def call(self, path: str, payload: dict) -> dict:
        from rapport.channels.models import FakeKfMessage, FakeSentMessage

        if path.endswith("/qrcode/create"):  # a parametric QR code: its ticket and its link
            scene = str(payload.get("action_info", {}).get("scene", {}).get("scene_str", ""))
            if not 1 <= len(scene) <= 64:
                raise ApiError(40097, "invalid args: scene_str")
            digest = hashlib.sha1(f"{self.account.pk}:{scene}".encode()).hexdigest()[:20]
            ticket = f"fakeqr{digest}"
            return {
                "ticket": ticket,
                "expire_seconds": int(payload.get("expire_seconds") or 60),
                "url": f"http://weixin.qq.com/q/{ticket}",
            }
        if path.endswith("/kf/add_contact_way"):
            kfid = str(payload.get("open_kfid", ""))
            return {
                "errcode": 0,
                "errmsg": "ok",
                "url": f"https://work.weixin.qq.com/kf/{kfid}?enc_scene=FAKE{self.account.pk}",
            }
        if path.endswith("/kf/sync_msg"):
            after = int(payload.get("cursor") or 0)
            limit = min(int(payload.get("limit") or 1000), 1000)
            rows = list(
                FakeKfMessage.objects.filter(account=self.account, pk__gt=after).order_by("pk")[
                    : limit + 1
                ]
            )
            page = rows[:limit]
            return {
                "errcode": 0,
                "errmsg": "ok",
                "next_cursor": str(page[-1].pk if page else after),
                "has_more": 1 if len(rows) > limit else 0,
                "msg_list": [row.payload for row in page],
            }
        touser = str(payload.get("touser", ""))
        if touser.endswith("_closed"):
            raise ApiError(45015, "response out of time limit or subscription is canceled")
        if touser.endswith("_quota"):
            raise ApiError(45047, "out of response count limit")
        if path.endswith("/template/send") and touser.endswith("_badtpl"):
            raise ApiError(40037, "invalid template_id")
        key = str(payload.pop("_idempotency_key", "")) or f"fake:{time.time_ns()}"
        outbox_id = int(payload.pop("_outbox_id", 0) or 0)
        text = payload.get("text", {}).get("content", "") if "text" in payload else ""
        if not text and "data" in payload:
            text = json.dumps(payload["data"], ensure_ascii=False)
        row, created = FakeSentMessage.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "outbox_id": outbox_id,
                "channel": self.account.kind,
                "to_address": touser[:254],
                "subject": path[:500],
                "body": text,
                "message_id": "",
            },
        )
        if not created:
            FakeSentMessage.objects.filter(pk=row.pk).update(calls=row.calls + 1)
        return {"errcode": 0, "errmsg": "ok", "msgid": f"fake{row.pk}"}

    def media(self, media_id: str) -> tuple[bytes, str]:
        return PLACEHOLDER_PNG, "image/png"

    def media_file(self, media_id: str) -> Media:
        """What the demo's simulated voice, video and file messages "download"."""
        if media_id.startswith("simulated-voice"):
            return Media(b"#!AMR\n" + bytes(160), "audio/amr", "")
        if media_id.startswith("simulated-video"):
            box = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
            return Media(box + bytes(64), "video/mp4", "")
        if media_id.startswith("simulated-file"):
            pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
            return Media(pdf, "application/pdf", "维修报价单.pdf")
        if media_id.startswith("expired"):
            raise ApiError(40007, "invalid media_id")
        return Media(PLACEHOLDER_PNG, "image/png", "")
