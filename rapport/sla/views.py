from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rapport.core.bulk import bulk_flash
from rapport.core.http import staff_view
from rapport.sla import selectors, services
from rapport.sla.bulk import alerts_acknowledge_bulk
from rapport.sla.models import ServiceClock


def _month(request: HttpRequest) -> tuple[datetime, datetime, str]:
    """The month named by ?month=YYYY-MM (default: this month) as [start, end)."""
    today = timezone.localdate()
    raw = request.GET.get("month", "")
    try:
        year, month = (int(p) for p in raw.split("-"))
        first = today.replace(year=year, month=month, day=1)
    except ValueError:
        first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, zone),
        datetime.combine(following, time.min, zone),
        f"{first:%Y-%m}",
    )


@require_GET
@staff_view("sla.compliance")
def compliance(request: HttpRequest) -> HttpResponse:
    """The month's compliance per clock kind (grouped on request), the open backlog by how long
    overdue, a 12-month trend, and the clocks behind any figure (?drill= or ?backlog=)."""
    start, end, month = _month(request)
    now = timezone.now()
    by = request.GET.get("by") if request.GET.get("by") in selectors.GROUPS else None
    rows = selectors.sla_compliance_by_kind(
        kinds=ServiceClock.Kind.values, start=start, end=end, by=by
    )
    kinds = [
        {
            "kind": kind,
            "label": label,
            "rows": rows[kind],
            "backlog": selectors.backlog_summary(kind=kind, now=now),
        }
        for kind, label in ServiceClock.Kind.choices
    ]
    trend_kind = request.GET.get("trend", ServiceClock.Kind.RESOLUTION)
    trend_kind = trend_kind if trend_kind in ServiceClock.Kind.values else "resolution"
    context = {
        "kinds": kinds,
        "month": month,
        "start": start,
        "end": end,
        "now": now,
        "by": by,
        "groups": list(selectors.GROUPS.items()),
        "buckets": [key for key, _low, _high in selectors.OVERDUE_BUCKETS],
        "trend_kind": trend_kind,
        "trend_label": ServiceClock.Kind(trend_kind).label,
        "trend": selectors.compliance_trend(kind=trend_kind, last=(end - timedelta(days=1)).date()),
        **_drill(request, start, end, now),
    }
    # The drill's URL is pushed: a visit back to it that htmx cannot restore from its own
    # history asks for the whole page (HX-History-Restore-Request), not the drill alone.
    drilled = context["drill_page"] is not None
    if drilled and request.htmx and not request.htmx.history_restore_request:
        return render(request, "sla/compliance.html#drill", context)
    return render(request, "sla/compliance.html", context)


def _drill(request: HttpRequest, start, end, now) -> dict:
    drill = request.GET.get("drill")
    backlog = request.GET.get("backlog")
    age = request.GET.get("age", "")
    age = age if age in [key for key, _low, _high in selectors.OVERDUE_BUCKETS] else ""
    rows = None
    if drill in ServiceClock.Kind.values:
        rows = selectors.compliance_breaches(kind=drill, start=start, end=end)
    elif backlog in ServiceClock.Kind.values:
        rows = selectors.backlog_clocks(kind=backlog, now=now, bucket=age)
    page = Paginator(rows, 50).get_page(request.GET.get("page")) if rows is not None else None
    return {
        "drill": drill if rows is not None and drill else "",
        "backlog": backlog if rows is not None and not drill else "",
        "age": age,
        "drill_page": page,
    }


@require_GET
@staff_view()
def alerts(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    page = Paginator(selectors.alerts_for(staff=request.user, open_only=not show_all), 50).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "show_all": show_all,
        "alert_bulk_choices": [("acknowledge", _("Acknowledge"))],
    }
    return render(request, "sla/alerts.html", context)


@require_POST
@staff_view()
def alerts_bulk(request: HttpRequest) -> HttpResponse:
    """Acknowledge the ticked alerts, each through alert_acknowledge; the summary as messages."""
    try:
        result = alerts_acknowledge_bulk(staff=request.user, ids=request.POST.getlist("ids"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        bulk_flash(request, result)
    return redirect("sla:alerts")


@require_POST
@staff_view()
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get_for_staff(staff=request.user, alert_id=alert_id)
    services.alert_acknowledge(alert=alert, by=request.user)
    if request.htmx:
        alert.refresh_from_db()
        return render(request, "sla/alerts.html#alert-row", {"alert": alert})
    return redirect("sla:alerts")
