"""Work-order pages (维修工单): the list, one order laid out in the texts' order with its actions,
opening one at reception, and the A4 print. Every action is a real form; with htmx the order's
region is swapped in place, without it the page is redirected to (or shown again with the
refusal). Thin views over workorders.py and workorder_selectors.py."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rapport.appointments import selectors, suggestions
from rapport.appointments import workorder_selectors as wsel
from rapport.appointments import workorders as wo
from rapport.appointments.models import Appointment, WorkOrder
from rapport.appointments.workorder_forms import (
    AuthoriseForm,
    ExplainForm,
    ItemForm,
    OpenForm,
    WaitForm,
    WorkOrderFilterForm,
)
from rapport.appointments.workorder_writing import (
    five_explanations,
    repeat_apology,
    work_order_send_in_writing,
)
from rapport.core.errors import DomainError
from rapport.core.http import FastPaginator, add_service_errors, filter_status, staff_view
from rapport.customers.models import Asset

PAGE_SIZE = 25
PAGE_CAP = 1000
PAGE = "appointments/workorder_detail.html"
STEPS = ("start", "wait", "resume", "finish", "deliver")


@require_GET
@staff_view("appointments.book")
def work_order_list(request: HttpRequest) -> HttpResponse:
    advisors = wsel.advisors_for_filter()
    form = WorkOrderFilterForm(request.GET or None, advisors=advisors)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = wsel.work_order_list(
        staff=request.user,
        state=filters.get("state") or "",
        advisor_id=filters.get("advisor"),
        view=filters.get("view") or "",
    )
    page = FastPaginator(rows, PAGE_SIZE, cap=PAGE_CAP).get_page(request.GET.get("page"))
    template = "appointments/workorder_list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, {"form": form, "page": page}, status=filter_status(form))


def _context(request: HttpRequest, order: WorkOrder, **extra) -> dict:
    now = timezone.now()
    items = list(order.items.all())
    authorisations = list(order.authorisations.all())
    return {
        "order": order,
        "items": items,
        "total": sum((i.total for i in items), Decimal("0")),
        "authorisations": authorisations,
        "missing": wo.authorisation_missing(order, now)
        if order.state not in (WorkOrder.State.DONE, WorkOrder.State.DELIVERED)
        else "",
        "explanations": five_explanations(order),
        "apology": repeat_apology(order) if order.is_repeat else [],
        "complaint_entry": wsel.work_order_opening_entry(order=order) if order.is_repeat else None,
        "suggested": [
            s
            for s in suggestions.suggestions_for(
                asset=order.asset,
                mileage_km=suggestions.current_mileage(
                    asset=order.asset, order=order, appointment=order.appointment
                ),
                exclude_order=order,
            )
            if not s.price_item or all(i.price_item_id != s.price_item.pk for i in items)
        ]
        if order.state not in (WorkOrder.State.DONE, WorkOrder.State.DELIVERED)
        else [],
        "item_form": extra.pop("item_form", None) or ItemForm(),
        "authorise_form": extra.pop("authorise_form", None)
        or AuthoriseForm(initial={"given_by": order.customer.name}),
        "wait_form": extra.pop("wait_form", None) or WaitForm(),
        "now": now,
        **extra,
    }


def _answer(request: HttpRequest, order: WorkOrder, *, status: int = 200, **extra) -> HttpResponse:
    """After an action: the order's region for htmx, else back to the page (or the page again
    with the refusal when `status` is not 200)."""
    if status == 200 and not request.htmx:
        return redirect("appointments:work-order", order.pk)
    fresh = wsel.work_order_page(staff=request.user, work_order_id=order.pk)
    template = f"{PAGE}#order" if request.htmx else PAGE
    return render(request, template, _context(request, fresh, **extra), status=status)


def _order(request: HttpRequest, work_order_id: int) -> WorkOrder:
    return wsel.work_order_page(staff=request.user, work_order_id=work_order_id)


@require_GET
@staff_view("appointments.book")
def work_order_detail(request: HttpRequest, work_order_id: int) -> HttpResponse:
    order = _order(request, work_order_id)
    return render(request, PAGE, _context(request, order))


@require_POST
@staff_view("appointments.book")
def work_order_add_item(request: HttpRequest, work_order_id: int) -> HttpResponse:
    order = _order(request, work_order_id)
    form = ItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        item = wo.ItemIn(
            price_item=data["price_item"],
            description=data["description"],
            unit_price=data["unit_price"] or None,
            quantity=data["quantity"],
        )
        try:
            wo.work_order_add_item(by=request.user, work_order=order, item=item)
        except ValidationError as exc:
            form.add_error(None, exc.message_dict.get("item", exc.messages))
        except DomainError as exc:
            return _answer(request, order, status=exc.status, refusal=exc.message)
        else:
            return _answer(request, order)
    return _answer(request, order, status=400, item_form=form)


@require_POST
@staff_view("appointments.book")
def work_order_authorise(request: HttpRequest, work_order_id: int) -> HttpResponse:
    order = _order(request, work_order_id)
    form = AuthoriseForm(request.POST)
    if form.is_valid():
        try:
            wo.work_order_authorise(by=request.user, work_order=order, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            return _answer(request, order, status=exc.status, refusal=exc.message)
        else:
            return _answer(request, order)
    return _answer(request, order, status=400, authorise_form=form)


@require_POST
@staff_view("appointments.book")
def work_order_step(request: HttpRequest, work_order_id: int, step: str) -> HttpResponse:
    """start | wait | resume | finish | deliver; refused with the rule's own words."""
    order = _order(request, work_order_id)
    if step not in STEPS:
        return _answer(request, order, status=404, refusal=_("Unknown step."))
    form = WaitForm(request.POST)
    form.is_valid()
    try:
        if step == "deliver":
            wo.work_order_deliver(by=request.user, work_order=order)
        else:
            wo.work_order_move(
                by=request.user,
                work_order=order,
                move=step,
                waiting_for=form.cleaned_data.get("waiting_for", ""),
            )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _answer(request, order, status=400, wait_form=form)
    except DomainError as exc:
        return _answer(request, order, status=exc.status, refusal=exc.message)
    return _answer(request, order)


@require_POST
@staff_view("appointments.book")
def work_order_explain(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The five explanations as ticked now (an unticked box is taken back)."""
    order = _order(request, work_order_id)
    form = ExplainForm(request.POST)
    form.is_valid()
    try:
        wo.work_order_explain(by=request.user, work_order=order, ticks=form.cleaned_data)
    except DomainError as exc:
        return _answer(request, order, status=exc.status, refusal=exc.message)
    return _answer(request, order)


@require_POST
@staff_view("appointments.book")
def work_order_send(request: HttpRequest, work_order_id: int) -> HttpResponse:
    order = _order(request, work_order_id)
    try:
        outbox = work_order_send_in_writing(by=request.user, work_order=order)
    except ValidationError as exc:
        return _answer(request, order, status=400, refusal=" ".join(exc.messages))
    note = _("Queued to the customer by %(channel)s.") % {"channel": outbox.get_channel_display()}
    if request.htmx:
        return _answer(request, order, status=200, sent=note)
    messages.success(request, note)
    return _answer(request, order)


@require_GET
@staff_view("appointments.book")
def work_order_print(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The work order on one A4 sheet, for the browser's print."""
    order = _order(request, work_order_id)
    items = list(order.items.all())
    context = {
        "order": order,
        "items": items,
        "total": sum((i.total for i in items), Decimal("0")),
        "authorisations": list(order.authorisations.all()),
        "explanations": five_explanations(order),
        "printed_at": timezone.now(),
    }
    return render(request, "appointments/workorder_print.html", context)


@require_POST
@staff_view("appointments.book")
def work_order_open(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Write the work order at reception for an arrived appointment."""
    appointment = selectors.appointment_get_for_staff(
        staff=request.user, appointment_id=appointment_id
    )
    written = WorkOrder.objects.filter(appointment=appointment).only("pk").first()
    if written is not None:  # sent twice (a double click): the order already written
        return redirect("appointments:work-order", written.pk)
    form = OpenForm(request.POST)
    if form.is_valid() and appointment.asset is not None:
        data = form.cleaned_data
        try:
            order = wo.work_order_open(
                by=request.user,
                customer=appointment.customer,
                asset=appointment.asset,
                appointment=appointment,
                customer_words=data["customer_words"],
                payment_method=data["payment_method"],
                keep_old_parts=data["keep_old_parts"],
                mileage_km=data["mileage_km"],
                promised_at=data["promised_at"],
                items=[wo.ItemIn(price_item=p) for p in data["items"]],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Work order %(number)s written.") % {"number": order.number}
            )
            return redirect("appointments:work-order", order.pk)
    elif appointment.asset is None:
        form.add_error(None, _("Record the customer's vehicle on the appointment first."))
    context = {"reception": reception_panel_context(appointment, open_form=form)}
    return render(request, "appointments/workorder_open.html", context, status=400)


def reception_panel_context(appointment: Appointment, open_form: OpenForm | None = None) -> dict:
    """What the reception panel of an arrived appointment shows: the items suggested by mileage
    and age, and the form that writes the work order (or a link to the one written)."""
    asset: Asset | None = appointment.asset
    written = WorkOrder.objects.filter(appointment=appointment).only("pk").first()
    suggested = suggestions.suggestions_for(
        asset=asset,
        mileage_km=suggestions.current_mileage(asset=asset, appointment=appointment),
    )
    form = open_form or OpenForm(
        initial={
            "customer_words": appointment.customer_words,
            "mileage_km": appointment.arrival_mileage_km or appointment.mileage_km,
            "items": [s.price_item.pk for s in suggested if s.price_item],
        }
    )
    return {
        "appointment": appointment,
        "written": written,
        "suggested": suggested,
        "open_form": form,
        "open_url": reverse("appointments:work-order-open", args=[appointment.pk]),
    }
