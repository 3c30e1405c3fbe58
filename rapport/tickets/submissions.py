"""The one-time keys of public submissions (the form's token, the API's Idempotency-Key).

A key names one submission: sent again with the same details it answers with the ticket the
first one created; sent with different details it is refused, so nobody ever receives another
person's tracking link. The digest covers what the person typed, not the files they attached.
"""

import hashlib
import json
from datetime import datetime

from django.utils.translation import gettext as _

from rapport.interactions.idempotency import IdempotencyKeyReused
from rapport.tickets.models import PublicSubmission, Ticket


def submission_digest(
    *,
    name: str,
    phone: str,
    email: str,
    kind: str,
    description: str,
    customer_words: str,
    occurred_at: datetime | None,
    occurred_where: str,
) -> str:
    details = {
        "name": name,
        "phone": phone,
        "email": email,
        "kind": kind,
        "description": description,
        "customer_words": customer_words,
        "occurred_at": occurred_at.isoformat() if occurred_at else None,
        "occurred_where": occurred_where,
    }
    text = json.dumps(details, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def submission_replayed(*, key: str, digest: str) -> Ticket | None:
    """The ticket an earlier submission with this key created, or None for a new key.

    Raises IdempotencyKeyReused when the key was used for different details. Rows recorded
    before digests were kept (empty digest) are taken as the same submission."""
    existing = PublicSubmission.objects.select_related("ticket").filter(key=key).first()
    if existing is None:
        return None
    if existing.request_hash and existing.request_hash != digest:
        raise IdempotencyKeyReused(
            _("This submission key was already used with other details; send a new one."),
            field="Idempotency-Key",
        )
    return existing.ticket
