"""A customer writing again in a claimed conversation rings its holder's bell, once."""

import pytest
from django.utils import translation

from rapport.channels import services
from rapport.channels.models import Conversation
from rapport.channels.tests.helpers import mail, receive
from rapport.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_a_new_message_in_a_claimed_conversation_tells_its_holder(account, customer, agent):
    first = receive(account, mail(message_id="<n.1@qq.com>"))
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert not Notification.objects.exists()  # nobody holds it yet
    services.conversation_claim(conversation=conversation, by=agent)

    reply = receive(account, mail(body="补充：是左前轮。", References="<n.1@qq.com>"))

    n = Notification.objects.get()
    with translation.override("en"):
        assert (n.recipient, n.kind, n.title) == (agent, "customer_replied", "张伟 wrote again")
    assert n.body == "补充：是左前轮。" and n.url == f"/inbox/{conversation.pk}/"
    assert reply.conversation_id == conversation.pk


def test_automatic_mail_in_a_claimed_conversation_tells_nobody(account, customer, agent):
    first = receive(account, mail(message_id="<n.2@qq.com>"))
    services.conversation_claim(
        conversation=Conversation.objects.get(pk=first.conversation_id), by=agent
    )
    receive(account, mail(References="<n.2@qq.com>", Auto_Submitted="auto-replied"))
    assert not Notification.objects.exists()
