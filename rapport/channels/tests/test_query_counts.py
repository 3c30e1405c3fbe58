"""What one message costs in queries on the hot paths (issue 9's throughput goals).

Pinned exactly: a new query here is a cost every inbound message or outbox send pays. The
counts include the savepoints the test transaction turns each atomic block into, and the update
of the day's version for the measures' rollups that recording an interaction makes
(rapport.interactions.rollups).
"""

import pytest
from django.utils import timezone

from rapport.channels import services
from rapport.channels.models import Conversation, InboundMessage, Message, OutboxMessage
from rapport.channels.tests.helpers import mail
from rapport.channels.wechat.tests.conftest import make_account, text_message
from rapport.channels.wechat.wxml import build_xml
from rapport.customers.models import Customer
from rapport.interactions.models import Interaction

pytestmark = pytest.mark.django_db


def _deliver(account, provider_id: str, raw: bytes) -> InboundMessage:
    inbound = services.inbound_receive(account=account, provider_id=provider_id, raw=raw)
    services.inbound_process(inbound_id=inbound.pk)
    return inbound


def test_an_inbound_email_opening_a_conversation_costs_20_queries(
    account, customer, django_assert_num_queries
):
    # given a first mail of the day (its acknowledgement is queued once per sender and day)
    _deliver(account, "first", mail(message_id="<first@qq.com>"))

    # when a second new mail of the known customer arrives
    with django_assert_num_queries(20):
        inbound = _deliver(account, "second", mail(message_id="<second@qq.com>"))

    # then it is recorded in a new conversation of the account's team, on the timeline
    inbound.refresh_from_db()
    assert inbound.state == InboundMessage.State.PROCESSED, inbound.error
    message = Message.objects.get(pk=inbound.message_id)
    assert (message.customer, message.conversation_id) == (customer, inbound.conversation_id)
    assert Conversation.objects.get(pk=inbound.conversation_id).team == account.default_team
    assert Interaction.objects.get(pk=message.interaction_id).customer == customer
    assert Conversation.objects.count() == 2


def test_an_inbound_email_of_a_new_sender_costs_34_queries(
    account, customer, django_assert_num_queries
):
    _deliver(account, "first", mail(message_id="<first@qq.com>"))

    # a potential customer with the identity, a conversation, and the day's acknowledgement
    # (its template kept per process after the first)
    with django_assert_num_queries(34):
        inbound = _deliver(account, "new", mail(sender="李娜 <LiNa@163.com>"))

    inbound.refresh_from_db()
    assert inbound.state == InboundMessage.State.PROCESSED, inbound.error
    new = Customer.objects.get(identities__value="lina@163.com")
    assert (new.name, new.tier, new.lifecycle_stage) == ("李娜", "potential", "potential")
    assert new.search_text == "李娜|lina|ln|lina@163.com"
    assert OutboxMessage.objects.filter(customer=new, source="ack").count() == 1


def test_an_inbound_email_reply_costs_21_queries(account, customer, django_assert_num_queries):
    first = _deliver(account, "first", mail(message_id="<first@qq.com>"))
    first.refresh_from_db()
    reply = mail(
        message_id="<reply@qq.com>", In_Reply_To="<first@qq.com>", subject="回复：刹车有异响"
    )

    with django_assert_num_queries(21):
        inbound = _deliver(account, "reply", reply)

    inbound.refresh_from_db()
    assert inbound.state == InboundMessage.State.PROCESSED, inbound.error
    assert inbound.conversation_id == first.conversation_id
    assert Message.objects.get(pk=inbound.message_id).interaction_id is not None
    assert Conversation.objects.count() == 1


def test_an_inbound_wechat_text_of_a_known_follower_costs_22_queries(
    team, django_assert_num_queries
):
    wechat = make_account(team)
    _deliver(wechat, "wx:1", build_xml(text_message(content="你好", msgid=1)).encode())

    with django_assert_num_queries(22):
        inbound = _deliver(
            wechat, "wx:2", build_xml(text_message(content="车还没修好", msgid=2)).encode()
        )

    inbound.refresh_from_db()
    assert inbound.state == InboundMessage.State.PROCESSED, inbound.error
    conversation = Conversation.objects.get()
    assert [m.text for m in conversation.messages.order_by("id")] == ["你好", "车还没修好"]


def test_an_outbox_send_costs_14_queries(account, customer, django_assert_num_queries):
    queued = [
        services.outbox_queue(
            customer=customer,
            purpose="service",
            source="test",
            subject="保养完成",
            body="您好，您的车辆已完成保养。",
            channel="email",
            idempotency_key=f"count:{i}",
        )
        for i in range(3)
    ]
    now = timezone.now()
    for outbox in queued[:2]:  # the system user is created, then kept per process
        services.outbox_send(outbox_id=outbox.pk, now=now)

    # Consent and deliverability are one statement (customers.selectors.consent_and_deliverable).
    with django_assert_num_queries(14):
        sent = services.outbox_send(outbox_id=queued[2].pk, now=now)

    assert sent.state == OutboxMessage.State.SENT
    assert Message.objects.filter(outbox=sent, direction="outbound").count() == 1
    assert sent.interaction_id is not None


def test_the_claim_reads_the_row_as_the_orm_does(account, customer):
    # given a queued row with every kind of column filled (JSON, times, a template context)
    queued = services.outbox_queue(
        customer=customer,
        purpose="service",
        source="test",
        subject="保养完成",
        body="您好，{{ name }}，您的车辆已完成保养。",
        channel="email",
        context={"name": "张三", "items": [1, 2]},
        idempotency_key="claim:orm",
    )
    OutboxMessage.objects.filter(pk=queued.pk).update(thread_references=["<a@qq.com>"])
    before = OutboxMessage.objects.get(pk=queued.pk)

    # when it is claimed through the SQL written once
    from rapport.channels.services.outbox import _claim

    claimed = _claim(queued.pk, timezone.now())

    # then every field equals the ORM's reading, except what the claim changed
    for field in OutboxMessage._meta.concrete_fields:
        if field.attname in ("state", "lease_until", "attempts"):
            continue
        assert getattr(claimed, field.attname) == getattr(before, field.attname), field.name
    assert claimed.state == "sending" and claimed.attempts == before.attempts + 1
    stored = OutboxMessage.objects.get(pk=queued.pk)
    assert (stored.state, stored.lease_until, stored.attempts) == (
        claimed.state,
        claimed.lease_until,
        claimed.attempts,
    )
    # and the customer's deciding fields are loaded, the rest deferred
    assert claimed.customer.pk == customer.pk and claimed.customer.is_merged is False
    assert "name" in claimed.customer.get_deferred_fields()
    # and a second claim of the same row gets nothing
    assert _claim(queued.pk, timezone.now()) is None


def test_a_reply_to_a_ticket_message_without_conversation_keeps_the_ticket(account, customer):
    # given a stored message of a ticket that lives in no conversation (the outer join is empty)
    from rapport.channels.email import message_id_hash
    from rapport.channels.services.inbound import Incoming, _known_thread

    Message.objects.create(
        account=account,
        direction="outbound",
        channel="email",
        customer=customer,
        ticket_id=77,
        message_id="<t77@rapport.example>",
        message_id_hash=message_id_hash("<t77@rapport.example>"),
    )
    incoming = Incoming(sender="c@qq.com", in_reply_to=["<t77@rapport.example>"])
    reply = Message(account=account, direction="inbound", channel="email", customer=customer)

    # when its thread is looked up
    conversation = _known_thread(reply, incoming)

    # then the reply belongs to the ticket and to no conversation
    assert conversation is None and reply.ticket_id == 77
