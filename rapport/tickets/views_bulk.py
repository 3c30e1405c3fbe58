"""Work on many tickets at once, and merge and split: the queue's action bar, its summary, and
the merge and split forms of the ticket page. The services do the work, one ticket at a time."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.errors import DomainError
from rapport.core.html import fmt
from rapport.core.http import staff_view
from rapport.core.memo import ProcessMemo
from rapport.tickets import selectors
from rapport.tickets.models import Priority
from rapport.tickets.services.bulk import BULK_ACTIONS, tickets_bulk
from rapport.tickets.services.merge import ticket_merge, ticket_split

# The bar's "assign to" options, the same for every queue page: kept per process, forgotten
# when a staff member is saved or deleted here (TicketsConfig.ready), within 30 s elsewhere.
WORK_STAFF_OPTIONS = ProcessMemo("bulk bar staff options", ttl=30)


def _staff_options() -> SafeString:
    return SafeString(
        "".join(fmt('<option value="{}">{}</option>', s.pk, s) for s in selectors.work_staff())
    )


def bulk_bar_context(staff) -> dict:
    """What the queue's action bar offers; staff are listed only to those who may assign."""
    if not staff.can("tickets.work"):
        return {}
    return {
        "bulk_actions": BULK_ACTIONS,
        "bulk_staff_options": WORK_STAFF_OPTIONS.get("options", _staff_options),
        "bulk_priorities": Priority.choices,
    }


@require_POST
@staff_view("tickets.work")
def ticket_bulk(request: HttpRequest) -> HttpResponse:
    """The queue's action bar. With htmx the summary replaces the bar's result region and the
    queue reloads; without, the summary is a page of its own. Bad input is a 400 naming the
    field, with nothing done."""
    post = request.POST
    action = post.get("action", "")
    context = {"action": action, "action_label": BULK_ACTIONS.get(action, "")}
    try:
        context["result"] = tickets_bulk(
            staff=request.user,
            action=action,
            ids=post.getlist("ids"),
            to_staff_id=post.get("to_staff_id"),
            priority=post.get("priority"),
            reason=post.get("reason", ""),
            body=post.get("body", ""),
            into_id=post.get("into_id"),
        )
        status = 200
    except ValidationError as exc:
        context["errors"] = exc.message_dict
        status = 400
    template = "tickets/bulk_result.html"
    if request.htmx:
        response = render(request, template + "#summary", context, status=status)
        if status == 200:
            response["HX-Trigger"] = "tickets-changed"
        return response
    return render(request, template, context, status=status)


def _back(ticket_id: int) -> HttpResponse:
    from django.urls import reverse

    return redirect(reverse("tickets:detail", args=[ticket_id]) + "#links")


@require_POST
@staff_view("tickets.work")
def ticket_merge_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Close this ticket as a duplicate of the one numbered in `into` (T000256 or 256)."""
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    raw = (request.POST.get("into") or "").strip().upper().lstrip("T")
    try:
        if not raw.isdigit() or len(raw) > 18:
            raise ValueError(raw)
        into = selectors.ticket_get_for_staff(staff=request.user, ticket_id=int(raw))
        ticket_merge(
            ticket=ticket, into=into, by=request.user, reason=request.POST.get("reason", "")
        )
    except (ValueError, DomainError) as exc:
        message = getattr(exc, "message", "") or _("Give the number of the surviving ticket.")
        if str(message) == str(_("No such ticket.")):
            message = _("Give the number of the surviving ticket.")
        messages.error(request, message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Closed as a duplicate of %(number)s.") % {"number": into.number}
        )
    return _back(ticket.pk)


@require_POST
@staff_view("tickets.work")
def ticket_split_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """A new ticket from the customer messages ticked on the ticket page."""
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    try:
        new = ticket_split(
            ticket=ticket,
            by=request.user,
            message_ids=request.POST.getlist("message_ids"),
            subject=request.POST.get("subject", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Ticket %(number)s opened.") % {"number": new.number})
        return redirect("tickets:detail", new.pk)
    return _back(ticket.pk)
