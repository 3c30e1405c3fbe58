"""The inbound e-mail webhook: sites that forward mail POST the raw RFC 822 message here.

POST /api/v1/channels/email/inbound/{account_id}
    body: the raw message (any content type; not form-encoded)
    X-Rapport-Timestamp: Unix seconds, within 5 minutes of our clock
    X-Rapport-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body, keyed with the
                         account's webhook secret>
→ 200 {"inbound_id", "state", "duplicate"}; 401 bad or missing signature, stale timestamp,
  unknown or inactive account (all alike); 413 over the size limit.

The timestamp is inside the signature, so a captured request cannot be replayed later; within
the window a retry is harmless: the provider id is the content hash (`provider_id_for`), the same
as for IMAP, so a repeat — or the same mail also fetched by IMAP — returns the first record.
"""

import hashlib
import hmac
import time

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.email.parse import MAX_EMAIL_BYTES
from rapport.channels.mailbox import provider_id_for
from rapport.channels.models import ChannelAccount, InboundMessage
from rapport.channels.services import inbound_receive
from rapport.core.api import ErrorOut

router = Router(auth=None)


class InboundAccepted(Schema):
    inbound_id: int
    state: str
    duplicate: bool


SIGNATURE_HEADER = "X-Rapport-Signature"
TIMESTAMP_HEADER = "X-Rapport-Timestamp"
MAX_SKEW_SECONDS = 300
WEBHOOK_SECRET_KEY = "webhook_secret"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The header value a sender computes: "sha256=" + hex HMAC of "<timestamp>." + body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _webhook_secret(account_id: int) -> tuple[ChannelAccount | None, str]:
    account = ChannelAccount.objects.filter(
        pk=account_id, kind=ChannelAccount.Kind.EMAIL, is_active=True
    ).first()
    if account is None:
        return None, ""
    try:
        return account, account.get_secrets().get(WEBHOOK_SECRET_KEY, "")
    except SecretsUnreadable:
        return account, ""


def _refused(status: int, code: str, message: str) -> Status:
    return Status(status, {"code": code, "message": message, "errors": []})


def _read_body(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or None when it exceeds `limit` (read at most limit + 1 bytes)."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        return None
    # request.body would refuse anything above DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) with a 400;
    # mail is allowed up to the mail limit, so read the stream with our own bound.
    body = request.read(limit + 1)
    return None if len(body) > limit else body


@router.post(
    "/inbound/{account_id}",
    summary="Receive a raw e-mail (HMAC-signed)",
    response={200: InboundAccepted, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
)
def email_inbound(request: HttpRequest, account_id: int):
    unauthorised = _(
        "The signature is missing, wrong or too old (X-Rapport-Signature, X-Rapport-Timestamp)."
    )
    body = _read_body(request, MAX_EMAIL_BYTES)
    if body is None:
        return _refused(
            413,
            "too_large",
            _("The message is larger than %(size)s MB.") % {"size": MAX_EMAIL_BYTES // 2**20},
        )
    account, secret = _webhook_secret(account_id)
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= MAX_SKEW_SECONDS
    if not (account and secret and fresh and signature):
        return _refused(401, "bad_signature", unauthorised)
    if not hmac.compare_digest(signature, webhook_signature(secret, timestamp, body)):
        return _refused(401, "bad_signature", unauthorised)
    if not body.strip():
        return _refused(422, "empty", _("The body must be a raw RFC 822 message."))
    provider_id = provider_id_for(body)
    known = InboundMessage.objects.filter(account=account, provider_id=provider_id).exists()
    inbound = inbound_receive(account=account, provider_id=provider_id, raw=body)
    inbound.refresh_from_db(fields=["state"])
    return {"inbound_id": inbound.pk, "state": inbound.state, "duplicate": known}
