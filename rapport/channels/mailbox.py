"""E-mail accounts on the wire: polling mailboxes over IMAP, connection settings, connection tests.

`mailbox_poll(account_id=…)` runs as a task per active mailbox, queued by the periodic
`channels.mailbox_poll` sweep (rapport/channels/periodic.py):
- One claim per mailbox folder: a conditional UPDATE on `MailboxFolderState.claimed_until`, so
  several workers never fetch the same mailbox at once; the claim is renewed between batches and
  released at the end (or simply expires if the worker dies).
- UIDVALIDITY and the last UID are kept per folder. When UIDVALIDITY changes the folder is read
  again from the start; nothing is recorded twice because the provider id of a mail is the
  SHA-256 of its raw bytes (`provider_id_for`), the same bytes on any UID — and the same id the
  inbound webhook uses, so a mail that arrives both ways is one record.
- `BODY.PEEK[]` in batches; the last UID advances only after the raw mail is stored by
  `inbound_receive`, so a crash re-fetches and never skips.
- Bounded: at most `max_messages` mails and about `seconds` seconds per poll; the rest waits for
  the next poll. Network timeouts bound every single operation.
- A failure is recorded on the account (`last_error`, readable, see email/transport.py) and
  never stops the other mailboxes.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from time import monotonic

from django.core.exceptions import ValidationError
from django.db.models import Case, F, Q, TextField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.email.imap import imap_check, imap_session
from rapport.channels.email.smtp import smtp_check
from rapport.channels.email.transport import MailTransportError, Security, ServerSettings
from rapport.channels.models import ChannelAccount, InboundMessage, MailboxFolderState
from rapport.channels.services import inbound_receive

logger = logging.getLogger(__name__)

POLL_BATCH = 25
POLL_MAX_MESSAGES = 500
POLL_SECONDS = 30.0
NETWORK_TIMEOUT = 20.0
# Longer than one poll can take (its time budget, plus one batch and the network timeouts).
CLAIM = timedelta(seconds=180)

DEFAULT_PORTS = {
    "imap": {Security.SSL: 993, Security.STARTTLS: 143, Security.NONE: 143},
    "smtp": {Security.SSL: 465, Security.STARTTLS: 587, Security.NONE: 25},
}


def provider_id_for(raw: bytes) -> str:
    """The inbound provider id of a raw e-mail: its content hash, whichever way it arrived."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _not_configured(protocol: str, missing: str) -> MailTransportError:
    return MailTransportError(
        "not_configured",
        _('%(protocol)s is not set up for this account: "%(key)s" is missing in its settings.')
        % {"protocol": protocol, "key": missing},
        protocol=protocol,
    )


def server_settings_for(account: ChannelAccount, side: str) -> ServerSettings:
    """The IMAP (`side="imap"`) or SMTP (`side="smtp"`) settings of an e-mail account.

    Config keys (docs/design/messaging.md): `imap_host`, `imap_port`, `imap_tls`
    (ssl | starttls | none; ssl by default), `imap_user` (the address by default), `folder`;
    the same with `smtp_`; secrets `imap_password` and `smtp_password` — the SMTP side falls
    back to the IMAP user and password, which is what 163/QQ/Exmail use for both.
    Raises MailTransportError (code not_configured or secrets).
    """
    protocol = side.upper()
    config = account.config or {}
    host = str(config.get(f"{side}_host") or "").strip()
    if not host:
        raise _not_configured(protocol, f"{side}_host")
    security = str(config.get(f"{side}_tls") or Security.SSL).lower()
    if security in ("true", "tls", "yes"):
        security = Security.SSL
    if security not in Security.ALL:
        raise MailTransportError(
            "not_configured",
            _('"%(key)s" must be ssl, starttls or none, not "%(value)s".')
            % {"key": f"{side}_tls", "value": security},
            protocol=protocol,
        )
    try:
        port = int(config.get(f"{side}_port") or DEFAULT_PORTS[side][security])
    except (TypeError, ValueError):
        raise _not_configured(protocol, f"{side}_port") from None
    try:
        secrets = account.get_secrets()
    except SecretsUnreadable as exc:
        raise MailTransportError("secrets", str(exc), protocol=protocol) from exc
    user = str(config.get(f"{side}_user") or config.get("imap_user") or account.address)
    password = secrets.get(f"{side}_password") or secrets.get("imap_password") or ""
    return ServerSettings(
        host=host,
        port=port,
        security=security,
        user=user,
        password=password,
        timeout=float(config.get("timeout") or NETWORK_TIMEOUT),
        folder=str(config.get("folder") or "INBOX"),
    )


@dataclass
class PollResult:
    account_id: int
    folder: str = ""
    status: str = "ok"  # ok | busy (another worker polls it) | inactive | error
    stored: int = 0  # new inbound records
    duplicates: int = 0  # mails already recorded (a re-sync, or the webhook got them first)
    resynced: bool = False  # UIDVALIDITY changed: the folder was read from the start
    more: bool = False  # stopped at the time or count limit; the next poll continues
    skipped: list[int] = field(default_factory=list)  # UIDs too large to take in (left there)
    error: str = ""


def record_account_check(account_id: int, *, protocol: str = "IMAP", error: str = "") -> None:
    """Note a protocol's outcome on the account: an error as "IMAP: …"/"SMTP: …"; a success
    clears only an error of the same protocol (a working IMAP says nothing about SMTP)."""
    now = timezone.now()
    accounts = ChannelAccount.objects.filter(pk=account_id)
    prefix = f"{protocol}: "
    if error:
        accounts.update(last_checked_at=now, last_error=prefix + error)
    elif protocol == "IMAP":  # a poll is a check: always noted
        cleared = Case(
            When(last_error__startswith=prefix, then=Value("")),
            default=F("last_error"),
            output_field=TextField(),
        )
        accounts.update(last_checked_at=now, last_error=cleared)
    else:  # a sent message: only an old error is worth a write
        accounts.filter(last_error__startswith=prefix).update(last_checked_at=now, last_error="")


def _claim(state_id: int, *, until) -> bool:
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    return MailboxFolderState.objects.filter(free, pk=state_id).update(claimed_until=until) == 1


def _renew(state_id: int, *, held, until) -> bool:
    """Extend our claim; False when it expired and another worker took the folder."""
    return (
        MailboxFolderState.objects.filter(pk=state_id, claimed_until=held).update(
            claimed_until=until
        )
        == 1
    )


def mailbox_poll(
    *,
    account_id: int,
    batch_size: int = POLL_BATCH,
    max_messages: int = POLL_MAX_MESSAGES,
    seconds: float = POLL_SECONDS,
) -> PollResult:
    """Fetch the new mail of one e-mail account's folder into `inbound_receive`.

    Never raises for a mailbox problem: the readable error goes to `account.last_error` and the
    result. Returns status "busy" without touching the server when another worker holds the claim.
    """
    account = ChannelAccount.objects.filter(pk=account_id).first()
    if account is None or not account.is_active or account.kind != ChannelAccount.Kind.EMAIL:
        return PollResult(account_id=account_id, status="inactive")
    try:
        settings = server_settings_for(account, "imap")
    except MailTransportError as exc:
        record_account_check(account_id, error=exc.message)
        return PollResult(account_id=account_id, status="error", error=exc.message)
    result = PollResult(account_id=account_id, folder=settings.folder)
    state, _created = MailboxFolderState.objects.get_or_create(
        account=account, folder=settings.folder
    )
    held = timezone.now() + CLAIM
    if not _claim(state.pk, until=held):
        result.status = "busy"
        return result
    state.refresh_from_db()
    deadline = monotonic() + seconds
    try:
        with imap_session(settings) as session:
            uidvalidity = session.status.uidvalidity
            last_uid = state.last_uid
            if state.uidvalidity != uidvalidity:
                result.resynced = state.uidvalidity is not None
                last_uid = 0
                MailboxFolderState.objects.filter(pk=state.pk).update(
                    uidvalidity=uidvalidity, last_uid=0
                )
            uids = session.uids_after(last_uid)
            if len(uids) > max_messages:
                uids, result.more = uids[:max_messages], True
            for start in range(0, len(uids), batch_size):
                if monotonic() > deadline:
                    result.more = True
                    break
                next_held = timezone.now() + CLAIM
                if not _renew(state.pk, held=held, until=next_held):
                    result.more = True
                    break
                held = next_held
                batch = uids[start : start + batch_size]
                raws = session.fetch_raw(batch)
                for uid in batch:
                    raw = raws.get(uid)
                    if raw is not None:  # None: deleted from the mailbox since the search
                        _store(account, uid, raw, result)
                    # Only now is this mail safe: the next poll starts after it.
                    MailboxFolderState.objects.filter(pk=state.pk).update(last_uid=uid)
    except MailTransportError as exc:
        logger.warning("Polling account %s failed: %s", account_id, exc.code)
        result.status, result.error = "error", exc.message
        record_account_check(account_id, error=exc.message)
    except Exception as exc:  # a bug or the database: this mailbox waits, the others go on
        logger.exception("Polling account %s failed", account_id)
        result.status, result.error = "error", f"{type(exc).__name__}: {exc}"
        record_account_check(account_id, error=result.error)
    else:
        record_account_check(account_id, error=result.error)
    finally:
        MailboxFolderState.objects.filter(pk=state.pk, claimed_until=held).update(
            claimed_until=None, last_polled_at=timezone.now()
        )
    return result


def _store(account: ChannelAccount, uid: int, raw: bytes, result: PollResult) -> None:
    provider_id = provider_id_for(raw)
    known = InboundMessage.objects.filter(account=account, provider_id=provider_id).exists()
    try:
        inbound_receive(account=account, provider_id=provider_id, raw=raw)
    except ValidationError as exc:
        if "raw" not in getattr(exc, "error_dict", {}):
            raise
        # Too large (or empty) to record: it stays in the mailbox, untouched, and the
        # administrator is told which one; the poll goes on past it.
        result.skipped.append(uid)
        result.error = _(
            'Message UID %(uid)s in "%(folder)s" (%(size)s KB) was not taken in: %(reason)s '
            "It is still in the mailbox."
        ) % {
            "uid": uid,
            "folder": result.folder,
            "size": len(raw) // 1024,
            "reason": " ".join(exc.message_dict["raw"]),
        }
        return
    result.duplicates += known
    result.stored += not known


def mailbox_poll_due() -> list[int]:
    """The ids of active e-mail accounts with IMAP set up and no poll running now."""
    now = timezone.now()
    busy = MailboxFolderState.objects.filter(claimed_until__gt=now).values("account_id")
    return list(
        ChannelAccount.objects.filter(
            kind=ChannelAccount.Kind.EMAIL,
            is_active=True,
            provider=ChannelAccount.Provider.STANDARD,
            config__has_key="imap_host",
        )
        .exclude(pk__in=busy)
        .values_list("pk", flat=True)
    )


def email_connection_check(account: ChannelAccount) -> str | None:
    """The "test connection" of an e-mail account: IMAP login + select, SMTP EHLO + login.

    None when both work (the successes are logged); otherwise one readable line per side that
    failed. A side that is not configured is reported only when neither side is.
    """
    problems, successes = [], []
    configured = False
    for side, check in (("imap", imap_check), ("smtp", smtp_check)):
        try:
            settings = server_settings_for(account, side)
        except MailTransportError as exc:
            if exc.code != "not_configured" or f"{side}_host" not in exc.message:
                problems.append(f"{exc.protocol}: {exc.message}")
            continue
        configured = True
        try:
            successes.append(check(settings))
        except MailTransportError as exc:
            problems.append(f"{exc.protocol}: {exc.message}")
    if not configured and not problems:
        problems.append(
            _("Neither IMAP nor SMTP is set up: add imap_host and/or smtp_host to the settings.")
        )
    for line in successes:
        logger.info("Account %s: %s", account.pk, line)
    return "\n".join(problems) or None
