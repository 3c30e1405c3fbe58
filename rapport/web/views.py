from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rapport.core.http import staff_view
from rapport.core.models import AuditEntry
from rapport.staff.models import User
from rapport.web.audit import audit_detail_text, audit_filter
from rapport.web.home import home_panels


@require_GET
@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {"panels": home_panels(request.user)})


@require_GET
@login_required
def bench_bare(request: HttpRequest) -> HttpResponse:
    """The ceiling of this stack for `make bench`: every middleware, the session and the user
    read, and nothing else. Routed only when RAPPORT_BENCH_BARE_VIEW is set."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
@staff_view("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    kwargs, errors, shown = audit_filter(request.GET)
    entries = AuditEntry.objects.filter(**kwargs).select_related("actor").order_by("-at", "-id")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page:
        entry.detail_text = audit_detail_text(entry)
    actors = User.objects.filter(
        pk__in=AuditEntry.objects.exclude(actor=None).values("actor_id").distinct()
    ).order_by("username")
    return render(
        request,
        "web/audit_log.html",
        {
            "page": page,
            "actions": AuditEntry.Action.choices,
            "actors": actors,
            "shown": shown,
            "errors": errors,
        },
        status=400 if errors else 200,
    )
