from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from rapport.assist import selectors
from rapport.assist.coach import coach_check
from rapport.assist.forms import CoachCheckForm, CoachReviewForm, PhrasePickForm
from rapport.assist.models import CoachRule
from rapport.assist.rules import LABELS
from rapport.core.http import staff_view


def _errors(form) -> JsonResponse:
    return JsonResponse({"errors": form.errors.get_json_data()}, status=422)


@require_POST
@staff_view("assist.coach")
def coach_check_view(request: HttpRequest) -> JsonResponse:
    """The coach as the representative types (assist/coach.js posts the draft, debounced)."""
    form = CoachCheckForm(request.POST)
    if not form.is_valid():
        return _errors(form)
    replacements = {
        (code, language): replacement
        for code, language, replacement in CoachRule.objects.filter(enabled=True)
        .values_list("code", "language", "replacement")
        .order_by()
    }
    flags = [
        {
            **flag.as_dict(),
            "label": str(LABELS.get(flag.rule, flag.rule)),
            "replacement": replacements.get((flag.rule, flag.language), ""),
        }
        for flag in coach_check(form.cleaned_data["text"], language=form.cleaned_data["language"])
    ]
    return JsonResponse({"flags": flags})


@require_GET
@staff_view("assist.coach")
def phrase_pick(request: HttpRequest) -> JsonResponse:
    """Phrases for the `/` picker, with the variables filled for this customer and agent."""
    form = PhrasePickForm(request.GET)
    if not form.is_valid():
        return _errors(form)
    customer = form.customer_for(request.user)
    phrases = selectors.phrase_search(
        q=form.cleaned_data["q"], language=form.cleaned_data["language"]
    )
    items = [
        {
            "code": p.code,
            "situation": p.get_situation_display(),
            "language": p.language,
            "text": selectors.phrase_render(phrase=p, agent=request.user, customer=customer),
        }
        for p in phrases
    ]
    return JsonResponse({"phrases": items}, json_dumps_params={"ensure_ascii": False})


@require_GET
@staff_view("assist.review")
def coach_review(request: HttpRequest) -> HttpResponse:
    """Per agent and per rule: how often each discouraged phrasing appears, week by week, and
    how often it was fixed before sending (质检 before sending, not after)."""
    form = CoachReviewForm(request.GET)
    days = form.cleaned_data["days"] if form.is_valid() else 28
    since, weeks = selectors.coach_period(days)
    agents = selectors.coach_agents_for(request.user)
    context = {
        "form": form,
        "weeks": weeks,
        "by_agent": selectors.coach_summary(by="agent", since=since, weeks=weeks, agents=agents),
        "by_rule": selectors.coach_summary(by="rule", since=since, weeks=weeks, agents=agents),
    }
    return render(request, "assist/review.html", context)
