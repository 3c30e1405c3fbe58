"""Reads of the knowledge base, with who may see what.

Every staff member reads every article (knowledge is there to be shared); the public sees only
published public articles, and "not published" looks exactly like "not found".
"""

from django.db.models import QuerySet

from rapport.core.errors import NotFound
from rapport.knowledge.models import Article
from rapport.knowledge.search import Hit, search_articles
from rapport.staff.models import User


def article_get_for_staff(*, staff: User, article_id: int) -> Article:
    if not staff.can("knowledge.view"):
        raise NotFound("article")
    article = (
        Article.objects.select_related("owner", "published_by", "translation", "created_by")
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise NotFound("article")
    return article


def article_events(*, article: Article) -> list:
    return list(article.events.select_related("by").order_by("at", "id"))


def article_list(
    *, staff: User, state: str = "", kind: str = "", language: str = "", audience: str = "",
    tag: str = "",
) -> QuerySet[Article]:  # fmt: skip
    """Articles for the staff list (no search words), newest change first."""
    if not staff.can("knowledge.view"):
        return Article.objects.none()
    qs = Article.objects.select_related("owner")
    if state:
        qs = qs.filter(state=state)
    else:
        qs = qs.exclude(state=Article.State.ARCHIVED)
    if kind:
        qs = qs.filter(kind=kind)
    if language:
        qs = qs.filter(language=language)
    if audience:
        qs = qs.filter(audience=audience)
    if tag:
        qs = qs.filter(tags__contains=tag)
    return qs.order_by("-updated_at", "-id")


def article_search_for_staff(
    *, staff: User, q: str, state: str = "", kind: str = "", language: str = "",
    audience: str = "", limit: int = 30,
) -> list[tuple[Article, Hit]]:  # fmt: skip
    """Articles matching the search words, best first, with the words that matched. Without a
    state filter staff search everything but archived articles."""
    if not staff.can("knowledge.view"):
        return []
    states = [state] if state else [s for s in Article.State.values if s != Article.State.ARCHIVED]
    hits = search_articles(q, audience=audience or "internal", states=states, limit=limit * 2)
    ids = [h.entry.article_id for h in hits]
    articles = Article.objects.select_related("owner").in_bulk(ids)
    rows = []
    for hit in hits:
        article = articles.get(hit.entry.article_id)
        if article is None:
            continue
        if (kind and article.kind != kind) or (language and article.language != language):
            continue
        if audience and article.audience != audience:
            continue
        rows.append((article, hit))
    return rows[:limit]


def review_queue(*, staff: User) -> QuerySet[Article]:
    """Articles waiting for a supervisor's review, oldest first."""
    if not staff.can("knowledge.publish"):
        return Article.objects.none()
    return (
        Article.objects.filter(state=Article.State.REVIEW)
        .select_related("owner")
        .order_by("updated_at", "id")
    )


def public_article_get(*, article_id: int) -> Article:
    article = (
        Article.objects.filter(
            pk=article_id, state=Article.State.PUBLISHED, audience=Article.Audience.PUBLIC
        )
        .select_related("translation")
        .first()
    )
    if article is None:
        raise NotFound("article")
    return article


def public_articles_recent(*, limit: int = 20) -> list[Article]:
    return list(
        Article.objects.filter(state=Article.State.PUBLISHED, audience=Article.Audience.PUBLIC)
        .only("id", "title", "kind", "language", "published_at", "updated_at")
        .order_by("kind", "-published_at", "-id")[:limit]
    )
