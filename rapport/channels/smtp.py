"""The `email` provider: builds the message with rapport.channels.email.build_email and sends
it through the account's SMTP server, or Django's default mailer when the account has none."""

from email import policy
from email.parser import BytesParser

from django.conf import settings
from django.core.mail import EmailMessage, mailers

from rapport.channels.models import ChannelAccount, OutboxMessage
from rapport.channels.providers import ProviderResult, register_sender


class RawEmail(EmailMessage):
    """An already built message handed to a Django mail backend unchanged."""

    def __init__(self, raw: bytes, *, from_email: str, to: list[str]):
        super().__init__(subject="", body="", from_email=from_email, to=to)
        self.raw = raw

    def message(self, *, policy=policy.default):  # type: ignore[override]
        return BytesParser(policy=policy).parsebytes(self.raw)


def build(outbox: OutboxMessage, account: ChannelAccount) -> bytes:
    from rapport.channels.email import build_email

    return build_email(
        from_addr=(settings.COMPANY_NAME, account.address),
        to=[outbox.to_address],
        subject=outbox.subject,
        text=outbox.body,
        html=outbox.html or None,
        message_id=outbox.message_id,
        in_reply_to=outbox.thread_message_id or None,
        references=outbox.thread_references,
        auto_submitted=outbox.auto_submitted or None,
    )


def server_settings(account: ChannelAccount):
    """The SMTP side of the account as the transport wants it, or None without an SMTP host."""
    config = account.config or {}
    if not config.get("smtp_host"):
        return None
    from rapport.channels.email.transport import ServerSettings

    port = int(config.get("smtp_port") or 465)
    security = config.get("smtp_tls") or ("ssl" if port == 465 else "starttls")
    return ServerSettings(
        host=config["smtp_host"],
        port=port,
        security=security,
        user=config.get("smtp_user") or account.address,
        password=account.get_secrets().get("smtp_password", ""),
        timeout=float(config.get("smtp_timeout") or 20),
    )


@register_sender("email")
def email_send(outbox: OutboxMessage, account: ChannelAccount) -> ProviderResult:
    raw = build(outbox, account)
    server = server_settings(account)
    if server is None:
        sent = mailers.default.send_messages(
            [RawEmail(raw, from_email=account.address, to=[outbox.to_address])]
        )
        if sent == 0:
            return ProviderResult(ok=False, reason="The mail backend sent nothing.")
        return ProviderResult(ok=True, provider_message_id=outbox.message_id)
    from rapport.channels.email.smtp import smtp_send
    from rapport.channels.email.transport import MailTransportError

    try:
        smtp_send(server, raw, account.address, [outbox.to_address])
    except MailTransportError as exc:
        return ProviderResult(ok=False, permanent=exc.permanent, reason=exc.message)
    return ProviderResult(ok=True, provider_message_id=outbox.message_id)
