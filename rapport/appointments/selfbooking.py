"""The customer self-booking pages (自助预约): public, no staff login, mobile first. The link in the
reminder's answer "2" and on WeChat leads here.

Sign-in by mobile number and SMS code (rapport.appointments.selfservice); then the customer sees
their vehicles and coming appointments, books one of the three levelled proposals the advisors
see, moves or cancels — all through services.py, so capacity is taken atomically and a slot taken
meanwhile is refused with the next proposals. The sign-in is a signed cookie naming the verified
code row; every page below /book/mine/ reads the customer from it and from nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from rapport.appointments import capacity, selectors, selfservice, services
from rapport.appointments.selfbook_forms import (
    CodeForm,
    PhoneForm,
    SelfCancelForm,
    SelfChooseForm,
    SelfMoveForm,
    SelfNeedForm,
)
from rapport.core.addresses import client_ip
from rapport.core.errors import DomainError, NotFound
from rapport.core.http import add_service_errors, customer_page

COOKIE = "rapport_selfbook"
SALT = "rapport.appointments.selfbook"


def _session_id(request: HttpRequest) -> int | None:
    value = request.get_signed_cookie(
        COOKIE, default=None, salt=SALT, max_age=selfservice.SESSION_MINUTES * 60
    )
    return int(value) if value and str(value).isdigit() else None


def customer_required(view: Callable) -> Callable:
    """The signed-in customer as `request.selfbook_customer`, or back to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        customer = selfservice.selfbook_session_customer(session_id=_session_id(request))
        if customer is None:
            messages.info(request, _("Please sign in with your mobile number."))
            response = redirect("appointments:selfbook")
            response.delete_cookie(COOKIE)
            return response
        request.selfbook_customer = customer
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "no-store, private"
        return response

    return wrapper


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"company_name": settings.COMPANY_NAME, **context}
    return render(request, template, context, status=status)


def _limited(request: HttpRequest, form, exc: selfservice.TooMany, step: str) -> HttpResponse:
    form.add_error(None, exc.message)
    response = _page(request, "appointments/selfbook_start.html", {"form": form, "step": step}, 429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@require_http_methods(["GET", "POST"])
@customer_page
def selfbook_start(request: HttpRequest) -> HttpResponse:
    """GET: the number; POST: a code is sent (when the number is a customer's — the answer is
    the same either way) and the code is asked for."""
    if request.method == "GET":
        if selfservice.selfbook_session_customer(session_id=_session_id(request)):
            return redirect("appointments:selfbook-home")
        return _page(request, "appointments/selfbook_start.html", {"form": PhoneForm()})
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _page(request, "appointments/selfbook_start.html", {"form": form}, 400)
    try:
        phone = selfservice.phone_clean(form.cleaned_data["phone"])
        selfservice.selfbook_code_request(phone=phone, ip=client_ip(request))
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, "appointments/selfbook_start.html", {"form": form}, 400)
    except selfservice.TooMany as exc:
        return _limited(request, form, exc, "phone")
    code_form = CodeForm(initial={"phone": form.cleaned_data["phone"]})
    return _page(
        request,
        "appointments/selfbook_start.html",
        {"form": code_form, "step": "code", "sent": True},
    )


@require_POST
@customer_page
def selfbook_verify(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    context = {"form": form, "step": "code"}
    if not form.is_valid():
        return _page(request, "appointments/selfbook_start.html", context, 400)
    try:
        phone = selfservice.phone_clean(form.cleaned_data["phone"])
        row = selfservice.selfbook_code_verify(
            phone=phone, code=form.cleaned_data["code"], ip=client_ip(request)
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, "appointments/selfbook_start.html", context, 400)
    except selfservice.TooMany as exc:
        return _limited(request, form, exc, "code")
    except DomainError as exc:
        form.add_error("code", exc.message)
        return _page(request, "appointments/selfbook_start.html", context, 400)
    response = redirect("appointments:selfbook-home")
    response.set_signed_cookie(
        COOKIE,
        str(row.pk),
        salt=SALT,
        max_age=selfservice.SESSION_MINUTES * 60,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@require_POST
@customer_page
def selfbook_logout(request: HttpRequest) -> HttpResponse:
    selfservice.selfbook_session_end(session_id=_session_id(request))
    response = redirect("appointments:selfbook")
    response.delete_cookie(COOKIE)
    return response


def _need_form(request: HttpRequest, data=None, form_class=SelfNeedForm):
    customer = request.selfbook_customer
    return form_class(
        data,
        initial={"wish": timezone.localdate()},
        service_types=selectors.service_types_offered(),
        vehicles=selfservice.customer_vehicles(customer=customer),
    )


@require_http_methods(["GET"])
@customer_required
@customer_page
def selfbook_home(request: HttpRequest) -> HttpResponse:
    customer = request.selfbook_customer
    context = {
        "customer": customer,
        "upcoming": selfservice.customer_upcoming(customer=customer),
        "form": _need_form(request),
        "cancel_form": SelfCancelForm(),
    }
    return _page(request, "appointments/selfbook_home.html", context)


@require_http_methods(["GET", "POST"])
@customer_required
@customer_page
def selfbook_new(request: HttpRequest) -> HttpResponse:
    """GET with the need: the three levelled proposals; POST: book the chosen one."""
    customer = request.selfbook_customer
    posted = request.method == "POST"
    form = _need_form(
        request, request.POST if posted else request.GET, SelfChooseForm if posted else SelfNeedForm
    )
    proposals, status = [], 200
    if not form.is_valid():
        return _page(request, "appointments/selfbook_propose.html", {"form": form}, 400)
    need = form.cleaned_data
    if posted:
        vehicles = {v.pk: v for v in selfservice.customer_vehicles(customer=customer)}
        try:
            appointment = services.appointment_book(
                by=None,
                customer=customer,
                asset=vehicles.get(need["asset"]),
                service_type=need["service_type"],
                starts_at=need["starts_at"],
                customer_words=need["customer_words"],
                channel=services.SELF_SERVICE,
            )
        except services.SlotTaken as exc:
            form.add_error(None, exc.message)
            proposals, status = exc.proposals, 409
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            messages.success(request, _booked_message(appointment))
            return redirect("appointments:selfbook-home")
    if not proposals:
        proposals = capacity.slot_proposals(service_type=need["service_type"], wish=need["wish"])
    context = {"form": form, "proposals": proposals}
    return _page(request, "appointments/selfbook_propose.html", context, status)


def _booked_message(appointment) -> str:
    return _("Booked: %(when)s, %(service)s. Number %(number)s. See you then!") % {
        "when": timezone.localtime(appointment.starts_at).strftime("%Y-%m-%d %H:%M"),
        "service": appointment.service_type.name,
        "number": appointment.number,
    }


def _own(request: HttpRequest, appointment_id: int):
    return selfservice.appointment_get_for_customer(
        customer=request.selfbook_customer, appointment_id=appointment_id
    )


def _not_found(request: HttpRequest) -> HttpResponse:
    return _page(request, "appointments/selfbook_home.html", {"missing": True}, 404)


@require_http_methods(["GET", "POST"])
@customer_required
@customer_page
def selfbook_move(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """GET: proposals for a new time (?wish=day); POST: move to the chosen one."""
    try:
        appointment = _own(request, appointment_id)
    except NotFound:
        return _not_found(request)
    form, status, proposals = SelfMoveForm(request.POST or None), 200, []
    if request.method == "POST" and form.is_valid():
        try:
            with_reason = _("Moved by the customer online.")
            new = services.appointment_reschedule(
                by=None,
                appointment=appointment,
                starts_at=form.cleaned_data["starts_at"],
                reason=with_reason,
                channel=services.SELF_SERVICE,
            )
        except services.SlotTaken as exc:
            form.add_error(None, exc.message)
            proposals, status = exc.proposals, 409
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 400
        else:
            messages.success(request, _booked_message(new))
            return redirect("appointments:selfbook-home")
    elif request.method == "POST":
        status = 400
    if not proposals:
        proposals = capacity.slot_proposals(
            service_type=appointment.service_type, wish=_wish(request) or appointment.day
        )
    context = {"form": form, "proposals": proposals, "appointment": appointment}
    return _page(request, "appointments/selfbook_propose.html", context, status)


def _wish(request: HttpRequest):
    try:
        return forms.DateField(required=False).clean(request.GET.get("wish") or None)
    except ValidationError:
        return None


@require_POST
@customer_required
@customer_page
def selfbook_cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        appointment = _own(request, appointment_id)
    except NotFound:
        return _not_found(request)
    form = SelfCancelForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_cancel(
                by=None,
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                channel=services.SELF_SERVICE,
            )
        except (DomainError, ValidationError) as exc:
            form.add_error(None, getattr(exc, "message", None) or _("It could not be cancelled."))
        else:
            messages.success(
                request, _("Appointment %(number)s cancelled.") % {"number": appointment.number}
            )
            return redirect("appointments:selfbook-home")
    customer = request.selfbook_customer
    context = {
        "customer": customer,
        "upcoming": selfservice.customer_upcoming(customer=customer),
        "form": _need_form(request),
        "cancel_form": form,
        "cancel_for": appointment.pk,
    }
    return _page(request, "appointments/selfbook_home.html", context, 400)
