"""WeChat / WeCom conversations in the inbox: the chat thread, the window, replies, tickets,
and the "simulate an inbound message" form going through the real callback."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.models import ChatSession, Conversation, InboundMessage, OutboxMessage
from rapport.channels.services import outbox_send
from rapport.channels.tests.conftest import _media_in_tmp  # noqa: F401
from rapport.channels.wechat.simulate import simulate_inbound
from rapport.channels.wechat.tests.conftest import make_account
from rapport.tickets.models import Ticket

OPENID = "oChatCustomer000000000001"


@pytest.fixture
def wechat(team):
    return make_account(team)


def chat(account, *texts, image=False):
    for text in texts:
        status, answer, _inbound = simulate_inbound(account=account, user_id=OPENID, text=text)
        assert status == 200, answer
    if image:
        simulate_inbound(account=account, user_id=OPENID, kind="image")
    return Conversation.objects.get()


def test_a_chat_conversation_shows_bubbles_the_window_and_images_inline(
    as_user, agent, wechat, django_assert_num_queries
):
    conversation = chat(wechat, "你好", "我的快递丢了", image=True)
    client = as_user(agent)
    client.get(f"/inbox/{conversation.pk}/")
    with django_assert_num_queries(16):  # +1: the upset assessments of its messages
        page = client.get(f"/inbox/{conversation.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert 'class="chat-thread"' in body
    assert "我的快递丢了" in body
    assert 'class="chat-image"' in body
    assert "47" in body  # hours left in the 48-hour window
    image = conversation.messages.last().attachments.get()
    served = client.get(f"/inbox/attachments/{image.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"


def test_the_window_partial_refreshes_and_says_when_it_is_closed(as_user, agent, wechat):
    conversation = chat(wechat, "在吗")
    client = as_user(agent)
    assert "chat-window-open" in client.get(f"/inbox/{conversation.pk}/window/").content.decode()
    ChatSession.objects.update(last_inbound_at=timezone.now() - timedelta(hours=49))
    closed = client.get(f"/inbox/{conversation.pk}/window/").content.decode()
    assert "chat-window-closed" in closed


def test_another_teams_agent_cannot_see_the_window_or_the_image(as_user, other_team_agent, wechat):
    conversation = chat(wechat, "你好", image=True)
    client = as_user(other_team_agent)
    assert client.get(f"/inbox/{conversation.pk}/window/").status_code == 404
    image = conversation.messages.last().attachments.get()
    assert client.get(f"/inbox/attachments/{image.pk}/").status_code == 404


def test_a_reply_goes_out_as_a_customer_service_message(as_user, agent, wechat):
    conversation = chat(wechat, "你好")
    client = as_user(agent)
    answer = client.post(f"/inbox/{conversation.pk}/reply/", {"body": "您好，请讲"})
    assert answer.status_code == 302
    outbox = OutboxMessage.objects.get()
    assert outbox.channel == "wechat" and outbox.to_address == OPENID
    assert outbox_send(outbox_id=outbox.pk).state == "sent"
    assert "您好，请讲" in client.get(f"/inbox/{conversation.pk}/").content.decode()


def test_a_refused_reply_shows_the_reason_on_the_thread(as_user, agent, wechat):
    conversation = chat(wechat, "你好")
    ChatSession.objects.update(last_inbound_at=timezone.now() - timedelta(hours=49))
    client = as_user(agent)
    client.post(f"/inbox/{conversation.pk}/reply/", {"body": "还在吗"})
    outbox_send(outbox_id=OutboxMessage.objects.get().pk)
    body = client.get(f"/inbox/{conversation.pk}/").content.decode()
    assert "chat-error" in body


def test_convert_to_ticket_keeps_all_the_customers_lines_as_their_words(as_user, agent, wechat):
    conversation = chat(wechat, "你好", "我买的空调不制冷", "订单号 A123")
    client = as_user(agent)
    answer = client.post(f"/inbox/{conversation.pk}/convert/", {"kind": "complaint"})
    import re

    assert answer.status_code == 302, re.findall(r'field-error">([^<]*)', answer.content.decode())
    ticket = Ticket.objects.get()
    assert ticket.customer_words == "你好\n我买的空调不制冷\n订单号 A123"
    assert ticket.subject


def test_simulate_page_chat_form_goes_through_the_callback(as_user, admin_user, wechat):
    client = as_user(admin_user)
    assert client.get("/inbox/simulate/").status_code == 200
    answer = client.post(
        "/inbox/simulate/",
        {
            "form": "chat",
            "chat_account": wechat.pk,
            "user_id": OPENID,
            "kind": "text",
            "text": "模拟消息",
        },
    )
    assert answer.status_code == 302
    inbound = InboundMessage.objects.get()
    assert inbound.provider_id.startswith("msg:")
    assert inbound.state == "processed"
    assert Conversation.objects.get().messages.get().text == "模拟消息"


def test_simulate_chat_form_names_bad_fields(as_user, admin_user, wechat):
    client = as_user(admin_user)
    answer = client.post(
        "/inbox/simulate/",
        {"form": "chat", "chat_account": wechat.pk, "user_id": "bad id!", "kind": "text"},
    )
    assert answer.status_code == 400
    assert not InboundMessage.objects.exists()


def test_convert_gives_the_ticket_the_customers_phone_when_a_chat_customer_has_one(
    as_user, agent, wechat
):
    from rapport.customers.models import Identity

    conversation = chat(wechat, "我买的空调不制冷")
    Identity.objects.create(
        customer=conversation.customer, kind="phone", value="+8613800138000", is_primary=True
    )
    answer = as_user(agent).post(f"/inbox/{conversation.pk}/convert/", {"kind": "complaint"})
    assert answer.status_code == 302
    assert Ticket.objects.get().contact_phone == "+8613800138000"


def test_the_api_lists_every_kind_of_channel_account(api_client, admin_user, wechat):
    from rapport.channels.tests.factories import ChannelAccountFactory

    ChannelAccountFactory(name="客服热线", kind="phone", address="4008001234")
    client = api_client(admin_user)
    answer = client.get("/api/v1/channel-accounts")
    assert answer.status_code == 200
    assert {row["kind"] for row in answer.json()["results"]} >= {"phone", "wechat"}
