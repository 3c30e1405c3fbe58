"""The bell, the list of one's notifications, and one's preferences."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.core.http import staff_view
from rapport.notifications import selectors, services
from rapport.notifications.forms import preferences_from_post
from rapport.notifications.registry import APP, EMAIL, kinds

BELL_ITEMS = 8


def _poll_seconds() -> int:
    return getattr(settings, "RAPPORT_NOTIFY_POLL_SECONDS", 15)


@require_GET
@staff_view()
def bell(request: HttpRequest) -> HttpResponse:
    """The header's bell. Polled every few seconds with the state the page shows (`seen`):
    unchanged costs one indexed aggregate and answers 204, which htmx leaves alone."""
    count, newest = selectors.notification_bell_state(user=request.user)
    state = f"{count}-{newest}"
    seen = request.GET.get("seen", "")
    if seen == state:
        return HttpResponse(status=204)
    latest = list(selectors.notification_list_for(user=request.user)[:BELL_ITEMS])
    seen_newest = seen.partition("-")[2]
    arrived = bool(seen) and seen_newest.isdigit() and newest > int(seen_newest)
    context = {
        "count": count,
        "newest": newest,
        "state": state,
        "latest": latest,
        "arrived": arrived,
        "poll_seconds": _poll_seconds(),
    }
    return render(request, "notifications/bell.html", context)


@require_GET
@staff_view()
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.notification_list_for(user=request.user, unread_only=unread_only)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    newest = page.object_list[0].pk if page.number == 1 and page.object_list else None
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread_only": unread_only, "newest": newest},
    )


@require_GET
@staff_view()
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification to its item, marking it read (like opening a mail)."""
    notification = selectors.notification_get_for_user(
        user=request.user, notification_id=notification_id
    )
    services.notification_mark_read(notification=notification, by=request.user)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@require_POST
@staff_view()
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.notification_get_for_user(
        user=request.user, notification_id=notification_id
    )
    services.notification_mark_read(notification=notification, by=request.user)
    if request.htmx:
        response = render(
            request, "notifications/list.html#notification-row", {"notification": notification}
        )
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect(request.POST.get("next") or "notifications:list")


@require_POST
@staff_view()
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("up_to", "")
    up_to = int(raw) if raw.isdigit() and len(raw) < 19 else None
    done = services.notifications_mark_all_read(by=request.user, up_to_id=up_to)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": done})
    return redirect("notifications:list")


@require_http_methods(["GET", "POST"])
@staff_view()
def preferences(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.notification_preferences_save(
            user=request.user, choices=preferences_from_post(request.POST)
        )
        messages.success(request, _("Your notification choices are saved."))
        return redirect("notifications:preferences")
    saved = selectors.notification_preferences_of(user=request.user)
    rows = []
    for kind in kinds():
        pref = saved.get(kind.code)
        rows.append(
            {
                "code": kind.code,
                "label": kind.label,
                "app": pref.in_app if pref else APP in kind.default_channels,
                "email": pref.by_email if pref else EMAIL in kind.default_channels,
                "digest": pref.in_digest if pref else False,
            }
        )
    return render(
        request,
        "notifications/preferences.html",
        {"rows": rows, "has_email": bool(request.user.email)},
    )
