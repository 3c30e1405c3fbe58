"""The workshop's measures page for service managers (issue 14, item 9)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rapport.appointments import measures
from rapport.appointments.workorder_forms import MeasuresForm
from rapport.core.http import staff_view


@require_GET
@staff_view("appointments.manage")
def workshop_measures(request: HttpRequest) -> HttpResponse:
    """?first=&last= (at most 92 days; default the last 30)."""
    form = MeasuresForm(request.GET or {})
    status = 200
    if not form.is_valid():
        status, form = 400, _with_errors(form)
    period = form.cleaned_data
    result = measures.workshop_measures(first=period["first"], last=period["last"])
    context = {"form": form, "m": result, "first": period["first"], "last": period["last"]}
    return render(request, "appointments/measures.html", context, status=status)


def _with_errors(refused: MeasuresForm) -> MeasuresForm:
    """The default period, with the refused form's errors kept to show."""
    form = MeasuresForm({})
    form.is_valid()
    form._errors.update(refused.errors)
    return form
