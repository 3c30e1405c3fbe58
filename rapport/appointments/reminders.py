"""The appointment reminder two days before, sent by the ready-made care program "预约提醒（提前两天）"
(trigger "appointment", offset −2) through the outbox, which picks the customer's channel
(channel_choose) and checks consent. rapport.web registers `appointment_occasions` with care's
registry at start-up. The reminder asks for an answer (1 confirm, 2 new time, 3 cancel:
rapport.appointments.replies); when the outbox reports it sent, `on_outbox_change` (registered
with channels' registry) marks the appointment reminded, which opens it to those answers.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from rapport.appointments.models import Appointment, WorkOrder

OCCURRENCE_PREFIX = "appointment:"


def occasion_text(appointment: Appointment) -> str:
    when = timezone.localtime(appointment.starts_at).strftime("%Y-%m-%d %H:%M")
    car = f"（{appointment.asset.plate}）" if appointment.asset and appointment.asset.plate else ""
    return f"您预约了{when}到店{appointment.service_type.name}{car}"


def appointment_occasions(day: date) -> Iterator[tuple[int, str, str]]:
    """(customer id, stable key, occasion in words) for every open appointment on `day`."""
    rows = (
        Appointment.objects.filter(day=day, state__in=Appointment.OPEN)
        .select_related("service_type", "asset")
        .order_by("starts_at", "pk")
    )
    for appointment in rows:
        yield (
            appointment.customer_id,
            f"{OCCURRENCE_PREFIX}{appointment.pk}",
            occasion_text(appointment),
        )


def on_outbox_change(outbox) -> None:
    """A care message went out: when it is the reminder of an appointment, the appointment is
    reminded (the first time only)."""
    if outbox.source != "care" or outbox.state not in ("sent", "delivered"):
        return
    action_id = outbox.idempotency_key.removeprefix("care:")
    if not outbox.idempotency_key.startswith("care:") or not action_id.isdigit():
        return
    from rapport.care.models import CareAction

    key = (
        CareAction.objects.filter(pk=int(action_id))
        .values_list("occurrence_key", flat=True)
        .first()
    )
    if not key or not key.startswith(OCCURRENCE_PREFIX):
        return
    appointment_id = key.removeprefix(OCCURRENCE_PREFIX)
    if appointment_id.isdigit():
        Appointment.objects.filter(pk=int(appointment_id), reminded_at__isnull=True).update(
            reminded_at=outbox.sent_at or timezone.now()
        )


DELIVERED_PREFIX = "delivered:"


def delivered_occasions(day: date) -> Iterator[tuple[int, str, str]]:
    """(customer id, stable key, occasion in words) for every work order whose car was handed
    back on `day` (site time zone): care's "service delivered" trigger, for the revisit three
    days after the visit (seven steps, step 7)."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    rows = (
        WorkOrder.objects.filter(
            state=WorkOrder.State.DELIVERED,
            delivered_at__gte=start,
            delivered_at__lt=start + timedelta(days=1),
        )
        .select_related("asset")
        .order_by("delivered_at", "pk")
    )
    for order in rows:
        car = f"（{order.asset.plate}）" if order.asset_id and order.asset.plate else ""
        occasion = f"维修工单 {order.number}{car}于 {day.isoformat()} 交车"
        yield order.customer_id, f"{DELIVERED_PREFIX}{order.pk}", occasion
