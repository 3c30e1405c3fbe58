"""Idempotency keys for API writes: a retried request gets the first response and changes nothing.

Generic (any endpoint, any JSON body) so it can move to rapport.core with its model.
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from rapport.core.errors import DomainError
from rapport.interactions.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


def request_hash(payload: Any) -> str:
    """A stable digest of the request body, independent of key order."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> tuple[int, Any]:
    if record.request_hash != digest:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used for a different request."),
            field="Idempotency-Key",
        )
    return record.status_code, record.response_json


def idempotent_call(
    *,
    user,
    endpoint: str,
    key: str | None,
    payload: Any,
    action: Callable[[], tuple[int, Any]],
) -> tuple[int, Any, bool]:
    """Run `action` once per (user, endpoint, key) and return (status, JSON body, replayed).

    Without a key the action simply runs. With a key seen before, the stored response is
    returned and the action does not run; the same key with a different payload raises
    IdempotencyKeyReused. The action and the record commit together, so a failed action leaves
    no record and may be retried.
    """
    if not key:
        status, body = action()
        return status, body, False
    if len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            _("The Idempotency-Key is too long (at most 200 characters)."),
            code="validation_error",
            field="Idempotency-Key",
        )
    digest = request_hash(payload)
    existing = IdempotencyRecord.objects.filter(user=user, endpoint=endpoint, key=key).first()
    if existing is not None:
        status, body = _replay(existing, digest)
        return status, body, True
    try:
        with transaction.atomic():
            status, body = action()
            IdempotencyRecord.objects.create(
                user=user,
                endpoint=endpoint,
                key=key,
                request_hash=digest,
                status_code=status,
                response_json=json.loads(json.dumps(body, default=str)),
            )
    except IntegrityError:
        # A concurrent request with the same key won; its work stands and ours rolled back.
        existing = IdempotencyRecord.objects.filter(user=user, endpoint=endpoint, key=key).first()
        if existing is None:
            raise
        status, body = _replay(existing, digest)
        return status, body, True
    return status, body, False


def idempotency_purge(*, older_than) -> int:
    """Forget records created before `older_than`; clients retry within minutes, not days."""
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=older_than).delete()
    return deleted
