"""The knowledge base (知识库): articles staff write, review and publish, many distilled from closed
complaints, and one search index over the articles and the archived cases (DOMAIN.md §7).

An article moves draft → review → published → archived (rapport.knowledge.services); every move
is an ArticleEvent with who and when. The body is a small Markdown subset, rendered and sanitised
once when saved (rapport.knowledge.render); raw HTML never passes through.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Article(models.Model):
    """A knowledge-base article (知识文章)."""

    class Kind(models.TextChoices):
        HOW_TO = "how_to", _("How-to")
        POLICY = "policy", pgettext_lazy("article type", "Policy")
        KNOWN_PROBLEM = "known_problem", _("Known problem")
        CASE_LESSON = "case_lesson", _("Case lesson")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Audience(models.TextChoices):
        INTERNAL = "internal", _("Staff only")
        PUBLIC = "public", _("Public help page")

    class Language(models.TextChoices):
        ZH_HANS = "zh-hans", _("Chinese")
        EN = "en", _("English")

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=20000)
    body_html = models.TextField(_("text as shown"), blank=True, editable=False)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.HOW_TO)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.INTERNAL
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.ZH_HANS
    )
    # The same article in the other language (中文版 ↔ English version); set on both sides.
    translation = models.OneToOneField(
        "self",
        verbose_name=_("other language version"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    tags = models.CharField(_("tags"), max_length=200, blank=True)
    products = models.CharField(_("applies to (products, models)"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_on = models.DateField(_("review by"), null=True, blank=True)
    # The ticket whose archived case this article was drafted from (案例), if any. A plain id:
    # tickets sit above knowledge and hand their cases down through rapport.knowledge.registry.
    source_ticket_id = models.PositiveBigIntegerField(
        _("drafted from ticket"), null=True, blank=True, unique=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("article (知识文章)")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["state", "-updated_at"], name="article_state_recent")]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return split_list(self.tags)

    @property
    def product_list(self) -> list[str]:
        return split_list(self.products)

    @property
    def review_overdue(self) -> bool:
        return bool(self.review_on and self.review_on < timezone.localdate())


def split_list(value: str) -> list[str]:
    """'三包, 退换车；政策' → ['三包', '退换车', '政策'] (ASCII or Chinese commas, semicolons)."""
    import re

    return [p.strip() for p in re.split(r"[,，;；、\n]", value or "") if p.strip()]


class ArticleEvent(models.Model):
    """One step of an article's life: written, edited, sent for review, published, returned,
    archived, restored — who and when."""

    class Action(models.TextChoices):
        CREATED = "created", _("Written")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Sent for review")
        PUBLISHED = "published", _("Published")
        RETURNED = "returned", _("Returned to the writer")
        ARCHIVED = "archived", _("Archived")
        RESTORED = "restored", _("Restored as a draft")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    from_state = models.CharField(pgettext_lazy("article state", "from"), max_length=10, blank=True)
    to_state = models.CharField(pgettext_lazy("article state", "to"), max_length=10, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("article event")
        verbose_name_plural = _("article events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.article_id} {self.action}"


class Synonym(models.Model):
    """A group of words that mean the same when searching (同义词), e.g. 退款, 退钱, 返款, refund.
    Expanded at query time, so editing a group needs no reindex."""

    words = models.CharField(
        _("words"),
        max_length=300,
        help_text=_("Words that mean the same, separated by commas, e.g. 退款，退钱，refund"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("synonym group (同义词)")
        verbose_name_plural = _("synonym groups")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.words

    @property
    def word_list(self) -> list[str]:
        return split_list(self.words)


class SearchEntry(models.Model):
    """One searchable document: an article, or the case archived from a closed ticket.

    The *_tokens columns hold the words already cut by rapport.knowledge.text (space-joined).
    SQLite indexes them in the FTS5 table knowledge_entry_fts (kept in step by triggers); on
    PostgreSQL a generated tsvector column `search` with a GIN index does (migration 0002)."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("Article")
        CASE = "case", _("Case")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    article = models.OneToOneField(
        Article,
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="search_entry",
    )
    ticket_id = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True, unique=True)
    state = models.CharField(_("state"), max_length=10)
    audience = models.CharField(_("audience"), max_length=10)
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))  # plain text, for snippets
    remedy = models.TextField(_("remedy"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    url = models.CharField(_("link"), max_length=200)
    title_tokens = models.TextField()
    body_tokens = models.TextField()
    keywords = models.TextField()
    scope = models.CharField(max_length=100)  # kind/state/audience as words FTS5 can filter on
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        # One-character searches read the newest entries of a kind and state until enough
        # contain the character: without it, articles (the oldest ids) came after every case.
        indexes = [models.Index(fields=["kind", "state", "id"], name="searchentry_kind_state")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="article", article__isnull=False, ticket_id__isnull=True)
                    | models.Q(kind="case", article__isnull=True, ticket_id__isnull=False)
                ),
                name="searchentry_one_source",
            )
        ]

    def __str__(self) -> str:
        return self.title
