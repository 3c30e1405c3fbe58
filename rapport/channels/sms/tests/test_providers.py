"""The providers against their documented request and response shapes (HTTP mocked)."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from rapport.channels.sms.providers import AliyunSms, ReportError, TencentSms
from rapport.channels.sms.signing import aliyun_signature


def aliyun():
    return AliyunSms(access_key_id="testId", access_key_secret="testSecret")


def tencent():
    return TencentSms(secret_id="AKIDtest", secret_key="keytest", sdk_app_id="1400006666")


def send(provider, phone="+8613912345678"):
    return provider.send(
        phone=phone,
        sign_name="瑞宝客服",
        template_code="SMS_100",
        params=[("content", "您的车已修好")],
        out_id="42",
    )


def test_aliyun_send_is_signed_and_returns_the_biz_id(fake_http):
    fake_http.answer({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"})
    result = send(aliyun())
    assert (result.ok, result.provider_message_id) == (True, "900619746936498440^0")
    (request,) = fake_http.requests
    query = {k: v[0] for k, v in parse_qs(urlsplit(request["url"]).query).items()}
    assert urlsplit(request["url"]).netloc == "dysmsapi.aliyuncs.com"
    assert query["PhoneNumbers"] == "13912345678"  # mainland numbers without +86
    assert json.loads(query["TemplateParam"]) == {"content": "您的车已修好"}
    assert (query["SignName"], query["TemplateCode"], query["OutId"]) == (
        "瑞宝客服",
        "SMS_100",
        "42",
    )
    signature = query.pop("Signature")
    assert signature == aliyun_signature(query, "testSecret")


@pytest.mark.parametrize(
    ("code", "permanent", "words"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", False, "流控"),
        ("isv.AMOUNT_NOT_ENOUGH", False, "quota"),
        ("isv.SMS_TEMPLATE_ILLEGAL", True, "template"),
        ("isv.MOBILE_NUMBER_ILLEGAL", True, "number"),
    ],
)
def test_aliyun_errors_carry_code_and_words(fake_http, code, permanent, words, settings):
    settings.LANGUAGE_CODE = "en"
    fake_http.answer({"Code": code, "Message": "x"})
    from django.utils import translation

    with translation.override("en"):
        result = send(aliyun())
    assert (result.ok, result.permanent, result.code) == (False, permanent, code)
    assert result.reason.startswith(code) and words in result.reason


def test_network_failure_is_transient(fake_http):
    result = send(aliyun())  # nothing queued: the mock raises HttpError
    assert (result.ok, result.permanent, result.code) == (False, False, "network")


def test_tencent_send_is_tc3_signed_and_returns_the_serial(fake_http):
    fake_http.answer(
        {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "5000:1045710669157053657849499619",
                        "PhoneNumber": "+8613912345678",
                        "Fee": 1,
                        "SessionContext": "42",
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
            }
        }
    )
    result = send(tencent())
    assert (result.ok, result.provider_message_id) == (True, "5000:1045710669157053657849499619")
    (request,) = fake_http.requests
    body = json.loads(request["body"])
    assert body["PhoneNumberSet"] == ["+8613912345678"]
    assert body["TemplateParamSet"] == ["您的车已修好"]
    assert request["headers"]["X-TC-Action"] == "SendSms"
    assert request["headers"]["Authorization"].startswith(
        "TC3-HMAC-SHA256 Credential=AKIDtest/2026-11-20/sms/tc3_request"
    )


def test_tencent_request_error_and_status_error(fake_http):
    fake_http.answer(
        {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}}}
    )
    fake_http.answer(
        {
            "Response": {
                "SendStatusSet": [{"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "m"}]
            }
        }
    )
    first, second = send(tencent()), send(tencent())
    assert (first.code, first.permanent) == ("AuthFailure.SignatureFailure", True)
    assert (second.code, second.permanent) == ("LimitExceeded.PhoneNumberDailyLimit", False)


def test_garbage_answer_is_a_failure_not_a_crash(fake_http):
    fake_http.answers.append(
        __import__("rapport.channels.sms.http").channels.sms.http.HttpResponse(502, b"<html>")
    )
    result = send(tencent())
    assert (result.ok, result.code) == (False, "http_502")


ALIYUN_REPORT = [
    {
        "phone_number": "13912345678",
        "send_time": "2026-11-20 10:00:01",
        "report_time": "2026-11-20 10:00:05",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": "900619746936498440^0",
        "out_id": "42",
    },
    {
        "phone_number": "13912345679",
        "send_time": "2026-11-20 10:00:01",
        "report_time": "2026-11-20 10:00:09",
        "success": False,
        "err_code": "MK:0005",
        "err_msg": "关机",
        "sms_size": "1",
        "biz_id": "900619746936498441^0",
        "out_id": "43",
    },
]


def test_aliyun_receipts():
    first, second = aliyun().parse_receipts(json.dumps(ALIYUN_REPORT).encode())
    assert (first.provider_message_id, first.delivered, first.out_id) == (
        "900619746936498440^0",
        True,
        "42",
    )
    assert (second.delivered, second.code) == (False, "MK:0005")
    assert first.reported_at.isoformat() == "2026-11-20T10:00:05+08:00"


def test_aliyun_inbound():
    body = [
        {
            "phone_number": "13912345678",
            "send_time": "2026-11-20 10:02:00",
            "content": "TD",
            "sign_name": "瑞宝客服",
            "dest_code": "1234",
            "sequence_id": 1234567890,
        }
    ]
    (sms,) = aliyun().parse_inbound(json.dumps(body).encode())
    assert (sms.phone, sms.text, sms.provider_id) == ("13912345678", "TD", "aliyun:1234567890")


def test_tencent_receipts_and_inbound():
    report = [
        {
            "user_receive_time": "2026-11-20 10:00:05",
            "nationcode": "86",
            "mobile": "13912345678",
            "report_status": "FAIL",
            "errmsg": "UNDELIV",
            "description": "用户短信未送达",
            "sid": "s-1",
        }
    ]
    (receipt,) = tencent().parse_receipts(json.dumps(report).encode())
    assert (receipt.delivered, receipt.code, receipt.phone) == (False, "UNDELIV", "+8613912345678")
    reply = {
        "extend": "",
        "mobile": "13912345678",
        "nationcode": "86",
        "sign": "瑞宝客服",
        "text": "退订",
        "time": 1763604120,
    }
    (sms,) = tencent().parse_inbound(json.dumps(reply).encode())
    assert (sms.phone, sms.text) == ("+8613912345678", "退订")
    again = tencent().parse_inbound(json.dumps(reply).encode())[0]
    assert again.provider_id == sms.provider_id  # a retried callback is the same message


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b"[1, 2]", b'"text"', b'[{"phone_number": "139"}]', b"\xff\xfe"],
)
def test_malformed_callbacks_raise_report_error(body):
    with pytest.raises(ReportError):
        aliyun().parse_inbound(body)
    with pytest.raises(ReportError):
        aliyun().parse_receipts(body)
