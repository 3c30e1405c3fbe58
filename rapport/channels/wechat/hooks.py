"""WeChat Official Account hooks: the inbound parser, the sender, the connection check."""

from django.utils.translation import gettext as _

from rapport.channels import registry
from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.providers import register_connection_check, register_sender
from rapport.channels.wechat import http
from rapport.channels.wechat.client import ApiError, chat_settings, token_refresh
from rapport.channels.wechat.inbound import parse_wechat
from rapport.channels.wechat.outbound import chat_send

registry.register_inbound_parser("wechat")(parse_wechat)
register_sender("wechat", handles_fake=True)(chat_send)


def check_chat_account(account) -> str | None:
    """Settings complete, the key valid, and an access token can be had."""
    try:
        settings = chat_settings(account)
    except SecretsUnreadable as exc:
        return str(exc)
    missing = [
        name
        for name, value in (
            ("appid/corpid", settings.receive_id),
            ("secret", settings.secret),
            ("token", settings.token),
        )
        if not value
    ]
    if settings.safe and not settings.encoding_aes_key:
        missing.append("EncodingAESKey")
    if missing:
        return _("Missing: %(fields)s.") % {"fields": ", ".join(missing)}
    try:
        if settings.encoding_aes_key:
            settings.crypto()
        token_refresh(account)
    except (ApiError, http.HttpError) as exc:
        return str(exc)
    except Exception as exc:
        return str(getattr(exc, "reason", exc))
    return None


register_connection_check("wechat")(check_chat_account)
