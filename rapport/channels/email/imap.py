"""Reading a mailbox folder over IMAP (IMAPClient): log in, identify, select, fetch raw mail.

Pure transport; the bookkeeping (claims, UIDVALIDITY, last UID, storing the raw) is
`rapport.channels.mailbox`. Facts this relies on (docs/design/messaging.md, REFERENCE §1):
- NetEase 163/126/yeah.net refuse SELECT with "Unsafe Login" unless the client sends the RFC 2971
  ID command after LOGIN, so ID is sent whenever the server advertises it, and to NetEase hosts
  even when it does not.
- `BODY.PEEK[]` returns the whole raw message without setting \\Seen, and the folder is opened
  read-only (EXAMINE): polling never changes the mailbox a person may also be reading.
- `UID n:*` always matches the last message even when its UID is below n, so results are filtered.
"""

import imaplib
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.utils.translation import gettext as _
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from rapport.channels.email.transport import (
    MailTransportError,
    Security,
    ServerSettings,
    network_errors,
    tls_context,
)

PROTOCOL = "IMAP"
CLIENT_ID = {"name": "Rapport", "version": "1.0", "vendor": "Rapport"}
# Hosts known to demand the ID command even when they do not advertise it.
ID_REQUIRED_DOMAINS = ("163.com", "126.com", "yeah.net", "188.com", "netease.com")


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int | None
    exists: int


def _text(data) -> str:
    """A server reply as text (imaplib hands some over as "b'...'" reprs)."""
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    if isinstance(data, list | tuple):
        return " ".join(_text(item) for item in data)
    text = str(data)
    match = re.fullmatch(r"b(['\"])(.*)\1", text, flags=re.DOTALL)
    return match.group(2) if match else text


def _login_error(settings: ServerSettings, exc: Exception) -> MailTransportError:
    reply = _text(exc.args[0] if exc.args else exc)
    if "unsafe login" in reply.lower():
        return _unsafe_login(settings, reply)
    return MailTransportError(
        "login_failed",
        _(
            "IMAP login as %(user)s was refused (server said: %(reply)s). Check the user name "
            "and the password. QQ, 163/126 and Tencent Exmail need the authorisation code "
            "(授权码) generated in the mailbox's settings, not the login password, and IMAP must "
            "be switched on there."
        )
        % {"user": settings.user, "reply": reply.strip() or "-"},
        protocol=PROTOCOL,
    )


def _unsafe_login(settings: ServerSettings, reply: str) -> MailTransportError:
    return MailTransportError(
        "unsafe_login",
        _(
            '%(host)s refused the mailbox as an "Unsafe Login" (server said: %(reply)s). '
            "NetEase 163/126 accept only clients that identify themselves with the IMAP ID "
            "command after logging in — Rapport sends it — and that log in with the "
            "authorisation code (授权码), not the login password. Switch on IMAP/SMTP in the "
            "mailbox's settings, generate an authorisation code and enter it as the password."
        )
        % {"host": settings.host, "reply": reply.strip() or "-"},
        protocol=PROTOCOL,
    )


def _needs_id(settings: ServerSettings) -> bool:
    host = settings.host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in ID_REQUIRED_DOMAINS)


def _send_id(client: IMAPClient, settings: ServerSettings) -> None:
    if client.has_capability("ID"):
        client.id_(CLIENT_ID)
    elif _needs_id(settings):
        # IMAPClient.id_ insists on the capability; NetEase wants the command regardless.
        args = "(" + " ".join(f'"{k}" "{v}"' for k, v in CLIENT_ID.items()) + ")"
        client._imap._simple_command("ID", args)


class ImapSession:
    """A logged-in connection with one folder selected read-only."""

    def __init__(self, client: IMAPClient, settings: ServerSettings, status: FolderStatus):
        self.client = client
        self.settings = settings
        self.status = status

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above `last_uid`, ascending."""
        with self._errors():
            found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def fetch_raw(self, uids: list[int]) -> dict[int, bytes]:
        """The raw RFC 822 bytes of each UID still present (expunged ones are simply absent)."""
        if not uids:
            return {}
        with self._errors():
            response = self.client.fetch(uids, ["BODY.PEEK[]"])
        return {
            uid: data[b"BODY[]"]
            for uid, data in response.items()
            if isinstance(data.get(b"BODY[]"), bytes)
        }

    @contextmanager
    def _errors(self) -> Iterator[None]:
        with network_errors(self.settings, protocol=PROTOCOL):
            try:
                yield
            except (IMAPClientError, imaplib.IMAP4.error) as exc:
                raise MailTransportError(
                    "protocol",
                    _("IMAP server %(where)s answered with an error: %(reply)s")
                    % {
                        "where": self.settings.where,
                        "reply": _text(exc.args[0] if exc.args else exc),
                    },
                    protocol=PROTOCOL,
                ) from exc


@contextmanager
def imap_session(settings: ServerSettings) -> Iterator[ImapSession]:
    """Connect, log in, send ID, select the folder read-only; always log out afterwards.

    Raises MailTransportError with a readable message for every failure on the way.
    """
    client = None
    with network_errors(settings, protocol=PROTOCOL):
        try:
            client = IMAPClient(
                settings.host,
                port=settings.port,
                ssl=settings.security == Security.SSL,
                ssl_context=tls_context() if settings.security == Security.SSL else None,
                timeout=settings.timeout,
            )
            if settings.security == Security.STARTTLS:
                if not client.has_capability("STARTTLS"):
                    raise MailTransportError(
                        "tls",
                        _(
                            "IMAP server %(where)s does not offer STARTTLS. Choose SSL (port "
                            "993) or check the port."
                        )
                        % {"where": settings.where},
                        protocol=PROTOCOL,
                    )
                client.starttls(tls_context())
            try:
                _login(client, settings)
            except LoginError as exc:
                raise _login_error(settings, exc) from exc
            _send_id(client, settings)
            status = _select(client, settings)
        except MailTransportError:
            _logout(client)
            raise
        except (IMAPClientError, imaplib.IMAP4.error) as exc:
            _logout(client)
            reply = _text(exc.args[0] if exc.args else exc)
            if "unsafe login" in reply.lower():
                raise _unsafe_login(settings, reply) from exc
            raise MailTransportError(
                "protocol",
                _("IMAP server %(where)s answered with an error: %(reply)s")
                % {"where": settings.where, "reply": reply},
                protocol=PROTOCOL,
            ) from exc
        except BaseException:
            _logout(client)
            raise
    try:
        yield ImapSession(client, settings, status)
    finally:
        _logout(client)


def _login(client: IMAPClient, settings: ServerSettings) -> None:
    if (settings.user + settings.password).isascii():
        client.login(settings.user, settings.password)
    else:  # LOGIN is ASCII-only; SASL PLAIN carries UTF-8
        client.plain_login(settings.user, settings.password)


def _select(client: IMAPClient, settings: ServerSettings) -> FolderStatus:
    try:
        response = client.select_folder(settings.folder, readonly=True)
    except (IMAPClientError, imaplib.IMAP4.error) as exc:
        reply = _text(exc.args[0] if exc.args else exc)
        if "unsafe login" in reply.lower():
            raise _unsafe_login(settings, reply) from exc
        raise MailTransportError(
            "folder_missing",
            _('IMAP folder "%(folder)s" cannot be opened (server said: %(reply)s).')
            % {"folder": settings.folder, "reply": reply},
            protocol=PROTOCOL,
        ) from exc
    uidvalidity = response.get(b"UIDVALIDITY")
    if not uidvalidity:
        raise MailTransportError(
            "protocol",
            _('IMAP server %(where)s gave no UIDVALIDITY for "%(folder)s"; it cannot be polled.')
            % {"where": settings.where, "folder": settings.folder},
            protocol=PROTOCOL,
        )
    return FolderStatus(
        uidvalidity=int(uidvalidity),
        uidnext=int(response[b"UIDNEXT"]) if response.get(b"UIDNEXT") else None,
        exists=int(response.get(b"EXISTS") or 0),
    )


def _logout(client: IMAPClient | None) -> None:
    if client is None:
        return
    try:
        client.logout()
    except Exception:
        with suppress(Exception):
            client.shutdown()


def imap_check(settings: ServerSettings) -> str:
    """Log in and open the folder; the readable success message, or MailTransportError."""
    with imap_session(settings) as session:
        return _(
            'IMAP: logged in to %(where)s as %(user)s; folder "%(folder)s" has %(count)s messages.'
        ) % {
            "where": settings.where,
            "user": settings.user,
            "folder": settings.folder,
            "count": session.status.exists,
        }
