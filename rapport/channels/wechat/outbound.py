"""Sending to WeChat and WeCom customers through the outbox (registered in hooks.py).

Inside the 48-hour window that the customer's last message opened: a customer-service message
(客服消息 / WeCom `kf/send_msg`), at most 5 per window (taken with a conditional UPDATE, so
concurrent sends never exceed it). Outside it: an Official Account template message with short
keyword fields (≤ 20 characters each, no first/remark lines, no line breaks) when the account has
a template, else the row is refused with the reason and the next channel that reaches the customer.
Provider errors come back with their code and readable words.
"""

import hashlib

from django.utils.translation import gettext as _

from rapport.channels.models import ChannelAccount, ChatSession, OutboxMessage
from rapport.channels.models.chat import WINDOW_QUOTA
from rapport.channels.providers import ProviderResult
from rapport.channels.wechat import http
from rapport.channels.wechat.client import ApiError, api_call, chat_settings
from rapport.channels.wechat.sessions import window_close, window_give_back, window_take

TEMPLATE_FIELD_MAX = 20
TEXT_MAX = 2000  # a customer-service text message's practical limit
R = OutboxMessage.Reason


def _short(value: str) -> str:
    text = " ".join((value or "").split())
    return text if len(text) <= TEMPLATE_FIELD_MAX else text[: TEMPLATE_FIELD_MAX - 1] + "…"


def template_data(outbox: OutboxMessage, fields: tuple[str, ...]) -> dict:
    """The keyword fields: the subject (or "客服回复") then the text, each ≤ 20 characters."""
    values = [outbox.subject or _("Service reply"), outbox.body]
    values += [""] * max(0, len(fields) - len(values))
    return {name: {"value": _short(value)} for name, value in zip(fields, values, strict=False)}


def next_channel(outbox: OutboxMessage) -> str:
    """Words naming the next channel that reaches the customer, or saying there is none."""
    from rapport.channels.services.outbox import CHANNEL_ORDER, _reachable

    active = set(ChannelAccount.objects.filter(is_active=True).values_list("kind", flat=True))
    labels = dict(ChannelAccount.Kind.choices)
    for channel in CHANNEL_ORDER:
        if channel != outbox.channel and channel in active and _reachable(outbox.customer, channel):
            return _("Next reachable channel: %(channel)s.") % {"channel": labels[channel]}
    return _("No other channel reaches this customer.")


def _msgid(outbox: OutboxMessage) -> str:
    """WeCom de-duplicates send_msg by msgid (≤ 32 characters): the same row is the same msgid."""
    return hashlib.sha256(outbox.idempotency_key.encode()).hexdigest()[:32]


def _kf_payload(account: ChannelAccount, outbox: OutboxMessage, open_kfid: str) -> tuple[str, dict]:
    text = {"content": outbox.body[:TEXT_MAX]}
    if account.kind == ChannelAccount.Kind.WECOM:
        return "/cgi-bin/kf/send_msg", {
            "touser": outbox.to_address,
            "open_kfid": open_kfid,
            "msgid": _msgid(outbox),
            "msgtype": "text",
            "text": text,
        }
    return "/cgi-bin/message/custom/send", {
        "touser": outbox.to_address,
        "msgtype": "text",
        "text": text,
    }


def _refused(code: str, reason: str) -> ProviderResult:
    return ProviderResult(ok=False, refused=True, code=code, reason=reason)


def chat_send(outbox: OutboxMessage, account: ChannelAccount) -> ProviderResult:
    """The outbox's sender for wechat and wecom accounts (fake ones too: FakeServer answers)."""
    settings = chat_settings(account)
    session = ChatSession.objects.filter(account=account, user_id=outbox.to_address).first()
    if session is not None and not session.followed:
        return _refused(
            R.UNDELIVERABLE,
            _("The customer unfollowed the account.") + " " + next_channel(outbox),
        )
    marker = {"_idempotency_key": outbox.idempotency_key, "_outbox_id": outbox.pk}
    if session is not None and window_take(session):
        path, payload = _kf_payload(account, outbox, settings.open_kfid)
        try:
            fake = account.provider == ChannelAccount.Provider.FAKE
            data = api_call(account, path, {**payload, **marker} if fake else payload)
        except ApiError as exc:
            window_give_back(session)
            if exc.code == 45015:
                window_close(session)  # the provider knows better; try the template below
            elif exc.code in (45047, 95001):
                return _refused(R.WINDOW_QUOTA, exc.message + " " + next_channel(outbox))
            else:
                return _api_failure(exc)
        except http.HttpError as exc:
            window_give_back(session)
            return ProviderResult(ok=False, reason=str(exc))
        else:
            return ProviderResult(ok=True, provider_message_id=str(data.get("msgid") or ""))
    return _outside_window(outbox, account, settings, session, marker)


def _outside_window(outbox, account, settings, session, marker) -> ProviderResult:
    quota_used = (
        session is not None and session.window_open() and session.window_sent >= WINDOW_QUOTA
    )
    if account.kind == ChannelAccount.Kind.WECHAT and settings.template_id:
        payload = {
            "touser": outbox.to_address,
            "template_id": settings.template_id,
            "data": template_data(outbox, settings.template_fields),
        }
        if account.provider == ChannelAccount.Provider.FAKE:
            payload.update(marker)
        try:
            data = api_call(account, "/cgi-bin/message/template/send", payload)
        except ApiError as exc:
            return _api_failure(exc)
        except http.HttpError as exc:
            return ProviderResult(ok=False, reason=str(exc))
        return ProviderResult(ok=True, provider_message_id=str(data.get("msgid") or ""))
    if quota_used:
        return _refused(
            R.WINDOW_QUOTA,
            _("The 5 customer-service messages of this 48-hour window are used up.")
            + " "
            + next_channel(outbox),
        )
    return _refused(
        R.WINDOW_CLOSED,
        _("The customer has not written in the last 48 hours and no template message is set up.")
        + " "
        + next_channel(outbox),
    )


def _api_failure(exc: ApiError) -> ProviderResult:
    # -1 (busy) and token trouble after the retry are worth another attempt later.
    transient = exc.code in (-1, 40001, 40014, 42001, 45009)
    return ProviderResult(ok=False, permanent=not transient, reason=exc.message)
