"""Customer self-booking (自助预约, issue 14 item 3): sign-in by mobile number and a one-time code,
then the customer's own vehicles and appointments. Writes and reads for the public pages in
rapport.appointments.selfbooking; booking, moving and cancelling go through services.py.

The code: six digits, kept as an HMAC of the number and the code, valid CODE_MINUTES, used once,
MAX_ATTEMPTS wrong tries. Requesting and checking are counted per number from the code rows
(the same in every process) and per address in the cache. A number we do not know is treated like one we know — a row, the same answer, the
SMS handed to a task in both cases (the task finds no customer and sends nothing) — so the page
tells nobody which numbers are registered. A verified code becomes the sign-in: its id in a
signed cookie, valid SESSION_MINUTES, ended by logging out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.appointments.models import Appointment, SelfBookingCode
from rapport.core.errors import DomainError, NotFound
from rapport.core.phones import normalize_phone
from rapport.customers.models import Asset, Customer, Identity

CODE_MINUTES = 10
MAX_ATTEMPTS = 5
SESSION_MINUTES = 30
RESEND_SECONDS = 60
# (limit, window in seconds) per mobile number and per client address.
CODE_REQUESTS_PER_PHONE = (5, 3600)
CODE_REQUESTS_PER_IP = (20, 3600)
CODE_CHECKS_PER_PHONE = (10, 3600)
CODE_CHECKS_PER_IP = (30, 3600)


class TooMany(DomainError):
    """Too many codes asked for or tried; `retry_after` seconds until the next try."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _hash(phone: str, code: str) -> str:
    key = hashlib.sha256(f"selfbook:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _bucket(name: str, value: str) -> str:
    return "appointments:selfbook:" + name + ":" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _count(name: str, value: str, limit_window: tuple[int, int]) -> None:
    """Count one try; raise TooMany once the window's limit is used."""
    limit, window = limit_window
    key = _bucket(name, value)
    if cache.add(key, 0, timeout=window):
        cache.set(f"{key}:ends", timezone.now().timestamp() + window, timeout=window)
    if (cache.get(key) or 0) >= limit:
        ends = cache.get(f"{key}:ends") or timezone.now().timestamp() + window
        minutes = max(1, int((ends - timezone.now().timestamp()) // 60) + 1)
        raise TooMany(
            _("Too many tries. Please try again in %(minutes)d minutes, or call us.")
            % {"minutes": minutes},
            retry_after=minutes * 60,
        )
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)


def _count_rows(phone: str, now: datetime, limit_window: tuple[int, int], *, attempts: bool):
    """The per-number limits, read from the code rows themselves (one indexed query), so they
    hold across every web process even where the cache is each process's own memory: codes
    asked for, or wrong tries made, within the window. Raise TooMany when used up."""
    limit, window = limit_window
    rows = SelfBookingCode.objects.filter(
        phone=phone, created_at__gt=now - timedelta(seconds=window)
    )
    if attempts:
        used = rows.aggregate(n=Coalesce(Sum("attempts"), 0))["n"]
    else:
        used = rows.count()
    if used >= limit:
        first = rows.order_by("created_at").values_list("created_at", flat=True).first() or now
        minutes = max(1, int((first + timedelta(seconds=window) - now).total_seconds() // 60) + 1)
        raise TooMany(
            _("Too many tries. Please try again in %(minutes)d minutes, or call us.")
            % {"minutes": minutes},
            retry_after=minutes * 60,
        )


def phone_clean(raw: str) -> str:
    """The number in E.164, or ValidationError on `phone` (the same for every valid number)."""
    try:
        return normalize_phone(raw)
    except ValidationError as exc:
        raise ValidationError({"phone": [_("Enter a valid mobile number.")]}) from exc


def _customer_with_phone(phone: str) -> Customer | None:
    identity = (
        Identity.objects.filter(kind=Identity.Kind.PHONE, value=phone)
        .select_related("customer")
        .first()
    )
    customer = identity.customer if identity is not None else None
    for _hop in range(20):
        if customer is None or not customer.merged_into_id:
            break
        customer = customer.merged_into
    return customer


def selfbook_code_request(*, phone: str, ip: str | None, now: datetime | None = None) -> None:
    """Make a code for `phone` (E.164) and hand the SMS to a task. Raises TooMany. Earlier
    codes of the number stop working. Known and unknown numbers take the same path."""
    now = now or timezone.now()
    _count("request-ip", ip or "unknown", CODE_REQUESTS_PER_IP)
    latest = (
        SelfBookingCode.objects.filter(phone=phone, created_at__gt=now - timedelta(seconds=60))
        .values_list("created_at", flat=True)
        .first()
    )
    if latest is not None:
        wait = RESEND_SECONDS - int((now - latest).total_seconds())
        raise TooMany(
            _("A code was just sent. You can ask for a new one in %(seconds)d seconds.")
            % {"seconds": max(1, wait)},
            retry_after=max(1, wait),
        )
    _count_rows(phone, now, CODE_REQUESTS_PER_PHONE, attempts=False)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        SelfBookingCode.objects.filter(
            phone=phone, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        row = SelfBookingCode.objects.create(
            phone=phone,
            customer=_customer_with_phone(phone),
            code_hash=_hash(phone, code),
            created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES),
            ip=(ip or "")[:45],
        )
        row_id = row.pk
        transaction.on_commit(lambda: selfbook_code_send_task.enqueue(code_id=row_id, code=code))


@task()
def selfbook_code_send_task(*, code_id: int, code: str) -> None:
    selfbook_code_send(code_id=code_id, code=code)


def selfbook_code_send(*, code_id: int, code: str) -> None:
    """Queue the code's SMS in the outbox, when the number is a customer's. The timeline shows
    that a code was sent, never the code."""
    from rapport.channels.services.outbox import outbox_queue

    row = SelfBookingCode.objects.select_related("customer").filter(pk=code_id).first()
    if row is None or row.customer is None or row.used_at is not None:
        return
    with translation.override(row.customer.language or "zh-hans"):
        body = _(
            "Your sign-in code for online booking is %(code)s, valid for %(minutes)d minutes. "
            "If you did not ask for it, ignore this message."
        ) % {"code": code, "minutes": CODE_MINUTES}
    with translation.override(settings.LANGUAGE_CODE):
        summary = _("Sign-in code for online booking sent (the code is not shown).")
    outbox_queue(
        customer=row.customer,
        purpose="service",
        source="selfbook_code",
        body=body,
        summary=summary,
        channel="sms",
        to_address=row.phone,
        idempotency_key=f"selfbook-code:{row.pk}",
    )


def selfbook_code_verify(
    *, phone: str, code: str, ip: str | None, now: datetime | None = None
) -> SelfBookingCode:
    """Check the code of `phone`; the verified row is the sign-in. Raises TooMany, or
    DomainError on `code` for a wrong, used, expired or too often tried code (an unknown number
    behaves exactly like a known one with a wrong code)."""
    now = now or timezone.now()
    _count("check-ip", ip or "unknown", CODE_CHECKS_PER_IP)
    _count_rows(phone, now, CODE_CHECKS_PER_PHONE, attempts=True)
    row = (
        SelfBookingCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-pk")
        .first()
    )
    if row is None:
        raise DomainError(
            _("This code has expired or was already used. Ask for a new code."),
            field="code",
            code="expired",
        )
    counted = SelfBookingCode.objects.filter(pk=row.pk, attempts__lt=MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        raise DomainError(
            _("Too many wrong codes. Ask for a new code."), field="code", code="too_many"
        )
    right = hmac.compare_digest(row.code_hash, _hash(phone, (code or "").strip()))
    if right and row.customer_id is not None:
        used = SelfBookingCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
            used_at=now, session_expires_at=now + timedelta(minutes=SESSION_MINUTES)
        )
        if used:
            row.refresh_from_db()
            return row
    left = MAX_ATTEMPTS - row.attempts - 1
    if left <= 0:
        raise DomainError(
            _("Too many wrong codes. Ask for a new code."), field="code", code="too_many"
        )
    raise DomainError(
        _("The code is not right. %(left)d tries left.") % {"left": left},
        field="code",
        code="wrong",
    )


def selfbook_session_customer(*, session_id: int | None, now: datetime | None = None):
    """The customer signed in by `session_id` (a verified code's id), or None. One query."""
    if not session_id:
        return None
    now = now or timezone.now()
    row = (
        SelfBookingCode.objects.filter(
            pk=session_id,
            used_at__isnull=False,
            ended_at__isnull=True,
            session_expires_at__gt=now,
            customer__isnull=False,
        )
        .select_related("customer")
        .first()
    )
    return row.customer if row is not None else None


def selfbook_session_end(*, session_id: int | None, now: datetime | None = None) -> None:
    if session_id:
        SelfBookingCode.objects.filter(pk=session_id, ended_at__isnull=True).update(
            ended_at=now or timezone.now()
        )


# -- reads for the signed-in customer ----------------------------------------------------------


def customer_vehicles(*, customer: Customer) -> list[Asset]:
    return list(customer.assets.filter(kind=Asset.Kind.VEHICLE).order_by("pk"))


def customer_upcoming(*, customer: Customer, now: datetime | None = None) -> list[Appointment]:
    now = now or timezone.now()
    return list(
        Appointment.objects.filter(
            customer=customer, state__in=Appointment.OPEN, starts_at__gte=now
        )
        .select_related("service_type", "asset", "advisor")
        .order_by("starts_at", "pk")[:20]
    )


def appointment_get_for_customer(*, customer: Customer, appointment_id: int) -> Appointment:
    """The customer's own open, coming appointment; NotFound for anyone else's."""
    try:
        return Appointment.objects.select_related("service_type", "asset", "customer").get(
            pk=appointment_id,
            customer=customer,
            state__in=Appointment.OPEN,
            starts_at__gte=timezone.now(),
        )
    except (Appointment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such appointment.")) from exc
