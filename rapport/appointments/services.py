"""Writes for appointments: book, confirm, reschedule, cancel, no-show, arrival.

Booking validates the slot (past, holiday, outside hours, off the arrival grid, over capacity)
and names the field; then, in one transaction, takes the minutes from each resource's day-part by
conditional UPDATE (`booked + n <= capacity - reserve`) and inserts the appointment. When another
booking took the last minutes first, everything is rolled back and `SlotTaken` carries the next
proposals. Each step is recorded on the customer's timeline as an interaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.appointments import capacity
from rapport.appointments.capacity import Choice, Proposal
from rapport.appointments.models import Appointment, CapacityBucket, Resource, ServiceType
from rapport.core.errors import Conflict, DomainError, Forbidden
from rapport.customers.mileage import asset_mileage_record
from rapport.customers.models import Asset, Customer
from rapport.interactions.models import Interaction, Purpose
from rapport.interactions.services import interaction_log
from rapport.staff.models import User

CHANNELS = ("phone", "face_to_face", "wechat", "sms", "web_form", "self")
# The customer booked, moved or cancelled on the self-booking page: on the timeline a web form
# the customer sent (inbound), as the channel they used.
SELF_SERVICE = "self"


class SlotTaken(Conflict):
    """The slot was free when checked and taken before the booking: offer the next ones."""

    code = "slot_taken"

    def __init__(self, message: str, *, proposals: list[Proposal]) -> None:
        super().__init__(message, field="starts_at")
        self.proposals = proposals


def _require(user: User, capability: str) -> None:
    if not user.can(capability):
        raise Forbidden(_("You may not book or change appointments."))


def _fail(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, field=field, code=code)


# -- checking a slot ----------------------------------------------------------------------------


def slot_check(
    *, service_type: ServiceType, starts_at: datetime, now: datetime | None = None
) -> tuple[capacity.Workshop, Choice]:
    """The resources an arrival at `starts_at` would take, or a DomainError naming `starts_at`:
    in the past or too soon, beyond the horizon, a holiday or day off, outside working hours,
    off the arrival grid, or no capacity left."""
    now = now or timezone.now()
    if starts_at.tzinfo is None:
        raise _fail("starts_at", _("Give the arrival time with its time zone."))
    local = timezone.localtime(starts_at)
    day = local.date()
    shop = capacity.workshop_load(first=day, last=day, service_type=service_type)
    rules = shop.rules
    if starts_at < now:
        raise _fail("starts_at", _("The arrival time is in the past."), "past")
    if starts_at < now + timedelta(minutes=rules.min_notice_minutes):
        raise _fail(
            "starts_at",
            _("Book at least %(minutes)d minutes ahead.") % {"minutes": rules.min_notice_minutes},
            "too_soon",
        )
    if day > timezone.localtime(now).date() + timedelta(days=rules.horizon_days):
        raise _fail(
            "starts_at",
            _("Appointments can be booked up to %(days)d days ahead.")
            % {"days": rules.horizon_days},
            "beyond_horizon",
        )
    if not shop.default.intervals_on(day):
        holiday = shop.holidays.get(day)
        if holiday:
            raise _fail(
                "starts_at",
                _("%(day)s is a holiday (%(name)s); the workshop is closed.")
                % {"day": day.isoformat(), "name": holiday},
                "holiday",
            )
        raise _fail(
            "starts_at",
            _("%(day)s is not a working day.") % {"day": day.isoformat()},
            "closed",
        )
    start = starts_at.astimezone(UTC)
    slot = timedelta(minutes=rules.slot_minutes)
    parts = [
        p
        for a in shop.advisors
        for p in shop.parts(a, day)
        if p.starts_at <= start and start + slot <= p.ends_at
    ]
    if not parts:
        raise _fail(
            "starts_at",
            _("%(time)s is outside the service advisors' working hours.")
            % {"time": local.strftime("%H:%M")},
            "outside_hours",
        )
    if all((start - p.starts_at) % slot for p in parts):
        raise _fail(
            "starts_at",
            _("Arrival times are every %(minutes)d minutes from the start of each half-day.")
            % {"minutes": rules.slot_minutes},
            "off_grid",
        )
    end = start + timedelta(minutes=service_type.duration_minutes)
    if service_type.needs_bay and not _working_at(shop, shop.bays, day, start):
        raise _fail(
            "starts_at",
            _("%(time)s is outside the bays' working hours.") % {"time": local.strftime("%H:%M")},
            "outside_hours",
        )
    if (
        service_type.technician_skill
        and shop.technicians
        and not _working_at(shop, shop.technicians, day, start)
    ):
        raise _fail(
            "starts_at",
            _("%(time)s is outside the working hours of the technicians with the skill %(skill)s.")
            % {"time": local.strftime("%H:%M"), "skill": service_type.technician_skill},
            "outside_hours",
        )
    if service_type.needs_bay and not any(shop.part_holding(b, start, end) for b in shop.bays):
        raise _fail(
            "starts_at",
            _(
                "The job (%(minutes)d minutes) would run past the end of the half-day; choose an earlier time."
            )
            % {"minutes": service_type.duration_minutes},
            "outside_hours",
        )
    choice = capacity.choose_resources(shop, service_type, starts_at)
    if choice is None:
        raise Conflict(
            _("This time is fully booked; choose one of the proposals."),
            field="starts_at",
            code="full",
        )
    return shop, choice


def _working_at(
    shop: capacity.Workshop, resources: list[Resource], day: date, start: datetime
) -> bool:
    """Whether one of `resources` is at work at `start` by its own calendar."""
    return any(p.starts_at <= start < p.ends_at for r in resources for p in shop.parts(r, day))


# -- reserving capacity -------------------------------------------------------------------------


class _Taken(Exception):
    pass


def _bucket(resource: Resource, part: capacity.Part) -> CapacityBucket:
    bucket, _created = CapacityBucket.objects.get_or_create(
        resource=resource,
        day=part.day,
        part=part.index,
        defaults={
            "capacity_minutes": part.minutes,
            "reserve_minutes": part.minutes * resource.walk_in_reserve_percent // 100,
        },
    )
    return bucket


def capacity_reserve(*, resource: Resource, part: capacity.Part, minutes: int) -> int:
    """Take `minutes` from the resource's day-part; returns the bucket id. Raises _Taken when
    they are no longer free. Call inside a transaction."""
    bucket = _bucket(resource, part)
    taken = CapacityBucket.objects.filter(
        pk=bucket.pk,
        booked_minutes__lte=F("capacity_minutes") - F("reserve_minutes") - minutes,
    ).update(booked_minutes=F("booked_minutes") + minutes)
    if not taken:
        raise _Taken
    return bucket.pk


def capacity_release(*, appointment: Appointment) -> None:
    for bucket_id, minutes in appointment.holds:
        CapacityBucket.objects.filter(pk=bucket_id, booked_minutes__gte=minutes).update(
            booked_minutes=F("booked_minutes") - minutes
        )


def _hold(shop: capacity.Workshop, choice: Choice, service_type: ServiceType) -> list[list[int]]:
    holds = [
        [
            capacity_reserve(
                resource=choice.advisor, part=choice.advisor_part, minutes=shop.rules.slot_minutes
            ),
            shop.rules.slot_minutes,
        ]
    ]
    for resource, part in (
        (choice.bay, choice.bay_part),
        (choice.technician, choice.technician_part),
    ):
        if resource is not None and part is not None:
            minutes = service_type.duration_minutes
            holds.append([capacity_reserve(resource=resource, part=part, minutes=minutes), minutes])
    return holds


# -- the timeline -------------------------------------------------------------------------------


def _purpose() -> Purpose | None:
    return (
        Purpose.objects.filter(code="appointment").first()
        or Purpose.objects.filter(is_active=True).order_by("sort_order", "id").first()
    )


def _timeline(
    *, by: User | None, appointment: Appointment, summary: str, channel: str = "phone"
) -> None:
    inbound = channel in ("face_to_face", SELF_SERVICE)
    if channel == SELF_SERVICE:
        channel = Interaction.Channel.WEB_FORM
    elif channel == "wecom":
        channel = Interaction.Channel.WECHAT
    if channel not in Interaction.Channel.values:
        channel = Interaction.Channel.PHONE
    interaction_log(
        by=by,
        customer=appointment.customer,
        channel=channel,
        direction=Interaction.Direction.INBOUND if inbound else Interaction.Direction.OUTBOUND,
        purpose=_purpose(),
        summary=f"{appointment.number} {summary}"[:4000],
        asset=appointment.asset,
    )


def _when(appointment: Appointment) -> str:
    return timezone.localtime(appointment.starts_at).strftime("%Y-%m-%d %H:%M")


# -- booking ------------------------------------------------------------------------------------


def _check_booking_fields(
    *,
    customer: Customer,
    asset: Asset | None,
    service_type: ServiceType,
    customer_words: str,
    mileage_km: int | None,
    channel: str,
) -> None:
    errors: dict[str, list[str]] = {}
    if customer.merged_into_id:
        errors["customer"] = [_("This customer was merged into another; book for that one.")]
    if asset is not None:
        if asset.customer_id != customer.pk:
            errors["asset"] = [_("This vehicle belongs to another customer.")]
        elif asset.kind != Asset.Kind.VEHICLE:
            errors["asset"] = [_("Choose a vehicle.")]
    if not service_type.is_active:
        errors["service_type"] = [_("This service type is no longer offered.")]
    if len(customer_words or "") > 2000:
        errors["customer_words"] = [_("Keep the customer's words under 2,000 characters.")]
    if mileage_km is not None and not (0 <= mileage_km <= 2_000_000):
        errors["mileage_km"] = [_("Give the mileage in kilometres, 0 to 2,000,000.")]
    if channel not in CHANNELS:
        errors["channel"] = [_("Choose how the appointment was made.")]
    if errors:
        raise ValidationError(errors)


def appointment_book(
    *,
    by: User | None,
    customer: Customer,
    service_type: ServiceType,
    starts_at: datetime,
    asset: Asset | None = None,
    customer_words: str = "",
    mileage_km: int | None = None,
    channel: str = "phone",
    now: datetime | None = None,
) -> Appointment:
    """Book an arrival at `starts_at`. Raises ValidationError (fields), DomainError naming
    `starts_at` for a slot that cannot be booked, SlotTaken with the next proposals when the
    capacity went to another booking first. Nothing is saved when it raises."""
    if by is not None:
        _require(by, "appointments.book")
    _check_booking_fields(
        customer=customer,
        asset=asset,
        service_type=service_type,
        customer_words=customer_words,
        mileage_km=mileage_km,
        channel=channel,
    )
    now = now or timezone.now()
    message = _("Another booking took this time; here are the next free times.")
    try:
        try:
            shop, choice = slot_check(service_type=service_type, starts_at=starts_at, now=now)
        except Conflict:
            message = _("This time is fully booked; here are the nearest free times.")
            raise
        with transaction.atomic():
            holds = _hold(shop, choice, service_type)
            appointment = Appointment(
                customer=customer,
                asset=asset,
                service_type=service_type,
                customer_words=(customer_words or "").strip(),
                mileage_km=mileage_km,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=service_type.duration_minutes),
                day=choice.advisor_part.day,
                part=choice.advisor_part.index,
                advisor=choice.advisor,
                bay=choice.bay,
                technician=choice.technician,
                estimate=service_type.estimate,
                holds=holds,
                channel=channel,
                booked_by=by,
            )
            try:
                with transaction.atomic():
                    appointment.save()
            except IntegrityError as exc:
                raise _Taken from exc
            _timeline(
                by=by,
                appointment=appointment,
                summary=_("Appointment booked for %(when)s, %(service)s, advisor %(advisor)s")
                % {
                    "when": _when(appointment),
                    "service": service_type.name,
                    "advisor": choice.advisor.name,
                },
                channel=channel,
            )
    except (_Taken, Conflict) as exc:
        local = timezone.localtime(starts_at)
        proposals = capacity.slot_proposals(
            service_type=service_type,
            wish=local.date(),
            wish_time=local.time(),
            now=now,
            exclude={starts_at.astimezone(UTC)},
        )
        raise SlotTaken(message, proposals=proposals) from exc
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("customer", "asset", "advisor")
        .get(pk=appointment.pk)
    )


def _reason_required(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason.")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("Keep the reason under 300 characters.")]})
    return reason


def _close(appointment: Appointment, *, state: str, reason: str, allowed: tuple) -> Appointment:
    if appointment.state not in allowed:
        raise Conflict(
            _("The appointment is %(state)s and cannot be changed that way.")
            % {"state": appointment.get_state_display()},
            field="state",
            code="wrong_state",
        )
    capacity_release(appointment=appointment)
    appointment.state = state
    appointment.state_reason = reason
    appointment.holds = []
    appointment.save(update_fields=["state", "state_reason", "holds", "updated_at"])
    return appointment


def appointment_cancel(
    *, by: User | None, appointment: Appointment, reason: str, channel: str = "phone"
) -> Appointment:
    """Cancel with a reason; the capacity is given back. `channel`: how the customer said so."""
    if by is not None:
        _require(by, "appointments.book")
    reason = _reason_required(reason)
    with transaction.atomic():
        appointment = _locked(appointment)
        _close(
            appointment, state=Appointment.State.CANCELLED, reason=reason, allowed=Appointment.OPEN
        )
        _timeline(
            by=by,
            appointment=appointment,
            summary=_("Appointment cancelled: %(reason)s") % {"reason": reason},
            channel=channel,
        )
    return appointment


def appointment_no_show(
    *, by: User | None, appointment: Appointment, now: datetime | None = None
) -> Appointment:
    """Record that the customer did not come. Only after the arrival time."""
    if by is not None:
        _require(by, "appointments.book")
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.starts_at > now:
            raise _fail(
                "state", _("A no-show can only be recorded after the arrival time."), "too_early"
            )
        _close(
            appointment,
            state=Appointment.State.NO_SHOW,
            reason=_("Did not come"),
            allowed=Appointment.OPEN,
        )
        _timeline(
            by=by, appointment=appointment, summary=_("Customer did not come to the appointment.")
        )
    return appointment


def appointment_reschedule(
    *,
    by: User | None,
    appointment: Appointment,
    starts_at: datetime,
    reason: str,
    now: datetime | None = None,
    channel: str = "phone",
) -> Appointment:
    """Move to a new time: a new appointment is booked and the old one marked rescheduled, in one
    transaction. Raises as appointment_book; the old appointment is untouched when it does.
    `channel`: how the customer asked for it (the new appointment keeps the old one's)."""
    if by is not None:
        _require(by, "appointments.book")
    reason = _reason_required(reason)
    if appointment.state not in Appointment.OPEN:
        raise Conflict(
            _("Only a booked or confirmed appointment can be moved."),
            field="state",
            code="wrong_state",
        )
    with transaction.atomic():
        old = _locked(appointment)
        _close(old, state=Appointment.State.RESCHEDULED, reason=reason, allowed=Appointment.OPEN)
        new = appointment_book(
            by=by,
            customer=old.customer,
            service_type=old.service_type,
            starts_at=starts_at,
            asset=old.asset,
            customer_words=old.customer_words,
            mileage_km=old.mileage_km,
            channel=old.channel,
            now=now,
        )
        old.rescheduled_to = new
        old.save(update_fields=["rescheduled_to", "updated_at"])
        _timeline(
            by=by,
            appointment=old,
            summary=_("Appointment moved to %(when)s: %(reason)s")
            % {"when": _when(new), "reason": reason},
            channel=channel,
        )
    return new


def appointment_confirm(
    *, by: User | None, appointment: Appointment, channel: str = "phone"
) -> Appointment:
    """The customer confirmed (by phone, or answering the reminder). Idempotent."""
    if by is not None:
        _require(by, "appointments.book")
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.state == Appointment.State.CONFIRMED:
            return appointment
        if appointment.state != Appointment.State.BOOKED:
            raise Conflict(
                _("Only a booked appointment can be confirmed."), field="state", code="wrong_state"
            )
        appointment.state = Appointment.State.CONFIRMED
        appointment.confirmed_at = timezone.now()
        appointment.save(update_fields=["state", "confirmed_at", "updated_at"])
        _timeline(
            by=by,
            appointment=appointment,
            summary=_("Customer confirmed the appointment."),
            channel=channel,
        )
    return appointment


def appointment_arrive(
    *,
    by: User,
    appointment: Appointment,
    mileage_km: int | None,
    fuel_level: str,
    damage_notes: str = "",
    items_left: str = "",
    covers_fitted: bool = False,
    now: datetime | None = None,
) -> Appointment:
    """Reception: the customer is here. Records mileage, fuel and the walk-around check, and
    updates the vehicle's mileage when it went up."""
    _require(by, "appointments.book")
    errors: dict[str, list[str]] = {}
    if mileage_km is None or not (0 <= mileage_km <= 2_000_000):
        errors["mileage_km"] = [_("Read the mileage from the odometer (0 to 2,000,000 km).")]
    elif (
        appointment.asset
        and appointment.asset.mileage_km
        and mileage_km < appointment.asset.mileage_km
    ):
        errors["mileage_km"] = [
            _("The odometer cannot go back: the vehicle had %(km)d km.")
            % {"km": appointment.asset.mileage_km}
        ]
    if fuel_level not in Appointment.Fuel.values:
        errors["fuel_level"] = [_("Choose the fuel level.")]
    if len(damage_notes or "") > 500:
        errors["damage_notes"] = [_("Keep the notes under 500 characters.")]
    if len(items_left or "") > 300:
        errors["items_left"] = [_("Keep the notes under 300 characters.")]
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.state not in Appointment.OPEN:
            raise Conflict(
                _("The appointment is %(state)s; arrival cannot be recorded.")
                % {"state": appointment.get_state_display()},
                field="state",
                code="wrong_state",
            )
        appointment.state = Appointment.State.ARRIVED
        appointment.arrived_at = now
        appointment.arrival_mileage_km = mileage_km
        appointment.fuel_level = fuel_level
        appointment.damage_notes = (damage_notes or "").strip()
        appointment.items_left = (items_left or "").strip()
        appointment.covers_fitted = covers_fitted
        appointment.save()
        asset = appointment.asset
        if asset is not None:
            asset_mileage_record(
                asset_id=asset.pk,
                km=mileage_km,
                read_on=timezone.localtime(now).date(),
                strict=False,
            )
        _timeline(
            by=by,
            appointment=appointment,
            summary=_("Arrived for the appointment; mileage %(km)d km, fuel %(fuel)s")
            % {"km": mileage_km, "fuel": appointment.get_fuel_level_display()},
            channel="face_to_face",
        )
    return appointment


def appointment_receive(
    *, by: User, appointment: Appointment, now: datetime | None = None
) -> Appointment:
    """The advisor starts the reception of an arrived customer: the waiting time stops."""
    _require(by, "appointments.book")
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.state != Appointment.State.ARRIVED:
            raise Conflict(_("Record the arrival first."), field="state", code="wrong_state")
        if appointment.received_at is None:
            appointment.received_at = now or timezone.now()
            appointment.save(update_fields=["received_at", "updated_at"])
    return appointment
