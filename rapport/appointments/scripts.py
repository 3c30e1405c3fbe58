"""The advisor's scripts for booking and reception, after the 广汽丰田 after-sales seven steps
(seed 000): introduce yourself, confirm the need, offer a choice of levelled times, repeat date
and time, give an estimate, thank the customer; at reception greet by name and repeat the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _


@dataclass
class Step:
    title: str
    lines: list[str]


def _money(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def _when(starts_at: datetime) -> str:
    return timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")


def booking_script(*, advisor_name: str, customer_name: str) -> list[Step]:
    """Steps 1–2: said before the times are offered."""
    company = getattr(settings, "COMPANY_NAME", "")
    return [
        Step(
            _("1. Introduce yourself"),
            [
                _("Hello, this is %(advisor)s, service advisor at %(company)s. How may I help you?")
                % {"advisor": advisor_name, "company": company}
            ],
        ),
        Step(
            _("2. Confirm the need"),
            [
                _("%(customer)s, is this visit for maintenance or for a repair?")
                % {"customer": customer_name},
                _("May I have your name, the car's model and its plate number?"),
                _(
                    "What is the mileage now? Please tell me what you noticed; I will write it down in your words."
                ),
            ],
        ),
        Step(
            _("3. Offer a choice of times"),
            [_("I have checked our free times; there are three you can choose from:")],
        ),
    ]


def closing_script(
    *, starts_at: datetime, service_name: str, estimate: Decimal, minutes: int
) -> list[Step]:
    """Steps 4–6: said once the customer has chosen."""
    return [
        Step(
            _("4. Repeat the date and time"),
            [
                _("To confirm: your appointment is on %(when)s for %(service)s.")
                % {"when": _when(starts_at), "service": service_name}
            ],
        ),
        Step(
            _("5. Give an estimate"),
            [
                _("%(service)s costs about %(estimate)s and takes about %(minutes)d minutes.")
                % {"service": service_name, "estimate": _money(estimate), "minutes": minutes}
            ],
        ),
        Step(
            _("6. Thank the customer"),
            [
                _(
                    "Thank you for booking with us. We will remind you two days before; we look forward to seeing you!"
                )
            ],
        ),
    ]


def reception_greeting(
    *,
    customer_name: str,
    service_name: str,
    customer_words: str = "",
    now: datetime | None = None,
) -> list[str]:
    """Reception: greet by name, repeat the reason for the visit (the service booked and, when
    the booking has them, the customer's own words)."""
    hour = timezone.localtime(now or timezone.now()).hour
    if hour < 12:
        greeting = _("Good morning, %(customer)s.")
    elif hour < 18:
        greeting = _("Good afternoon, %(customer)s.")
    else:
        greeting = _("Good evening, %(customer)s.")
    lines = [
        greeting % {"customer": customer_name},
        _(
            "You are here for %(service)s as booked; let me fit the seat, steering wheel and floor covers first."
        )
        % {"service": service_name},
    ]
    if customer_words:
        lines.append(
            _("When you booked, you told us: “%(words)s”. Is that still right?")
            % {"words": customer_words}
        )
    return lines
