"""Reading a stored Official Account message (the decrypted XML) for the inbound pipeline.

Text, image (fetched through the media API and stored as an attachment), voice (the recognition
text when WeChat sends it), location, link, video; the events subscribe/unsubscribe, CLICK, VIEW,
SCAN. Messages land in the customer's open conversation on the account; events are dealt with
here (binding, unfollow) and recorded as processed without a message. Unknown types are ignored
with the reason.
"""

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.channels.email.parse import ParsedAttachment
from rapport.channels.models import ChannelAccount, InboundMessage
from rapport.channels.services.inbound import Ignore, Incoming, Quarantine
from rapport.channels.wechat import http
from rapport.channels.wechat.binding import binding_code_in, binding_redeem
from rapport.channels.wechat.client import ApiError, media_download, media_fetch
from rapport.channels.wechat.sessions import (
    bind_by_phone,
    customer_for,
    session_for,
    window_opened,
)
from rapport.channels.wechat.wxml import XmlError, parse_xml
from rapport.customers.services import identity_mark_undeliverable

MAX_IMAGE_BYTES = 10 * 1024 * 1024


def _sent_at(message: dict[str, str]):
    value = message.get("CreateTime", "")
    if value.isdigit():
        return datetime.fromtimestamp(int(value), tz=UTC)
    return None


def _image(account: ChannelAccount, media_id: str, pic_url: str, key: str):
    """(attachment or None, defect or "")."""
    try:
        content, content_type = media_download(account, media_id, pic_url)
    except (http.HttpError, ApiError) as exc:
        return None, _("The image could not be fetched: %(error)s") % {"error": exc}
    if len(content) > MAX_IMAGE_BYTES:
        return None, _("The image is larger than 10 MB and was not kept.")
    if not content_type.startswith("image/"):
        content_type = "image/jpeg"
    extension = {"image/png": "png", "image/gif": "gif", "image/webp": "webp"}.get(
        content_type, "jpg"
    )
    return (
        ParsedAttachment(
            filename=f"wechat-{key[-12:] or 'image'}.{extension}",
            content_type=content_type,
            content=content,
            content_id=None,
            is_inline=True,
        ),
        "",
    )


MEDIA_EXTENSIONS = {
    "audio/amr": "amr",
    "audio/speex": "speex",
    "audio/mpeg": "mp3",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
}


def _media(account: ChannelAccount, media_id: str, key: str, kind: str):
    """(attachment or None, defect or "") for a voice, video or file message: fetched through
    the media API and kept as a (not inline) attachment of the message."""
    try:
        media = media_fetch(account, media_id)
    except (http.HttpError, ApiError) as exc:
        what = {"voice": _("voice message"), "video": _("video"), "file": _("file")}.get(kind, kind)
        return None, _("The %(kind)s could not be fetched: %(error)s") % {
            "kind": what,
            "error": exc,
        }
    extension = MEDIA_EXTENSIONS.get(media.content_type, "bin")
    filename = media.filename or f"{account.kind}-{kind}-{key[-12:] or 'media'}.{extension}"
    return (
        ParsedAttachment(
            filename=filename,
            content_type=media.content_type,
            content=media.content,
            content_id=None,
            is_inline=False,
        ),
        "",
    )


def message_text(message: dict[str, str]) -> str:
    """What the customer sent, as text for the thread and the timeline."""
    kind = message.get("MsgType", "")
    if kind == "text":
        return message.get("Content", "")
    if kind == "image":
        return _("[Image]")
    if kind == "voice":
        recognised = message.get("Recognition", "")
        return recognised or _("[Voice message]")
    if kind in ("video", "shortvideo"):
        return _("[Video]")
    if kind == "location":
        return _("[Location] %(label)s (%(x)s, %(y)s)") % {
            "label": message.get("Label", ""),
            "x": message.get("Location_X", ""),
            "y": message.get("Location_Y", ""),
        }
    if kind == "link":
        parts = [message.get("Title", ""), message.get("Description", ""), message.get("Url", "")]
        return _("[Link] %(text)s") % {"text": "\n".join(p for p in parts if p)}
    return ""


MESSAGE_TYPES = ("text", "image", "voice", "video", "shortvideo", "location", "link")


def parse_wechat(inbound: InboundMessage) -> Incoming:
    account = inbound.account
    try:
        message = parse_xml(inbound.read_raw())
    except XmlError as exc:
        raise Quarantine(exc.reason) from exc
    openid = message.get("FromUserName", "")
    if not openid:
        raise Quarantine(_("The message has no sender (FromUserName)."))
    kind = message.get("MsgType", "")
    if kind == "event":
        return _event(account, message, openid)
    if kind not in MESSAGE_TYPES:
        raise Ignore(_("Unknown message type “%(type)s”; recorded, not shown.") % {"type": kind})
    text = message_text(message)
    customer, session = customer_for(
        account, openid, unionid=message.get("UnionId", ""), text=text if kind == "text" else ""
    )
    now = timezone.now()
    window_opened(session, now)
    defects = []
    if kind == "text":
        bound = bind_by_phone(account, session, text)
        customer = bound or customer
    attachments = []
    if kind == "image":
        attachment, defect = _image(
            account, message.get("MediaId", ""), message.get("PicUrl", ""), inbound.provider_id
        )
        if attachment is not None:
            attachments.append(attachment)
        if defect:
            defects.append(defect)
    if kind == "voice":  # the recognition text (when on) is the message; the sound is kept
        attachment, defect = _media(account, message.get("MediaId", ""), inbound.provider_id, kind)
        attachments += [attachment] if attachment is not None else []
        defects += [defect] if defect else []
    return Incoming(
        sender=openid,
        text=text,
        reply_text=text,
        message_id=f"wx:{message.get('MsgId', '') or inbound.provider_id}",
        defects=defects,
        attachments=attachments,
        sent_at=_sent_at(message),
        identity_kind="wxopenid",
        customer=customer,
        thread_by_customer=True,
        parsed=message,
    )


def _event(account: ChannelAccount, message: dict[str, str], openid: str) -> Incoming:
    event = message.get("Event", "").lower()
    key = message.get("EventKey", "")
    if event == "subscribe" or event == "scan":
        customer, session = customer_for(account, openid, unionid=message.get("UnionId", ""))
        note = ""
        code = binding_code_in(key)
        if code:
            redeemed = binding_redeem(account=account, session=session, code=code)
            customer, note = redeemed.customer or customer, redeemed.note
        if event == "subscribe":
            session.followed, session.unfollowed_at = True, None
            session.save(update_fields=["followed", "unfollowed_at", "updated_at"])
            from rapport.customers.models import Identity

            Identity.objects.filter(kind="wxopenid", value=openid).update(
                undeliverable_at=None, undeliverable_reason=""
            )
            return Incoming(
                sender=openid,
                handled=_("%(id)s followed the account (customer %(name)s).%(note)s")
                % {"id": openid, "name": customer.name, "note": note},
            )
        return Incoming(
            sender=openid,
            handled=_("%(id)s scanned a QR code (%(key)s).%(note)s")
            % {"id": openid, "key": key or "—", "note": note},
        )
    if event == "unsubscribe":
        session = session_for(account, openid)
        session.followed, session.unfollowed_at = False, timezone.now()
        session.save(update_fields=["followed", "unfollowed_at", "updated_at"])
        identity_mark_undeliverable(
            kind="wxopenid",
            value=openid,
            reason=_("Unfollowed the Official Account; messages cannot reach them there."),
        )
        return Incoming(sender=openid, handled=_("%(id)s unfollowed the account.") % {"id": openid})
    if event in ("click", "view", "scancode_push", "scancode_waitmsg", "location_select"):
        return Incoming(
            sender=openid,
            handled=_("%(id)s used the menu: %(event)s %(key)s")
            % {"id": openid, "event": message.get("Event", ""), "key": key},
        )
    if event in ("location", "templatesendjobfinish", "view_miniprogram"):
        return Incoming(
            sender=openid,
            handled=_("Event %(event)s recorded.") % {"event": message.get("Event", "")},
        )
    raise Ignore(
        _("Unknown event type “%(event)s”; recorded, nothing done.")
        % {"event": message.get("Event", "")}
    )
