"""Providers carry an outbox message to the customer; connection checks test an account.

`send(outbox, account)` picks the provider by the account: the `fake` provider when the account
says so, else the one registered for its channel kind (`email`). Providers are called outside any
database transaction and receive the outbox row's idempotency key (e-mail: the row's fixed
Message-ID), so calling one twice for the same row is the same message to the customer.

Channel sub-packages register their hooks in `rapport/channels/<kind>/hooks.py`, imported at
start-up by ChannelsConfig.ready().
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from rapport.channels.models import ChannelAccount, FakeSentMessage, OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderResult:
    ok: bool
    permanent: bool = False  # a failure that no retry fixes (bad address, rejected content)
    provider_message_id: str = ""
    reason: str = ""
    # Refused rather than failed: a rule of the channel says no (the 48-hour window is closed);
    # `code` is an OutboxMessage.Reason, `reason` the words (with the provider's code if any).
    refused: bool = False
    code: str = ""


Sender = Callable[[OutboxMessage, ChannelAccount], ProviderResult]
ConnectionCheck = Callable[[ChannelAccount], str | None]

_senders: dict[str, Sender] = {}
_checks: dict[str, ConnectionCheck] = {}


_handles_fake: set[str] = set()


def register_sender(name: str, *, handles_fake: bool = False) -> Callable[[Sender], Sender]:
    """Register the sender for a channel kind ("email") or a special provider ("fake").

    `handles_fake`: the kind's sender also serves its fake accounts (it applies the channel's
    rules — the 48-hour window — and records instead of calling out), so demo and tests see them.
    """

    def decorator(func: Sender) -> Sender:
        _senders[name] = func
        if handles_fake:
            _handles_fake.add(name)
        return func

    return decorator


def register_connection_check(kind: str) -> Callable[[ConnectionCheck], ConnectionCheck]:
    """Register `check(account) -> None | "a clear error"` for a channel kind."""

    def decorator(func: ConnectionCheck) -> ConnectionCheck:
        _checks[kind] = func
        return func

    return decorator


def provider_name(account: ChannelAccount) -> str:
    if account.provider == ChannelAccount.Provider.FAKE and account.kind not in _handles_fake:
        return "fake"
    return account.kind


def send(outbox: OutboxMessage, account: ChannelAccount) -> ProviderResult:
    """Hand the message to the account's provider. Never raises for a provider's failure:
    an unexpected exception is a transient failure with its text as the reason."""
    sender = _senders.get(provider_name(account))
    if sender is None:
        return ProviderResult(
            ok=False, permanent=True, reason=_("No provider sends on this channel yet.")
        )
    try:
        return sender(outbox, account)
    except Exception as exc:  # a provider bug must not lose the message: retry with backoff
        logger.exception("Provider %s failed on outbox %s", provider_name(account), outbox.pk)
        return ProviderResult(ok=False, permanent=False, reason=f"{type(exc).__name__}: {exc}")


def check_connection(account: ChannelAccount) -> str | None:
    """None when the account works; otherwise a clear error for the administrator."""
    if account.provider == ChannelAccount.Provider.FAKE:
        return None
    check = _checks.get(account.kind)
    if check is None:
        return _("There is no connection test for this kind of channel yet.")
    try:
        return check(account)
    except Exception as exc:
        logger.exception("Connection check of account %s failed", account.pk)
        return f"{type(exc).__name__}: {exc}"


# --- The fake provider: records what it would send (demo, tests, benchmarks) ------------------

FAKE_TRANSIENT_DOMAIN = "transient-failure.invalid"
FAKE_PERMANENT_DOMAIN = "permanent-failure.invalid"


@register_sender("fake")
def fake_send(outbox: OutboxMessage, account: ChannelAccount) -> ProviderResult:
    """Record the message once per idempotency key; a repeat only counts the call.

    Addresses at transient-failure.invalid fail transiently, at permanent-failure.invalid
    permanently, so the demo and tests can show both paths.
    """
    domain = outbox.to_address.rpartition("@")[2].lower()
    if domain == FAKE_TRANSIENT_DOMAIN:
        return ProviderResult(ok=False, reason="451 4.3.0 Try again later (fake)")
    if domain == FAKE_PERMANENT_DOMAIN:
        return ProviderResult(ok=False, permanent=True, reason="550 5.1.1 No such user (fake)")
    row = FakeSentMessage(
        idempotency_key=outbox.idempotency_key,
        outbox_id=outbox.pk,
        channel=outbox.channel,
        to_address=outbox.to_address,
        subject=outbox.subject[:500],
        body=outbox.body,
        message_id=outbox.message_id,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:  # the same key again: the same message, one more call
        FakeSentMessage.objects.filter(idempotency_key=outbox.idempotency_key).update(
            calls=F("calls") + 1
        )
    return ProviderResult(ok=True, provider_message_id=outbox.message_id or outbox.idempotency_key)
