"""Signing in: failed attempts throttled per account and per address, and password checks
bounded per process.

A password check is deliberately slow (the hasher's strength stays as it is). With many
sign-ins at once they would take every core and starve page requests, so each web process runs
at most RAPPORT_LOGIN_CONCURRENCY of them at a time and the rest wait their turn.

Failures are rows in the database, not cache entries, so the count holds across web processes
and machines. After RAPPORT_LOGIN_FAILURES_PER_ACCOUNT failures for one username, or
RAPPORT_LOGIN_FAILURES_PER_ADDRESS from one address, within RAPPORT_LOGIN_LOCKOUT_MINUTES,
sign-ins are refused, with the right password too, until enough of them age out.
"""

import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from rapport.staff.models import LoginFailure

# How long a sign-in waits for a free password check before it is told to try again.
HASHING_WAIT_SECONDS = 30

_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()


def _hashing_slots() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(max(1, settings.RAPPORT_LOGIN_CONCURRENCY))
        return _slots


class SignInBusy(Exception):
    """No password check became free in time."""


@contextmanager
def password_check_slot():
    """Hold one of this process's password-check slots; raises SignInBusy after waiting."""
    slots = _hashing_slots()
    if not slots.acquire(timeout=HASHING_WAIT_SECONDS):
        raise SignInBusy
    try:
        yield
    finally:
        slots.release()


def _window() -> timedelta:
    return timedelta(minutes=settings.RAPPORT_LOGIN_LOCKOUT_MINUTES)


def _normal(username: str) -> str:
    return (username or "").strip().lower()[:150]


def signin_locked_for(*, username: str, ip: str | None) -> int | None:
    """Seconds until this username and address may try again, or None if they may now."""
    now = timezone.now()
    since = now - _window()
    waits = []
    for field, value, limit in (
        ("username", _normal(username), settings.RAPPORT_LOGIN_FAILURES_PER_ACCOUNT),
        ("ip_address", ip, settings.RAPPORT_LOGIN_FAILURES_PER_ADDRESS),
    ):
        if not value:
            continue
        recent = (
            LoginFailure.objects.filter(**{field: value}, at__gt=since)
            .order_by("-at")
            .values_list("at", flat=True)[limit - 1 : limit]
        )
        # Locked while `limit` failures lie inside the window: until the limit-th newest ages out.
        for at in recent:
            waits.append(int((at + _window() - now).total_seconds()) + 1)
    return max(waits) if waits else None


def signin_failed(*, username: str, ip: str | None) -> None:
    LoginFailure.objects.create(username=_normal(username), ip_address=ip)
    # Keep the table to the window; one cheap indexed delete per failure.
    LoginFailure.objects.filter(at__lt=timezone.now() - _window()).delete()


def signin_succeeded(*, username: str) -> None:
    LoginFailure.objects.filter(username=_normal(username)).delete()
