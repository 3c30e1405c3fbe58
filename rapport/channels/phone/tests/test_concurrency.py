"""A call centre retrying at once: the same events, delivered in parallel, make one call, one
interaction and one call-back task (PostgreSQL: threads need a shared database)."""

import os
import threading

import pytest

from rapport.channels.models import ChannelAccount
from rapport.channels.phone.events import CallEventData
from rapport.channels.phone.models import Call, CallEvent
from rapport.channels.phone.services import call_event_record
from rapport.customers.services import IdentityInput, customer_create
from rapport.interactions.models import FollowUpTask, Interaction

pytestmark = [
    pytest.mark.skipif(
        "postgres" not in os.environ.get("DATABASE_URL", ""),
        reason="threads need a shared database: runs on PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


def _burst(events: list[CallEventData], account) -> list[Exception]:
    from django.db import connections

    barrier = threading.Barrier(len(events), timeout=5)
    errors: list[Exception] = []

    def deliver(event):
        try:
            barrier.wait()
            call_event_record(account=account, event=event)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_the_same_missed_call_delivered_four_times_at_once_is_one_task(team):
    customer_create(by=None, name="张伟", identities=[IdentityInput("phone", "13800138000")])
    account = ChannelAccount.objects.create(
        kind="phone", name="热线", address="4008001234", default_team=team
    )
    missed = CallEventData(call_id="p-1", event_type="missed", from_number="13800138000")

    errors = _burst([missed] * 4, account)

    assert errors == []
    assert Call.objects.count() == 1 and CallEvent.objects.count() == 1
    assert Interaction.objects.count() == 1 and FollowUpTask.objects.count() == 1


def test_ringing_and_ended_racing_for_a_new_call_make_one_call(team):
    account = ChannelAccount.objects.create(
        kind="phone", name="热线", address="4008001234", default_team=team
    )
    kinds = ["ringing", "answered", "ended", "recording"]
    events = [
        CallEventData(
            call_id="p-2",
            event_type=k,
            from_number="13900139000",
            duration_seconds=30,
            recording_url="https://rec.example.cn/p-2.mp3",
        )
        for k in kinds
    ]

    errors = _burst(events, account)

    assert errors == []
    call = Call.objects.get()
    assert call.state == Call.State.ENDED and CallEvent.objects.count() == 4
    assert Interaction.objects.count() == 1
