"""The appointment reminder two days before, sent by the ready-made care program "预约提醒（提前两天）"
(trigger "appointment", offset −2) through the outbox, which picks the customer's channel
(channel_choose) and checks consent. Appointments cannot import care (they are siblings), so
rapport.web registers `appointment_occasions` with care's registry at start-up.
"""

from collections.abc import Iterator
from datetime import date

from django.utils import timezone

from rapport.appointments.models import Appointment


def appointment_occasions(day: date) -> Iterator[tuple[int, str, str]]:
    """(customer id, stable key, occasion in words) for every open appointment on `day`."""
    rows = (
        Appointment.objects.filter(day=day, state__in=Appointment.OPEN)
        .select_related("service_type", "asset")
        .order_by("starts_at", "pk")
    )
    for appointment in rows:
        when = timezone.localtime(appointment.starts_at).strftime("%Y-%m-%d %H:%M")
        car = (
            f"（{appointment.asset.plate}）"
            if appointment.asset and appointment.asset.plate
            else ""
        )
        text = f"您预约了{when}到店{appointment.service_type.name}{car}"
        yield appointment.customer_id, f"appointment:{appointment.pk}", text
