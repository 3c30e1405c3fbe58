"""Per-address rate limit for the public form and its API endpoint, counted in the cache."""

import time

from django.core.cache import cache
from django.http import HttpRequest

from rapport.core.addresses import client_ip
from rapport.core.errors import DomainError
from rapport.tickets.models import TicketSettings

WINDOW_SECONDS = 3600


def public_rate_limited(request: HttpRequest) -> int | None:
    """Count this submission. When the address sent more than the set number this hour, the
    seconds until its window ends (for Retry-After); otherwise None."""
    ip = client_ip(request)
    key = f"tickets:public:{ip or 'unknown'}"
    limit = TicketSettings.current().public_form_per_hour
    now = time.time()
    if cache.add(key, 0, timeout=WINDOW_SECONDS):
        cache.set(f"{key}:ends", now + WINDOW_SECONDS, timeout=WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS)
        count = 1
    if count <= limit:
        return None
    ends = cache.get(f"{key}:ends") or now + WINDOW_SECONDS
    return max(1, int(ends - now + 0.999))


class RateLimited(DomainError):
    """Too many requests; `retry_after` seconds until the client may try again."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
