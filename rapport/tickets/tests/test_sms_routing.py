"""An SMS account may thread a customer's reply to their open ticket (config thread_open_ticket)."""

import pytest

from rapport.channels.sms.tests.conftest import _daytime, customer, fake_http, sms_account  # noqa: F401
from rapport.channels.sms.tests.test_opt_out import receive

pytestmark = pytest.mark.django_db


def test_routing_to_the_open_ticket(sms_account, customer, agent):  # noqa: F811
    from rapport.tickets.tests.factories import open_ticket

    ticket = open_ticket(agent, customer)
    sms_account.config = {**sms_account.config, "thread_open_ticket": True}
    sms_account.save()
    inbound = receive(sms_account, "今天还响", "7")
    assert inbound.message.ticket_id == ticket.pk
    assert inbound.message.conversation is None


def test_without_the_setting_a_reply_opens_a_conversation(sms_account, customer, agent):  # noqa: F811
    from rapport.tickets.tests.factories import open_ticket

    open_ticket(agent, customer)
    inbound = receive(sms_account, "今天还响", "8")
    assert inbound.message.ticket_id is None
    assert inbound.message.conversation is not None


def test_the_tracking_link_goes_by_sms_when_the_ticket_gives_no_email(sms_account, customer, agent):  # noqa: F811
    from rapport.tickets import messaging
    from rapport.tickets.tests.factories import in_progress

    ticket = in_progress(agent, customer)
    outbox = messaging.tracking_link_send(ticket=ticket, by=agent)
    assert (outbox.channel, outbox.to_address) == ("sms", "+8613912345678")
    assert outbox.channel_reason == "未绑定微信，使用短信"
    assert ticket.public_token not in outbox.summary


def test_a_ticket_reply_on_the_customer_s_channel(sms_account, customer, agent):  # noqa: F811
    from rapport.tickets.services import ticket_reply
    from rapport.tickets.tests.factories import in_progress

    ticket = in_progress(agent, customer)
    event = ticket_reply(ticket=ticket, by=agent, body="师傅明天上午到。", channel="auto")
    from rapport.channels.models import OutboxMessage

    outbox = OutboxMessage.objects.get(pk=event.data["outbox_id"])
    assert (outbox.channel, outbox.source, outbox.ticket_id) == ("sms", "ticket_reply", ticket.pk)
    assert outbox.channel_reason
