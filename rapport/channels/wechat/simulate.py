"""Simulating a customer's WeChat/WeCom message through the real callback path.

The message is encrypted with the account's own key, signed with its token and handed to the
callback view exactly as Tencent's servers would POST it; then it is processed (and, for WeCom,
synced) at once so the person simulating sees where it went. Used by the simulate page, the demo
and the benchmark.
"""

import secrets
import time

from django.test import RequestFactory

from rapport.channels.models import ChannelAccount, FakeKfMessage, InboundMessage
from rapport.channels.services import inbound_process
from rapport.channels.wechat.callback import receive
from rapport.channels.wechat.client import chat_settings
from rapport.channels.wechat.wxml import build_xml

DEMO_IMAGE_MEDIA_ID = "simulated-image"


def wechat_fields(
    account: ChannelAccount, *, user_id: str, kind: str, text: str, scene: str = ""
) -> dict:
    now = int(time.time())
    base = {"ToUserName": account.address, "FromUserName": user_id, "CreateTime": now}
    msgid = secrets.randbelow(10**18) + 10**18
    if kind == "image":
        return {
            **base,
            "MsgType": "image",
            "PicUrl": "",
            "MediaId": DEMO_IMAGE_MEDIA_ID,
            "MsgId": msgid,
        }
    if kind == "voice":
        return {
            **base,
            "MsgType": "voice",
            "MediaId": "simulated-voice",
            "Format": "amr",
            "Recognition": text,
            "MsgId": msgid,
        }
    if kind in ("subscribe", "unsubscribe"):
        key = f"qrscene_{scene}" if scene and kind == "subscribe" else ""
        return {**base, "MsgType": "event", "Event": kind, "EventKey": key}
    return {**base, "MsgType": "text", "Content": text, "MsgId": msgid}


def wecom_message(
    account: ChannelAccount, *, user_id: str, kind: str, text: str, scene: str = ""
) -> dict:
    settings = chat_settings(account)
    base = {
        "msgid": secrets.token_hex(12),
        "open_kfid": settings.open_kfid,
        "external_userid": user_id,
        "send_time": int(time.time()),
        "origin": 3,
    }
    if kind == "image":
        return {**base, "msgtype": "image", "image": {"media_id": DEMO_IMAGE_MEDIA_ID}}
    if kind == "voice":
        return {**base, "msgtype": "voice", "voice": {"media_id": "simulated-voice"}}
    if kind == "file":
        return {**base, "msgtype": "file", "file": {"media_id": "simulated-file"}}
    if kind == "subscribe":
        return {
            **base,
            "origin": 4,
            "msgtype": "event",
            "event": {
                "event_type": "enter_session",
                "external_userid": user_id,
                "scene": "rapport_bind" if scene else "demo",
                **({"scene_param": scene} if scene else {}),
            },
        }
    return {**base, "msgtype": "text", "text": {"content": text}}


def signed_callback(
    account: ChannelAccount, fields: dict, *, timestamp: str | None = None, nonce: str | None = None
) -> tuple[dict[str, str], bytes]:
    """(query parameters, body) of `fields` as the provider posts them to the account's
    callback: encrypted and signed in safe mode, signed in plain mode."""
    settings = chat_settings(account)
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    crypto = settings.crypto()
    plaintext = build_xml(fields)
    if settings.safe:
        encrypted = crypto.encrypt(plaintext)
        body = build_xml({"ToUserName": fields.get("ToUserName", ""), "Encrypt": encrypted})
        query = {
            "timestamp": timestamp,
            "nonce": nonce,
            "encrypt_type": "aes",
            "msg_signature": crypto.sign(timestamp, nonce, encrypted),
            "signature": crypto.sign(timestamp, nonce),
        }
    else:
        body = plaintext
        query = {"timestamp": timestamp, "nonce": nonce, "signature": crypto.sign(timestamp, nonce)}
    return query, body.encode()


def post_callback(account: ChannelAccount, fields: dict):
    """Encrypt, sign and POST `fields` to the account's callback view; returns the response."""
    query, body = signed_callback(account, fields)
    path = f"/api/v1/channels/{account.kind}/{account.pk}"
    request = RequestFactory().post(path, data=body, content_type="text/xml", QUERY_STRING="")
    request.GET = request.GET.copy()
    request.GET.update(query)
    return receive(request, account.pk, account.kind)


def simulate_inbound(
    *, account: ChannelAccount, user_id: str, kind: str = "text", text: str = "", scene: str = ""
) -> tuple[int, str, InboundMessage | None]:
    """(HTTP status, answer, the customer's message record once processed)."""
    before = (
        InboundMessage.objects.filter(account=account)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )
    if account.kind == ChannelAccount.Kind.WECOM:
        FakeKfMessage.objects.create(
            account=account,
            payload=wecom_message(account, user_id=user_id, kind=kind, text=text, scene=scene),
        )
        fields = {
            "ToUserName": chat_settings(account).receive_id,
            "CreateTime": int(time.time()),
            "MsgType": "event",
            "Event": "kf_msg_or_event",
            "Token": secrets.token_hex(16),
            "OpenKfId": chat_settings(account).open_kfid,
        }
    else:
        fields = wechat_fields(account, user_id=user_id, kind=kind, text=text, scene=scene)
    response = post_callback(account, fields)
    answer = response.content.decode("utf-8", "replace")
    if response.status_code != 200:
        return response.status_code, answer, None
    process_new(account, after_id=before)
    if account.kind == ChannelAccount.Kind.WECOM:
        from rapport.channels.wecom.sync import wecom_sync

        wecom_sync(account_id=account.pk)
        process_new(account, after_id=before)
    last = InboundMessage.objects.filter(account=account, pk__gt=before).order_by("-id").first()
    return response.status_code, answer, last


def process_new(account: ChannelAccount, *, after_id: int) -> None:
    pending = InboundMessage.objects.filter(
        account=account, pk__gt=after_id, state=InboundMessage.State.RECEIVED
    ).order_by("id")
    for inbound_id in pending.values_list("id", flat=True):
        inbound_process(inbound_id=inbound_id)


def simulate_scan(*, invite) -> tuple[int, str, InboundMessage | None]:
    """A new follower scans a binding invitation's code (WeChat: follows through the QR code;
    WeCom: opens the chat through the link), through the account's real callback."""
    from rapport.channels.wechat.binding import PREFIX

    account = invite.account
    prefix = "oDemoScan" if account.kind == ChannelAccount.Kind.WECHAT else "wmDemoScan"
    return simulate_inbound(
        account=account,
        user_id=f"{prefix}{secrets.token_hex(8)}",
        kind="subscribe",
        scene=f"{PREFIX}{invite.code}",
    )
