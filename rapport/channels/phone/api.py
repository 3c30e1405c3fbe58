"""The call-event webhooks.

POST /api/v1/channels/phone/{account_id}/events   Rapport's generic JSON, one event per request,
    signed like the e-mail webhook: X-Rapport-Timestamp (Unix seconds, ±5 min) and
    X-Rapport-Signature: sha256=<hex HMAC-SHA256(webhook_secret, "<timestamp>." + body)>.
    → 200 {event_id, call_id, state, outcome, reason, duplicate}; 401 bad_signature (also for an
    unknown or inactive account); 413 too_large; 422 invalid, naming the field.
POST /api/v1/channels/phone/{account_id}/tccc?action=cdr   Tencent Cloud Contact Center's phone
    CDR push, authenticated with HTTP Basic (the account's push_username / push_password
    secrets, the "basicAuth" of TCCC's data-push settings). → {"ErrCode": 0, "ErrMsg": ""}.

See docs/design/phone.md for the JSON shape and how each format maps to call states.
"""

import base64
import binascii
import hmac
import time

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.models import ChannelAccount
from rapport.channels.phone.events import (
    MAX_BODY_BYTES,
    CallEventInvalid,
    parse_generic,
    parse_tccc_cdr,
)
from rapport.channels.phone.services import call_event_record
from rapport.channels.webhook_api import (
    MAX_SKEW_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_SECRET_KEY,
    _read_body,
    webhook_signature,
)
from rapport.core.api import ErrorOut

router = Router(auth=None)


class EventAccepted(Schema):
    event_id: int
    call_id: int | None
    state: str
    outcome: str
    reason: str
    duplicate: bool


class TcccAnswer(Schema):
    ErrCode: int
    ErrMsg: str


def _phone_account(account_id: int) -> tuple[ChannelAccount | None, dict]:
    account = ChannelAccount.objects.filter(
        pk=account_id, kind=ChannelAccount.Kind.PHONE, is_active=True
    ).first()
    if account is None:
        return None, {}
    try:
        return account, account.get_secrets()
    except SecretsUnreadable:
        return account, {}


def _refused(status: int, code: str, message: str, field: str = "") -> Status:
    errors = [{"field": field, "message": message, "kind": f"rule:{code}"}] if field else []
    return Status(status, {"code": code, "message": message, "errors": errors})


def receive_signed(*, account_id: int, timestamp: str, signature: str, body: bytes):
    """Check the signature, parse, record: (status, body). The HTTP view and the demo's
    "simulate a call" page both come through here."""
    account, secrets = _phone_account(account_id)
    secret = secrets.get(WEBHOOK_SECRET_KEY, "")
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= MAX_SKEW_SECONDS
    if not (account and secret and fresh and signature) or not hmac.compare_digest(
        signature, webhook_signature(secret, timestamp, body)
    ):
        message = _(
            "The signature is missing, wrong or too old (X-Rapport-Signature, X-Rapport-Timestamp)."
        )
        return _refused(401, "bad_signature", message)
    try:
        event = parse_generic(body)
    except CallEventInvalid as exc:
        return _refused(422, exc.code, exc.message, exc.field)
    result = call_event_record(account=account, event=event)
    row = result.event
    call = row.call
    return Status(
        200,
        {
            "event_id": row.pk,
            "call_id": call.pk if call else None,
            "state": call.state if call else "",
            "outcome": row.outcome,
            "reason": row.reason,
            "duplicate": result.duplicate,
        },
    )


@router.post(
    "/{account_id}/events",
    summary="Receive a call event (HMAC-signed generic JSON)",
    response={200: EventAccepted, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
)
def phone_events(request: HttpRequest, account_id: int):
    body = _read_body(request, MAX_BODY_BYTES)
    if body is None:
        return _refused(
            413,
            "too_large",
            _("A call event is at most %(kb)s KB.") % {"kb": MAX_BODY_BYTES // 1024},
        )
    return receive_signed(
        account_id=account_id,
        timestamp=request.headers.get(TIMESTAMP_HEADER, "").strip(),
        signature=request.headers.get(SIGNATURE_HEADER, "").strip(),
        body=body,
    )


def _basic_auth_ok(request: HttpRequest, secrets: dict) -> bool:
    username, password = secrets.get("push_username", ""), secrets.get("push_password", "")
    header = request.headers.get("Authorization", "")
    if not (username and password and header.startswith("Basic ")):
        return False
    try:
        given = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    given_user, _sep, given_password = given.partition(":")
    user_ok = hmac.compare_digest(given_user.encode(), username.encode())
    return hmac.compare_digest(given_password.encode(), password.encode()) and user_ok


@router.post(
    "/{account_id}/tccc",
    summary="Receive a Tencent Cloud Contact Center phone CDR push (HTTP Basic)",
    response={200: TcccAnswer, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
)
def tccc_push(request: HttpRequest, account_id: int, action: str = "cdr"):
    body = _read_body(request, MAX_BODY_BYTES)
    if body is None:
        return _refused(
            413,
            "too_large",
            _("A call event is at most %(kb)s KB.") % {"kb": MAX_BODY_BYTES // 1024},
        )
    account, secrets = _phone_account(account_id)
    if account is None or not _basic_auth_ok(request, secrets):
        return _refused(401, "bad_signature", _("The user name or password is wrong."))
    if action != "cdr":
        # Recordings and voice mail pushes are acknowledged so TCCC does not retry them.
        return Status(200, {"ErrCode": 0, "ErrMsg": ""})
    try:
        events = parse_tccc_cdr(body)
    except CallEventInvalid as exc:
        return _refused(422, exc.code, exc.message, exc.field)
    for event in events:
        call_event_record(account=account, event=event)
    return Status(200, {"ErrCode": 0, "ErrMsg": ""})
