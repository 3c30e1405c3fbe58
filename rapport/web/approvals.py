"""The supervisor's approvals inbox: remedies the customer chose that wait for the lead's decision,
decided one by one in place or many at once.

The bulk action decides each remedy through `remedy_decide`, in its own savepoint
(rapport.core.bulk), so one refusal (decided meanwhile by someone else, rejected without a
reason) leaves the others done and the summary says which and why.
"""

import contextlib
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from rapport.analytics.dashboard import scope_for
from rapport.core.bounds import BoundedFormMixin
from rapport.core.bulk import MAX_BULK_ITEMS, BulkResult, bulk_ids, bulk_run
from rapport.core.errors import NotFound
from rapport.core.http import FastPaginator, add_service_errors, staff_view
from rapport.tickets import services
from rapport.tickets.models import Remedy
from rapport.tickets.selectors import (
    approval_get_for_staff,
    pending_approvals,
    remedies_to_decide_qs,
)

PAGE_SIZE = 25
MAX_AT_ONCE = MAX_BULK_ITEMS
NEW_FOR_HOURS = 24


class DecisionForm(BoundedFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))],
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=500, required=False)


def _parsed(request: HttpRequest) -> tuple[DecisionForm, list[int]]:
    form = DecisionForm(request.POST)
    ids: list[int] = []
    if form.is_valid():
        try:
            ids = bulk_ids(request.POST.getlist("remedy"), field_name="remedy")
        except ValidationError as exc:
            add_service_errors(form, exc)
    return form, ids


def _decide_each(*, staff, ids: list[int], approve: bool, comment: str) -> BulkResult:
    """Each remedy through `remedy_decide` in its own savepoint (rapport.core.bulk)."""
    scope = remedies_to_decide_qs(staff=staff).select_related("ticket")
    found = {r.pk: r for r in scope.filter(pk__in=ids)}
    return bulk_run(
        ids=ids,
        found=found,
        label=lambda r: r.ticket.number,
        id_label=lambda pk: _("remedy %(id)s") % {"id": pk},
        not_found=_("Not found, or not yours to decide."),
        act=lambda r: services.remedy_decide(remedy=r, by=staff, approve=approve, comment=comment),
    )


def _list_context(request: HttpRequest) -> dict:
    scope = scope_for(staff=request.user, team_id=request.GET.get("team"))
    team_ids = scope.team_ids if scope.team_param else None
    rows = pending_approvals(staff=request.user, team_ids=team_ids)
    return {
        "page": FastPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "scope": scope,
        "new_since": timezone.now() - timedelta(hours=NEW_FOR_HOURS),
        "max_at_once": MAX_AT_ONCE,
    }


@require_GET
@staff_view("tickets.approve")
def approval_inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "web/approvals/inbox.html", _list_context(request))


@require_POST
@staff_view("tickets.approve")
def approval_decide(request: HttpRequest) -> HttpResponse:
    """One remedy from its row (htmx: the row comes back, decided or with the error beside the
    comment box) or many from the bulk form (a summary of what was done and what was refused)."""
    form, ids = _parsed(request)
    row = request.POST.get("row") == "1" and request.htmx
    if form.errors:
        if row:
            error = " ".join(e for errors in form.errors.values() for e in errors)
            return _row(request, request.POST.get("remedy"), error=error)
        context = _list_context(request) | {"bulk_form": form}
        return render(request, "web/approvals/inbox.html", context, status=400)
    data = form.cleaned_data
    approve = data["decision"] == "approve"
    result = _decide_each(staff=request.user, ids=ids, approve=approve, comment=data["comment"])
    if row:
        outcome = result.outcomes[0]
        return _row(request, outcome.item_id, error=outcome.reason, decided=outcome.ok)
    if result.done_count:
        text = _("Approved: %(n)s.") if approve else _("Rejected: %(n)s.")
        messages.success(request, text % {"n": result.done_count})
    for reason, outcomes in result.refused_by_reason():
        messages.error(
            request,
            _("Not decided (%(n)s): %(why)s %(items)s")
            % {"n": len(outcomes), "why": reason, "items": "、".join(o.label for o in outcomes)},
        )
    back = reverse("web:approvals") + (f"?{request.GET.urlencode()}" if request.GET else "")
    return redirect(back)


def _row(request: HttpRequest, remedy_id, *, error: str = "", decided: bool = False):
    """The row again: decided, or still pending with the error where the lead is looking (or
    gone, when it no longer waits for them)."""
    remedy = None
    if decided:
        remedy = Remedy.objects.select_related("ticket", "offered_by").get(pk=remedy_id)
    else:
        with contextlib.suppress(NotFound):
            remedy = approval_get_for_staff(staff=request.user, remedy_id=remedy_id)
    context = {
        "r": remedy,
        "remedy_id": remedy_id,
        "error": error,
        "comment": request.POST.get("comment", ""),
        "decided": decided,
        "new_since": timezone.now() - timedelta(hours=NEW_FOR_HOURS),
    }
    return render(request, "web/approvals/inbox.html#row", context)
