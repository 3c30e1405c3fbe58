"""The supervisor's approvals inbox: remedies the customer chose that wait for the lead's decision,
decided one by one in place or many at once.

The bulk action decides each remedy through `remedy_decide`, in its own savepoint, so one refusal
(decided meanwhile by someone else, rejected without a reason) leaves the others done and the
summary says which and why. (Local loop: rapport.core.bulk had not landed when this was written.)
"""

from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from rapport.analytics.dashboard import scope_for
from rapport.core.bounds import BoundedFormMixin
from rapport.core.errors import DomainError, NotFound
from rapport.core.http import FastPaginator, staff_view
from rapport.tickets import services
from rapport.tickets.models import Remedy
from rapport.tickets.selectors import approval_get_for_staff, pending_approvals

PAGE_SIZE = 25
MAX_AT_ONCE = 200
NEW_FOR_HOURS = 24


class RemedyIdsField(forms.Field):
    """Remedy ids, each a positive integer, at most MAX_AT_ONCE of them."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if len(values) > MAX_AT_ONCE:
            raise ValidationError(
                gettext_lazy("Choose at most %(n)s remedies at a time."), params={"n": MAX_AT_ONCE}
            )
        try:
            ids = [int(v) for v in values]
        except (TypeError, ValueError) as exc:
            raise ValidationError(gettext_lazy("Choose remedies from the list.")) from exc
        if any(i <= 0 or i >= 2**63 for i in ids):
            raise ValidationError(gettext_lazy("Choose remedies from the list."))
        return list(dict.fromkeys(ids))


class DecisionForm(BoundedFormMixin, forms.Form):
    remedy = RemedyIdsField(
        label=gettext_lazy("Remedies"),
        error_messages={"required": gettext_lazy("Choose at least one remedy.")},
    )
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))],
    )
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=500, required=False)


@dataclass
class Outcome:
    remedy_id: int
    remedy: Remedy | None
    error: str = ""


def _decide_each(*, staff, ids: list[int], approve: bool, comment: str) -> list[Outcome]:
    outcomes = []
    for remedy_id in ids:
        try:
            with transaction.atomic():
                remedy = approval_get_for_staff(staff=staff, remedy_id=remedy_id)
                remedy = services.remedy_decide(
                    remedy=remedy, by=staff, approve=approve, comment=comment
                )
        except ValidationError as exc:
            outcomes.append(Outcome(remedy_id, None, " ".join(exc.messages)))
        except DomainError as exc:
            outcomes.append(Outcome(remedy_id, None, str(exc.message)))
        else:
            outcomes.append(Outcome(remedy_id, remedy))
    return outcomes


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
    form = DecisionForm(request.POST)
    row = request.POST.get("row") == "1"
    back = reverse("web:approvals") + (f"?{request.GET.urlencode()}" if request.GET else "")
    if not form.is_valid():
        if row and request.htmx:
            return _row_response(request, form, remedy_id=request.POST.get("remedy"))
        context = _list_context(request) | {"bulk_form": form}
        return render(request, "web/approvals/inbox.html", context, status=400)
    data = form.cleaned_data
    outcomes = _decide_each(
        staff=request.user,
        ids=data["remedy"],
        approve=data["decision"] == "approve",
        comment=data["comment"],
    )
    if row and request.htmx:
        return _row_response(request, form, outcome=outcomes[0])
    done = [o for o in outcomes if o.remedy is not None]
    refused = [o for o in outcomes if o.remedy is None]
    if done:
        text = _("Approved: %(n)s.") if data["decision"] == "approve" else _("Rejected: %(n)s.")
        messages.success(request, text % {"n": len(done)})
    for outcome in refused:
        messages.error(
            request,
            _("Remedy %(id)s was not decided: %(why)s")
            % {"id": outcome.remedy_id, "why": outcome.error},
        )
    return redirect(back)


def _row_response(request, form, *, outcome: Outcome | None = None, remedy_id=None):
    """The row again: decided, or still pending with the error where the lead is looking."""
    remedy, error = None, ""
    if outcome is not None:
        remedy, error = outcome.remedy, outcome.error
        remedy_id = outcome.remedy_id
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if remedy is None:
        try:
            remedy = approval_get_for_staff(staff=request.user, remedy_id=remedy_id)
        except NotFound:
            remedy = None
    context = {
        "r": remedy,
        "remedy_id": remedy_id,
        "error": error,
        "comment": form.data.get("comment", ""),
        "decided": outcome is not None and outcome.remedy is not None,
        "new_since": timezone.now() - timedelta(hours=NEW_FOR_HOURS),
    }
    return render(request, "web/approvals/inbox.html#row", context)
