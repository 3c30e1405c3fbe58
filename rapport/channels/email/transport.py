"""What the IMAP and SMTP transports share: connection settings and readable errors.

No models here: the channels app builds the settings from a `ChannelAccount` and records the
errors on it. Every network failure becomes a `MailTransportError` with a stable `code` and a
message an administrator can act on ("wrong 授权码", "TLS failed", "Unsafe Login"), never a
traceback.
"""

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.utils.translation import gettext as _


class Security:
    """How the connection is protected: TLS from the first byte, upgraded, or not at all."""

    SSL = "ssl"  # IMAPS 993, SMTPS 465
    STARTTLS = "starttls"  # IMAP 143 / SMTP 587 upgraded with STARTTLS
    NONE = "none"  # plain text: local test servers only

    ALL = (SSL, STARTTLS, NONE)


@dataclass(frozen=True)
class ServerSettings:
    """One server of a mailbox (its IMAP side or its SMTP side)."""

    host: str
    port: int
    security: str
    user: str
    password: str
    timeout: float = 20.0
    folder: str = "INBOX"  # IMAP only

    def __repr__(self) -> str:  # never print the password in a log or a traceback
        return (
            f"ServerSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"user={self.user!r}, folder={self.folder!r})"
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class MailTransportError(Exception):
    """A mailbox could not be reached or refused us; `message` says what to do about it.

    `code` is one of: refused, dns, timeout, tls, login_failed, unsafe_login, folder_missing,
    recipient_refused, sender_refused, protocol. `permanent` is true when retrying the same message
    cannot help (a refused recipient); account-level problems (a wrong password) are not permanent
    for the message — they are fixed on the account and the message is retried.
    """

    def __init__(self, code: str, message: str, *, protocol: str, permanent: bool = False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.protocol = protocol
        self.permanent = permanent

    def __str__(self) -> str:
        return self.message


def tls_context() -> ssl.SSLContext:
    """Certificate and host name checked, as a mail client should."""
    return ssl.create_default_context()


@contextmanager
def network_errors(settings: ServerSettings, *, protocol: str) -> Iterator[None]:
    """Turn the socket-level failures of one connection into readable `MailTransportError`s."""
    where = settings.where
    try:
        yield
    except MailTransportError:
        raise
    except ConnectionRefusedError as exc:
        raise MailTransportError(
            "refused",
            _(
                "%(protocol)s server %(where)s refused the connection. Check the host and the "
                "port (IMAP: 993 with SSL, 143 with STARTTLS; SMTP: 465 with SSL, 587 with "
                "STARTTLS)."
            )
            % {"protocol": protocol, "where": where},
            protocol=protocol,
        ) from exc
    except socket.gaierror as exc:
        raise MailTransportError(
            "dns",
            _("%(protocol)s server %(host)s was not found. Check the host name.")
            % {"protocol": protocol, "host": settings.host},
            protocol=protocol,
        ) from exc
    except ssl.SSLCertVerificationError as exc:
        raise MailTransportError(
            "tls",
            _(
                "TLS failed with %(protocol)s server %(where)s: its certificate is not valid "
                "(%(reason)s)."
            )
            % {"protocol": protocol, "where": where, "reason": exc.verify_message or exc.reason},
            protocol=protocol,
        ) from exc
    except ssl.SSLError as exc:
        raise MailTransportError(
            "tls",
            _(
                "TLS failed with %(protocol)s server %(where)s (%(reason)s). The port may not "
                "match the security setting: SSL is for 993/465, STARTTLS for 143/587."
            )
            % {"protocol": protocol, "where": where, "reason": exc.reason or exc},
            protocol=protocol,
        ) from exc
    except TimeoutError as exc:  # socket.timeout is TimeoutError since Python 3.10
        raise MailTransportError(
            "timeout",
            _("%(protocol)s server %(where)s did not answer within %(seconds)s seconds.")
            % {"protocol": protocol, "where": where, "seconds": f"{settings.timeout:g}"},
            protocol=protocol,
        ) from exc
    except (ConnectionError, EOFError, OSError) as exc:
        raise MailTransportError(
            "protocol",
            _("The connection to %(protocol)s server %(where)s failed: %(reason)s")
            % {"protocol": protocol, "where": where, "reason": exc},
            protocol=protocol,
        ) from exc
