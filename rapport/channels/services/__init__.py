"""Writes of the channels app: the inbound pipeline, the outbox, conversations.

Import from here (`from rapport.channels import services`); the modules are split by sub-domain.
"""

from rapport.channels.services.conversations import (
    conversation_claim,
    conversation_close,
    conversation_link_ticket,
    conversation_reply,
)
from rapport.channels.services.inbound import (
    inbound_process,
    inbound_process_stuck,
    inbound_receive,
    inbound_replay,
)
from rapport.channels.services.outbox import (
    outbox_choose_channel,
    outbox_queue,
    outbox_send,
    outbox_send_due,
    quiet_hours_end,
)

__all__ = [
    "conversation_claim",
    "conversation_close",
    "conversation_link_ticket",
    "conversation_reply",
    "inbound_process",
    "inbound_process_stuck",
    "inbound_receive",
    "inbound_replay",
    "outbox_choose_channel",
    "outbox_queue",
    "outbox_send",
    "outbox_send_due",
    "quiet_hours_end",
]
