from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rapport.core.http import staff_view
from rapport.core.models import AuditEntry
from rapport.web.home import home_panels


@require_GET
@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"panels": home_panels(request.user)})


@require_GET
@staff_view("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    entries = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
    action = request.GET.get("action", "")
    if action in AuditEntry.Action.values:
        entries = entries.filter(action=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/audit_log.html",
        {"page": page, "actions": AuditEntry.Action.choices, "action": action},
    )
