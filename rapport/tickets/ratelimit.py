"""Per-address rate limit for the public form and its API endpoint, counted in the cache."""

import ipaddress
import time

from django.core.cache import cache
from django.http import HttpRequest

from rapport.core.addresses import client_ip
from rapport.core.errors import DomainError
from rapport.tickets.models import TicketSettings

WINDOW_SECONDS = 3600


def _limit(ip: str | None) -> int:
    """The hourly limit for an address: higher inside a network the administrator marked as
    shared (a company or campus behind one address), the usual one elsewhere."""
    rules = TicketSettings.current()
    if ip and rules.public_form_shared_networks.strip():
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            address = None
        if address is not None and any(address in n for n in rules.shared_networks()):
            return rules.public_form_per_hour_shared
    return rules.public_form_per_hour


def _key(request: HttpRequest) -> tuple[str, int]:
    ip = client_ip(request)
    return f"tickets:public:{ip or 'unknown'}", _limit(ip)


def public_rate_retry_after(request: HttpRequest) -> int | None:
    """Seconds until this address may submit again when it has used its hourly allowance;
    None while it may. Counts nothing: only submissions that open a ticket count
    (`public_rate_count`), never a form sent back for a missing field or a replayed post."""
    key, limit = _key(request)
    if (cache.get(key) or 0) < limit:
        return None
    ends = cache.get(f"{key}:ends") or time.time() + WINDOW_SECONDS
    return max(1, int(ends - time.time() + 0.999))


def public_rate_count(request: HttpRequest) -> None:
    """Count one submission of this address in its hourly window."""
    key = f"tickets:public:{client_ip(request) or 'unknown'}"
    if cache.add(key, 0, timeout=WINDOW_SECONDS):
        cache.set(f"{key}:ends", time.time() + WINDOW_SECONDS, timeout=WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)


def public_rate_limited(request: HttpRequest) -> int | None:
    """Check and count in one step (the tracking page's answer and confirmation, where every
    post is a submission): the seconds to wait, or None."""
    if retry_after := public_rate_retry_after(request):
        return retry_after
    public_rate_count(request)
    return None


class RateLimited(DomainError):
    """Too many requests; `retry_after` seconds until the client may try again."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
