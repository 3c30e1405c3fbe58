"""Work outside the request: fetch by id, call a service. Idempotent."""

from django.tasks import task

from rapport.channels.mailbox import mailbox_poll
from rapport.channels.services import inbound_process, outbox_send


@task()
def inbound_process_task(*, inbound_id: int) -> None:
    inbound_process(inbound_id=inbound_id)


@task()
def outbox_send_task(*, outbox_id: int) -> None:
    outbox_send(outbox_id=outbox_id)


@task()
def mailbox_poll_task(*, account_id: int) -> None:
    mailbox_poll(account_id=account_id)
