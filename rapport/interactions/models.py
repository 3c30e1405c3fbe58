"""Interactions (客户互动): every contact with a customer, its follow-up tasks (交办事项), transfers,
and each staff member's status over time."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from rapport.core.memo import ProcessMemo

# The active purposes, offered by every 360 page's quick log: the same for everyone, kept per
# process; saving or deleting one forgets them here at once, other workers within the ttl.
ACTIVE_PURPOSES = ProcessMemo("active purposes", ttl=60)
# The teams whose new work is handed out by routing (not claimed by hand), asked for every new
# conversation and ticket; saving or deleting a TeamRouting forgets it here at once.
SELF_ROUTING_TEAMS = ProcessMemo("self-routing teams", ttl=30)


class Purpose(models.Model):
    """Why a contact happened. Configurable data, seeded by a migration."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        ACTIVE_PURPOSES.forget()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        ACTIVE_PURPOSES.forget()
        return result

    @classmethod
    def active_cached(cls) -> list["Purpose"]:
        """The active purposes in their order, for selects (shared rows: read them only)."""
        return ACTIVE_PURPOSES.get("active", lambda: list(cls.objects.filter(is_active=True)))


class Interaction(models.Model):
    """One exchange of information between the company and a customer, on any channel."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        FACE_TO_FACE = "face_to_face", _("Face to face")
        WECHAT = "wechat", _("WeChat")
        CHAT = "chat", _("Online chat")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        WEB_FORM = "web_form", _("Web form")
        SOCIAL = "social", _("Social media")
        FAX = "fax", _("Fax")
        LETTER = "letter", _("Letter")

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    asset = models.ForeignKey(
        "customers.Asset",
        verbose_name=_("asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    # 首问负责制: whoever first took the contact owns it, whoever works on it later.
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first responder"),
        on_delete=models.PROTECT,
        related_name="owned_interactions",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="handled_interactions",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    purpose = models.ForeignKey(
        Purpose, verbose_name=_("purpose"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("summary"), max_length=4000)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    # Kept by transfer_create so the effectiveness measures are one aggregate, not a join.
    escalated = models.BooleanField(
        _("transferred to a specialist or senior manager"), default=False
    )
    passed_on = models.BooleanField(_("transferred to another representative"), default=False)
    revision_count = models.PositiveIntegerField(_("corrections"), default=0)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-started_at", "-id"]
        indexes = [
            # Covers the measures: a month's counts by channel, direction and transfer flags
            # are read from this index alone.
            models.Index(
                fields=["started_at", "staff", "channel", "direction", "escalated", "passed_on"],
                name="interaction_started",
            ),
            models.Index(fields=["customer", "-started_at", "-id"], name="interaction_customer"),
            models.Index(fields=["staff", "started_at"], name="interaction_staff"),
            # Loyalty beside satisfaction: did the customer come back for service later?
            models.Index(
                fields=["customer", "direction", "purpose", "started_at"],
                name="interaction_return_visits",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_seconds__gte=0), name="interaction_duration_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_channel_display()} {self.customer_id}"

    @property
    def duration_display(self) -> str:
        minutes, seconds = divmod(self.duration_seconds or 0, 60)
        if not minutes:
            return _("%(seconds)s s") % {"seconds": seconds}
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": seconds}


class InteractionRevision(models.Model):
    """A correction of an interaction: the values before and after, who and why. Append-only."""

    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    number = models.PositiveIntegerField(_("revision"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=300)
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)

    class Meta:
        verbose_name = _("interaction revision")
        verbose_name_plural = _("interaction revisions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "number"], name="interaction_revision_unique"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.interaction_id} r{self.number}"


class FollowUpTask(models.Model):
    """A follow-up task (交办事项): what, for whom, by when — created from an interaction."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="follow_up_tasks",
    )
    title = models.CharField(_("what"), max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_up_tasks",
    )
    assignee_team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("assigned team"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_up_tasks",
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Set once by the due sweep (rapport.interactions.notices) when the assignee was told.
    due_announced_at = models.DateTimeField(_("due notice sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="task_assignee"),
            models.Index(fields=["assignee_team", "status", "due_at"], name="task_team"),
            models.Index(fields=["customer", "-created_at", "-id"], name="task_customer"),
            models.Index(
                fields=["due_at"],
                name="task_due_unannounced",
                condition=Q(status="open", due_announced_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(assignee__isnull=False) | Q(assignee_team__isnull=False),
                name="task_has_assignee",
                violation_error_message=_("A task needs a person or a team to do it."),
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(completed_at__isnull=False),
                name="task_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at < timezone.now()


class Transfer(models.Model):
    """A hand-off of a contact to another representative, a specialist or a senior manager."""

    class Kind(models.TextChoices):
        TO_REPRESENTATIVE = "to_representative", _("To another representative")
        TO_SPECIALIST = "to_specialist", _("To a specialist")
        TO_SENIOR = "to_senior", _("To a senior manager")

    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        on_delete=models.CASCADE,
        related_name="transfers",
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="transfers",
    )
    from_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="transfers_out",
    )
    to_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="transfers_in",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=300)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-at", "-id"], name="transfer_customer"),
            models.Index(fields=["at"], name="transfer_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_staff=models.F("to_staff")), name="transfer_not_to_self"
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_staff_id} → {self.to_staff_id}"


class AgentStatusInterval(models.Model):
    """A stretch of time a staff member spent in one status; ended_at is null for the current one."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        IN_CONTACT = "in_contact", _("In contact")
        AFTER_CONTACT_WORK = "after_contact_work", _("After-contact work")
        TRAINING = "training", _("Training")
        BREAK = "break", _("Break")
        OFFLINE = "offline", _("Offline")

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="status_intervals",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    # Set when the interval closes, so a period's totals are an integer sum.
    seconds = models.PositiveIntegerField(_("length (seconds)"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent status interval")
        verbose_name_plural = _("agent status intervals")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["started_at"], name="status_started"),
            models.Index(fields=["staff", "started_at"], name="status_staff"),
            models.Index(fields=["ended_at"], name="status_ended"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["staff"], condition=Q(ended_at__isnull=True), name="status_one_current"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="status_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.status}"


class InteractionRollup(models.Model):
    """One day's contacts of one staff member on one channel and direction: how many, how many
    were escalated (to a specialist or senior manager), how many passed on (to another
    representative). What the measures read instead of every interaction
    (rapport.interactions.rollups). The day is the local day the contact started on; the team
    is joined at read time, so a change of membership needs no rebuild. A row with
    `whole_month` holds the sums of its month's day rows (`day` is the month's first day), so a
    period of years reads a row per month instead of one per day."""

    day = models.DateField(_("day"))
    whole_month = models.BooleanField(_("whole month"), default=False)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint leads with it
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Interaction.Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Interaction.Direction.choices
    )
    interactions = models.PositiveIntegerField(_("interactions"), default=0)
    escalated = models.PositiveIntegerField(_("escalated interactions"), default=0)
    passed_on = models.PositiveIntegerField(_("interactions passed on"), default=0)

    class Meta:
        verbose_name = _("interaction rollup")
        verbose_name_plural = _("interaction rollups")
        indexes = [
            # Covering: a period's sums for everyone or a team are read from the index alone.
            models.Index(
                fields=[
                    *("whole_month", "day", "staff", "channel", "direction"),
                    *("interactions", "escalated", "passed_on"),
                ],
                name="interaction_rollup_cover",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "day", "whole_month", "channel", "direction"],
                name="interaction_rollup_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.staff_id} {self.channel} {self.direction}"


class AgentStatusRollup(models.Model):
    """The time one staff member spent in one status on one local day, in microseconds: their
    status intervals split at local midnight, an interval still open counted to the day's end.
    Microseconds, so a day's parts add up exactly to what a period's intervals give. A row with
    `whole_month` holds the sum of its month's day rows (`day` is the month's first day)."""

    day = models.DateField(_("day"))
    whole_month = models.BooleanField(_("whole month"), default=False)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,  # with the intervals themselves
        related_name="+",
        db_index=False,  # the unique constraint leads with it
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AgentStatusInterval.Status.choices
    )
    microseconds = models.BigIntegerField(_("time (microseconds)"), default=0)

    class Meta:
        verbose_name = _("agent status rollup")
        verbose_name_plural = _("agent status rollups")
        indexes = [
            models.Index(
                fields=["whole_month", "day", "staff", "status", "microseconds"],
                name="status_rollup_cover",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["staff", "day", "whole_month", "status"], name="status_rollup_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.staff_id} {self.status}"


class InteractionRollupDay(models.Model):
    """Whether a day's interaction and agent status rollups are current: every write that
    changes the day's figures adds one to `version` in its own transaction; the worker rebuilds
    the day and records the version it read in `built_version`. A day is read from the rollups
    only while the two are equal."""

    day = models.DateField(_("day"), unique=True)
    version = models.BigIntegerField(_("version"), default=1)
    built_version = models.BigIntegerField(_("version built"), null=True, blank=True)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)

    class Meta:
        verbose_name = _("interaction rollup day")
        verbose_name_plural = _("interaction rollup days")
        indexes = [models.Index(fields=["built_version", "day"], name="interaction_rollup_dirty")]

    def __str__(self) -> str:
        return str(self.day)


class InteractionRollupMonth(models.Model):
    """A month's rows summed from its days' rows, built when every day of it was current.
    `days_version` is the sum of its days' versions then: versions only go up, so the month is
    read only while its days are current and their versions still add up to it (a write on any
    of its days, or a rebuild of one, leaves it to be built again)."""

    month = models.DateField(_("month"), unique=True)
    days_version = models.BigIntegerField(_("version of its days"))
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("interaction rollup month")
        verbose_name_plural = _("interaction rollup months")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class IdempotencyRecord(models.Model):
    """The first response to a request sent with an Idempotency-Key, replayed on retries.

    Generic on purpose (any endpoint, any user) so it can move to rapport.core later.
    """

    key = models.CharField(_("key"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.CharField(_("endpoint"), max_length=100)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response_json = models.JSONField(_("response"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "key"], name="idempotency_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"


class TeamRouting(models.Model):
    """How a team's new tickets and conversations reach its agents (rapport.interactions.routing):
    by hand (agents claim them), in turn, or to the agent with the fewest open items."""

    class Strategy(models.TextChoices):
        MANUAL = "manual", _("Manual: agents claim new work")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")

    team = models.OneToOneField(
        "staff.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="routing"
    )
    strategy = models.CharField(
        _("assignment"), max_length=16, choices=Strategy.choices, default=Strategy.MANUAL
    )
    cap = models.PositiveSmallIntegerField(
        _("open items per agent"),
        default=10,
        help_text=_("An agent with this many open tickets and conversations gets no more."),
    )
    escalate_after_minutes = models.PositiveIntegerField(
        _("escalate unassigned work after (minutes)"),
        default=0,
        help_text=_("New work nobody took this long goes to the supervisors; 0 never."),
    )
    # Round robin's place: the agent who got the last item.
    last_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("team routing")
        verbose_name_plural = _("team routing")
        constraints = [
            models.CheckConstraint(
                condition=Q(cap__gte=1, cap__lte=500),
                name="routing_cap_range",
                violation_error_message=_("The cap is between 1 and 500 open items."),
            ),
            models.CheckConstraint(
                condition=Q(escalate_after_minutes__lte=7 * 24 * 60),
                name="routing_escalate_within_a_week",
                violation_error_message=_("Escalate within a week (10080 minutes) or never (0)."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} · {self.get_strategy_display()}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        SELF_ROUTING_TEAMS.forget()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        SELF_ROUTING_TEAMS.forget()
        return result


class AgentRouting(models.Model):
    """One agent's own routing: a cap other than the team's, and skills — the ticket types or
    channels they handle. An agent without skills handles everything."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="routing",
    )
    cap = models.PositiveSmallIntegerField(
        _("open items (own cap)"),
        null=True,
        blank=True,
        help_text=_("Empty: the team's cap."),
    )
    skills = models.JSONField(
        _("skills"),
        default=list,
        blank=True,
        help_text=_("Ticket types or channels this agent handles; none: everything."),
    )

    class Meta:
        verbose_name = _("agent routing")
        verbose_name_plural = _("agent routing")
        constraints = [
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=1, cap__lte=500),
                name="agent_routing_cap_range",
                violation_error_message=_("The cap is between 1 and 500 open items."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)


class UnassignedEscalation(models.Model):
    """An item left unassigned too long was told to the supervisors: one row per item, so it is
    told once (the sweep inserts under the unique constraint)."""

    source = models.CharField(_("kind of item"), max_length=20)
    item_id = models.PositiveBigIntegerField(_("item"))
    team = models.ForeignKey(
        "staff.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="+"
    )
    escalated_at = models.DateTimeField(_("escalated at"), default=timezone.now)

    class Meta:
        verbose_name = _("unassigned work escalated")
        verbose_name_plural = _("unassigned work escalated")
        constraints = [
            models.UniqueConstraint(fields=["source", "item_id"], name="escalated_once_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.item_id}"
