"""Reading stored WeCom customer-service records for the inbound pipeline.

Two kinds of raw record arrive for a WeCom account:
- the decrypted callback XML (event kf_msg_or_event with a Token): it only says "sync now"; the
  parser queues the sync (after commit) and the record is processed without a message;
- one message of `sync_msg` (JSON): a customer's message (origin 3) becomes a Message in the
  customer's conversation; session events (enter_session, session_status_change, …) update the
  session state; servicer messages written in the WeCom app and unknown types are ignored with
  the reason.
"""

import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.channels.models import ChannelAccount, ChatSession, InboundMessage
from rapport.channels.services.inbound import Ignore, Incoming, Quarantine
from rapport.channels.wechat.binding import binding_code_in, binding_redeem
from rapport.channels.wechat.inbound import _image, _media, _sent_at
from rapport.channels.wechat.sessions import customer_for, session_for, window_opened
from rapport.channels.wechat.wxml import XmlError, parse_xml

ORIGIN_CUSTOMER, ORIGIN_SYSTEM, ORIGIN_SERVICER = 3, 4, 5
# session_status_change change_type → the session state it leads to
CHANGE_STATE = {1: 3, 2: 3, 3: 4, 4: 3}


def _queue_sync(account_id: int, token: str) -> None:
    from rapport.channels.wecom.tasks import wecom_sync_task

    def enqueue() -> None:
        try:
            wecom_sync_task.enqueue(account_id=account_id, token=token)
        except Exception:  # the periodic sync picks it up
            import logging

            logging.getLogger(__name__).exception("Could not queue WeCom sync %s", account_id)

    transaction.on_commit(enqueue)


def message_text(msg: dict) -> str:
    kind = msg.get("msgtype", "")
    body = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
    if kind == "text":
        return str(body.get("content", ""))
    if kind == "image":
        return _("[Image]")
    if kind == "voice":
        return _("[Voice message]")
    if kind == "video":
        return _("[Video]")
    if kind == "file":
        return _("[File]")
    if kind == "location":
        return _("[Location] %(label)s (%(x)s, %(y)s)") % {
            "label": " ".join(p for p in (body.get("name", ""), body.get("address", "")) if p),
            "x": body.get("latitude", ""),
            "y": body.get("longitude", ""),
        }
    if kind == "link":
        parts = [body.get("title", ""), body.get("desc", ""), body.get("url", "")]
        return _("[Link] %(text)s") % {"text": "\n".join(str(p) for p in parts if p)}
    if kind == "miniprogram":
        return _("[Mini program] %(title)s") % {"title": body.get("title", "")}
    return ""


MESSAGE_TYPES = ("text", "image", "voice", "video", "file", "location", "link", "miniprogram")


def parse_wecom(inbound: InboundMessage) -> Incoming:
    account = inbound.account
    raw = inbound.read_raw()
    if raw.lstrip().startswith(b"<"):
        return _callback(account, raw)
    try:
        msg = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Quarantine(_("The stored WeCom message is not JSON.")) from exc
    if not isinstance(msg, dict):
        raise Quarantine(_("The stored WeCom message is not a JSON object."))
    kind = msg.get("msgtype", "")
    if kind == "event":
        return _event(account, msg.get("event") or {})
    origin = msg.get("origin")
    if origin == ORIGIN_SERVICER:
        raise Ignore(_("Written by a servicer in the WeCom app; not a customer message."))
    if origin != ORIGIN_CUSTOMER:
        raise Ignore(_("A system message (origin %(origin)s); nothing to do.") % {"origin": origin})
    if kind not in MESSAGE_TYPES:
        raise Ignore(_("Unknown message type “%(type)s”; recorded, not shown.") % {"type": kind})
    user = str(msg.get("external_userid", ""))
    if not user:
        raise Quarantine(_("The message has no sender (external_userid)."))
    text = message_text(msg)
    customer, session = customer_for(account, user, text=text if kind == "text" else "")
    window_opened(session, timezone.now())
    attachments, defects = [], []
    if kind == "image":
        media_id = str((msg.get("image") or {}).get("media_id", ""))
        attachment, defect = _image(account, media_id, "", inbound.provider_id)
        if attachment is not None:
            attachments.append(attachment)
        if defect:
            defects.append(defect)
    if kind in ("voice", "video", "file"):
        media_id = str((msg.get(kind) or {}).get("media_id", ""))
        attachment, defect = _media(account, media_id, inbound.provider_id, kind)
        attachments += [attachment] if attachment is not None else []
        defects += [defect] if defect else []
    if kind == "text":
        from rapport.channels.wechat.sessions import bind_by_phone

        customer = bind_by_phone(account, session, text) or customer
    return Incoming(
        sender=user,
        text=text,
        reply_text=text,
        message_id=f"wecom:{msg.get('msgid', '')}",
        defects=defects,
        attachments=attachments,
        sent_at=_sent_at({"CreateTime": str(msg.get("send_time", ""))}),
        identity_kind="wecom",
        customer=customer,
        thread_by_customer=True,
        parsed=msg,
    )


def _callback(account: ChannelAccount, raw: bytes) -> Incoming:
    try:
        event = parse_xml(raw)
    except XmlError as exc:
        raise Quarantine(exc.reason) from exc
    name = event.get("Event", "")
    if name != "kf_msg_or_event":
        raise Ignore(_("Unknown event type “%(event)s”; recorded, nothing done.") % {"event": name})
    _queue_sync(account.pk, event.get("Token", ""))
    return Incoming(sender="", handled=_("New WeCom messages announced; sync queued."))


def _event(account: ChannelAccount, event: dict) -> Incoming:
    kind = str(event.get("event_type", ""))
    user = str(event.get("external_userid", ""))
    if kind == "enter_session" and user:
        _customer, session = customer_for(account, user)
        ChatSession.objects.filter(pk=session.pk).update(kf_state=ChatSession.KfState.NEW)
        note = ""
        code = binding_code_in(str(event.get("scene_param", "")))
        if code:
            note = binding_redeem(account=account, session=session, code=code).note
        return Incoming(
            sender=user,
            handled=_("%(id)s opened the customer-service chat (scene %(scene)s).%(note)s")
            % {"id": user, "scene": event.get("scene", "") or "—", "note": note},
        )
    if kind == "session_status_change" and user:
        session = session_for(account, user)
        state = CHANGE_STATE.get(int(event.get("change_type") or 0))
        fields = {"servicer": str(event.get("new_servicer_userid", ""))[:128]}
        if state is not None:
            fields["kf_state"] = state
        ChatSession.objects.filter(pk=session.pk).update(**fields)
        return Incoming(
            sender=user,
            handled=_("Session of %(id)s changed (%(change)s).")
            % {"id": user, "change": event.get("change_type", "")},
        )
    if kind in (
        "msg_send_fail",
        "user_recall_msg",
        "servicer_status_change",
        "servicer_recall_msg",
    ):
        return Incoming(sender=user, handled=_("Event %(event)s recorded.") % {"event": kind})
    raise Ignore(_("Unknown event type “%(event)s”; recorded, nothing done.") % {"event": kind})
