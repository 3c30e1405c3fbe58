from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels import registry, services
from rapport.channels.email.tests import corpus
from rapport.channels.models import (
    Conversation,
    InboundMessage,
    Message,
    MessageAttachment,
    OutboxMessage,
)
from rapport.channels.registry import ThreadDecision
from rapport.channels.tests.helpers import mail, receive
from rapport.core.errors import Forbidden
from rapport.customers.models import Customer, Identity
from rapport.interactions.models import Interaction

pytestmark = pytest.mark.django_db


def test_a_new_sender_becomes_a_potential_customer_with_a_conversation_in_the_team_inbox(
    account, team
):
    inbound = receive(account, mail(sender="李娜 <LiNa@163.com>", subject="回复：保养预约"))

    assert inbound.state == InboundMessage.State.PROCESSED and inbound.error == ""
    customer = Customer.objects.get(identities__value="lina@163.com")
    assert customer.name == "李娜"
    assert (customer.tier, customer.lifecycle_stage) == ("potential", "potential")
    conversation = Conversation.objects.get(pk=inbound.conversation_id)
    assert (conversation.team, conversation.state, conversation.customer) == (
        team,
        "unassigned",
        customer,
    )
    assert conversation.subject == "保养预约"
    message = Message.objects.get(pk=inbound.message_id)
    assert message.direction == "inbound" and message.conversation == conversation
    assert "刹车时有异响" in message.text and message.message_id_hash
    interaction = Interaction.objects.get(pk=message.interaction_id)
    assert (interaction.customer, interaction.channel, interaction.direction) == (
        customer,
        "email",
        "inbound",
    )
    assert interaction.staff.username == "rapport-system" and not interaction.staff.is_active


def test_a_known_sender_is_matched_by_identity(account, customer):
    inbound = receive(account, mail(sender="Zhang Wei <ZHANGWEI@qq.com>"))
    assert Message.objects.get(pk=inbound.message_id).customer == customer
    assert Customer.objects.count() == 1


def test_a_merged_customer_s_mail_goes_to_the_survivor(account, customer, manager):
    from rapport.customers.services import customer_merge
    from rapport.customers.tests.factories import CustomerFactory

    survivor = CustomerFactory(name="张伟（主档）")
    customer_merge(survivor=survivor, duplicate=customer, by=manager)
    inbound = receive(account, mail())
    assert Message.objects.get(pk=inbound.message_id).customer == survivor


def test_the_same_provider_id_twice_is_one_message(account):
    raw = mail()
    first = receive(account, raw, provider_id="INBOX:7:42")
    again = services.inbound_receive(account=account, provider_id="INBOX:7:42", raw=raw)
    services.inbound_process(inbound_id=again.pk)
    assert again.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert Message.objects.count() == 1 and Conversation.objects.count() == 1


def test_raw_bytes_are_kept_with_their_hash(account):
    import hashlib

    raw = mail()
    inbound = receive(account, raw)
    assert inbound.read_raw() == raw
    assert inbound.content_hash == hashlib.sha256(raw).hexdigest()
    assert inbound.size == len(raw)


def test_a_large_message_is_stored_as_a_file(account):
    raw = mail(attachments=[("发票.pdf", b"%PDF-1.4 " + b"x" * 400_000, "application/pdf")])
    inbound = receive(account, raw)
    assert inbound.raw_bytes is None and inbound.raw_file.name
    assert inbound.read_raw() == raw
    attachment = MessageAttachment.objects.get(message_id=inbound.message_id)
    assert attachment.filename == "发票.pdf" and attachment.size == 400_009
    assert attachment.file.read().startswith(b"%PDF-1.4")


def test_bad_input_is_refused_by_field(account):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.inbound_receive(account=account, provider_id="", raw=b"")
    assert set(exc.value.message_dict) == {"provider_id", "raw"}
    assert not InboundMessage.objects.exists()


def test_several_messages_are_stored_in_one_transaction_each_with_its_outcome(
    account, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """inbound_receive_many (the callback ingress's group commit): new rows stored and queued,
    a repeated provider id (also within the batch) is the first row, bad input is its own
    ValidationError and stores nothing of its own."""
    from django.core.exceptions import ValidationError

    from rapport.channels.services.inbound import inbound_receive_many

    earlier = services.inbound_receive(account=account, provider_id="old", raw=mail())
    items = [
        (account, "a", mail(subject="一")),
        (account, "old", mail()),
        (account, "", b""),
        (account, "b", mail(subject="二")),
        (account, "a", mail(subject="一")),
    ]
    with (
        django_capture_on_commit_callbacks(execute=False) as queued,
        django_assert_num_queries(5),  # savepoint, one INSERT, release, one per repeat
    ):
        outcomes = inbound_receive_many(items)
    a, old, bad, b, a_again = outcomes
    assert isinstance(bad, ValidationError) and set(bad.message_dict) == {"provider_id", "raw"}
    assert old.pk == earlier.pk and a_again.pk == a.pk and a.pk != b.pk
    assert sorted(InboundMessage.objects.values_list("provider_id", flat=True)) == [
        "a",
        "b",
        "old",
    ]
    assert InboundMessage.objects.get(pk=b.pk).read_raw() == items[3][2]
    assert len(queued) == 1  # the two new rows' processing, queued together
    queued[0]()
    assert set(
        InboundMessage.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True)
    ) == {"processed"}


def test_a_batch_task_processes_each_message_and_one_failure_stops_none(account, monkeypatch):
    from rapport.channels import tasks
    from rapport.channels.services import inbound as inbound_services

    rows = [
        services.inbound_receive(
            account=account, provider_id=f"batch:{n}", raw=mail(subject=f"{n}")
        )
        for n in range(3)
    ]
    real, seen = inbound_services.inbound_process, []

    def second_fails(*, inbound_id):
        seen.append(inbound_id)
        if inbound_id == rows[1].pk:
            raise RuntimeError("disk full")
        return real(inbound_id=inbound_id)

    monkeypatch.setattr(tasks, "inbound_process", second_fails)
    with pytest.raises(RuntimeError, match="disk full"):
        tasks.inbound_process_batch_task.call(inbound_ids=[r.pk for r in rows])
    assert seen == [r.pk for r in rows]
    states = dict(InboundMessage.objects.values_list("provider_id", "state"))
    assert states == {"batch:0": "processed", "batch:1": "received", "batch:2": "processed"}


def test_a_group_of_messages_is_queued_as_one_task_per_ten(account, settings):
    from django_tasks_db.models import DBTaskResult

    from rapport.channels.services.inbound import inbound_receive_many

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    stored = inbound_receive_many([(account, f"g:{n}", mail()) for n in range(23)])
    queued = [
        r.task_result.kwargs["inbound_ids"] for r in DBTaskResult.objects.order_by("enqueued_at")
    ]
    assert sorted(len(ids) for ids in queued) == [3, 10, 10]
    assert sorted(i for ids in queued for i in ids) == sorted(row.pk for row in stored)


def test_a_reply_to_our_message_threads_by_our_token(account, customer):
    first = receive(account, mail())
    conversation = Conversation.objects.get(pk=first.conversation_id)
    outbox = services.outbox_queue(
        customer=customer,
        purpose="service",
        source="conversation_reply",
        body="请明天上午到店检查。",
        thread=Message.objects.get(pk=first.message_id),
        idempotency_key="reply-1",
    )
    services.outbox_send(outbox_id=outbox.pk)
    # The customer's client keeps only our Message-ID in In-Reply-To.
    reply = receive(
        account,
        mail(subject="Re: 刹车有异响", body="好的。", In_Reply_To=f"<{outbox.message_id}>"),
    )
    assert reply.conversation_id == conversation.pk
    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 3  # in, our reply, in


def test_a_reply_to_a_known_message_id_threads_into_its_conversation(account):
    first = receive(account, mail(message_id="<first.1@qq.com>"))
    reply = receive(account, mail(body="补充：是左前轮。", References="<first.1@qq.com>"))
    assert reply.conversation_id == first.conversation_id
    assert Conversation.objects.count() == 1


def test_a_reply_into_a_closed_conversation_opens_a_new_one(account, agent):
    first = receive(account, mail(message_id="<first.2@qq.com>"))
    services.conversation_close(
        conversation=Conversation.objects.get(pk=first.conversation_id),
        by=agent,
        reason="no_action",
    )
    reply = receive(account, mail(body="还是有异响。", In_Reply_To="<first.2@qq.com>"))
    assert reply.conversation_id not in (None, first.conversation_id)


def test_a_threader_decision_files_the_message_on_the_ticket(account):
    seen = []

    def threader(message, parsed, acc):
        seen.append((message.pk, parsed.subject, acc))
        return ThreadDecision(ticket_id=123, action="append")

    registry.register_inbound_threader(threader)
    try:
        inbound = receive(account, mail(subject="[T000123] 刹车"))
    finally:
        registry.unregister(threader)
    message = Message.objects.get(pk=inbound.message_id)
    assert message.ticket_id == 123 and message.conversation_id is None
    assert inbound.conversation_id is None and not Conversation.objects.exists()
    assert seen == [(message.pk, "[T000123] 刹车", account)]
    assert not OutboxMessage.objects.exists()  # no acknowledgement for a ticket's mail


def test_a_threader_may_not_reopen_for_automatic_mail(account, customer):
    registry.register_inbound_threader(threader := lambda m, p, a: ThreadDecision(5, "reopen"))
    try:
        raw = corpus.rfc3834_auto_reply().replace(b"ZhangSan@QQ.com", b"zhangwei@qq.com")
        inbound = receive(account, raw)
    finally:
        registry.unregister(threader)
    assert inbound.state == "quarantined" and "reopen" in inbound.error
    assert not Message.objects.exists()


def test_a_new_conversation_is_acknowledged_once_per_sender_and_day(account, customer):
    receive(account, mail(subject="第一封"))
    receive(account, mail(subject="第二封"))
    acks = OutboxMessage.objects.filter(source="ack")
    assert acks.count() == 1
    ack = acks.get()
    assert ack.auto_submitted == "auto-replied" and ack.to_address == "zhangwei@qq.com"
    assert "第一封" in ack.subject and ack.thread_message_id


def test_automatic_mail_is_recorded_but_opens_nothing_and_is_not_answered(account, customer):
    raw = corpus.exchange_out_of_office().replace(b"ZhangSan@QQ.com", b"zhangwei@qq.com")
    inbound = receive(account, raw)
    assert inbound.state == "processed"
    message = Message.objects.get(pk=inbound.message_id)
    assert message.auto == "out_of_office" and message.customer == customer
    assert message.conversation_id is None and message.interaction_id
    assert not Conversation.objects.exists() and not OutboxMessage.objects.exists()


def test_automatic_mail_from_a_stranger_is_ignored_and_makes_no_customer(account):
    inbound = receive(account, corpus.mailing_list())
    assert inbound.state == "ignored" and inbound.error
    assert not Customer.objects.exists() and not Message.objects.exists()


def test_our_own_mail_coming_back_is_ignored(account):
    inbound = receive(account, corpus.own_loop())
    assert inbound.state == "ignored"
    assert not Message.objects.exists()


def test_mail_without_a_sender_is_quarantined_with_the_reason(account):
    inbound = receive(account, corpus.missing_from())
    assert inbound.state == "quarantined"
    assert "From" in inbound.error
    assert not Message.objects.exists() and not Customer.objects.exists()


def test_unreadable_mail_is_quarantined_and_an_administrator_may_replay_it(
    account, admin_user, agent, monkeypatch
):
    from rapport.channels.email import EmailParseError
    from rapport.channels.services import inbound as inbound_module

    real = inbound_module._parse

    def broken(inbound):
        raise inbound_module.Quarantine(EmailParseError("cannot read it").reason)

    monkeypatch.setattr(inbound_module, "_parse", broken)
    inbound = receive(account, mail())
    assert inbound.state == "quarantined" and inbound.error == "cannot read it"
    with pytest.raises(Forbidden):
        services.inbound_replay(inbound=inbound, by=agent)
    monkeypatch.setattr(inbound_module, "_parse", real)  # the fix is deployed
    replayed = services.inbound_replay(inbound=inbound, by=admin_user)
    assert replayed.state == "processed" and replayed.error == ""
    assert Message.objects.count() == 1


def test_a_permanent_bounce_marks_the_address_undeliverable_and_the_message_failed(
    account, customer
):
    Identity.objects.create(customer=customer, kind="email", value="gone@qq.com")
    outbox = services.outbox_queue(
        customer=customer,
        purpose="service",
        source="tracking_link",
        body="进度链接",
        to_address="gone@qq.com",
        idempotency_key="bounce-1",
    )
    services.outbox_send(outbox_id=outbox.pk)
    outbox.refresh_from_db()
    assert outbox.state == "sent"
    inbound = receive(
        account, corpus.dsn(action="failed", status="5.1.1", original_id=outbox.message_id)
    )
    assert inbound.state == "processed"
    outbox.refresh_from_db()
    assert (outbox.state, outbox.reason) == ("failed", "bounced") and "5.1.1" in outbox.error
    gone = Identity.objects.get(value="gone@qq.com")
    assert gone.undeliverable_at is not None and "5.1.1" in gone.undeliverable_reason
    assert Identity.objects.get(value="zhangwei@qq.com").undeliverable_at is None
    message = Message.objects.get(pk=inbound.message_id)
    assert message.auto == "bounce" and message.customer == customer
    assert not Conversation.objects.exists()


def test_a_delayed_bounce_changes_nothing(account, customer):
    Identity.objects.create(customer=customer, kind="email", value="gone@qq.com")
    receive(account, corpus.dsn(action="delayed", status="4.4.1", original_id="x@qq.com"))
    assert Identity.objects.get(value="gone@qq.com").undeliverable_at is None


def test_the_sweep_processes_messages_a_dead_worker_left(account):
    inbound = services.inbound_receive(account=account, provider_id="lost:1", raw=mail())
    # A worker claimed it and died: the lease is still running.
    InboundMessage.objects.filter(pk=inbound.pk).update(
        lease_until=timezone.now() + timedelta(minutes=5), attempts=1
    )
    assert services.inbound_process_stuck() == 0
    later = timezone.now() + timedelta(minutes=10)
    assert services.inbound_process_stuck(now=later) == 1
    inbound.refresh_from_db()
    assert inbound.state == "processed" and inbound.attempts == 2
    assert services.inbound_process_stuck(now=later) == 0
    assert Message.objects.count() == 1


def test_a_database_failure_leaves_the_message_for_the_sweep(account, monkeypatch):
    from django.db import OperationalError

    from rapport.channels.services import inbound as inbound_module

    def locked(inbound, incoming=None):
        raise OperationalError("database is locked")

    monkeypatch.setattr(inbound_module, "_process", locked)
    inbound = receive(account, mail())
    assert inbound.state == "received" and inbound.lease_until is not None
    monkeypatch.undo()
    services.inbound_process_stuck(now=timezone.now() + timedelta(minutes=10))
    inbound.refresh_from_db()
    assert inbound.state == "processed"
