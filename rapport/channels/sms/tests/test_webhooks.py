"""POST /api/v1/channels/sms/{account}/receipt and /inbound."""

import json
import time

import pytest

from rapport.channels.models import InboundMessage, OutboxMessage
from rapport.channels.services import inbound_process, outbox_queue, outbox_send
from rapport.channels.sms.models import SmsReceipt
from rapport.channels.sms.tests.conftest import TOKEN, WEBHOOK_SECRET
from rapport.channels.webhook_api import webhook_signature

pytestmark = pytest.mark.django_db


def post(client, account, what, data, *, token=TOKEN, signed=False, raw=None):
    body = raw if raw is not None else json.dumps(data, ensure_ascii=False).encode()
    headers = {}
    url = f"/api/v1/channels/sms/{account.pk}/{what}"
    if signed:
        stamp = str(int(time.time()))
        headers = {
            "X-Rapport-Timestamp": stamp,
            "X-Rapport-Signature": webhook_signature(WEBHOOK_SECRET, stamp, body),
        }
    elif token:
        url += f"?token={token}"
    return client.post(url, data=body, content_type="application/json", headers=headers)


def sent_sms(customer, account, fake_http, biz_id="900619746936498440^0"):
    outbox = outbox_queue(
        customer=customer,
        purpose="service",
        source="test",
        body="您的车已修好",
        channel="sms",
        idempotency_key=f"k-{biz_id}",
    )
    fake_http.answer({"Code": "OK", "BizId": biz_id})
    return outbox_send(outbox_id=outbox.pk)


def report(biz_id, success=True, code="DELIVERED"):
    return [
        {
            "phone_number": "13912345678",
            "report_time": "2026-11-20 10:00:05",
            "success": success,
            "err_code": code,
            "err_msg": "关机" if not success else "用户接收成功",
            "biz_id": biz_id,
            "out_id": "",
        }
    ]


def test_a_receipt_marks_the_message_delivered(
    client, aliyun_account, customer, fake_http, django_assert_max_num_queries
):
    outbox = sent_sms(customer, aliyun_account, fake_http)
    assert (outbox.state, outbox.account) == ("sent", aliyun_account)
    with django_assert_max_num_queries(8):
        response = post(client, aliyun_account, "receipt", report(outbox.provider_message_id))
    assert response.status_code == 200
    assert response.json()["code"] == 0  # what Aliyun's push expects back
    outbox.refresh_from_db()
    assert outbox.state == "delivered" and outbox.delivered_at is not None
    assert SmsReceipt.objects.get().outcome == "applied"


def test_a_failure_receipt_fails_the_message_with_code_and_words(
    client, aliyun_account, customer, fake_http
):
    outbox = sent_sms(customer, aliyun_account, fake_http)
    post(client, aliyun_account, "receipt", report(outbox.provider_message_id, False, "MK:0005"))
    outbox.refresh_from_db()
    assert (outbox.state, outbox.reason) == ("failed", "provider_rejected")
    assert outbox.error.startswith("MK:0005") and "关机" in outbox.error


def test_a_repeated_receipt_is_one_record(client, aliyun_account, customer, fake_http):
    outbox = sent_sms(customer, aliyun_account, fake_http)
    first = post(client, aliyun_account, "receipt", report(outbox.provider_message_id))
    second = post(client, aliyun_account, "receipt", report(outbox.provider_message_id))
    assert first.json()["receipts"] == second.json()["receipts"]
    assert SmsReceipt.objects.count() == 1


def test_a_receipt_for_an_unknown_message_is_recorded_with_the_reason(client, aliyun_account):
    response = post(client, aliyun_account, "receipt", report("nope^0"))
    assert response.status_code == 200
    row = SmsReceipt.objects.get()
    assert (row.outcome, row.outbox) == ("unknown", None) and row.reason


def test_tencent_receipt(client, tencent_account, customer, fake_http):
    outbox = outbox_queue(
        customer=customer,
        purpose="service",
        source="test",
        body="x",
        channel="sms",
        idempotency_key="t1",
    )
    OutboxMessage.objects.filter(pk=outbox.pk).update(account=tencent_account)
    fake_http.answer({"Response": {"SendStatusSet": [{"SerialNo": "s-9", "Code": "Ok"}]}})
    outbox_send(outbox_id=outbox.pk)
    body = [
        {
            "user_receive_time": "2026-11-20 10:00:05",
            "nationcode": "86",
            "mobile": "13912345678",
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "description": "成功",
            "sid": "s-9",
        }
    ]
    response = post(client, tencent_account, "receipt", body)
    assert response.json()["result"] == 0
    outbox.refresh_from_db()
    assert outbox.state == "delivered"


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_a_wrong_token_is_401_and_records_nothing(client, aliyun_account, token):
    response = post(client, aliyun_account, "receipt", report("x^0"), token=token)
    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert not SmsReceipt.objects.exists()


def test_an_unknown_account_is_401(client, db):
    response = post(client, type("A", (), {"pk": 999999})(), "inbound", [])
    assert response.status_code == 401


def test_the_fake_provider_signs_like_the_email_webhook(client, sms_account, customer):
    body = [{"phone": "13912345678", "text": "你好", "id": "m1"}]
    assert post(client, sms_account, "inbound", body, token="").status_code == 401
    response = post(client, sms_account, "inbound", body, signed=True)
    assert response.status_code == 200
    assert InboundMessage.objects.filter(account=sms_account).count() == 1


def test_a_stale_signature_is_401(client, sms_account):
    body = b'[{"phone": "13912345678", "text": "x", "id": "m1"}]'
    stamp = str(int(time.time()) - 600)
    response = client.post(
        f"/api/v1/channels/sms/{sms_account.pk}/inbound",
        data=body,
        content_type="application/json",
        headers={
            "X-Rapport-Timestamp": stamp,
            "X-Rapport-Signature": webhook_signature(WEBHOOK_SECRET, stamp, body),
        },
    )
    assert response.status_code == 401


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'[{"biz_id": ""}]', b"\xff"])
def test_malformed_bodies_are_422_naming_the_body(client, aliyun_account, raw):
    response = post(client, aliyun_account, "receipt", None, raw=raw)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    assert not SmsReceipt.objects.exists()


def test_five_megabytes_are_413(client, aliyun_account):
    response = post(
        client, aliyun_account, "inbound", None, raw=b"[" + b" " * (5 * 1024 * 1024) + b"]"
    )
    assert response.status_code == 413
    assert not InboundMessage.objects.exists()


def test_an_inbound_reply_reaches_the_customer_timeline(
    client, aliyun_account, customer, django_assert_max_num_queries
):
    body = [
        {
            "phone_number": "13912345678",
            "send_time": "2026-11-20 10:02:00",
            "content": "车什么时候能修好？",
            "sign_name": "瑞宝客服",
            "dest_code": "1",
            "sequence_id": 77,
        }
    ]
    with django_assert_max_num_queries(10):
        response = post(client, aliyun_account, "inbound", body)
    assert response.status_code == 200
    again = post(client, aliyun_account, "inbound", body)
    assert again.json()["inbound"][0]["duplicate"] is True
    inbound = InboundMessage.objects.get()
    inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    assert inbound.state == "processed", inbound.error
    message = inbound.message
    assert (message.customer, message.channel, message.text) == (
        customer,
        "sms",
        "车什么时候能修好？",
    )
    assert message.conversation.subject == "车什么时候能修好？"
    assert message.interaction.channel == "sms"
