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
    """The SMTP side of the account as the transport wants it, or None without an SMTP host.

    One reading of the account's settings for polling, sending and the connection test
    (rapport.channels.mailbox.server_settings_for); raises MailTransportError when they are
    unusable (a bad port or TLS value, passwords that cannot be decrypted).
    """
    if not (account.config or {}).get("smtp_host"):
        return None
    from rapport.channels.mailbox import server_settings_for

    return server_settings_for(account, "smtp")


@register_sender("email")
def email_send(outbox: OutboxMessage, account: ChannelAccount) -> ProviderResult:
    from rapport.channels.email.smtp import smtp_send
    from rapport.channels.email.transport import MailTransportError
    from rapport.channels.mailbox import record_account_check

    raw = build(outbox, account)
    try:
        server = server_settings(account)
    except MailTransportError as exc:
        record_account_check(account.pk, protocol="SMTP", error=exc.message)
        return ProviderResult(ok=False, reason=f"SMTP: {exc.message}")
    if server is None:
        sent = mailers.default.send_messages(
            [RawEmail(raw, from_email=account.address, to=[outbox.to_address])]
        )
        if sent == 0:
            return ProviderResult(ok=False, reason="The mail backend sent nothing.")
        return ProviderResult(ok=True, provider_message_id=outbox.message_id)
    try:
        smtp_send(server, raw, account.address, [outbox.to_address])
    except MailTransportError as exc:
        if not exc.permanent and exc.code not in ("recipient_refused", "sender_refused"):
            # The account is at fault (password, TLS, host), not this message: say so on it.
            record_account_check(account.pk, protocol="SMTP", error=exc.message)
        return ProviderResult(ok=False, permanent=exc.permanent, reason=f"SMTP: {exc.message}")
    record_account_check(account.pk, protocol="SMTP")
    return ProviderResult(ok=True, provider_message_id=outbox.message_id)
