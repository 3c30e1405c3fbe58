"""Background sweeps of the channels, run by every `rapport worker` (rapport.core.periodic).

The last queues the mailbox polls; the first two only pick up what the tasks did not finish: a worker that died mid-way, a lost task, a
retry whose backoff is over, a message deferred past quiet hours. Each row is claimed on its own.
"""

from datetime import timedelta

from rapport.channels.mailbox import mailbox_poll_due
from rapport.channels.services import inbound_process_stuck, outbox_send_due
from rapport.channels.tasks import mailbox_poll_task
from rapport.core.periodic import register


@register("channels.outbox_send_due", every=timedelta(seconds=30))
def send_due_outbox() -> int:
    return outbox_send_due()


@register("channels.inbound_stuck", every=timedelta(minutes=1))
def process_stuck_inbound() -> int:
    return inbound_process_stuck()


@register("channels.mailbox_poll", every=timedelta(seconds=30))
def queue_mailbox_polls() -> int:
    """One poll task per active mailbox that no worker is polling right now (rapport.channels.mailbox)."""
    account_ids = mailbox_poll_due()
    for account_id in account_ids:
        mailbox_poll_task.enqueue(account_id=account_id)
    return len(account_ids)
