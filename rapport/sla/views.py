from datetime import datetime, time, timedelta

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from rapport.core.http import staff_view
from rapport.sla import selectors, services
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
    start, end, month = _month(request)
    by = request.GET.get("by") if request.GET.get("by") in selectors.GROUPS else None
    kinds = [
        (kind, label, selectors.sla_compliance(kind=kind, start=start, end=end, by=by))
        for kind, label in ServiceClock.Kind.choices
    ]
    drill = request.GET.get("drill")
    breaches = None
    if drill in ServiceClock.Kind.values:
        breaches = Paginator(
            selectors.compliance_breaches(kind=drill, start=start, end=end), 50
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "sla/compliance.html",
        {
            "kinds": kinds,
            "month": month,
            "by": by,
            "groups": [(k, v[2]) for k, v in selectors.GROUPS.items()],
            "drill": drill,
            "breaches": breaches,
        },
    )


@require_GET
@staff_view()
def alerts(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    page = Paginator(selectors.alerts_for(staff=request.user, open_only=not show_all), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "sla/alerts.html", {"page": page, "show_all": show_all})


@require_POST
@staff_view()
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get_for_staff(staff=request.user, alert_id=alert_id)
    services.alert_acknowledge(alert=alert, by=request.user)
    if request.htmx:
        alert.refresh_from_db()
        return render(request, "sla/alerts.html#alert-row", {"alert": alert})
    return redirect("sla:alerts")
