"""Inbound processing of WeChat messages and events, and sending back through the outbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.models import (
    ChatSession,
    Conversation,
    FakeSentMessage,
    InboundMessage,
    Message,
    OutboxMessage,
)
from rapport.channels.services import inbound_process, outbox_queue, outbox_send
from rapport.channels.services.conversations import conversation_reply
from rapport.channels.wechat.crypto import MessageCrypto  # noqa: F401
from rapport.channels.wechat.tests.conftest import make_account, signed_post, text_message
from rapport.customers.models import Identity
from rapport.customers.services import IdentityInput, customer_create

pytestmark = pytest.mark.django_db
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def deliver(client, account, fields) -> InboundMessage:
    assert signed_post(client, account, fields).content == b"success"
    inbound = InboundMessage.objects.order_by("-id").first()
    inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    return inbound


def event(name, openid=OPENID, key="", at=1700000000):
    return {
        "ToUserName": "gh_10f6c3c3ac5a",
        "FromUserName": openid,
        "CreateTime": at,
        "MsgType": "event",
        "Event": name,
        "EventKey": key,
    }


def test_messages_of_one_customer_thread_into_one_conversation(client, wechat):
    deliver(client, wechat, text_message(content="第一句", msgid=1))
    deliver(client, wechat, text_message(content="第二句", msgid=2))
    conversation = Conversation.objects.get()
    assert [m.text for m in conversation.messages.order_by("id")] == ["第一句", "第二句"]
    session = ChatSession.objects.get()
    assert session.window_open()
    assert session.customer_id == conversation.customer_id


def test_image_is_fetched_and_stored_as_an_inline_attachment(client, wechat):
    inbound = deliver(
        client,
        wechat,
        {**text_message(msgid=3), "MsgType": "image", "MediaId": "m1", "PicUrl": ""},
    )
    assert inbound.state == "processed", inbound.error
    attachment = Message.objects.get().attachments.get()
    assert attachment.content_type == "image/png"
    assert attachment.is_inline


def test_voice_uses_the_recognition_text(client, wechat):
    deliver(
        client,
        wechat,
        {**text_message(msgid=4), "MsgType": "voice", "MediaId": "v", "Recognition": "我要退货"},
    )
    assert Message.objects.get().text == "我要退货"


def test_location_and_link_become_readable_text(client, wechat):
    deliver(
        client,
        wechat,
        {
            **text_message(msgid=5),
            "MsgType": "location",
            "Location_X": "23.1",
            "Location_Y": "113.3",
            "Label": "广州塔",
        },
    )
    deliver(
        client,
        wechat,
        {
            **text_message(msgid=6),
            "MsgType": "link",
            "Title": "订单",
            "Description": "",
            "Url": "https://example.cn/o/1",
        },
    )
    texts = list(Message.objects.order_by("id").values_list("text", flat=True))
    assert "广州塔" in texts[0]
    assert "https://example.cn/o/1" in texts[1]


def test_follow_binds_the_openid_and_unfollow_marks_it_undeliverable(client, wechat):
    inbound = deliver(client, wechat, {**event("subscribe"), "UnionId": "unionABCDEF123"})
    assert inbound.state == "processed"
    assert not Message.objects.exists()
    identity = Identity.objects.get(kind="wxopenid")
    assert identity.value == OPENID
    assert Identity.objects.get(kind="wxunion").customer_id == identity.customer_id
    inbound = deliver(client, wechat, event("unsubscribe", at=1700000100))
    identity.refresh_from_db()
    assert identity.undeliverable_at is not None
    assert "Unfollowed" in identity.undeliverable_reason or "取消" in identity.undeliverable_reason
    assert not ChatSession.objects.get().followed


def test_a_phone_number_the_customer_sends_binds_them_to_the_existing_customer(client, wechat):
    known = customer_create(
        by=None, name="李娜", identities=[IdentityInput("phone", "13900139000")]
    )
    deliver(client, wechat, text_message(content="你好", msgid=7))
    deliver(client, wechat, text_message(content="我的手机是 139-0013-9000", msgid=8))
    assert Identity.objects.get(kind="wxopenid").customer_id == known.pk
    assert Conversation.objects.get().customer_id == known.pk
    assert Message.objects.order_by("id").last().customer_id == known.pk


def test_menu_click_and_scan_are_recorded(client, wechat):
    assert deliver(client, wechat, event("CLICK", key="V1001")).state == "processed"
    assert deliver(client, wechat, event("SCAN", key="123", at=1700000005)).state == "processed"
    assert not Message.objects.exists()


def test_unknown_event_types_are_ignored_with_a_reason(client, wechat):
    inbound = deliver(client, wechat, event("something_new"))
    assert inbound.state == "ignored"
    assert "something_new" in inbound.error


# --- Sending ---------------------------------------------------------------------------------


def reply_in(conversation, agent, body="您好，已为您查询"):
    outbox = conversation_reply(conversation=conversation, by=agent, body=body)
    return outbox_send(outbox_id=outbox.pk)


def test_a_reply_inside_the_window_goes_as_a_customer_service_message(client, wechat, agent):
    deliver(client, wechat, text_message(msgid=9))
    sent = reply_in(Conversation.objects.get(), agent)
    assert sent.state == OutboxMessage.State.SENT, sent.error
    fake = FakeSentMessage.objects.get()
    assert fake.to_address == OPENID
    assert fake.subject == "/cgi-bin/message/custom/send"
    assert ChatSession.objects.get().window_sent == 1
    assert Message.objects.filter(direction="outbound", conversation__isnull=False).count() == 1


def test_the_quota_of_five_per_window_then_refused_with_the_next_channel(client, wechat, agent):
    deliver(client, wechat, text_message(msgid=10))
    conversation = Conversation.objects.get()
    states = [reply_in(conversation, agent, f"第{i}条").state for i in range(6)]
    assert states == ["sent"] * 5 + ["refused"]
    refused = OutboxMessage.objects.filter(state="refused").get()
    assert refused.reason == OutboxMessage.Reason.WINDOW_QUOTA
    assert "channel" in refused.error.lower() or "渠道" in refused.error
    # a new message from the customer opens a new window
    deliver(client, wechat, text_message(msgid=11))
    assert reply_in(conversation, agent, "新窗口").state == "sent"


def test_outside_the_window_without_template_the_row_is_refused(client, wechat, agent):
    deliver(client, wechat, text_message(msgid=12))
    ChatSession.objects.update(last_inbound_at=timezone.now() - timedelta(hours=49))
    result = reply_in(Conversation.objects.get(), agent)
    assert result.state == "refused"
    assert result.reason == OutboxMessage.Reason.WINDOW_CLOSED
    assert "48" in result.error


def test_outside_the_window_a_template_message_with_short_fields(client, team, agent):
    account = make_account(team, template_id="TPL1", template_fields="thing1,thing2")
    deliver(client, account, text_message(msgid=13))
    ChatSession.objects.update(last_inbound_at=timezone.now() - timedelta(hours=49))
    result = reply_in(
        Conversation.objects.get(), agent, "您的维修单已完成，请携带发票到门店取件，谢谢！"
    )
    assert result.state == "sent", result.error
    fake = FakeSentMessage.objects.get()
    assert fake.subject == "/cgi-bin/message/template/send"
    import json

    data = json.loads(fake.body)
    assert set(data) == {"thing1", "thing2"}
    assert all(len(v["value"]) <= 20 for v in data.values())
    assert "first" not in data and "remark" not in data


@pytest.mark.parametrize(
    ("suffix", "state", "reason", "code"),
    [
        ("_closed", "refused", "window_closed", "45015"),
        ("_quota", "refused", "window_quota", "45047"),
    ],
)
def test_provider_errors_show_the_code_and_words(
    client, wechat, agent, suffix, state, reason, code
):
    openid = "oTestUser00000" + suffix
    deliver(client, wechat, text_message(openid=openid, msgid=14))
    result = reply_in(Conversation.objects.get(), agent)
    assert result.state == state
    assert result.reason == reason
    if code == "45047":
        assert code in result.error


def test_invalid_template_fails_with_the_provider_code(client, team, agent):
    account = make_account(team, template_id="TPL1")
    deliver(client, account, text_message(openid="oTestUser00000_badtpl", msgid=15))
    ChatSession.objects.update(last_inbound_at=timezone.now() - timedelta(hours=49))
    result = reply_in(Conversation.objects.get(), agent)
    assert result.state == "failed"
    assert "40037" in result.error


def test_outbox_queue_to_a_wechat_customer_without_a_thread(client, wechat):
    deliver(client, wechat, text_message(msgid=16))
    customer = Conversation.objects.get().customer
    row = outbox_queue(
        customer=customer,
        purpose="service",
        source="test",
        body="通知",
        channel="wechat",
        idempotency_key="k1",
    )
    assert row.to_address == OPENID
    assert outbox_send(outbox_id=row.pk).state == "sent"


def test_a_voice_message_is_its_recognition_text_with_the_sound_kept(client, wechat):
    voice = {
        **text_message(msgid=91),
        "MsgType": "voice",
        "MediaId": "simulated-voice-9",
        "Format": "amr",
        "Recognition": "我的车还没修好",
    }
    voice.pop("Content", None)
    inbound = deliver(client, wechat, voice)
    assert inbound.state == "processed"
    message = Message.objects.get()
    assert message.text == "我的车还没修好"
    assert message.attachments.get().content_type == "audio/amr"
