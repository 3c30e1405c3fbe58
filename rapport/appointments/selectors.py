"""Reads for appointments: access by id, the arrivals board, a customer's appointments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.appointments.models import Appointment, ServiceType, WorkOrder
from rapport.core.errors import NotFound
from rapport.customers.models import Asset
from rapport.customers.selectors import customer_visible_q
from rapport.staff.models import User


def appointment_qs(*, staff: User) -> QuerySet[Appointment]:
    """Appointments of the customers the staff member may see."""
    return Appointment.objects.filter(customer_visible_q(staff=staff))


def appointment_get_for_staff(*, staff: User, appointment_id: int) -> Appointment:
    """Raises NotFound for an unknown id or a customer the staff member may not see."""
    try:
        return (
            appointment_qs(staff=staff)
            .select_related("customer", "asset", "service_type", "advisor", "bay", "technician")
            .get(pk=appointment_id)
        )
    except (Appointment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such appointment.")) from exc


def service_types_offered() -> QuerySet[ServiceType]:
    return ServiceType.objects.filter(is_active=True).order_by("kind", "name")


def customer_appointments(*, customer_id: int, limit: int = 10) -> list[Appointment]:
    """The customer's appointments, the coming ones first, then the latest past ones."""
    rows = (
        Appointment.objects.filter(customer_id=customer_id)
        .select_related("service_type", "asset", "advisor")
        .order_by("-starts_at", "-pk")[:limit]
    )
    return list(rows)


@dataclass
class BoardRow:
    appointment: Appointment
    waiting: timedelta | None  # arrived and not yet received: how long they have waited
    late: bool  # expected and the arrival time has passed

    @property
    def waiting_minutes(self) -> int | None:
        return None if self.waiting is None else int(self.waiting.total_seconds() // 60)


def arrivals_board(*, staff: User, day: date, now: datetime | None = None) -> list[BoardRow]:
    """Today's arrivals for the advisors: expected, arrived, waiting time. One query."""
    now = now or timezone.now()
    rows = (
        appointment_qs(staff=staff)
        .filter(day=day, state__in=[*Appointment.HOLDING, Appointment.State.NO_SHOW])
        .select_related("customer", "asset", "service_type", "advisor", "bay")
        .order_by("starts_at", "pk")
    )
    board = []
    for appointment in rows:
        waiting = None
        if appointment.arrived_at:
            waiting = (appointment.received_at or now) - appointment.arrived_at
        late = appointment.state in Appointment.OPEN and appointment.starts_at < now
        board.append(BoardRow(appointment=appointment, waiting=waiting, late=late))
    return board


def work_order_get_for_staff(*, staff: User, work_order_id: int) -> WorkOrder:
    """Raises NotFound for an unknown id or a customer the staff member may not see."""
    try:
        return WorkOrder.objects.filter(customer_visible_q(staff=staff)).get(pk=work_order_id)
    except (WorkOrder.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such work order.")) from exc


@dataclass
class VehicleHistory:
    """What the advisor checks at reception (检查维修履历, 检查保修手册): the warranty and the
    vehicle's latest work orders in this workshop."""

    asset: Asset
    in_warranty: bool | None  # None: no warranty end recorded
    work_orders: list[WorkOrder]


def vehicle_history(
    *,
    asset: Asset,
    appointment: Appointment | None = None,
    today: date | None = None,
    limit: int = 5,
) -> VehicleHistory:
    """The vehicle's warranty status and its latest `limit` work orders before this visit
    (the one written for `appointment` left out), newest first. One query."""
    today = today or timezone.localdate()
    in_warranty = None if asset.warranty_ends_on is None else asset.warranty_ends_on >= today
    orders = WorkOrder.objects.filter(asset=asset)
    if appointment is not None:
        orders = orders.exclude(appointment_id=appointment.pk)
    orders = list(orders.order_by("-created_at", "-pk")[:limit])
    return VehicleHistory(asset=asset, in_warranty=in_warranty, work_orders=orders)
