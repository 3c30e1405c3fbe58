"""How higher layers take part in messaging without `channels` importing them.

`tickets` (and later `care`, `surveys`) register plain functions here at start-up, in their
AppConfig.ready(); channels calls them. No Django signals: the order is the registration order
and an exception in a threader quarantines the inbound message instead of being swallowed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from rapport.channels.models import ChannelAccount, Message, OutboxMessage

ThreadAction = Literal["append", "reopen", "new_linked", "open_ticket"]
THREAD_ACTIONS = ("append", "reopen", "new_linked", "open_ticket")


@dataclass(frozen=True)
class ThreadDecision:
    """A threader's answer: this message belongs to ticket `ticket_id`, and what it did there.

    The threader has already done the ticket side (appended the message, reopened, opened a new
    linked ticket or a new ticket) in the same transaction; channels records the link. Automatic
    mail may only ever be "append".
    """

    ticket_id: int
    action: ThreadAction = "append"

    def __post_init__(self) -> None:
        if self.action not in THREAD_ACTIONS:
            raise ValueError(f"Unknown thread action {self.action!r}")


InboundThreader = Callable[["Message", Any, "ChannelAccount"], ThreadDecision | None]
OutboxListener = Callable[["OutboxMessage"], None]

InboundParser = Callable[[Any], Any]  # func(inbound: InboundMessage) -> services.inbound.Incoming

_threaders: list[InboundThreader] = []
_outbox_listeners: list[OutboxListener] = []
_parsers: dict[str, InboundParser] = {}


def register_inbound_parser(kind: str) -> Callable[[InboundParser], InboundParser]:
    """Register `func(inbound) -> Incoming` that reads the stored raw message of a channel kind
    (wechat, wecom, sms). E-mail is built in. The parser runs inside the processing transaction;
    it may raise services.inbound.Quarantine / Ignore with a reason, or return an Incoming whose
    `handled` text says it was dealt with without a message (a follow event)."""

    def decorator(func: InboundParser) -> InboundParser:
        _parsers[kind] = func
        return func

    return decorator


def inbound_parser(kind: str) -> InboundParser | None:
    return _parsers.get(kind)


InboundRecorded = Callable[[Any, Any, Any], None]  # func(message, incoming, account)
_recorded: dict[str, list[InboundRecorded]] = {}


def register_inbound_recorded(kind: str, func: InboundRecorded) -> InboundRecorded:
    """Register `func(message, incoming, account)`, called for each inbound message of `kind`
    once it is recorded (customer, conversation or ticket, interaction), in the same
    transaction: an SMS opt-out. An exception quarantines the message."""
    funcs = _recorded.setdefault(kind, [])
    if func not in funcs:
        funcs.append(func)
    return func


def inbound_recorded(kind: str) -> list[InboundRecorded]:
    """The functions for `kind`, then those registered for every kind ("*")."""
    return [*_recorded.get(kind, ()), *_recorded.get("*", ())]


def register_inbound_threader(func: InboundThreader) -> InboundThreader:
    """Register `func(message, parsed, account) -> ThreadDecision | None`.

    Called for each inbound message that our own Message-ID token and known Message-IDs did not
    place in a conversation, in registration order; the first decision wins. `message` is saved
    (with customer, subject, text, `auto`) but not yet in a conversation; `parsed` is the channel's
    parsed form (ParsedEmail for e-mail) or None. Registering the same function twice is a no-op.
    """
    if func not in _threaders:
        _threaders.append(func)
    return func


def register_outbox_listener(func: OutboxListener) -> OutboxListener:
    """Register `func(outbox)`, called after commit whenever an outbox message changes state
    (sent, delivered, failed, refused, deferred). Exceptions are logged, never raised."""
    if func not in _outbox_listeners:
        _outbox_listeners.append(func)
    return func


def inbound_threaders() -> list[InboundThreader]:
    return list(_threaders)


def outbox_listeners() -> list[OutboxListener]:
    return list(_outbox_listeners)


def unregister(func: Callable) -> None:
    """For tests."""
    for registry in (_threaders, _outbox_listeners):
        if func in registry:
            registry.remove(func)
    for kind, parser in list(_parsers.items()):
        if parser is func:
            del _parsers[kind]
