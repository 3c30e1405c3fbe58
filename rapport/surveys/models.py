"""Satisfaction surveys (客户满意度): templates and questions, sends with tokenised links, answers.

Scores are kept as collected: every answer row is the customer's own value, and the headline
scores on a response (CSAT, NPS, solved) are copies for fast analysis, never recomputed."""

import hashlib
import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

_FEATURE = re.compile(r"“(.+?)”|offered (.+?), how")


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


class Dimension(models.TextChoices):
    """The five SERVQUAL dimensions (seed 004), in the order reports show them."""

    RESPONSIVENESS = "responsiveness", _("Responsiveness")
    TANGIBLES = "tangibles", _("Tangibles")
    EMPATHY = "empathy", _("Empathy")
    ASSURANCE = "assurance", _("Assurance")
    RELIABILITY = "reliability", _("Reliability")


class KanoAnswer(models.IntegerChoices):
    """The five standard answers to each half of a KANO pair."""

    LIKE = 1, _("I like it that way")
    MUST_BE = 2, _("It must be that way")
    NEUTRAL = 3, _("I am neutral")
    LIVE_WITH = 4, _("I can live with it that way")
    DISLIKE = 5, _("I dislike it that way")


class Touchpoint(models.TextChoices):
    """Touchpoints (接触点): people, things, information."""

    PEOPLE = "people", pgettext_lazy("touchpoint", "People")
    THINGS = "things", _("Things")
    INFORMATION = "information", _("Information")


class SurveySettings(models.Model):
    """The administrator's knobs, one row. Defaults come from RAPPORT_SURVEY_* settings."""

    link_valid_days = models.PositiveSmallIntegerField(
        _("link valid for (days)"), validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    fatigue_days = models.PositiveSmallIntegerField(
        _("at most one survey per customer in (days)"),
        validators=[MinValueValidator(0), MaxValueValidator(365)],
    )
    low_csat = models.PositiveSmallIntegerField(
        _("a CSAT at or below this opens a follow-up"),
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    low_nps = models.PositiveSmallIntegerField(
        _("an NPS answer at or below this opens a follow-up"),
        validators=[MaxValueValidator(10)],
    )

    class Meta:
        verbose_name = _("survey settings")
        verbose_name_plural = _("survey settings")

    def __str__(self) -> str:
        return str(_("Survey settings"))

    @classmethod
    def current(cls) -> "SurveySettings":
        row = cls.objects.filter(pk=1).first()
        if row is None:
            row, _created = cls.objects.get_or_create(
                pk=1,
                defaults={
                    "link_valid_days": settings.RAPPORT_SURVEY_LINK_VALID_DAYS,
                    "fatigue_days": settings.RAPPORT_SURVEY_FATIGUE_DAYS,
                    "low_csat": settings.RAPPORT_SURVEY_LOW_CSAT,
                    "low_nps": settings.RAPPORT_SURVEY_LOW_NPS,
                },
            )
        return row


class SurveyTemplate(models.Model):
    """A questionnaire. Ready ones are shipped by a data migration; `code` names them in code."""

    class Kind(models.TextChoices):
        CSAT = "csat", _("Customer satisfaction (CSAT)")
        NPS = "nps", _("Net promoter score (NPS)")
        SERVQUAL = "servqual", _("Service quality (SERVQUAL)")
        KANO = "kano", _("Feature classification (KANO)")
        CUSTOM = "custom", _("Custom")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name_zh = models.CharField(_("Chinese name"), max_length=80)
    name_en = models.CharField(_("English name"), max_length=120)
    intro_zh = models.TextField(_("Chinese introduction"), max_length=1000, blank=True)
    intro_en = models.TextField(_("English introduction"), max_length=1500, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if _zh() else self.name_en

    @property
    def intro(self) -> str:
        return self.intro_zh if _zh() else self.intro_en


class Question(models.Model):
    """One question. Pairs (SERVQUAL, KANO) are one question with two answers."""

    class Kind(models.TextChoices):
        CSAT = "csat", _("Rating 1–5 (CSAT)")
        NPS = "nps", _("Likelihood to recommend 0–10 (NPS)")
        SERVQUAL = "servqual", _("Expectation and perception 1–7 (SERVQUAL)")
        KANO = "kano", _("Functional and dysfunctional pair (KANO)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")
        SOLVED = "solved", _("Was your problem solved?")
        TOUCHPOINT = "touchpoint", _("Touchpoints")

    template = models.ForeignKey(
        SurveyTemplate,
        verbose_name=_("template"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    text_zh = models.CharField(_("Chinese text"), max_length=300)
    text_en = models.CharField(_("English text"), max_length=400)
    # The dysfunctional half of a KANO pair ("…if it were not so?").
    alt_text_zh = models.CharField(_("Chinese second text"), max_length=300, blank=True)
    alt_text_en = models.CharField(_("English second text"), max_length=400, blank=True)
    dimension = models.CharField(
        _("SERVQUAL dimension"), max_length=16, choices=Dimension.choices, blank=True
    )
    # Choices and scale labels: [{"value": "…", "zh": "…", "en": "…"}, …]
    options = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="question_code_unique"),
            models.CheckConstraint(
                condition=~Q(kind="servqual") | ~Q(dimension=""),
                name="question_servqual_has_dimension",
                violation_error_message=_("A SERVQUAL item needs its dimension."),
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return self.text_zh if _zh() else self.text_en

    @property
    def alt_text(self) -> str:
        return self.alt_text_zh if _zh() else self.alt_text_en

    @property
    def heading(self) -> str:
        """What the question is about in a few words: a KANO pair's feature (“网上预约”, online
        booking), read from its functional question; any other question's text."""
        if self.kind != self.Kind.KANO:
            return self.text
        match = _FEATURE.search(self.text)
        return next((g for g in match.groups() if g), self.text) if match else self.text

    def option_items(self) -> list[tuple[str, str]]:
        zh = _zh()
        return [(str(o["value"]), o["zh"] if zh else o["en"]) for o in self.options]


class SavedSegment(models.Model):
    """A saved customer query for campaigns: the customer list's tier, stage and tag filters."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    tier = models.CharField(_("tier"), max_length=16, blank=True)
    stage = models.CharField(_("lifecycle stage"), max_length=16, blank=True)
    tag = models.CharField(_("tag"), max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved segment")
        verbose_name_plural = _("saved segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SurveySend(models.Model):
    """One survey sent for one event: a single link, answered once, editable until it expires.

    What the survey is about (owner, team, channel, ticket type) is copied at send time, so
    analysis reads one table and later reassignments do not move old scores."""

    class Trigger(models.TextChoices):
        TICKET_CLOSED = "ticket_closed", _("Ticket closed")
        SERVICE_COMPLETED = "service_completed", _("Service completed")
        CAMPAIGN = "campaign", _("Campaign")
        MANUAL = "manual", _("Sent by hand")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        UNDELIVERABLE = "undeliverable", _("Not reachable")
        ANSWERED = "answered", _("Answered")

    template = models.ForeignKey(
        SurveyTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="sends"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="survey_sends",
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    trigger_key = models.CharField(_("event"), max_length=80, unique=True)
    subject = models.CharField(_("about"), max_length=200, blank=True)
    ticket_id = models.PositiveBigIntegerField(_("ticket"), null=True, blank=True)
    segment = models.ForeignKey(
        SavedSegment,
        verbose_name=_("segment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sends",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_survey_sends",
    )
    team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    ticket_type = models.CharField(_("ticket type"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Only the SHA-256 of the link's token is stored; the token itself is in the e-mail alone.
    token_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        verbose_name=_("timeline entry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("survey sent")
        verbose_name_plural = _("surveys sent")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="survey_send_customer"),
            models.Index(fields=["created_at", "template"], name="survey_send_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.template_id} → {self.customer_id}"

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class SurveyCredit(models.Model):
    """Who a send's scores count for: the owner (first responder) and, separately, each person
    who handled a transfer."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        TRANSFER = "transfer", _("Handled a transfer")

    send = models.ForeignKey(SurveySend, on_delete=models.CASCADE, related_name="credits")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="survey_credits"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = _("survey credit")
        verbose_name_plural = _("survey credits")
        constraints = [
            models.UniqueConstraint(fields=["send", "staff", "role"], name="survey_credit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.send_id} {self.staff_id} {self.role}"


class SurveyResponse(models.Model):
    """The customer's answer to one send. One per send; edits overwrite until the link expires."""

    send = models.OneToOneField(
        SurveySend, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="response"
    )
    submitted_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)
    edit_count = models.PositiveSmallIntegerField(_("changes"), default=0)
    csat = models.PositiveSmallIntegerField(_("CSAT"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("NPS answer"), null=True, blank=True)
    solved = models.BooleanField(_("problem solved"), null=True, blank=True)
    needs_follow_up = models.BooleanField(_("needs a follow-up"), default=False)
    follow_up_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("follow-up ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Why the follow-up could not be opened, shown on the list of sends until someone does.
    follow_up_error = models.CharField(_("follow-up not opened"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["submitted_at"], name="survey_response_submitted")]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="survey_response_csat_range",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="survey_response_nps_range"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} ({self.send_id})"


class Answer(models.Model):
    """One question's answer: `value` for scales and pairs' first half, `value_b` for the second
    half (perception of a SERVQUAL item, the dysfunctional side of a KANO pair)."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.SmallIntegerField(null=True, blank=True)
    value_b = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(max_length=2000, blank=True)
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class SurveySweep(models.Model):
    """How far a background sweep has got (e.g. through closed tickets): the cursor
    (swept_until, swept_id) of the last item handled. It moves forward one item at a time, in the
    transaction that handled the item, so a worker stopped mid-sweep loses nothing; the unique
    event key of a send keeps two workers from sending the same survey."""

    name = models.CharField(max_length=40, unique=True)
    swept_until = models.DateTimeField()
    swept_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("survey sweep")
        verbose_name_plural = _("survey sweeps")

    def __str__(self) -> str:
        return self.name


class SatisfactionRollup(models.Model):
    """One day's satisfaction figures at one grain, for one measure and key: what the analysis
    reads instead of every send, response and answer (rapport.surveys.rollups).

    The grain says which of the send's dimensions the row keeps: `total` none (the day's
    totals), `staff` the team, owner and questionnaire, `full` those and the channel, ticket
    type and the customer's tier. A dimension a grain does not keep is empty. Each day has its
    rows at every grain, the coarser ones sums of the full one; the analysis reads the coarsest
    grain that keeps every filter it is given.

    measure / key / key2 and the sums n, a–e:
    - status: key the send's status, key2 the template id; n sends.
    - csat, nps: key the score; n answers.
    - servqual: key the dimension, key2 the quarter answered (YYYY-MM-DD, its first day); n
      answers, a Σ expectation, b Σ perception.
    - kano: key the question id, key2 "functional:dysfunctional"; n answers.
    - credit: key the staff id, key2 the role; n answered sends, a Σ CSAT, b CSATs given,
      c NPS promoters, d detractors, e NPS answers given.
    - loyalty: key the band (satisfied, neutral, dissatisfied), key2 "stage:churn reason" of the
      customer now; n answers, a those whose customer came back after answering.
    Rows are the day's send creation day (site time zone), as the analysis's period is."""

    class Grain(models.TextChoices):
        TOTAL = "total", _("Day's totals")
        STAFF = "staff", _("By team, owner and questionnaire")
        FULL = "full", _("By every dimension")

    class Measure(models.TextChoices):
        STATUS = "status", _("Status")
        CSAT = "csat", _("CSAT")
        NPS = "nps", _("NPS")
        SERVQUAL = "servqual", _("SERVQUAL")
        KANO = "kano", _("KANO")
        CREDIT = "credit", _("Credit")
        LOYALTY = "loyalty", _("Loyalty")

    grain = models.CharField(_("grain"), max_length=8, choices=Grain.choices)
    day = models.DateField(_("day"))
    team_id = models.BigIntegerField(_("team"), null=True, blank=True)
    owner_id = models.BigIntegerField(_("owner"), null=True, blank=True)
    template_id = models.BigIntegerField(_("template"), null=True, blank=True)
    # Copied on the send when it is made, like the team and owner.
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    ticket_type = models.CharField(_("ticket type"), max_length=40, blank=True)
    # The customer's tier when the day was built: a change marks the customer's days changed.
    tier = models.CharField(_("customer tier"), max_length=16, blank=True)
    measure = models.CharField(_("measure"), max_length=8, choices=Measure.choices)
    key = models.CharField(_("key"), max_length=40)
    key2 = models.CharField(_("second key"), max_length=40, blank=True)
    n = models.BigIntegerField(default=0)
    a = models.BigIntegerField(default=0)
    b = models.BigIntegerField(default=0)
    c = models.BigIntegerField(default=0)
    d = models.BigIntegerField(default=0)
    e = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("satisfaction rollup")
        verbose_name_plural = _("satisfaction rollups")
        # Covering: the analysis sums a measure's rows of a grain over a period, under any
        # filter, from the index alone.
        indexes = [
            models.Index(
                fields=[
                    *("grain", "measure", "day", "team_id", "owner_id", "template_id"),
                    *("channel", "ticket_type", "tier", "key", "key2"),
                    *("n", "a", "b", "c", "d", "e"),
                ],
                name="satisfaction_rollup_grain",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.measure} {self.key}"


class SatisfactionRollupDay(models.Model):
    """Whether a day's rollup rows are current: every write that changes the day's figures adds
    one to `version` in its own transaction; the worker rebuilds the day and records the version
    it read in `built_version`. A day is read from the rollup only while the two are equal."""

    day = models.DateField(_("day"), unique=True)
    version = models.BigIntegerField(default=1)
    built_version = models.BigIntegerField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction rollup day")
        verbose_name_plural = _("satisfaction rollup days")
        indexes = [models.Index(fields=["built_version", "day"], name="satisfaction_rollup_dirty")]

    def __str__(self) -> str:
        return str(self.day)
