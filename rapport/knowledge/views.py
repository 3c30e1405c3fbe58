from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rapport.core.errors import NotFound
from rapport.core.http import add_service_errors, customer_page, filter_status, staff_view
from rapport.knowledge import registry, search, selectors, services
from rapport.knowledge.forms import ArticleForm, HelpSearchForm, ListFilterForm, TransitionForm
from rapport.knowledge.models import Article

PAGE_SIZE = 25


@require_GET
@staff_view("knowledge.view")
def article_list(request: HttpRequest) -> HttpResponse:
    form = ListFilterForm(request.GET)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    q = filters.pop("q", "")
    context: dict = {"form": form, "q": q}
    if q:
        context["rows"] = selectors.article_search_for_staff(
            staff=request.user, q=q, **{k: v for k, v in filters.items() if k != "tag"}
        )
    else:
        articles = selectors.article_list(staff=request.user, **filters)
        context["page"] = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    status = filter_status(form)
    if request.htmx:
        return render(request, "knowledge/list.html#results", context, status=status)
    context["review_count"] = selectors.review_queue(staff=request.user).count()
    return render(request, "knowledge/list.html", context, status=status)


def _save(request: HttpRequest, form: ArticleForm, article: Article | None):
    data = form.cleaned_data
    fields = {k: data[k] for k in ("title", "body", "kind", "audience", "language")}
    fields |= {k: data.get(k) or "" for k in ("tags", "products")}
    fields |= {"review_on": data.get("review_on"), "translation": data.get("translation")}
    if article is None:
        return services.article_create(by=request.user, **fields)
    return services.article_update(article=article, by=request.user, **fields)


@require_http_methods(["GET", "POST"])
@staff_view("knowledge.write")
def article_create(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None, initial={"language": "zh-hans"})
    if request.method == "POST" and form.is_valid():
        try:
            article = _save(request, form, None)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("knowledge:detail", article.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "knowledge/edit.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("knowledge.write")
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get_for_staff(staff=request.user, article_id=article_id)
    if not services.article_can_edit(staff=request.user, article=article):
        raise Http404
    initial = {
        **{f: getattr(article, f) for f in ("title", "body", "kind", "audience", "language")},
        **{f: getattr(article, f) for f in ("tags", "products", "review_on")},
        "translation": article.translation_id,
    }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _save(request, form, article)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Article saved."))
            return redirect("knowledge:detail", article.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "knowledge/edit.html", {"form": form, "article": article}, status=status)


@require_GET
@staff_view("knowledge.view")
def article_detail(request: HttpRequest, article_id: int) -> HttpResponse:
    article = selectors.article_get_for_staff(staff=request.user, article_id=article_id)
    context = {
        "article": article,
        "events": selectors.article_events(article=article),
        "actions": services.article_allowed_actions(staff=request.user, article=article),
        "can_edit": services.article_can_edit(staff=request.user, article=article),
        "public_url": _public_url(article),
    }
    return render(request, "knowledge/detail.html", context)


@require_POST
@staff_view("knowledge.view")
def article_act(request: HttpRequest, article_id: int, action: str) -> HttpResponse:
    article = selectors.article_get_for_staff(staff=request.user, article_id=article_id)
    if action not in services.TRANSITIONS:
        raise Http404
    form = TransitionForm(request.POST)
    note = form.cleaned_data.get("note", "") if form.is_valid() else ""
    try:
        services.article_transition(article=article, by=request.user, action=action, note=note)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("knowledge:detail", article.pk)
    messages.success(request, _("Done: %(state)s.") % {"state": _state_label(action)})
    return redirect("knowledge:detail", article.pk)


def _state_label(action: str) -> str:
    target = services.TRANSITIONS[action][1]
    return str(Article.State(target).label)


@require_GET
@staff_view("knowledge.publish")
def review_queue(request: HttpRequest) -> HttpResponse:
    articles = list(selectors.review_queue(staff=request.user)[:200])
    return render(request, "knowledge/review.html", {"articles": articles})


@require_POST
@staff_view("knowledge.write")
def draft_from_case(request: HttpRequest, ticket_id: int) -> HttpResponse:
    article = services.article_draft_from_case(by=request.user, ticket_id=ticket_id)
    messages.success(
        request,
        _("A case-lesson draft was written from the case. Check it and send it for review."),
    )
    return redirect("knowledge:detail", article.pk)


@require_GET
@staff_view("knowledge.view")
def suggest_for_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _suggest_panel(request, "ticket", ticket_id)


@require_GET
@staff_view("knowledge.view")
def suggest_for_conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    return _suggest_panel(request, "conversation", conversation_id)


def _suggest_panel(request: HttpRequest, source: str, pk: int) -> HttpResponse:
    """The side panel of a ticket or conversation: relevant articles and similar closed cases.
    Loaded by htmx after the page, so a slow search never slows the page itself."""
    loader = registry.suggest_context_loader(source)
    if loader is None:
        raise Http404
    try:
        ctx = loader(staff=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    articles, cases = [], []
    if ctx.is_open:
        articles, cases = search.suggest(ctx.text, exclude_ticket_id=ctx.exclude_ticket_id)
    rows = []
    by_id = Article.objects.in_bulk([h.entry.article_id for h in articles])
    for hit in articles:
        article = by_id.get(hit.entry.article_id)
        if article is not None:
            rows.append({"hit": hit, "article": article, "public_url": _public_url(article)})
    context = {
        "articles": rows,
        "cases": cases,
        "reply_field": ctx.reply_field,
        "is_open": ctx.is_open,
        "case_ticket_id": ctx.exclude_ticket_id if source == "ticket" else None,
        "drafted": _drafted(source, ctx),
    }
    return render(request, "knowledge/suggest.html", context)


def _drafted(source: str, ctx: registry.SuggestContext) -> Article | bool | None:
    """For a ticket with an archived case: its case-lesson article, or False if none yet."""
    if source != "ticket" or not ctx.exclude_ticket_id or ctx.is_open:
        return None
    src = registry.case_source()
    if src is None or src.get(ctx.exclude_ticket_id) is None:
        return None
    return Article.objects.filter(source_ticket_id=ctx.exclude_ticket_id).first() or False


def _public_url(article: Article) -> str:
    if article.state != Article.State.PUBLISHED or article.audience != Article.Audience.PUBLIC:
        return ""
    return settings.SITE_URL.rstrip("/") + reverse("knowledge:help-article", args=[article.pk])


# -- The public help page (no login) -------------------------------------------------------------


@customer_page
@require_GET
def help_index(request: HttpRequest) -> HttpResponse:
    form = HelpSearchForm(request.GET)
    q = form.cleaned_data.get("q", "").strip() if form.is_valid() else ""
    context = {"form": form, "q": q, "company_name": settings.COMPANY_NAME}
    if q:
        context["hits"] = search.search_articles(q, audience="public", limit=20)
    else:
        context["articles"] = selectors.public_articles_recent()
    return render(request, "knowledge/help.html", context, status=filter_status(form))


@customer_page
@require_GET
def help_article(request: HttpRequest, article_id: int) -> HttpResponse:
    try:
        article = selectors.public_article_get(article_id=article_id)
    except NotFound as exc:
        raise Http404 from exc
    translation = article.translation
    if translation and not (
        translation.state == Article.State.PUBLISHED
        and translation.audience == Article.Audience.PUBLIC
    ):
        translation = None
    context = {
        "article": article,
        "translation": translation,
        "company_name": settings.COMPANY_NAME,
    }
    return render(request, "knowledge/help_article.html", context)
