"""While `rapport demo` serves, customers keep writing to the demo mailbox (rapport.demo.live)."""

import pytest

from rapport.channels.models import Conversation, InboundMessage
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.customers.models import Customer, Identity
from rapport.customers.tests.factories import CustomerFactory
from rapport.demo.live import SCRIPT, live_mail_deliver
from rapport.demo.messaging import DEMO_ADDRESS
from rapport.demo.sms import DEMO_SMS_NAME

pytestmark = pytest.mark.django_db


def test_each_tick_delivers_the_next_mail_through_the_pipeline_until_the_script_ends(
    team, django_capture_on_commit_callbacks
):
    ChannelAccountFactory(name="客服邮箱", address=DEMO_ADDRESS, default_team=team)
    known = CustomerFactory(name="周立")
    Identity.objects.create(customer=known, kind="email", value="zhou.li@example.com")

    delivered = []
    for _ in range(len(SCRIPT) + 1):
        with django_capture_on_commit_callbacks(execute=True):  # the worker's processing task
            delivered.append(live_mail_deliver())

    assert delivered[-1] is None
    inbound = InboundMessage.objects.filter(provider_id__startswith="demo-live:")
    assert inbound.count() == len(SCRIPT)
    assert set(inbound.values_list("state", flat=True)) == {InboundMessage.State.PROCESSED}
    # no open ticket here: every mail opens a conversation in the team's inbox
    assert Conversation.objects.filter(team=team).count() == len(SCRIPT)
    assert Customer.objects.filter(identities__value__startswith="zhang.").exists()


def test_nothing_is_delivered_without_the_demo_mailbox():
    assert live_mail_deliver() is None
    assert not InboundMessage.objects.exists()


def test_the_live_demo_sends_wechat_messages_the_demo_user_can_answer(team, agent):
    from rapport.channels.models import ChannelAccount, Conversation, OutboxMessage
    from rapport.channels.services import outbox_send
    from rapport.channels.services.conversations import conversation_reply
    from rapport.demo.chat import LIVE_SCRIPT, demo_chat_accounts, live_chat_deliver

    demo_chat_accounts(team)
    delivered = [live_chat_deliver() for _ in range(len(LIVE_SCRIPT) + 1)]
    assert delivered[-1] is None
    assert all(d.state == InboundMessage.State.PROCESSED for d in delivered[:-1])
    wechat = ChannelAccount.objects.get(kind="wechat")
    conversations = Conversation.objects.filter(account=wechat)
    assert conversations.count() == len(LIVE_SCRIPT)
    outbox = conversation_reply(conversation=conversations.first(), by=agent, body="您好，可以的")
    assert outbox_send(outbox_id=outbox.pk).state == OutboxMessage.State.SENT


def test_the_live_loop_sends_an_sms_reply_when_the_demo_has_an_sms_account(
    team, django_capture_on_commit_callbacks
):
    ChannelAccountFactory(name="客服邮箱", address=DEMO_ADDRESS, default_team=team)
    ChannelAccountFactory(
        name=DEMO_SMS_NAME, kind="sms", address="10690000", default_team=team, is_default=True
    )
    for n in range(7):
        customer = CustomerFactory(name=f"客户{n}")
        Identity.objects.create(customer=customer, kind="phone", value=f"+86139000000{n:02d}")
    steps = [kind for kind, _subject, _body in SCRIPT]
    for _ in range(steps.index("sms") + 1):
        with django_capture_on_commit_callbacks(execute=True):
            last = live_mail_deliver()
    last.refresh_from_db()
    assert last.state == "processed", last.error
    assert (last.message.channel, last.message.customer.name) == ("sms", "客户6")
