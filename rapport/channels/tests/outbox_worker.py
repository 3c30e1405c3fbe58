"""A separate process for the kill -9 test: `python -m rapport.channels.tests.outbox_worker MODE`.

setup N  — a customer, a fake-provider account and N queued messages
send     — send what is due, pausing after each provider call (where a crash hurts most) and
           printing "sent" so the test knows when to kill it
sweep    — what the periodic sweep does once the dead worker's leases ran out
count    — JSON of what the database and the fake provider hold
"""

import json
import sys
import time
from datetime import timedelta

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db.models import Count, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402

from rapport.channels import providers  # noqa: E402
from rapport.channels.models import (  # noqa: E402
    ChannelAccount,
    FakeSentMessage,
    Message,
    OutboxMessage,
)
from rapport.channels.services import outbox_queue, outbox_send_due  # noqa: E402
from rapport.customers.services import IdentityInput, customer_create  # noqa: E402
from rapport.interactions.models import Interaction  # noqa: E402
from rapport.staff.models import Team  # noqa: E402


def setup(n: int) -> None:
    team, _ = Team.objects.get_or_create(name="邮件组")
    ChannelAccount.objects.create(
        name="kill-test", address="service@rapport.example", default_team=team, provider="fake"
    )
    customer = customer_create(
        by=None, name="王芳", identities=[IdentityInput("email", "wangfang@qq.com")]
    )
    for i in range(n):
        outbox_queue(
            customer=customer,
            purpose="service",
            source="kill_test",
            body=f"第 {i} 条",
            idempotency_key=f"kill:{i}",
        )


def send() -> None:
    real = providers._senders["fake"]

    def slow(outbox, account):
        result = real(outbox, account)
        print("sent", outbox.pk, flush=True)
        time.sleep(0.3)  # the provider has it; our record is not written yet
        return result

    providers._senders["fake"] = slow
    outbox_send_due()


def sweep() -> None:
    outbox_send_due(
        now=timezone.now() + timedelta(seconds=settings.RAPPORT_OUTBOX_LEASE_SECONDS + 1)
    )


def count() -> None:
    states = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")).order_by())
    fake = FakeSentMessage.objects.aggregate(
        rows=Count("id"), keys=Count("idempotency_key", distinct=True), calls=Sum("calls")
    )
    print(
        json.dumps(
            {
                "states": states,
                "fake_rows": fake["rows"],
                "fake_keys": fake["keys"],
                "fake_calls": fake["calls"] or 0,
                "messages": Message.objects.filter(direction="outbound").count(),
                "interactions": Interaction.objects.filter(direction="outbound").count(),
            }
        )
    )


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "setup":
        setup(int(sys.argv[2]))
    elif mode == "send":
        send()
    elif mode == "sweep":
        sweep()
    else:
        count()
