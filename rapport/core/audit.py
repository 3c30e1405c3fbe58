"""Writing the audit log. Every reveal, export and merge of personal data goes through here."""

from typing import Any

from django.http import HttpRequest

from rapport.core.addresses import client_ip
from rapport.core.models import AuditEntry


def request_origin(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:300]


def audit_record(
    *,
    actor: Any,
    action: str,
    target: Any,
    detail: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    ip, agent = request_origin(request)
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        detail=detail or {},
        ip_address=ip,
        user_agent=agent,
    )
