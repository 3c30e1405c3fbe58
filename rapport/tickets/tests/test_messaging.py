"""Tickets and messages: inbound mail threaded into tickets, replies through the outbox, the
tracking page's answer and confirmation, and delivery failures shown on the ticket."""

from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from rapport.channels import services as channel_services
from rapport.channels.models import (
    ChannelAccount,
    InboundMessage,
    Message,
    MessagingSettings,
    OutboxMessage,
)
from rapport.customers.services import IdentityInput, customer_create
from rapport.interactions.models import Interaction
from rapport.sla.models import ServiceClock
from rapport.tickets import messaging, services
from rapport.tickets.models import Ticket
from rapport.tickets.tests.factories import in_progress, resolved

EMAIL = "zhang.wei@example.cn"


@pytest.fixture
def customer(agent, team):
    return customer_create(
        by=agent,
        name="张伟",
        identities=[IdentityInput("email", EMAIL), IdentityInput("phone", "13800138000")],
        service_team=team,
    )


@pytest.fixture
def account(team):
    return ChannelAccount.objects.create(
        kind="email",
        name="客服邮箱",
        address="service@ruitai.example.cn",
        default_team=team,
        provider=ChannelAccount.Provider.FAKE,
        is_default=True,
    )


_counter = iter(range(1, 10_000))


def receive(account, *, subject, body="您好,还是不行。", sender=EMAIL, **headers) -> InboundMessage:
    mail = EmailMessage()
    mail["From"] = Address(display_name="张伟", addr_spec=sender)
    mail["To"] = account.address
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="example.cn")
    for key, value in headers.items():
        mail[key.replace("_", "-")] = value
    mail.set_content(body, charset="utf-8")
    inbound = channel_services.inbound_receive(
        account=account, provider_id=f"test:{next(_counter)}", raw=mail.as_bytes()
    )
    inbound.refresh_from_db()
    if inbound.state == InboundMessage.State.RECEIVED:
        channel_services.inbound_process(inbound_id=inbound.pk)
        inbound.refresh_from_db()
    return inbound


def waiting_on_customer(agent, customer) -> Ticket:
    ticket = in_progress(agent, customer, contact_email=EMAIL)
    return services.ticket_transition(
        ticket=ticket, by=agent, action="wait", waiting_on="customer", reason="等客户提供照片"
    )


# -- Inbound ------------------------------------------------------------------------------------


def test_a_reply_with_the_ticket_number_appends_and_resumes_the_clock_waiting_on_the_customer(
    agent, customer, account
):
    ticket = waiting_on_customer(agent, customer)
    clock = ServiceClock.objects.get(ticket=ticket, kind="resolution")
    assert clock.state == ServiceClock.State.PAUSED

    inbound = receive(
        account, subject=f"回复：[{ticket.number}] {ticket.subject}", body="照片见附件"
    )

    ticket.refresh_from_db()
    clock.refresh_from_db()
    assert inbound.state == InboundMessage.State.PROCESSED
    assert (ticket.status, ticket.waiting_on) == ("in_progress", "")
    assert clock.state == ServiceClock.State.RUNNING
    event = ticket.events.get(kind="customer_message")
    assert event.body == "照片见附件" and event.is_public
    assert Message.objects.get(pk=inbound.message_id).ticket_id == ticket.pk
    assert not inbound.conversation_id  # it went to the ticket, not the inbox


def test_a_full_width_subject_token_threads_too(agent, customer, account):
    ticket = in_progress(agent, customer)
    number = ticket.number.translate(str.maketrans("T0123456789", "Ｔ０１２３４５６７８９"))
    receive(account, subject=f"答复：［{number}］谢谢")
    assert ticket.events.filter(kind="customer_message").count() == 1


def test_another_customers_subject_token_does_not_thread(agent, customer, account):
    ticket = in_progress(agent, customer)
    inbound = receive(account, subject=f"Re: [{ticket.number}] 你好", sender="stranger@example.net")
    assert not ticket.events.filter(kind="customer_message").exists()
    assert inbound.conversation_id is not None  # a new conversation in the inbox instead


def test_a_reply_to_a_closed_ticket_within_the_window_reopens_it(agent, customer, account):
    ticket = resolved(agent, customer)
    ticket = services.ticket_transition(ticket=ticket, by=agent, action="close", satisfaction="yes")
    receive(account, subject=f"RE: [{ticket.number}] 又坏了")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count, ticket.is_open) == ("reopened", 1, True)
    reopened = ticket.events.get(kind="transition", action="customer_reopened")
    assert Ticket.objects.count() == 1
    with translation.override("en"):
        assert reopened.text == "The customer wrote again."  # the reader's language
    assert reopened.body == reopened.data["texts"]["zh-hans"] != "The customer wrote again."


def test_a_reply_to_a_resolved_ticket_reopens_it(agent, customer, account):
    ticket = resolved(agent, customer)
    receive(account, subject=f"回复：[{ticket.number}] 还是不行")
    ticket.refresh_from_db()
    assert ticket.status == "reopened"


def test_a_reply_after_the_window_opens_a_new_linked_ticket(agent, customer, account):
    ticket = resolved(agent, customer)
    ticket = services.ticket_transition(ticket=ticket, by=agent, action="close", satisfaction="yes")
    days = MessagingSettings.current().reopen_window_days
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timedelta(days=days + 1))

    inbound = receive(account, subject=f"回复：[{ticket.number}] 又出现了", body="又出现同样的问题")

    ticket.refresh_from_db()
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert ticket.status == "closed"  # the old one stays closed
    assert (new.repeat_of_id, new.is_repeat, new.source) == (ticket.pk, True, "message")
    assert new.customer_words == "又出现同样的问题"
    assert Message.objects.get(pk=inbound.message_id).ticket_id == new.pk
    assert ticket.events.filter(kind="note", data__linked_ticket_id=new.pk).exists()


def test_automatic_mail_only_appends(agent, customer, account):
    ticket = waiting_on_customer(agent, customer)
    closed = resolved(agent, customer)
    closed = services.ticket_transition(ticket=closed, by=agent, action="close", satisfaction="yes")

    receive(account, subject=f"自动回复：[{ticket.number}]", Auto_Submitted="auto-replied")
    receive(account, subject=f"Out of office [{closed.number}]", Auto_Submitted="auto-replied")

    ticket.refresh_from_db()
    closed.refresh_from_db()
    assert ticket.status == "waiting"  # no clock resumed
    assert closed.status == "closed"  # not reopened
    assert Ticket.objects.count() == 2  # nothing opened
    event = ticket.events.get(kind="customer_message")
    assert not event.is_public and event.data["automatic"]


def test_an_account_routed_to_tickets_opens_one_with_the_customers_words(customer, account, team):
    account.open_as, account.ticket_kind = "ticket", "service_request"
    account.ticket_type_code = "billing"
    account.save()

    inbound = receive(account, subject="发票开错了", body="发票抬头应为北京瑞丰科技有限公司")

    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.source, ticket.team_id) == ("service_request", "message", team.pk)
    assert ticket.customer_words == "发票抬头应为北京瑞丰科技有限公司"
    assert ticket.ticket_type.code == "billing"
    assert ticket.contact_email == EMAIL and ticket.customer_id == customer.pk
    assert Message.objects.get(pk=inbound.message_id).ticket_id == ticket.pk


def test_a_new_message_goes_to_the_inbox_not_a_ticket(customer, account):
    inbound = receive(account, subject="咨询保养价格")
    assert inbound.conversation_id is not None
    assert not Ticket.objects.exists()


# -- Replies through the outbox -----------------------------------------------------------------


def test_an_email_reply_is_queued_in_the_customers_thread_with_the_ticket_number(
    agent, customer, account
):
    ticket = in_progress(agent, customer, contact_email=EMAIL)
    inbound = receive(account, subject=f"Re: [{ticket.number}] 空调", body="什么时候修好?")
    last = Message.objects.get(pk=inbound.message_id)

    event = services.ticket_reply(ticket=ticket, by=agent, body="明天上午修好。", channel="email")

    outbox = OutboxMessage.objects.get()
    assert event.data["outbox_id"] == outbox.pk
    assert (outbox.source, outbox.purpose, outbox.channel) == ("ticket_reply", "service", "email")
    assert (outbox.ticket_id, outbox.to_address) == (ticket.pk, EMAIL)
    assert f"[{ticket.number}]" in outbox.subject
    assert outbox.thread_message_id == last.message_id
    assert outbox.body == "明天上午修好。"
    # The outbox records the outbound interaction when it sends, not the reply.
    assert "interaction_id" not in event.data
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_a_phone_reply_is_only_recorded_as_before(agent, customer):
    ticket = in_progress(agent, customer)
    event = services.ticket_reply(ticket=ticket, by=agent, body="已电话告知", channel="phone")
    assert Interaction.objects.filter(pk=event.data["interaction_id"]).exists()
    assert not OutboxMessage.objects.exists()


def test_an_email_reply_without_an_address_is_refused_and_nothing_is_written(agent):
    ticket = in_progress(agent)  # the factory's customer has a phone only
    events = ticket.events.count()
    with pytest.raises(ValidationError) as exc:
        services.ticket_reply(ticket=ticket, by=agent, body="您好", channel="email")
    assert "channel" in exc.value.error_dict
    assert ticket.events.count() == events and not OutboxMessage.objects.exists()


def test_a_failed_reply_shows_on_the_ticket_once(agent, customer, account):
    ticket = in_progress(agent, customer, contact_email=EMAIL)
    services.ticket_reply(ticket=ticket, by=agent, body="您好", channel="email")
    outbox = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=outbox.pk).update(state="failed", reason="bounced")
    outbox.refresh_from_db()

    messaging.on_outbox_change(outbox)
    messaging.on_outbox_change(outbox)

    event = ticket.events.get(kind="delivery")
    assert EMAIL in event.body and event.data["outbox_id"] == outbox.pk
    assert messaging.undelivered_replies(ticket=ticket) == [outbox]


def test_the_tracking_link_is_sent_once_a_day(agent, customer, account):
    ticket = in_progress(agent, customer, contact_email=EMAIL)
    first = messaging.tracking_link_send(ticket=ticket, by=agent)
    again = messaging.tracking_link_send(ticket=ticket, by=agent)
    assert first.pk == again.pk and first.source == "tracking_link"
    assert ticket.public_token in first.body
    assert ticket.events.filter(data__outbox_id=first.pk).count() == 1


# -- The tracking page --------------------------------------------------------------------------


def test_the_customer_answers_on_the_tracking_page(client, agent, customer):
    ticket = waiting_on_customer(agent, customer)
    url = f"/support/t/{ticket.public_token}/"

    response = client.post(url + "answer/", {"text": "照片已经拍好了"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.events.get(kind="customer_message").body == "照片已经拍好了"
    assert Interaction.objects.filter(
        customer=customer, direction="inbound", channel="web_form"
    ).exists()
    assert "照片已经拍好了" in client.get(url).content.decode()


def test_an_empty_answer_is_refused_and_nothing_written(client, agent, customer):
    ticket = in_progress(agent, customer)
    response = client.post(f"/support/t/{ticket.public_token}/answer/", {"text": "  "})
    assert response.status_code == 400
    assert not ticket.events.filter(kind="customer_message").exists()


def test_the_customer_confirms_a_resolved_ticket(client, agent, customer):
    ticket = resolved(agent, customer)
    page = client.get(f"/support/t/{ticket.public_token}/").content.decode()
    assert "confirm/" in page

    client.post(f"/support/t/{ticket.public_token}/confirm/")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.satisfaction) == ("closed", "yes")
    assert ticket.events.filter(action="customer_confirmed").count() == 1


def test_a_ticket_not_resolved_cannot_be_confirmed(client, agent, customer):
    ticket = in_progress(agent, customer)
    client.post(f"/support/t/{ticket.public_token}/confirm/")
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.satisfaction == ""


def test_staff_see_the_delivery_state_next_to_the_reply(as_user, agent, customer, account):
    ticket = in_progress(agent, customer, contact_email=EMAIL)
    services.ticket_reply(ticket=ticket, by=agent, body="明天修好", channel="email")
    body = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "明天修好" in body
    assert "排队中" in body  # the outbox row's state, next to the reply
    assert ticket.public_token in body  # the tracking link to copy


def test_no_public_event_kind_leaks_internal_notes(agent, customer):
    ticket = in_progress(agent, customer)
    services.ticket_note(ticket=ticket, by=agent, body="内部")
    kinds = {e.kind for e in services_public(ticket)}
    assert "note" not in kinds


def services_public(ticket):
    from rapport.tickets.selectors import public_events

    return public_events(ticket=ticket)


def test_the_detail_page_reads_every_replys_delivery_state_in_one_query(
    as_user, agent, customer, account
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = in_progress(agent, customer, contact_email=EMAIL)
    services.ticket_reply(ticket=ticket, by=agent, body="第一次答复", channel="email")
    client = as_user(agent)
    client.get(f"/tickets/{ticket.pk}/")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/tickets/{ticket.pk}/")
    for n in range(5):
        services.ticket_reply(ticket=ticket, by=agent, body=f"答复 {n}", channel="email")
    with CaptureQueriesContext(connection) as six:
        body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert len(six) == len(one)
    assert body.count("排队中") == 6


def test_an_email_reply_is_one_outbound_interaction_written_when_it_is_sent(
    agent, customer, account, django_capture_on_commit_callbacks
):
    ticket = in_progress(agent, customer, contact_email=EMAIL)
    before = set(Interaction.objects.values_list("pk", flat=True))
    event = services.ticket_reply(ticket=ticket, by=agent, body="明天上午修好。", channel="email")
    assert set(Interaction.objects.values_list("pk", flat=True)) == before  # none before sending

    with django_capture_on_commit_callbacks(execute=True):
        sent = channel_services.outbox_send(outbox_id=event.data["outbox_id"])
    new = Interaction.objects.exclude(pk__in=before)
    assert [i.pk for i in new] == [sent.interaction_id]
    assert new.get().direction == "outbound" and "明天上午修好。" in new.get().summary


def test_the_tracking_link_is_one_interaction_without_the_link(
    agent, customer, account, django_capture_on_commit_callbacks
):
    ticket = in_progress(agent, customer, contact_email=EMAIL)
    before = set(Interaction.objects.values_list("pk", flat=True))
    outbox = messaging.tracking_link_send(ticket=ticket, by=agent)
    assert set(Interaction.objects.values_list("pk", flat=True)) == before

    with django_capture_on_commit_callbacks(execute=True):
        channel_services.outbox_send(outbox_id=outbox.pk)
    new = Interaction.objects.exclude(pk__in=before).get()
    assert ticket.number in new.summary
    assert ticket.public_token not in new.summary and "/support/t/" not in new.summary
