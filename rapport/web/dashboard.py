"""The supervisor's team dashboard and the lists behind its figures."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rapport.analytics import dashboard as selectors
from rapport.core.http import FastPaginator, staff_view
from rapport.interactions.models import AgentStatusInterval, Interaction

POLL_SECONDS = 30


@require_GET
@staff_view("measures.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    """The board; with htmx only its figures (the page polls them every 30 seconds)."""
    scope = selectors.scope_for(staff=request.user, team_id=request.GET.get("team"))
    context = {
        "board": selectors.board(staff=request.user, scope=scope),
        "scope": scope,
        "poll_seconds": POLL_SECONDS,
    }
    if request.htmx:
        return render(request, "web/dashboard/board.html#board", context)
    return render(request, "web/dashboard/board.html", context)


@require_GET
@staff_view("measures.view")
def dashboard_items(request: HttpRequest, figure: str) -> HttpResponse:
    """The items behind one figure, as many as the figure says."""
    if figure not in selectors.FIGURES:
        raise Http404
    scope = selectors.scope_for(staff=request.user, team_id=request.GET.get("team"))
    status = request.GET.get("status", "")
    status = status if status in AgentStatusInterval.Status.values else ""
    channel = request.GET.get("channel", "")
    channel = channel if channel in Interaction.Channel.values else ""
    rows = selectors.figure_items(scope=scope, figure=figure, status=status, channel=channel)
    page = FastPaginator(rows, 50).get_page(request.GET.get("page"))
    context = {
        "figure": figure,
        "scope": scope,
        "page": page,
        "status_label": AgentStatusInterval.Status(status).label if status else "",
        "channel_label": Interaction.Channel(channel).label if channel else "",
    }
    return render(request, "web/dashboard/items.html", context)
