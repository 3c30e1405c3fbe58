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


@register("channels.chat_tokens", every=timedelta(minutes=5))
def refresh_chat_tokens() -> int:
    """WeChat/WeCom access tokens that expire within 10 minutes, refreshed by one worker."""
    from rapport.channels.wechat.client import tokens_refresh_due

    return tokens_refresh_due()


@register("channels.wecom_sync", every=timedelta(minutes=1))
def queue_wecom_syncs() -> int:
    """The safety net behind the WeCom callback: a sync per active account no one is syncing."""
    from rapport.channels.wecom.sync import wecom_sync_due
    from rapport.channels.wecom.tasks import wecom_sync_task

    account_ids = wecom_sync_due()
    for account_id in account_ids:
        wecom_sync_task.enqueue(account_id=account_id)
    return len(account_ids)


@register("channels.escalate_unassigned", every=timedelta(minutes=1))
def escalate_unassigned_conversations() -> int:
    """Conversations nobody claimed within their team's time go to the supervisors, once."""
    from rapport.channels.services.assignment import conversations_escalate_unassigned

    return conversations_escalate_unassigned()
