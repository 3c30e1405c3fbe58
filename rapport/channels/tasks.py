"""Work outside the request: fetch by id, call a service. Idempotent."""

import logging

from django.tasks import task

from rapport.channels.mailbox import mailbox_poll
from rapport.channels.services import inbound_process, outbox_send

logger = logging.getLogger(__name__)


@task()
def inbound_process_task(*, inbound_id: int) -> None:
    inbound_process(inbound_id=inbound_id)


@task()
def inbound_process_batch_task(*, inbound_ids: list[int]) -> None:
    """Several messages stored together (the callback ingress's group commit), one queued task
    for up to INBOUND_TASK_BATCH of them: each processed on its own, as inbound_process_task
    does; one failing does not keep the others from being processed (the first failure is
    raised at the end, so the task shows as failed; the sweep retries that message)."""
    failure = None
    for inbound_id in inbound_ids:
        try:
            inbound_process(inbound_id=inbound_id)
        except Exception as exc:
            logger.exception("Processing inbound message %s failed", inbound_id)
            failure = failure or exc
    if failure is not None:
        raise failure


@task()
def outbox_send_task(*, outbox_id: int) -> None:
    outbox_send(outbox_id=outbox_id)


@task()
def mailbox_poll_task(*, account_id: int) -> None:
    mailbox_poll(account_id=account_id)
