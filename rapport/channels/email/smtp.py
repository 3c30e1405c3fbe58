"""Sending a built message over SMTP (smtplib): SSL on 465, STARTTLS on 587, plain for tests.

The raw bytes are sent as built (`build.build_email`), so the Message-ID, thread headers and
encoded names reach the customer exactly as made. The provider message id is our Message-ID
(without <>): it is what bounces and replies refer to.
"""

import logging
import smtplib
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.utils.translation import gettext as _

from rapport.channels.email.transport import (
    MailTransportError,
    Security,
    ServerSettings,
    network_errors,
    tls_context,
)

PROTOCOL = "SMTP"
logger = logging.getLogger(__name__)


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def _connect(settings: ServerSettings) -> smtplib.SMTP:
    if settings.security == Security.SSL:
        connection = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=tls_context()
        )
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        connection.ehlo()
        if settings.security == Security.STARTTLS:
            if not connection.has_extn("starttls"):
                raise MailTransportError(
                    "tls",
                    _(
                        "SMTP server %(where)s does not offer STARTTLS. Choose SSL (port 465) "
                        "or check the port."
                    )
                    % {"where": settings.where},
                    protocol=PROTOCOL,
                )
            connection.starttls(context=tls_context())
            connection.ehlo()
        if settings.user:
            if not connection.has_extn("auth"):
                raise MailTransportError(
                    "login_failed",
                    _(
                        "SMTP server %(where)s offers no login (AUTH) on this connection; it "
                        "may require STARTTLS or SSL first."
                    )
                    % {"where": settings.where},
                    protocol=PROTOCOL,
                )
            connection.login(settings.user, settings.password)
    except smtplib.SMTPAuthenticationError as exc:
        _quit(connection)
        raise MailTransportError(
            "login_failed",
            _(
                "SMTP login as %(user)s was refused (server said: %(reply)s). Check the user "
                "name and the password; QQ, 163/126 and Tencent Exmail need the authorisation "
                "code (授权码), not the login password."
            )
            % {"user": settings.user, "reply": _reply(exc.smtp_code, exc.smtp_error)},
            protocol=PROTOCOL,
        ) from exc
    except BaseException:
        _quit(connection)
        raise
    return connection


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except Exception:
        connection.close()


def message_id_of(raw: bytes) -> str:
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    return str(headers.get("Message-ID", "")).strip().strip("<>")


def smtp_send(settings: ServerSettings, raw: bytes, from_addr: str, to_addrs: list[str]) -> str:
    """Send `raw` to `to_addrs`; returns the provider message id (our Message-ID without <>).

    Raises MailTransportError; `permanent` is set when the server refused the message or every
    recipient for good (5xx), so retrying cannot help.
    """
    with network_errors(settings, protocol=PROTOCOL):
        connection = _connect(settings)
        try:
            refused = connection.sendmail(from_addr, to_addrs, raw)
        except smtplib.SMTPRecipientsRefused as exc:
            replies = "; ".join(
                f"{rcpt}: {_reply(code, msg)}" for rcpt, (code, msg) in exc.recipients.items()
            )
            permanent = all(code >= 500 for code, _msg in exc.recipients.values())
            raise MailTransportError(
                "recipient_refused",
                _("The SMTP server refused the recipient: %(replies)s") % {"replies": replies},
                protocol=PROTOCOL,
                permanent=permanent,
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise MailTransportError(
                "sender_refused",
                _("The SMTP server refused the sender %(sender)s: %(reply)s")
                % {"sender": exc.sender, "reply": _reply(exc.smtp_code, exc.smtp_error)},
                protocol=PROTOCOL,
                permanent=exc.smtp_code >= 500,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise MailTransportError(
                "protocol",
                _("The SMTP server did not accept the message: %(reply)s")
                % {"reply": _reply(exc.smtp_code, exc.smtp_error)},
                protocol=PROTOCOL,
                permanent=exc.smtp_code >= 500,
            ) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise MailTransportError(
                "protocol",
                _("SMTP server %(where)s closed the connection: %(reason)s")
                % {"where": settings.where, "reason": exc},
                protocol=PROTOCOL,
            ) from exc
        finally:
            _quit(connection)
    if refused:  # some recipients took it: the message counts as sent; the rest go to the log
        logger.warning("SMTP %s refused some recipients: %s", settings.where, refused)
    return message_id_of(raw)


def smtp_check(settings: ServerSettings) -> str:
    """EHLO and log in; the readable success message, or MailTransportError."""
    with network_errors(settings, protocol=PROTOCOL):
        connection = _connect(settings)
        _quit(connection)
    if settings.user:
        return _("SMTP: logged in to %(where)s as %(user)s.") % {
            "where": settings.where,
            "user": settings.user,
        }
    return _("SMTP: %(where)s answered (no login configured).") % {"where": settings.where}
