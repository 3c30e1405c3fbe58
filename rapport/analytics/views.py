"""The team-lead figures page and the records behind each figure (each with its own URL)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from rapport.analytics import measures
from rapport.analytics.forms import PeriodForm
from rapport.core.http import FastPaginator, filter_status, staff_view
from rapport.interactions.measures import Scope


def _params(request: HttpRequest) -> str:
    """The query string of the period and scope alone, for the links between the pages."""
    kept = request.GET.copy()
    for name in list(kept):
        if name not in ("team", "person", "date_from", "date_to"):
            kept.pop(name)
    return kept.urlencode()


def _parse(request: HttpRequest) -> tuple[PeriodForm, measures.Period, Scope]:
    form = PeriodForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    period = data.get("period") or measures.this_month()
    return form, period, Scope(team=data.get("team"), person=data.get("person"))


@require_GET
@staff_view("measures.view")
def team_measures(request: HttpRequest) -> HttpResponse:
    form, period, scope = _parse(request)
    now = timezone.now()
    context = {
        "form": form,
        "period": period,
        "scope": scope,
        "now": now,
        "params": _params(request),
        "figures": measures.team_figures(period=period, scope=scope, now=now),
        "age_keys": [key for key, _low, _high in measures.AGE_BUCKETS],
    }
    return render(request, "analytics/team_measures.html", context, status=filter_status(form))


@require_GET
@staff_view("measures.view")
def team_measures_items(request: HttpRequest, figure: str) -> HttpResponse:
    if figure not in measures.FIGURES:
        raise Http404
    form, period, scope = _parse(request)
    now = timezone.now()
    key = request.GET.get("key", "")[:20]
    rows = measures.figure_items(figure=figure, period=period, scope=scope, now=now, key=key)
    context = {
        "form": form,
        "period": period,
        "scope": scope,
        "now": now,
        "figure": figure,
        "key": key,
        "params": _params(request),
        "page": FastPaginator(rows, 50).get_page(request.GET.get("page")),
    }
    template = "analytics/team_measures_items.html"
    if request.htmx:
        template += "#items"
    return render(request, template, context, status=filter_status(form))
