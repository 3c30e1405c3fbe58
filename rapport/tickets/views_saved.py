"""Saved views of the queue: the queue reads one (?view=), the save and delete forms."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.errors import DomainError
from rapport.core.http import staff_view
from rapport.staff.models import Team
from rapport.tickets import selectors
from rapport.tickets.models import SavedView
from rapport.tickets.services.saved_views import (
    COLUMNS,
    DEFAULT_COLUMNS,
    FILTERS,
    saved_view_delete,
    saved_view_save,
)


def queue_source(request: HttpRequest) -> tuple[QueryDict, SavedView | None]:
    """The queue's filter values: a saved view's (?view=), with what the request itself gives
    on top (a filter changed after opening the view)."""
    view_id = request.GET.get("view")
    if not view_id:
        return request.GET, None
    view = selectors.saved_view_get_for_staff(staff=request.user, view_id=view_id)
    data = QueryDict(mutable=True)
    data.update({k: str(v) for k, v in view.filters.items()})
    for key in request.GET:
        if key != "view" and request.GET.get(key) != "":
            data[key] = request.GET[key]
    return data, view


def queue_views_context(request: HttpRequest, view: SavedView | None) -> dict:
    return {
        "saved_view": view,
        "columns": view.columns if view else DEFAULT_COLUMNS,
        "column_labels": COLUMNS,
    }


def queue_views_page_context(request: HttpRequest) -> dict:
    """What only the full page shows: the views to pick from and the save form."""
    return {
        "saved_views": selectors.saved_views_for(staff=request.user),
        "my_teams": list(request.user.teams.order_by("name")),
    }


@require_POST
@staff_view("tickets.view")
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the queue's current filters under a name, with the columns ticked."""
    post = request.POST
    team = None
    if post.get("team"):
        raw = post["team"]
        team = Team.objects.filter(pk=raw).first() if raw.isdigit() and len(raw) < 19 else None
        if team is None:
            messages.error(request, _("Share views only with a team of yours."))
            return redirect("tickets:queue")
    filters = {k: post[k] for k in FILTERS if post.get(k)}
    try:
        view = saved_view_save(
            by=request.user,
            name=post.get("name", ""),
            filters=filters,
            columns=post.getlist("columns"),
            team=team,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("tickets:queue") + "?" + urlencode(filters))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return redirect(reverse("tickets:queue") + f"?view={view.pk}")


@require_POST
@staff_view("tickets.view")
def saved_view_remove(request: HttpRequest, view_id: int) -> HttpResponse:
    view = selectors.saved_view_get_for_staff(staff=request.user, view_id=view_id)
    try:
        saved_view_delete(view=view, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("tickets:queue")
