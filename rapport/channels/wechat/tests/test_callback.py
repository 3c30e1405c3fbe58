"""The WeChat callback URL: verification, signatures, replay, decryption, storing, refusals."""

import time

import pytest

from rapport.channels.models import Conversation, InboundMessage, Message
from rapport.channels.services import inbound_process
from rapport.channels.wechat.tests.conftest import (
    TOKEN,
    crypto_for,
    signed_post,
    text_message,
)
from rapport.channels.wechat.wxml import build_xml

pytestmark = pytest.mark.django_db


def test_get_verification_echoes_echostr(client, wechat):
    crypto = crypto_for(wechat)
    sig = crypto.sign("1409735669", "1320562132")
    answer = client.get(
        f"/api/v1/channels/wechat/{wechat.pk}",
        {"signature": sig, "timestamp": "1409735669", "nonce": "1320562132", "echostr": "abc123"},
    )
    assert answer.status_code == 200
    assert answer.content == b"abc123"


def test_get_verification_with_a_wrong_signature_is_refused(client, wechat):
    answer = client.get(
        f"/api/v1/channels/wechat/{wechat.pk}",
        {"signature": "0" * 40, "timestamp": "1", "nonce": "2", "echostr": "abc"},
    )
    assert answer.status_code == 403
    assert answer.content.startswith(b"bad_signature")


def test_a_message_is_stored_answered_success_and_processed_in_the_task(
    client, wechat, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        answer = signed_post(client, wechat, text_message(content="我的订单还没到"))
    assert answer.status_code == 200
    assert answer.content == b"success"
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundMessage.State.RECEIVED  # nothing done inline
    assert inbound.provider_id == "msg:1234567890123456"
    assert len(callbacks) == 1  # the processing task is queued on commit
    inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    assert inbound.state == InboundMessage.State.PROCESSED, inbound.error
    message = Message.objects.get()
    assert message.text == "我的订单还没到"
    assert message.channel == "wechat"
    assert message.sender == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    conversation = Conversation.objects.get()
    assert conversation.subject == "我的订单还没到"
    assert message.customer.identities.get().kind == "wxopenid"


def test_callback_query_count_is_pinned(client, wechat, django_assert_num_queries):
    signed_post(client, wechat, text_message(msgid=1))  # the account is read once per 30 s
    with django_assert_num_queries(3):  # savepoint, insert, release
        answer = signed_post(client, wechat, text_message(msgid=2))
    assert answer.content == b"success"


def test_retries_of_one_message_are_one_record(client, wechat):
    for _attempt in range(3):
        assert signed_post(client, wechat, text_message()).content == b"success"
    assert InboundMessage.objects.count() == 1


def test_events_are_deduplicated_by_sender_time_and_event(client, wechat):
    event = {
        "ToUserName": "gh_10f6c3c3ac5a",
        "FromUserName": "oFollower0000000000000001",
        "CreateTime": 1700000000,
        "MsgType": "event",
        "Event": "subscribe",
    }
    signed_post(client, wechat, event)
    signed_post(client, wechat, event)
    signed_post(client, wechat, {**event, "CreateTime": 1700000001})
    assert InboundMessage.objects.count() == 2


def test_wrong_signature_is_refused_and_nothing_stored(client, wechat):
    answer = client.post(
        f"/api/v1/channels/wechat/{wechat.pk}?timestamp={int(time.time())}&nonce=1"
        f"&encrypt_type=aes&msg_signature={'0' * 40}",
        data=build_xml({"Encrypt": crypto_for(wechat).encrypt(build_xml(text_message()))}),
        content_type="text/xml",
    )
    assert answer.status_code == 403
    assert answer.content.startswith(b"bad_signature")
    assert not InboundMessage.objects.exists()


def test_a_replayed_timestamp_older_than_five_minutes_is_refused(client, wechat):
    answer = signed_post(client, wechat, text_message(), timestamp=int(time.time()) - 301)
    assert answer.status_code == 403
    assert answer.content.startswith(b"stale_timestamp")
    assert not InboundMessage.objects.exists()


def test_tampered_ciphertext_is_refused(client, wechat):
    def tamper(encrypted: str) -> str:
        return encrypted[:-8] + ("A" if encrypted[-8] != "A" else "B") + encrypted[-7:]

    answer = signed_post(client, wechat, text_message(), tamper=tamper)
    assert answer.status_code == 400
    assert not InboundMessage.objects.exists()


def test_the_wrong_appid_inside_the_plaintext_is_refused(client, wechat):
    wechat.config = {**wechat.config, "appid": "wx0000000000000000"}
    wechat.save()
    # signed_post encrypts with the account's (new) appid: encrypt with the old one by hand
    from rapport.channels.wechat.crypto import MessageCrypto
    from rapport.channels.wechat.tests.conftest import AES_KEY

    crypto = MessageCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id="wx2c2769f8efd9abc2")
    timestamp, nonce = str(int(time.time())), "7"
    encrypted = crypto.encrypt(build_xml(text_message()))
    answer = client.post(
        f"/api/v1/channels/wechat/{wechat.pk}?timestamp={timestamp}&nonce={nonce}"
        f"&encrypt_type=aes&msg_signature={crypto.sign(timestamp, nonce, encrypted)}",
        data=build_xml({"Encrypt": encrypted}),
        content_type="text/xml",
    )
    assert answer.status_code == 400
    assert answer.content.startswith(b"wrong_receiver")


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<xml><Encrypt>&c;</Encrypt></xml>"""


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (BILLION_LAUGHS, 400, b"forbidden"),
        (b"<xml><Encrypt>unclosed", 400, b"malformed"),
        (b"", 400, b"empty"),
    ],
)
def test_malformed_and_hostile_xml_is_refused_with_a_reason(client, wechat, body, status, code):
    answer = client.post(
        f"/api/v1/channels/wechat/{wechat.pk}?timestamp=1&nonce=1",
        data=body,
        content_type="text/xml",
    )
    assert answer.status_code == status
    assert answer.content.startswith(code)
    assert not InboundMessage.objects.exists()


def test_a_5_mb_body_is_refused_before_parsing(client, wechat):
    answer = client.post(
        f"/api/v1/channels/wechat/{wechat.pk}?timestamp=1&nonce=1",
        data=b"<xml>" + b"x" * (5 * 1024 * 1024) + b"</xml>",
        content_type="text/xml",
    )
    assert answer.status_code == 413
    assert not InboundMessage.objects.exists()


def test_unknown_account_and_inactive_account_are_404(client, wechat):
    assert signed_post(client, wechat, text_message()).status_code == 200
    wechat.is_active = False
    wechat.save()
    assert client.post(f"/api/v1/channels/wechat/{wechat.pk}").status_code == 404
    assert client.post("/api/v1/channels/wechat/999999").status_code == 404


def test_plain_mode_checks_the_plain_signature(client, team):
    from rapport.channels.wechat.tests.conftest import make_account

    account = make_account(team, mode="plain")
    crypto = crypto_for(account)
    timestamp = str(int(time.time()))
    body = build_xml(text_message(msgid=42)).encode()
    url = f"/api/v1/channels/wechat/{account.pk}?timestamp={timestamp}&nonce=9"
    good = client.post(
        f"{url}&signature={crypto.sign(timestamp, '9')}", data=body, content_type="text/xml"
    )
    assert good.content == b"success"
    bad = client.post(f"{url}&signature={'1' * 40}", data=body, content_type="text/xml")
    assert bad.status_code == 403
    assert InboundMessage.objects.get().provider_id == "msg:42"
