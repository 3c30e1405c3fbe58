"""Appointments and work orders over HTTP: levelled proposals, booking (409 with the next
proposals when the slot went to another booking), the appointment's steps, work orders with
their items, authorisations, steps, explanations and delivery, and the workshop's measures.

The same services as the pages: a ValidationError becomes a 422 naming the field, a refusal its
403/404/409.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rapport.appointments import capacity, measures, selectors, services
from rapport.appointments import workorders as wo
from rapport.appointments.models import Appointment, PriceItem, ServiceType, WorkOrder
from rapport.core.api import BodyIn, ErrorOut, IsoDatetime, QueryIn, amount_type
from rapport.core.bounds import BoundedDate, InBounds
from rapport.core.errors import Forbidden, NotFound
from rapport.customers.models import Asset
from rapport.customers.selectors import customer_get_for_staff

router = Router()
workorders_router = Router()
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MAX_MEASURE_DAYS = 366


def _require(request: HttpRequest, capability: str = "appointments.book") -> None:
    if not request.user.can(capability):
        raise Forbidden(_("You may not book or change appointments."))


def _service_type(service_type_id: int) -> ServiceType:
    found = ServiceType.objects.filter(pk=service_type_id, is_active=True).first()
    if found is None:
        raise NotFound(_("No such service type."))
    return found


def _vehicle(customer, asset_id: int | None) -> Asset | None:
    if asset_id is None:
        return None
    found = customer.assets.filter(pk=asset_id).first()
    if found is None:
        raise NotFound(_("No such vehicle for this customer."))
    return found


# -- proposals and appointments -------------------------------------------------------------------


class ProposalOut(Schema):
    starts_at: datetime
    ends_at: datetime
    advisor: str
    bay: str | None
    technician: str | None
    advisor_load: int
    bay_load: int
    reason: str
    reasons: list[str]


def _proposal_out(p: capacity.Proposal) -> dict:
    return {
        "starts_at": p.starts_at,
        "ends_at": p.ends_at,
        "advisor": p.advisor.name,
        "bay": p.bay.name if p.bay else None,
        "technician": p.technician.name if p.technician else None,
        "advisor_load": p.advisor_load,
        "bay_load": p.bay_load,
        "reason": p.reason,
        "reasons": p.reasons,
    }


class ProposalQuery(QueryIn):
    service_type_id: int = Field(..., ge=1, le=2**31)
    wish: BoundedDate | None = None
    wish_time: time | None = None


class SlotTakenOut(ErrorOut):
    proposals: list[ProposalOut] = []


class AppointmentIn(BodyIn):
    customer_id: int = Field(..., ge=1, le=2**31)
    service_type_id: int = Field(..., ge=1, le=2**31)
    starts_at: Annotated[IsoDatetime, InBounds]
    asset_id: int | None = Field(None, ge=1, le=2**31)
    customer_words: str = Field("", max_length=2000)
    mileage_km: int | None = Field(None, ge=0, le=2_000_000)
    channel: Literal[services.CHANNELS] = "phone"  # type: ignore[valid-type]


class AppointmentOut(Schema):
    id: int
    number: str
    customer_id: int
    asset_id: int | None
    service_type: str
    customer_words: str
    mileage_km: int | None
    starts_at: datetime
    ends_at: datetime
    advisor: str
    bay: str | None
    state: str
    state_reason: str
    estimate: Decimal
    rescheduled_to_id: int | None
    arrived_at: datetime | None


def _appointment_out(a: Appointment) -> dict:
    return {
        "id": a.pk,
        "number": a.number,
        "customer_id": a.customer_id,
        "asset_id": a.asset_id,
        "service_type": a.service_type.name,
        "customer_words": a.customer_words,
        "mileage_km": a.mileage_km,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "advisor": a.advisor.name,
        "bay": a.bay.name if a.bay else None,
        "state": a.state,
        "state_reason": a.state_reason,
        "estimate": a.estimate,
        "rescheduled_to_id": a.rescheduled_to_id,
        "arrived_at": a.arrived_at,
    }


class ReasonIn(BodyIn):
    reason: str = Field(..., min_length=1, max_length=300)


class RescheduleIn(ReasonIn):
    starts_at: Annotated[IsoDatetime, InBounds]


@router.get(
    "/proposals",
    response={200: list[ProposalOut], **ERRORS},
    summary="Three levelled slots, with reasons",
)
def proposals(request: HttpRequest, query: Query[ProposalQuery]):
    _require(request)
    found = capacity.slot_proposals(
        service_type=_service_type(query.service_type_id),
        wish=query.wish,
        wish_time=query.wish_time,
    )
    return [_proposal_out(p) for p in found]


@router.post(
    "",
    response={
        201: AppointmentOut,
        409: SlotTakenOut,
        **{k: v for k, v in ERRORS.items() if k != 409},
    },
    summary="Book an appointment (409 with the next proposals when the slot is taken)",
)
def book(request: HttpRequest, payload: AppointmentIn):
    _require(request)
    customer = customer_get_for_staff(staff=request.user, customer_id=payload.customer_id)
    try:
        appointment = services.appointment_book(
            by=request.user,
            customer=customer,
            asset=_vehicle(customer, payload.asset_id),
            service_type=_service_type(payload.service_type_id),
            starts_at=payload.starts_at,
            customer_words=payload.customer_words,
            mileage_km=payload.mileage_km,
            channel=payload.channel,
        )
    except services.SlotTaken as exc:
        body = {**exc.as_dict(), "proposals": [_proposal_out(p) for p in exc.proposals]}
        return Status(409, body)
    return Status(201, _appointment_out(appointment))


def _appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    _require(request)
    return selectors.appointment_get_for_staff(staff=request.user, appointment_id=appointment_id)


@router.get(
    "/{int:appointment_id}", response={200: AppointmentOut, **ERRORS}, summary="An appointment"
)
def read(request: HttpRequest, appointment_id: int):
    return _appointment_out(_appointment(request, appointment_id))


@router.post(
    "/{int:appointment_id}/confirm",
    response={200: AppointmentOut, **ERRORS},
    summary="The customer confirmed",
)
def confirm(request: HttpRequest, appointment_id: int):
    appointment = services.appointment_confirm(
        by=request.user, appointment=_appointment(request, appointment_id)
    )
    return _appointment_out(appointment)


@router.post(
    "/{int:appointment_id}/cancel",
    response={200: AppointmentOut, **ERRORS},
    summary="Cancel with a reason",
)
def cancel(request: HttpRequest, appointment_id: int, payload: ReasonIn):
    appointment = services.appointment_cancel(
        by=request.user, appointment=_appointment(request, appointment_id), reason=payload.reason
    )
    return _appointment_out(appointment)


@router.post(
    "/{int:appointment_id}/no-show",
    response={200: AppointmentOut, **ERRORS},
    summary="Record a no-show",
)
def no_show(request: HttpRequest, appointment_id: int):
    appointment = services.appointment_no_show(
        by=request.user, appointment=_appointment(request, appointment_id)
    )
    return _appointment_out(appointment)


@router.post(
    "/{int:appointment_id}/reschedule",
    response={
        201: AppointmentOut,
        409: SlotTakenOut,
        **{k: v for k, v in ERRORS.items() if k != 409},
    },
    summary="Move to another time, with a reason",
)
def reschedule(request: HttpRequest, appointment_id: int, payload: RescheduleIn):
    appointment = _appointment(request, appointment_id)
    try:
        new = services.appointment_reschedule(
            by=request.user,
            appointment=appointment,
            starts_at=payload.starts_at,
            reason=payload.reason,
        )
    except services.SlotTaken as exc:
        body = {**exc.as_dict(), "proposals": [_proposal_out(p) for p in exc.proposals]}
        return Status(409, body)
    return Status(201, _appointment_out(new))


class ArrivalIn(BodyIn):
    mileage_km: int = Field(..., ge=0, le=2_000_000)
    fuel_level: Literal[tuple(Appointment.Fuel.values)]  # type: ignore[valid-type]
    damage_notes: str = Field("", max_length=500)
    items_left: str = Field("", max_length=300)
    covers_fitted: bool = False


@router.post(
    "/{int:appointment_id}/arrival",
    response={200: AppointmentOut, **ERRORS},
    summary="Reception: the customer arrived (mileage, fuel, walk-around check)",
)
def arrive(request: HttpRequest, appointment_id: int, payload: ArrivalIn):
    appointment = services.appointment_arrive(
        by=request.user,
        appointment=_appointment(request, appointment_id),
        **payload.model_dump(),
    )
    return _appointment_out(appointment)


class WorkshopMeasuresQuery(QueryIn):
    first: BoundedDate
    last: BoundedDate


class WorkshopMeasuresOut(Schema):
    first: date
    last: date
    per_day: list[dict]
    per_resource_day: list[dict]
    busiest_part: int | None
    quietest_part: int | None
    spread: int | None
    booked: int
    no_shows: int
    arrived: int
    no_show_rate: float | None
    lead_time_days: float | None
    per_resource: list[dict]
    work_orders: int
    repeats: int
    repeat_rate: float | None
    starts_booked: int
    starts_on_time: int
    on_time_start_rate: float | None
    deliveries_promised: int
    deliveries_on_time: int
    on_time_delivery_rate: float | None
    authorisations: int
    authorisation_wait_minutes: float | None


@router.get(
    "/measures",
    response={200: WorkshopMeasuresOut, **ERRORS},
    summary="Utilisation and its spread, lead time, no-shows, on-time start and delivery, "
    "repeat repairs, authorisation wait",
)
def workshop_measures(request: HttpRequest, query: Query[WorkshopMeasuresQuery]):
    _require(request, "measures.view")
    if query.last < query.first or query.last - query.first > timedelta(days=MAX_MEASURE_DAYS):
        raise ValidationError(
            {"last": [_("Choose a range of one day to one year, ending after it starts.")]}
        )
    return measures.workshop_measures(first=query.first, last=query.last).__dict__


# -- work orders ----------------------------------------------------------------------------------


UnitPrice = amount_type(max_digits=12, decimal_places=2)
Quantity = amount_type(max_digits=8, decimal_places=2)


class ItemIn(Schema):
    price_item_id: int | None = Field(None, ge=1, le=2**31)
    description: str = Field("", max_length=200)
    # Read exactly, as a string such as "380.00" or a whole number: the documented form is the
    # accepted one (the fuzzer found "" admitted by the schema and refused by the parser).
    unit_price: UnitPrice | None = Field(None, max_digits=12, decimal_places=2)
    quantity: Quantity = Field(Decimal("1"), max_digits=8, decimal_places=2)


class WorkOrderIn(BodyIn):
    customer_id: int = Field(..., ge=1, le=2**31)
    asset_id: int = Field(..., ge=1, le=2**31)
    customer_words: str = Field(..., max_length=2000)
    payment_method: Literal[tuple(WorkOrder.Payment.values)]  # type: ignore[valid-type]
    keep_old_parts: bool = False
    mileage_km: int | None = Field(None, ge=0, le=2_000_000)
    appointment_id: int | None = Field(None, ge=1, le=2**31)
    items: list[ItemIn] = Field(default_factory=list, max_length=100)


class ItemOut(Schema):
    id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    authorised: bool


class AuthorisationOut(Schema):
    id: int
    scope: str
    method: str
    contact: str
    given_by: str
    amount: Decimal
    valid_until: datetime | None
    recorded_at: datetime


class WorkOrderOut(Schema):
    id: int
    number: str
    customer_id: int
    asset_id: int
    appointment_id: int | None
    customer_words: str
    keep_old_parts: bool
    payment_method: str
    state: str
    waiting_for: str
    repeat_of_id: int | None
    explanations: dict[str, bool]
    total: Decimal
    items: list[ItemOut]
    authorisations: list[AuthorisationOut]


def _work_order_out(order: WorkOrder) -> dict:
    items = list(order.items.all())
    return {
        "id": order.pk,
        "number": order.number,
        "customer_id": order.customer_id,
        "asset_id": order.asset_id,
        "appointment_id": order.appointment_id,
        "customer_words": order.customer_words,
        "keep_old_parts": order.keep_old_parts,
        "payment_method": order.payment_method,
        "state": order.state,
        "waiting_for": order.waiting_for,
        "repeat_of_id": order.repeat_of_id,
        "explanations": {name: getattr(order, name) for name in WorkOrder.EXPLANATIONS},
        "total": sum((i.total for i in items), Decimal("0")),
        "items": [
            {
                "id": i.pk,
                "description": i.description,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
                "total": i.total,
                "authorised": i.authorisation_id is not None,
            }
            for i in items
        ],
        "authorisations": list(order.authorisations.all()),
    }


def _item(item: ItemIn) -> wo.ItemIn:
    price_item = None
    if item.price_item_id is not None:
        price_item = PriceItem.objects.filter(pk=item.price_item_id).first()
        if price_item is None:
            raise NotFound(_("No such price list item."))
    return wo.ItemIn(
        price_item=price_item,
        description=item.description,
        unit_price=item.unit_price,
        quantity=item.quantity,
    )


def _work_order(request: HttpRequest, work_order_id: int) -> WorkOrder:
    _require(request)
    return selectors.work_order_get_for_staff(staff=request.user, work_order_id=work_order_id)


@workorders_router.post("", response={201: WorkOrderOut, **ERRORS}, summary="Open a work order")
def open_work_order(request: HttpRequest, payload: WorkOrderIn):
    _require(request)
    customer = customer_get_for_staff(staff=request.user, customer_id=payload.customer_id)
    asset = _vehicle(customer, payload.asset_id)
    appointment = None
    if payload.appointment_id is not None:
        appointment = selectors.appointment_get_for_staff(
            staff=request.user, appointment_id=payload.appointment_id
        )
    order = wo.work_order_open(
        by=request.user,
        customer=customer,
        asset=asset,
        customer_words=payload.customer_words,
        payment_method=payload.payment_method,
        items=[_item(i) for i in payload.items],
        keep_old_parts=payload.keep_old_parts,
        mileage_km=payload.mileage_km,
        appointment=appointment,
    )
    return Status(201, _work_order_out(order))


@workorders_router.get(
    "/{int:work_order_id}", response={200: WorkOrderOut, **ERRORS}, summary="A work order"
)
def read_work_order(request: HttpRequest, work_order_id: int):
    return _work_order_out(_work_order(request, work_order_id))


class AuthorisationIn(BodyIn):
    scope: Literal["repair", "diagnosis"]
    method: Literal["signature", "sms", "wechat", "call"]
    given_by: str = Field(..., min_length=1, max_length=100)
    contact: str = Field("", max_length=254)
    minutes: int | None = Field(None, ge=1, le=24 * 60)


@workorders_router.post(
    "/{int:work_order_id}/authorisations",
    response={201: WorkOrderOut, **ERRORS},
    summary="Record an authorisation",
)
def authorise(request: HttpRequest, work_order_id: int, payload: AuthorisationIn):
    order = _work_order(request, work_order_id)
    wo.work_order_authorise(by=request.user, work_order=order, **payload.model_dump())
    return Status(201, _work_order_out(order))


@workorders_router.post(
    "/{int:work_order_id}/items", response={201: WorkOrderOut, **ERRORS}, summary="Add extra work"
)
def add_item(request: HttpRequest, work_order_id: int, payload: ItemIn):
    order = _work_order(request, work_order_id)
    wo.work_order_add_item(by=request.user, work_order=order, item=_item(payload))
    return Status(201, _work_order_out(order))


class MoveIn(BodyIn):
    move: Literal["start", "wait", "resume", "finish"]
    waiting_for: str = Field("", max_length=200)


@workorders_router.post(
    "/{int:work_order_id}/move",
    response={200: WorkOrderOut, **ERRORS},
    summary="Start, wait, resume, finish",
)
def move(request: HttpRequest, work_order_id: int, payload: MoveIn):
    order = _work_order(request, work_order_id)
    wo.work_order_move(
        by=request.user, work_order=order, move=payload.move, waiting_for=payload.waiting_for
    )
    return _work_order_out(order)


class ExplanationsIn(BodyIn):
    explained_work: bool = False
    explained_benefit: bool = False
    explained_cost: bool = False
    explained_duration: bool = False
    explained_collection: bool = False


@workorders_router.post(
    "/{int:work_order_id}/explanations",
    response={200: WorkOrderOut, **ERRORS},
    summary="Tick the five explanations",
)
def explain(request: HttpRequest, work_order_id: int, payload: ExplanationsIn):
    order = _work_order(request, work_order_id)
    wo.work_order_explain(by=request.user, work_order=order, ticks=payload.model_dump())
    return _work_order_out(order)


@workorders_router.post(
    "/{int:work_order_id}/deliver",
    response={200: WorkOrderOut, **ERRORS},
    summary="Deliver the car",
)
def deliver(request: HttpRequest, work_order_id: int):
    order = _work_order(request, work_order_id)
    wo.work_order_deliver(by=request.user, work_order=order)
    return _work_order_out(order)
