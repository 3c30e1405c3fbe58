"""Per-address rate limit for the public form and its API endpoint, counted in the cache."""

from django.core.cache import cache
from django.http import HttpRequest

from rapport.core.addresses import client_ip
from rapport.core.errors import DomainError
from rapport.tickets.models import TicketSettings


def public_rate_limited(request: HttpRequest) -> bool:
    """Count this submission; True when the address sent more than the set number this hour."""
    ip = client_ip(request)
    key = f"tickets:public:{ip or 'unknown'}"
    limit = TicketSettings.current().public_form_per_hour
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > limit


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
