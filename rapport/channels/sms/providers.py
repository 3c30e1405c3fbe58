"""SMS providers: send a template with parameters, read delivery receipts and inbound replies.

Each provider turns its own wire format into the same small records (SendResult, Receipt,
InboundSms), so the outbox, the receipt webhook and the inbound pipeline never see a vendor's
JSON. Requests go through `http.http_send` only.
"""

import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from rapport.channels.sms import http
from rapport.channels.sms.signing import aliyun_signature, tc3_sign

BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_message_id: str = ""
    permanent: bool = False
    code: str = ""
    reason: str = ""  # readable, with the provider's code


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str
    delivered: bool
    phone: str = ""
    code: str = ""
    description: str = ""
    reported_at: datetime | None = None
    out_id: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class InboundSms:
    phone: str  # as the provider gives it; normalised by the pipeline
    text: str
    provider_id: str
    sent_at: datetime | None = None
    raw: dict = field(default_factory=dict)


class ReportError(ValueError):
    """A callback body that is not what the provider sends; `reason` is for the sender."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class SmsProvider(Protocol):
    name: str

    def send(
        self,
        *,
        phone: str,
        sign_name: str,
        template_code: str,
        params: list[tuple[str, str]],
        out_id: str,
    ) -> SendResult: ...

    def parse_receipts(self, body: bytes) -> list[Receipt]: ...

    def parse_inbound(self, body: bytes) -> list[InboundSms]: ...

    def ack(self) -> dict: ...


# Provider error codes: which are worth retrying, and what they mean in words.
TRANSIENT_CODES = {
    # Aliyun
    "isv.BUSINESS_LIMIT_CONTROL",
    "isv.DAY_LIMIT_CONTROL",
    "isv.AMOUNT_NOT_ENOUGH",
    "Throttling.User",
    "ServiceUnavailable",
    "InternalError",
    # Tencent
    "LimitExceeded.PhoneNumberThirtySecondLimit",
    "LimitExceeded.PhoneNumberOneHourLimit",
    "LimitExceeded.PhoneNumberDailyLimit",
    "LimitExceeded.DeliveryFrequencyLimit",
    "RequestLimitExceeded",
    "FailedOperation.InsufficientBalanceInSmsPackage",
    "InternalError.Timeout",
    "InternalError.RequestTimeException",
}


def readable(code: str) -> str:
    """What a provider's error code means, for the representative who reads the failure."""
    meanings = {
        "isv.BUSINESS_LIMIT_CONTROL": _("Sending rate limit (流控) reached; will retry."),
        "isv.DAY_LIMIT_CONTROL": _("Daily limit for this number reached; will retry."),
        "isv.AMOUNT_NOT_ENOUGH": _("The SMS account's balance or quota is used up."),
        "isv.MOBILE_NUMBER_ILLEGAL": _("The mobile number is not valid."),
        "isv.SMS_TEMPLATE_ILLEGAL": _("The template code is unknown or not approved."),
        "isv.TEMPLATE_MISSING_PARAMETERS": _("The template's parameters are incomplete."),
        "isv.SMS_SIGNATURE_ILLEGAL": _("The signature (签名) is unknown or not approved."),
        "isv.BLACK_KEY_CONTROL_LIMIT": _("The text contains a forbidden word."),
        "LimitExceeded.PhoneNumberThirtySecondLimit": _(
            "Too many messages to this number in 30 seconds; will retry."
        ),
        "LimitExceeded.PhoneNumberOneHourLimit": _(
            "Too many messages to this number in an hour; will retry."
        ),
        "LimitExceeded.PhoneNumberDailyLimit": _(
            "Daily limit for this number reached; will retry."
        ),
        "FailedOperation.InsufficientBalanceInSmsPackage": _(
            "The SMS account's balance or quota is used up."
        ),
        "FailedOperation.TemplateIncorrectOrUnapproved": _(
            "The template code is unknown or not approved."
        ),
        "FailedOperation.SignatureIncorrectOrUnapproved": _(
            "The signature (签名) is unknown or not approved."
        ),
        "InvalidParameterValue.IncorrectPhoneNumber": _("The mobile number is not valid."),
        "AuthFailure.SignatureFailure": _("The provider refused our credentials (signature)."),
        "AuthFailure.SecretIdNotFound": _("The provider does not know our access key."),
        "InvalidAccessKeyId.NotFound": _("The provider does not know our access key."),
        "SignatureDoesNotMatch": _("The provider refused our credentials (signature)."),
        "UNDELIV": _("The operator could not deliver it."),
        "MK:0005": _("The phone is off or out of service."),
    }
    meaning = meanings.get(code, "")
    return f"{code}: {meaning}" if meaning else code


def _fail(code: str, message: str = "") -> SendResult:
    text = readable(code)
    if message and message not in text:
        text = f"{text} ({message})"
    return SendResult(ok=False, permanent=code not in TRANSIENT_CODES, code=code, reason=text)


def _json(body: bytes):
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ReportError(_("The body is not JSON.")) from exc


def _as_list(data) -> list[dict]:
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ReportError(_("Expected a JSON object or a list of objects."))
    if len(items) > 1000:
        raise ReportError(_("At most 1000 reports per request."))
    return items


def _text(item: dict, *names: str) -> str:
    for name in names:
        value = item.get(name)
        if value not in (None, ""):
            return str(value)[:2000]
    return ""


def _beijing_time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except (TypeError, ValueError):
        return None


def _national(phone: str) -> str:
    """Aliyun takes mainland numbers without +86, others with 00 and the country code."""
    if phone.startswith("+86"):
        return phone[3:]
    return "00" + phone.lstrip("+")


# --- Aliyun ------------------------------------------------------------------------------------


class AliyunSms:
    """Aliyun SMS (dysmsapi 2017-05-25), RPC-signed GET. Receipts and replies come as the
    "HTTP 批量推送" JSON arrays (SmsReport, SmsUp); the answer to a push is {"code": 0}."""

    name = "aliyun"
    endpoint = "https://dysmsapi.aliyuncs.com/"

    def __init__(self, *, access_key_id: str, access_key_secret: str, region: str = ""):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.region = region or "cn-hangzhou"

    def signed_query(self, params: dict[str, str], *, nonce: str = "", now=None) -> str:
        common = {
            "AccessKeyId": self.access_key_id,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "Timestamp": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        full = {**common, **params}
        full["Signature"] = aliyun_signature(full, self.access_key_secret)
        return urlencode(full)

    def send(self, *, phone, sign_name, template_code, params, out_id) -> SendResult:
        query = self.signed_query(
            {
                "Action": "SendSms",
                "PhoneNumbers": _national(phone),
                "SignName": sign_name,
                "TemplateCode": template_code,
                "TemplateParam": json.dumps(dict(params), ensure_ascii=False),
                "OutId": out_id,
            }
        )
        try:
            response = http.http_send("GET", f"{self.endpoint}?{query}")
        except http.HttpError as exc:
            return SendResult(ok=False, code="network", reason=str(exc))
        try:
            data = json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return SendResult(
                ok=False, code=f"http_{response.status}", reason=f"HTTP {response.status}"
            )
        code = str(data.get("Code", "")) if isinstance(data, dict) else ""
        if code == "OK" and data.get("BizId"):
            return SendResult(ok=True, provider_message_id=str(data["BizId"]))
        return _fail(code or f"http_{response.status}", str(data.get("Message", "")))

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        receipts = []
        for item in _as_list(_json(body)):
            biz_id = _text(item, "biz_id")
            if not biz_id:
                raise ReportError(_("A report without biz_id."))
            success = item.get("success")
            receipts.append(
                Receipt(
                    provider_message_id=biz_id,
                    delivered=success is True or str(success).lower() == "true",
                    phone=_text(item, "phone_number"),
                    code=_text(item, "err_code"),
                    description=_text(item, "err_msg"),
                    reported_at=_beijing_time(_text(item, "report_time")),
                    out_id=_text(item, "out_id"),
                    raw=item,
                )
            )
        return receipts

    def parse_inbound(self, body: bytes) -> list[InboundSms]:
        messages = []
        for item in _as_list(_json(body)):
            phone, sequence = _text(item, "phone_number"), _text(item, "sequence_id")
            if not phone or not sequence:
                raise ReportError(_("A reply without phone_number or sequence_id."))
            messages.append(
                InboundSms(
                    phone=phone,
                    text=_text(item, "content"),
                    provider_id=f"aliyun:{sequence}",
                    sent_at=_beijing_time(_text(item, "send_time")),
                    raw=item,
                )
            )
        return messages

    def ack(self) -> dict:
        return {"code": 0, "msg": "成功"}


# --- Tencent Cloud -----------------------------------------------------------------------------


class TencentSms:
    """Tencent Cloud SMS (2021-01-11), TC3-signed POST. Status and reply callbacks are the
    documented JSON (a list of status reports; one reply object); the answer is
    {"result": 0, "errmsg": "OK"}."""

    name = "tencent"
    host = "sms.tencentcloudapi.com"

    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, region: str = ""):
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.region = region or "ap-guangzhou"

    def send(self, *, phone, sign_name, template_code, params, out_id) -> SendResult:
        payload = json.dumps(
            {
                "PhoneNumberSet": [phone],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": sign_name,
                "TemplateId": template_code,
                "TemplateParamSet": [value for _name, value in params],
                "SessionContext": out_id,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = int(time.time())
        signed = tc3_sign(
            secret_id=self.secret_id,
            secret_key=self.secret_key,
            service="sms",
            host=self.host,
            timestamp=timestamp,
            payload=payload,
        )
        headers = {
            "Authorization": signed.authorization,
            "Content-Type": "application/json; charset=utf-8",
            "Host": self.host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": self.region,
        }
        try:
            response = http.http_send(
                "POST", f"https://{self.host}/", headers=headers, body=payload
            )
        except http.HttpError as exc:
            return SendResult(ok=False, code="network", reason=str(exc))
        try:
            data = json.loads(response.body.decode("utf-8"))["Response"]
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            return SendResult(
                ok=False, code=f"http_{response.status}", reason=f"HTTP {response.status}"
            )
        error = data.get("Error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            return _fail(str(error.get("Code", "")), str(error.get("Message", "")))
        statuses = data.get("SendStatusSet") or []
        status = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
        if status.get("Code") == "Ok" and status.get("SerialNo"):
            return SendResult(ok=True, provider_message_id=str(status["SerialNo"]))
        return _fail(str(status.get("Code", "") or "no_status"), str(status.get("Message", "")))

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        receipts = []
        for item in _as_list(_json(body)):
            sid = _text(item, "sid")
            if not sid:
                raise ReportError(_("A report without sid."))
            receipts.append(
                Receipt(
                    provider_message_id=sid,
                    delivered=_text(item, "report_status").upper() == "SUCCESS",
                    phone=_phone(item),
                    code=_text(item, "errmsg"),
                    description=_text(item, "description"),
                    reported_at=_beijing_time(_text(item, "user_receive_time")),
                    raw=item,
                )
            )
        return receipts

    def parse_inbound(self, body: bytes) -> list[InboundSms]:
        messages = []
        for item in _as_list(_json(body)):
            phone = _phone(item)
            if not phone:
                raise ReportError(_("A reply without mobile."))
            sent = item.get("time")
            sent_at = (
                datetime.fromtimestamp(int(sent), UTC)
                if isinstance(sent, int) or str(sent).isdigit()
                else None
            )
            text = _text(item, "text")
            # Tencent gives a reply no id: the sender, time and text make one.
            ident = f"tencent:{phone}:{sent}:{hash_text(text)}"
            messages.append(
                InboundSms(phone=phone, text=text, provider_id=ident, sent_at=sent_at, raw=item)
            )
        return messages

    def ack(self) -> dict:
        return {"result": 0, "errmsg": "OK"}


def _phone(item: dict) -> str:
    mobile = _text(item, "mobile")
    code = _text(item, "nationcode") or "86"
    if not mobile:
        return ""
    return mobile if mobile.startswith("+") else f"+{code}{mobile}"


def hash_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- Fake (demo and tests) ---------------------------------------------------------------------


class FakeSms:
    """Records instead of sending (the generic fake provider writes FakeSentMessage). Its
    callbacks are the generic JSON form, signed like the e-mail webhook:
    receipts `[{"message_id", "status": "delivered"|"failed", "code", "description"}]`,
    replies `[{"phone", "text", "id", "sent_at"}]`."""

    name = "fake"

    def send(self, *, phone, sign_name, template_code, params, out_id) -> SendResult:
        return SendResult(ok=True, provider_message_id=f"fake-{secrets.token_hex(8)}")

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        receipts = []
        for item in _as_list(_json(body)):
            message_id = _text(item, "message_id")
            status = _text(item, "status")
            if not message_id or status not in ("delivered", "failed"):
                raise ReportError(_("Each report needs message_id and status delivered|failed."))
            receipts.append(
                Receipt(
                    provider_message_id=message_id,
                    delivered=status == "delivered",
                    phone=_text(item, "phone"),
                    code=_text(item, "code"),
                    description=_text(item, "description"),
                    raw=item,
                )
            )
        return receipts

    def parse_inbound(self, body: bytes) -> list[InboundSms]:
        messages = []
        for item in _as_list(_json(body)):
            phone, ident = _text(item, "phone"), _text(item, "id")
            if not phone or not ident:
                raise ReportError(_("Each reply needs phone and id."))
            messages.append(
                InboundSms(
                    phone=phone, text=_text(item, "text"), provider_id=f"fake:{ident}", raw=item
                )
            )
        return messages

    def ack(self) -> dict:
        return {"ok": True}
