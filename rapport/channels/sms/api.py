"""SMS provider callbacks: delivery receipts and inbound replies.

POST /api/v1/channels/sms/{account_id}/receipt
POST /api/v1/channels/sms/{account_id}/inbound
    body: the provider's JSON as documented (Aliyun SmsReport / SmsUp push arrays; Tencent
    status-callback array / reply object; the fake provider's generic form, see FakeSms).

Authentication. Aliyun's and Tencent's pushes carry no signature of their own: the URL given
to the provider carries `?token=<callback_token>` (an account secret), compared in constant
time. The fake and generic form is signed like the e-mail webhook (X-Rapport-Timestamp within
5 minutes, X-Rapport-Signature = sha256=HMAC(webhook_secret, "<timestamp>." + body)); either
works for every account. An unknown or inactive account answers like a bad token (401).

Answers: 200 with the provider's expected acknowledgement (Aliyun {"code": 0, "msg": "成功"},
Tencent {"result": 0, "errmsg": "OK"}), plus what was recorded; 401 bad_signature; 413
too_large (over 1 MB); 422 with the field `body` when the JSON is not the provider's shape.
A receipt for a message we never sent is recorded with that reason, never an error; a repeat
of a receipt or a reply is one record.
"""

import hmac
import time

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.models import ChannelAccount
from rapport.channels.sms.providers import ReportError
from rapport.channels.sms.sender import sms_provider_for
from rapport.channels.sms.services import sms_inbound_accept, sms_receipts_apply
from rapport.channels.webhook_api import (
    MAX_SKEW_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_SECRET_KEY,
    _read_body,
    _refused,
    webhook_signature,
)
from rapport.core.api import ErrorOut

router = Router(auth=None)

MAX_CALLBACK_BYTES = 1024 * 1024
TOKEN_SECRET_KEY = "callback_token"


def _authenticated(request: HttpRequest, account_id: int, body: bytes) -> ChannelAccount | None:
    account = ChannelAccount.objects.filter(
        pk=account_id, kind=ChannelAccount.Kind.SMS, is_active=True
    ).first()
    if account is None:
        return None
    try:
        secrets = account.get_secrets()
    except SecretsUnreadable:
        return None
    token = request.GET.get("token", "")
    expected_token = secrets.get(TOKEN_SECRET_KEY, "")
    if token and expected_token and hmac.compare_digest(token, expected_token):
        return account
    secret = secrets.get(WEBHOOK_SECRET_KEY, "")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= MAX_SKEW_SECONDS
    expected = webhook_signature(secret, timestamp, body) if secret and fresh else ""
    if expected and signature and hmac.compare_digest(signature, expected):
        return account
    return None


def _read(request: HttpRequest, account_id: int):
    body = _read_body(request, MAX_CALLBACK_BYTES)
    if body is None:
        return None, None, _refused(413, "too_large", _("The body is larger than 1 MB."))
    account = _authenticated(request, account_id, body)
    if account is None:
        return (
            None,
            None,
            _refused(
                401,
                "bad_signature",
                _("The callback token or signature is missing or wrong."),
            ),
        )
    try:
        provider = sms_provider_for(account)
    except ValueError as exc:
        return None, None, _refused(422, "not_configured", str(exc))
    return account, (provider, body), None


def _unreadable(exc: ReportError) -> Status:
    return Status(
        422,
        {
            "code": "invalid",
            "message": exc.reason,
            "errors": [{"field": "body", "message": exc.reason}],
        },
    )


@router.post(
    "/{account_id}/receipt",
    summary="Delivery receipts from the SMS provider",
    response={200: dict, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
)
def sms_receipt(request: HttpRequest, account_id: int):
    account, parsed, refused = _read(request, account_id)
    if refused is not None:
        return refused
    provider, body = parsed
    try:
        receipts = provider.parse_receipts(body)
    except ReportError as exc:
        return _unreadable(exc)
    rows = sms_receipts_apply(account=account, receipts=receipts)
    return {
        **provider.ack(),
        "receipts": [{"id": r.pk, "outcome": r.outcome, "reason": r.reason} for r in rows],
    }


@router.post(
    "/{account_id}/inbound",
    summary="Inbound SMS replies from the provider",
    response={200: dict, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
)
def sms_inbound(request: HttpRequest, account_id: int):
    account, parsed, refused = _read(request, account_id)
    if refused is not None:
        return refused
    provider, body = parsed
    try:
        messages = provider.parse_inbound(body)
    except ReportError as exc:
        return _unreadable(exc)
    return {**provider.ack(), "inbound": sms_inbound_accept(account=account, messages=messages)}
