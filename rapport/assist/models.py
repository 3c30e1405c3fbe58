from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.assist.rules import CODES, LABELS

LANGUAGE_CHOICES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
RULE_CHOICES = [(code, LABELS[code]) for code in CODES]


class Phrase(models.Model):
    """Recommended wording for a situation (话术库); also the canned replies of other helpdesks.

    `text` may name {customer_name}, {customer_title}, {agent_name} and {company}."""

    class Situation(models.TextChoices):
        GREETING = "greeting", _("Greeting")
        CLOSING = "closing", _("Closing")
        ANGRY = "angry", _("Angry customer")
        REFUSED = "refused", _("Request refused")
        PARTNER = "partner", _("A partner's fault")
        FEEDBACK = "feedback", _("Asking for feedback")
        APOLOGY = "apology", _("Apology")
        WAITING = "waiting", pgettext_lazy("phrase category", "Waiting")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=60)
    situation = models.CharField(_("situation"), max_length=16, choices=Situation.choices)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    title = models.CharField(_("title"), max_length=120, blank=True)
    text = models.TextField(_("text"), max_length=2000)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("phrase")
        verbose_name_plural = _("phrase library")
        ordering = ["situation", "code", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "language"], name="assist_phrase_code_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.language})"


class CoachRule(models.Model):
    """One discouraged phrasing as data: what to find, when it is fine, and what to say instead."""

    code = models.CharField(_("rule"), max_length=32, choices=RULE_CHOICES)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES)
    pattern = models.TextField(
        _("pattern"),
        max_length=2000,
        help_text=_("A regular expression for the discouraged wording."),
    )
    unless_before = models.TextField(
        _("not when preceded by"),
        max_length=2000,
        blank=True,
        help_text=_(
            "A regular expression; the rule does not apply when the same sentence before the match ends with it."
        ),
    )
    unless_after = models.TextField(
        _("not when followed by"),
        max_length=2000,
        blank=True,
        help_text=_(
            "A regular expression; the rule does not apply when the reply goes on with it (an alternative, a next step)."
        ),
    )
    unless_anywhere = models.TextField(
        _("not when the reply says"),
        max_length=2000,
        blank=True,
        help_text=_(
            "A regular expression; the rule does not apply when the reply around the match contains it."
        ),
    )
    preferred = models.CharField(_("preferred form"), max_length=200)
    replacement = models.CharField(
        _("one-click replacement"),
        max_length=200,
        blank=True,
        help_text=_(
            "The words that replace the flagged ones in one click; empty when the fix needs thought."
        ),
    )
    explanation = models.CharField(_("explanation"), max_length=300, blank=True)
    examples_flagged = models.TextField(
        _("examples to flag"), blank=True, help_text=_("One per line.")
    )
    examples_clean = models.TextField(
        _("examples not to flag"), blank=True, help_text=_("One per line.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("coach rule")
        verbose_name_plural = _("coach rules")
        ordering = ["code", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "language"], name="assist_coachrule_code_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({self.language})"

    @property
    def is_absolute(self) -> bool:
        return not (self.unless_before or self.unless_after or self.unless_anywhere)


class CoachRecord(models.Model):
    """A flag the coach showed on a draft that was sent, and whether the representative fixed it."""

    class Channel(models.TextChoices):
        TICKET = "ticket", _("Ticket reply")
        CHAT = "chat", _("Conversation reply")
        EMAIL = "email", _("E-mail")

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative"),
    )
    rule = models.CharField(_("rule"), max_length=32, choices=RULE_CHOICES)
    shown = models.PositiveIntegerField(_("times shown"), default=1)
    fixed = models.BooleanField(_("fixed before sending"), default=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    reference = models.CharField(_("sent as"), max_length=60, blank=True)
    at = models.DateTimeField(_("sent at"), default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("coach record")
        verbose_name_plural = _("coach records")
        indexes = [models.Index(fields=["at", "agent"]), models.Index(fields=["rule", "at"])]

    def __str__(self) -> str:
        return f"{self.rule} {self.agent_id} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class UpsetAssessment(models.Model):
    """The upset detector's verdict on one inbound message or one logged interaction."""

    class Source(models.TextChoices):
        MESSAGE = "message", _("Inbound message")
        INTERACTION = "interaction", _("Interaction summary")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    source_id = models.PositiveBigIntegerField(_("source id"))
    ticket_id = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True)
    upset = models.BooleanField(_("upset"), default=False)
    intensity = models.PositiveSmallIntegerField(_("intensity"), default=0)
    risk = models.BooleanField(_("regulator/media risk"), default=False)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)

    class Meta:
        verbose_name = _("upset assessment")
        verbose_name_plural = _("upset assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="assist_upset_one_per_source"
            ),
            models.CheckConstraint(
                condition=models.Q(intensity__lte=3), name="assist_upset_intensity_0_3"
            ),
        ]
        indexes = [models.Index(fields=["ticket_id", "-assessed_at"])]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id}: {self.intensity}"
