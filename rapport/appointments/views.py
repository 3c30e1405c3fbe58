"""Appointment pages: book the seven-step way from the 360 page, today's arrivals board, one
appointment with its actions (confirm, move, cancel, no-show, arrival). Thin views over the
services and selectors."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.appointments import capacity, scripts, selectors, services
from rapport.appointments.forms import ArrivalForm, ChooseForm, NeedForm, ReasonForm, RescheduleForm
from rapport.appointments.models import Appointment, Resource
from rapport.appointments.replies import self_booking_link
from rapport.appointments.workorder_views import reception_panel_context
from rapport.core.bounds import BoundedDateField
from rapport.core.errors import DomainError
from rapport.core.http import add_service_errors, staff_view
from rapport.customers.models import Asset
from rapport.customers.selectors import customer_get_for_staff


def _advisor_name(request: HttpRequest) -> str:
    found = Resource.objects.filter(staff=request.user, kind=Resource.Kind.ADVISOR).first()
    return found.name if found else (request.user.get_full_name() or request.user.get_username())


def _vehicles(customer) -> list[Asset]:
    return list(customer.assets.filter(kind=Asset.Kind.VEHICLE))


@require_http_methods(["GET", "POST"])
@staff_view("appointments.book")
def book(request: HttpRequest, customer_id: int) -> HttpResponse:
    """GET with the need filled in shows three levelled proposals; POST books the chosen one."""
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    vehicles = _vehicles(customer)
    kinds = {"service_types": selectors.service_types_offered(), "vehicles": vehicles}
    data = (
        request.POST
        if request.method == "POST"
        else (request.GET if "service_type" in request.GET else None)
    )
    initial = {"asset": request.GET.get("asset", ""), "wish": timezone.localdate()}
    form = (ChooseForm if request.method == "POST" else NeedForm)(data, initial=initial, **kinds)
    proposals, status = [], 200
    if form.is_bound and form.is_valid():
        need = form.cleaned_data
        asset = next((v for v in vehicles if v.pk == need["asset"]), None)
        if request.method == "POST":
            try:
                appointment = services.appointment_book(
                    by=request.user,
                    customer=customer,
                    asset=asset,
                    service_type=need["service_type"],
                    starts_at=need["starts_at"],
                    customer_words=need["customer_words"],
                    mileage_km=need["mileage_km"],
                )
            except services.SlotTaken as exc:
                form.add_error("starts_at", exc.message)
                proposals, status = exc.proposals, 409
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 400
            else:
                messages.success(
                    request, _("Appointment %(number)s booked.") % {"number": appointment.number}
                )
                return redirect("appointments:detail", appointment.pk)
        if not proposals:
            proposals = capacity.slot_proposals(
                service_type=need["service_type"], wish=need["wish"], wish_time=need["wish_time"]
            )
    elif form.is_bound:
        status = 400
    context = {
        "customer": customer,
        "form": form,
        "proposals": proposals,
        "steps": scripts.booking_script(
            advisor_name=_advisor_name(request), customer_name=customer.name
        ),
        "closing": [
            (
                p,
                scripts.closing_script(
                    starts_at=p.starts_at,
                    service_name=form.cleaned_data["service_type"].name,
                    estimate=form.cleaned_data["service_type"].estimate,
                    minutes=form.cleaned_data["service_type"].duration_minutes,
                ),
            )
            for p in proposals
        ]
        if proposals
        else [],
    }
    return render(request, "appointments/book.html", context, status=status)


@require_GET
@staff_view("appointments.book")
def board(request: HttpRequest) -> HttpResponse:
    """Today's arrivals (or ?day=YYYY-MM-DD)."""
    try:
        day = (
            date.fromisoformat(request.GET.get("day", ""))
            if request.GET.get("day")
            else timezone.localdate()
        )
    except ValueError:
        day = timezone.localdate()
    rows = selectors.arrivals_board(staff=request.user, day=day)
    context = {"rows": rows, "day": day, "self_booking_link": self_booking_link()}
    return render(request, "appointments/board.html", context)


def _detail_context(request: HttpRequest, appointment: Appointment, **extra) -> dict:
    return {
        "appointment": appointment,
        "greeting": scripts.reception_greeting(
            customer_name=appointment.customer.name,
            service_name=appointment.service_type.name,
            customer_words=appointment.customer_words,
        ),
        "arrival_form": ArrivalForm(
            initial={
                "mileage_km": appointment.mileage_km
                or getattr(appointment.asset, "mileage_km", None)
            }
        ),
        "reason_form": ReasonForm(),
        "reschedule_form": RescheduleForm(),
        "history": selectors.vehicle_history(asset=appointment.asset, appointment=appointment)
        if appointment.asset is not None and appointment.state in Appointment.HOLDING
        else None,
        **_reception_panels(appointment),
        **extra,
    }


def _reception_panels(appointment: Appointment) -> dict:
    """Reception of an arrived car: items suggested by mileage and age, the work order."""
    if appointment.state != Appointment.State.ARRIVED:
        return {}
    return {
        "workorder_panels": ["appointments/workorder_reception.html"],
        "reception": reception_panel_context(appointment),
    }


@require_GET
@staff_view("appointments.book")
def detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_staff(
        staff=request.user, appointment_id=appointment_id
    )
    extra = {}
    wish = _wished_day(request)
    if wish is not None and appointment.state in Appointment.OPEN:
        # ?wish=: the levelled times to move the appointment to, as the booking offers them.
        proposals = capacity.slot_proposals(service_type=appointment.service_type, wish=wish)
        extra = {"wish": wish, "proposals": proposals}
    context = _detail_context(request, appointment, **extra)
    return render(request, "appointments/detail.html", context)


def _wished_day(request: HttpRequest) -> date | None:
    try:
        return BoundedDateField(required=False).clean(request.GET.get("wish") or None)
    except ValidationError:
        return None


def _refused(request: HttpRequest, appointment: Appointment, status: int, **forms) -> HttpResponse:
    return render(
        request,
        "appointments/detail.html",
        _detail_context(request, appointment, **forms),
        status=status,
    )


@require_POST
@staff_view("appointments.book")
def act(request: HttpRequest, appointment_id: int, verb: str) -> HttpResponse:
    """confirm | cancel | no_show | receive: one service call each."""
    appointment = selectors.appointment_get_for_staff(
        staff=request.user, appointment_id=appointment_id
    )
    if verb == "cancel":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return _refused(request, appointment, 400, reason_form=form)
        services.appointment_cancel(
            by=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
        )
    elif verb == "confirm":
        services.appointment_confirm(by=request.user, appointment=appointment)
    elif verb == "no_show":
        services.appointment_no_show(by=request.user, appointment=appointment)
    elif verb == "receive":
        services.appointment_receive(by=request.user, appointment=appointment)
    else:
        return _refused(request, appointment, 404)
    return redirect("appointments:detail", appointment.pk)


@require_POST
@staff_view("appointments.book")
def reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_staff(
        staff=request.user, appointment_id=appointment_id
    )
    form = RescheduleForm(request.POST)
    if form.is_valid():
        try:
            new = services.appointment_reschedule(
                by=request.user,
                appointment=appointment,
                starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
            )
        except services.SlotTaken as exc:
            form.add_error("starts_at", exc.message)
            return _refused(
                request, appointment, 409, reschedule_form=form, proposals=exc.proposals
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("appointments:detail", new.pk)
    proposals = capacity.slot_proposals(service_type=appointment.service_type, wish=appointment.day)
    return _refused(request, appointment, 400, reschedule_form=form, proposals=proposals)


@require_POST
@staff_view("appointments.book")
def arrive(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = selectors.appointment_get_for_staff(
        staff=request.user, appointment_id=appointment_id
    )
    form = ArrivalForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_arrive(
                by=request.user, appointment=appointment, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("appointments:detail", appointment.pk)
    return _refused(request, appointment, 400, arrival_form=form)


@require_GET
@staff_view("appointments.book")
def customer_panel(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The 360 page's appointments panel, fetched after the page."""
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    context = {
        "customer": customer,
        "appointments": selectors.customer_appointments(customer_id=customer.pk),
        "vehicles": _vehicles(customer),
    }
    template = (
        "appointments/customer_panel.html#list"
        if request.htmx
        else "appointments/customer_panel.html"
    )
    return render(request, template, context)
