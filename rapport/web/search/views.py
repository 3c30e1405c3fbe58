from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from rapport.core.http import staff_view
from rapport.web.search.selectors import search_everywhere


@require_GET
@staff_view()
def search(request: HttpRequest) -> HttpResponse:
    """The grouped results page; with htmx, the header's dropdown (the same groups)."""
    results = search_everywhere(staff=request.user, q=request.GET.get("q", ""))
    context = {"results": results, "q": results.q}
    if request.htmx:
        return render(request, "web/search.html#groups", context)
    return render(request, "web/search.html", context)
