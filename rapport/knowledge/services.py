"""Writing, reviewing and publishing articles, and drafting one from an archived case.

Who may do what: anyone in service (knowledge.write) writes drafts and sends them for review;
supervisors and managers (knowledge.publish) publish, return, archive, restore and edit a
published article. The search index is brought up to date after each commit.
"""

from datetime import date
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.errors import Conflict, Forbidden
from rapport.knowledge import registry, search
from rapport.knowledge.models import Article, ArticleEvent
from rapport.knowledge.render import render_markdown
from rapport.staff.models import User

S = Article.State
A = ArticleEvent.Action

# action: (states it may start from, the state it leads to, the capability it needs)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "submit": (frozenset({S.DRAFT}), S.REVIEW, "knowledge.write"),
    "publish": (frozenset({S.DRAFT, S.REVIEW}), S.PUBLISHED, "knowledge.publish"),
    "return": (frozenset({S.REVIEW}), S.DRAFT, "knowledge.publish"),
    "archive": (frozenset({S.PUBLISHED}), S.ARCHIVED, "knowledge.publish"),
    "restore": (frozenset({S.ARCHIVED}), S.DRAFT, "knowledge.publish"),
}
EVENT_FOR = {
    "submit": A.SUBMITTED,
    "publish": A.PUBLISHED,
    "return": A.RETURNED,
    "archive": A.ARCHIVED,
    "restore": A.RESTORED,
}


def article_can_edit(*, staff: User, article: Article) -> bool:
    """Drafts and articles in review: anyone who writes; published: those who publish."""
    if article.state in (S.DRAFT, S.REVIEW):
        return staff.can("knowledge.write")
    if article.state == S.PUBLISHED:
        return staff.can("knowledge.publish")
    return False


def article_allowed_actions(*, staff: User, article: Article) -> list[str]:
    return [
        action
        for action, (sources, _to, capability) in TRANSITIONS.items()
        if article.state in sources and staff.can(capability)
    ]


def _reindex_after_commit(article_id: int) -> None:
    transaction.on_commit(partial(search.entry_for_article, article_id))


def _clean(
    *, title: str, body: str, kind: str, audience: str, language: str, tags: str, products: str
) -> dict:
    errors: dict = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors["title"] = [_("Give the article a title.")]
    if not body:
        errors["body"] = [_("Write the article's text.")]
    if kind not in Article.Kind.values:
        errors["kind"] = [_("Choose a type.")]
    if audience not in Article.Audience.values:
        errors["audience"] = [_("Choose who may read it.")]
    if language not in Article.Language.values:
        errors["language"] = [_("Choose a language.")]
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "body": body,
        "body_html": render_markdown(body),
        "kind": kind,
        "audience": audience,
        "language": language,
        "tags": (tags or "").strip(),
        "products": (products or "").strip(),
    }


def _link_translation(article: Article, translation: Article | None) -> None:
    """Make `translation` the other-language version of `article`, on both sides."""
    if translation is None or translation.pk == article.translation_id:
        return
    if translation.pk == article.pk or translation.language == article.language:
        raise ValidationError(
            {"translation": [_("Link a version of this article in the other language.")]}
        )
    Article.objects.filter(translation__in=[article, translation]).update(translation=None)
    Article.objects.filter(pk=translation.pk).update(translation=article)
    article.translation = translation
    article.save(update_fields=["translation"])


@transaction.atomic
def article_create(
    *, by: User, title: str, body: str, kind: str = Article.Kind.HOW_TO,
    audience: str = Article.Audience.INTERNAL, language: str = Article.Language.ZH_HANS,
    tags: str = "", products: str = "", review_on: date | None = None,
    translation: Article | None = None, source_ticket_id: int | None = None,
) -> Article:  # fmt: skip
    """A new draft, owned by its writer."""
    if not by.can("knowledge.write"):
        raise Forbidden(_("You may not write knowledge articles."))
    fields = _clean(
        title=title, body=body, kind=kind, audience=audience, language=language, tags=tags,
        products=products,
    )  # fmt: skip
    now = timezone.now()
    article = Article(
        **fields, owner=by, created_by=by, created_at=now, updated_at=now, review_on=review_on,
        source_ticket_id=source_ticket_id,
    )  # fmt: skip
    article.full_clean(exclude=["owner", "created_by", "translation", "published_by"])
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError as exc:
        raise Conflict(
            _("An article has already been drafted from this case."), code="already_drafted"
        ) from exc
    _link_translation(article, translation)
    ArticleEvent.objects.create(article=article, action=A.CREATED, to_state=S.DRAFT, by=by, at=now)
    _reindex_after_commit(article.pk)
    return article


@transaction.atomic
def article_update(
    *, article: Article, by: User, title: str, body: str, kind: str, audience: str, language: str,
    tags: str = "", products: str = "", review_on: date | None = None,
    owner: User | None = None, translation: Article | None = None,
) -> Article:  # fmt: skip
    """Change an article's text and properties (who may: article_can_edit)."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    if not article_can_edit(staff=by, article=article):
        raise Forbidden(_("You may not edit this article."))
    fields = _clean(
        title=title, body=body, kind=kind, audience=audience, language=language, tags=tags,
        products=products,
    )  # fmt: skip
    for name, value in fields.items():
        setattr(article, name, value)
    article.review_on = review_on
    if owner is not None:
        article.owner = owner
    article.updated_at = timezone.now()
    article.full_clean(exclude=["owner", "created_by", "translation", "published_by"])
    article.save()
    _link_translation(article, translation)
    ArticleEvent.objects.create(
        article=article, action=A.EDITED, from_state=article.state, to_state=article.state, by=by,
        at=article.updated_at,
    )  # fmt: skip
    _reindex_after_commit(article.pk)
    return article


@transaction.atomic
def article_transition(*, article: Article, by: User, action: str, note: str = "") -> Article:
    """Move an article through draft → review → published → archived (TRANSITIONS)."""
    if action not in TRANSITIONS:
        raise ValidationError({"action": [_("Unknown action.")]})
    sources, target, capability = TRANSITIONS[action]
    if not by.can(capability):
        raise Forbidden(_("Only supervisors and managers may publish, return or archive articles."))
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.state not in sources:
        raise Conflict(
            _("This article is %(state)s now; reload the page.")
            % {"state": article.get_state_display()},
            code="wrong_state",
        )
    note = (note or "").strip()[:500]
    if action == "return" and not note:
        raise ValidationError({"note": [_("Say what the writer should change.")]})
    now = timezone.now()
    previous = article.state
    article.state = target
    article.updated_at = now
    fields = ["state", "updated_at"]
    if action == "publish":
        article.published_by, article.published_at = by, now
        fields += ["published_by", "published_at"]
    article.save(update_fields=fields)
    ArticleEvent.objects.create(
        article=article, action=EVENT_FOR[action], from_state=previous, to_state=target, by=by,
        at=now, note=note,
    )  # fmt: skip
    _reindex_after_commit(article.pk)
    return article


def article_draft_from_case(*, by: User, ticket_id: int) -> Article:
    """Draft a case-lesson article (案例) from a ticket's archived case, for review. The case is
    read through the tickets app's registered source, access-checked for `by`."""
    source = registry.case_source()
    if source is None:
        raise Conflict(_("Cases cannot be read here."), code="no_case_source")
    case = source.get_for_staff(staff=by, ticket_id=ticket_id)
    existing = Article.objects.filter(source_ticket_id=ticket_id).first()
    if existing is not None:
        return existing
    sections = [
        (_("Problem"), case.problem),
        (_("Cause"), case.cause),
        (_("Remedy"), case.remedy),
        (_("Outcome"), case.outcome),
    ]
    body = "\n\n".join(f"## {label}\n\n{text}" for label, text in sections if text)
    body += "\n\n" + _("From ticket %(number)s.") % {"number": case.number}
    return article_create(
        by=by,
        title=case.title[:200],
        body=body,
        kind=Article.Kind.CASE_LESSON,
        tags=_("case"),
        products=case.products[:200],
        source_ticket_id=ticket_id,
    )
