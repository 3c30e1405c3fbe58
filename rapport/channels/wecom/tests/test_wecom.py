"""WeCom customer service: verification, the callback, sync with the cursor, sessions, replies."""

import time

import pytest

from rapport.channels.models import (
    ChatSession,
    Conversation,
    FakeKfMessage,
    FakeSentMessage,
    InboundMessage,
    Message,
    WeComSyncState,
)
from rapport.channels.services import inbound_process, outbox_send
from rapport.channels.services.conversations import conversation_reply
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.channels.wechat import http
from rapport.channels.wechat.tests.conftest import KFID, signed_post
from rapport.channels.wecom.sync import wecom_sync

pytestmark = pytest.mark.django_db
USER = "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw"


def kf_message(n: int, text: str = "", **extra) -> dict:
    return {
        "msgid": f"from_msgid_{n}",
        "open_kfid": KFID,
        "external_userid": USER,
        "send_time": int(time.time()),
        "origin": 3,
        "msgtype": "text",
        "text": {"content": text or f"消息{n}"},
        **extra,
    }


def callback(client, account, token="ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"):
    return signed_post(
        client,
        account,
        {
            "ToUserName": account.config["corpid"],
            "CreateTime": int(time.time()),
            "MsgType": "event",
            "Event": "kf_msg_or_event",
            "Token": token,
            "OpenKfId": KFID,
        },
    )


def process_all():
    received = InboundMessage.objects.filter(state="received").order_by("id")
    for inbound_id in received.values_list("pk", flat=True):
        inbound_process(inbound_id=inbound_id)


def test_url_verification_with_the_official_sample(client, team):
    account = ChannelAccountFactory(
        kind="wecom", name="官方样例", default_team=team, config={"corpid": "wx49f0ab532d5d035a"}
    )
    account.set_secrets(
        {"token": "123456", "encoding_aes_key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"}
    )
    account.save()
    echostr = (
        "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    )
    answer = client.get(
        f"/api/v1/channels/wecom/{account.pk}",
        {
            "msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
            "timestamp": "1411443780",
            "nonce": "437374425",
            "echostr": echostr,
        },
    )
    assert answer.status_code == 200
    assert answer.content == b"5927782489442352469"  # no quotes, BOM or newline
    bad = client.get(
        f"/api/v1/channels/wecom/{account.pk}",
        {"msg_signature": "0" * 40, "timestamp": "1411443780", "nonce": "1", "echostr": echostr},
    )
    assert bad.status_code == 403


def test_callback_then_sync_files_messages_in_one_conversation(
    client, wecom, django_capture_on_commit_callbacks
):
    FakeKfMessage.objects.create(account=wecom, payload=kf_message(1, "我要退款"))
    FakeKfMessage.objects.create(account=wecom, payload=kf_message(2, "订单号 123"))
    assert callback(client, wecom).content == b"success"
    event = InboundMessage.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        inbound_process(inbound_id=event.pk)
    event.refresh_from_db()
    assert event.state == "processed"
    assert len(callbacks) == 1  # the sync is queued, not run inside processing
    assert wecom_sync(account_id=wecom.pk, token="t") == 2
    process_all()
    conversation = Conversation.objects.get()
    assert [m.text for m in conversation.messages.order_by("id")] == ["我要退款", "订单号 123"]
    assert WeComSyncState.objects.get().cursor == str(FakeKfMessage.objects.last().pk)


def test_sync_never_rereads_or_skips(wecom):
    FakeKfMessage.objects.create(account=wecom, payload=kf_message(1))
    assert wecom_sync(account_id=wecom.pk) == 1
    assert wecom_sync(account_id=wecom.pk) == 0  # nothing new: the cursor moved
    FakeKfMessage.objects.create(account=wecom, payload=kf_message(2))
    assert wecom_sync(account_id=wecom.pk) == 1
    assert InboundMessage.objects.count() == 2


def test_a_sync_killed_after_a_page_resumes_from_the_persisted_cursor(wecom, monkeypatch):
    from rapport.channels.wecom import sync as sync_module

    monkeypatch.setattr(sync_module, "PAGE_LIMIT", 2)
    monkeypatch.setattr("rapport.channels.wechat.client.FakeServer.call", _paged_fake())
    for n in range(5):
        FakeKfMessage.objects.create(account=wecom, payload=kf_message(n))
    calls = {"n": 0}
    real = sync_module.api_call

    def dying(account, path, payload):
        calls["n"] += 1
        if calls["n"] == 2:
            raise http.HttpError("worker killed")  # the second page never arrives
        return real(account, path, payload)

    monkeypatch.setattr(sync_module, "api_call", dying)
    wecom_sync(account_id=wecom.pk)
    state = WeComSyncState.objects.get()
    assert InboundMessage.objects.count() == 2
    assert state.cursor == str(FakeKfMessage.objects.order_by("pk")[1].pk)
    assert state.claimed_until is None
    monkeypatch.setattr(sync_module, "api_call", real)
    wecom_sync(account_id=wecom.pk)
    ids = sorted(InboundMessage.objects.values_list("provider_id", flat=True))
    assert ids == sorted(f"kf:from_msgid_{n}" for n in range(5))


def _paged_fake():
    from rapport.channels.wechat.client import FakeServer

    original = FakeServer.call

    def call(self, path, payload):
        return original(self, path, payload)

    return call


def test_a_second_sync_while_one_runs_asks_for_another_round(wecom):
    from datetime import timedelta

    from django.utils import timezone

    state = WeComSyncState.objects.create(
        account=wecom, claimed_until=timezone.now() + timedelta(minutes=1)
    )
    assert wecom_sync(account_id=wecom.pk, token="tok2") == 0
    state.refresh_from_db()
    assert state.rerun
    assert state.callback_token == "tok2"


def test_session_events_are_tracked(wecom):
    FakeKfMessage.objects.create(
        account=wecom,
        payload={
            "msgid": "e1",
            "origin": 4,
            "msgtype": "event",
            "event": {"event_type": "enter_session", "external_userid": USER, "scene": "123"},
        },
    )
    FakeKfMessage.objects.create(
        account=wecom,
        payload={
            "msgid": "e2",
            "origin": 4,
            "msgtype": "event",
            "event": {
                "event_type": "session_status_change",
                "external_userid": USER,
                "change_type": 1,
                "new_servicer_userid": "zhangsan",
            },
        },
    )
    FakeKfMessage.objects.create(
        account=wecom,
        payload={"msgid": "e3", "origin": 4, "msgtype": "event", "event": {"event_type": "new"}},
    )
    wecom_sync(account_id=wecom.pk)
    process_all()
    session = ChatSession.objects.get()
    assert session.kf_state == ChatSession.KfState.HUMAN
    assert session.servicer == "zhangsan"
    assert InboundMessage.objects.get(provider_id="kf:e3").state == "ignored"
    assert not Message.objects.exists()


def test_servicer_messages_are_ignored_with_a_reason(wecom):
    FakeKfMessage.objects.create(account=wecom, payload={**kf_message(9), "origin": 5})
    wecom_sync(account_id=wecom.pk)
    process_all()
    inbound = InboundMessage.objects.get()
    assert inbound.state == "ignored"
    assert inbound.error


def test_a_reply_goes_through_send_msg(client, wecom, agent):
    FakeKfMessage.objects.create(account=wecom, payload=kf_message(1))
    wecom_sync(account_id=wecom.pk)
    process_all()
    conversation = Conversation.objects.get()
    outbox = conversation_reply(conversation=conversation, by=agent, body="您好")
    sent = outbox_send(outbox_id=outbox.pk)
    assert sent.state == "sent", sent.error
    fake = FakeSentMessage.objects.get()
    assert fake.subject == "/cgi-bin/kf/send_msg"
    assert fake.to_address == USER


def _filed(wecom, payload):
    FakeKfMessage.objects.create(account=wecom, payload=payload)
    wecom_sync(account_id=wecom.pk)
    process_all()
    return Message.objects.order_by("-id").first()


def test_a_file_is_fetched_through_the_media_api_and_kept_with_its_name(wecom):
    message = _filed(wecom, kf_message(31, msgtype="file", file={"media_id": "simulated-file-1"}))
    attachment = message.attachments.get()
    assert attachment.filename == "维修报价单.pdf"
    assert attachment.content_type == "application/pdf" and not attachment.is_inline
    assert attachment.file.read().startswith(b"%PDF")
    assert message.text in ("［文件］", "[File]")


def test_a_voice_message_keeps_its_sound(wecom):
    message = _filed(
        wecom, kf_message(32, msgtype="voice", voice={"media_id": "simulated-voice-1"})
    )
    attachment = message.attachments.get()
    assert attachment.content_type == "audio/amr" and attachment.filename.endswith(".amr")


def test_media_that_cannot_be_fetched_is_said_and_the_message_still_filed(wecom):
    message = _filed(wecom, kf_message(33, msgtype="video", video={"media_id": "expired-1"}))
    assert not message.attachments.exists()
    inbound = InboundMessage.objects.get(provider_id="kf:from_msgid_33")
    assert inbound.state == "processed"
    assert any("40007" in defect for defect in message.defects)
