"""Customer care (客户关怀): segments, programs, their runs, each planned action and call task.

A program's trigger finds the customers whose occasion falls due on a day; the run records one
`CareAction` per (program, customer, occurrence) — unique, so no customer is contacted twice for
one occurrence however many workers evaluate — and the outreach guard decides at the moment the
action runs whether it goes out, waits or is skipped, with the reason kept on the row.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Purpose(models.TextChoices):
    SERVICE = "service", _("Service care")
    MARKETING = "marketing", _("Marketing")


class Segment(models.Model):
    """A saved customer query (客户分群): customer fields combined with AND, stored as JSON."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    definition = models.JSONField(_("conditions"), default=dict, blank=True)
    # A segment without conditions reaches every customer; it must be chosen on purpose.
    everyone_confirmed = models.BooleanField(_("matches everyone, confirmed"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Program(models.Model):
    """A care program (关怀计划): whom, when, what, and how carefully."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("care program", "Active")
        PAUSED = "paused", _("Paused")
        ARCHIVED = "archived", _("Archived")

    class Trigger(models.TextChoices):
        POLICY_EXPIRY = "policy_expiry", _("Insurance policy expiry")
        WARRANTY_EXPIRY = "warranty_expiry", _("Warranty end")
        CONTRACT_EXPIRY = "contract_expiry", _("Contract expiry")
        PURCHASE_ANNIVERSARY = "purchase_anniversary", _("Purchase anniversary")
        BIRTHDAY = "birthday", _("Birthday (lunar where the customer keeps one)")
        MAINTENANCE_DUE = "maintenance_due", _("Maintenance due (time or mileage)")
        APPOINTMENT = "appointment", _("Appointment date")
        TICKET_CLOSED = "ticket_closed", _("Ticket closed")
        SERVICE_DELIVERED = "service_delivered", _("Vehicle delivered after service")
        SURVEY_LOW = "survey_low", _("Survey answered low")
        BECAME_AT_RISK = "became_at_risk", _("Customer became at-risk")
        ONCE = "once", _("Once, on a date")
        YEARLY = "yearly", _("Every year, on a date")
        SPRING_FESTIVAL = "spring_festival", _("Spring Festival (春节), each year")
        MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival (中秋), each year")

    class Action(models.TextChoices):
        CALL = "call", _("Call task")
        MESSAGE = "message", _("Message")
        MESSAGE_THEN_CALL = "message_then_call", _("Message, then a call if no answer")

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    purpose = models.CharField(
        pgettext_lazy("care", "purpose"),
        max_length=12,
        choices=Purpose.choices,
        default=Purpose.SERVICE,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("team making the calls"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="programs",
    )
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    offset_days = models.SmallIntegerField(
        _("offset (days)"),
        default=0,
        validators=[MinValueValidator(-366), MaxValueValidator(366)],
        help_text=_("Negative: days before the date; positive: days after it."),
    )
    schedule_on = models.DateField(_("date (once or each year)"), null=True, blank=True)
    maintenance_days = models.PositiveSmallIntegerField(
        _("service interval (days)"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Maintenance due: days after the last service (1 to 3,650)."),
    )
    maintenance_km = models.PositiveIntegerField(
        _("service interval (km)"),
        default=5000,
        validators=[MinValueValidator(100), MaxValueValidator(100_000)],
        help_text=_(
            "Maintenance due: km driven after the last service (100 to 100,000). The day a "
            "vehicle reaches it is estimated from its odometer at that service and its average "
            "km per day (from its readings, else the fleet default); the reminder goes on that "
            "day or when the interval in days ends, whichever comes first."
        ),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    template_code = models.SlugField(_("message template"), max_length=40, blank=True)
    script_code = models.CharField(_("call script (phrase code)"), max_length=60, blank=True)
    script_text = models.TextField(_("call script"), max_length=4000, blank=True)
    followup_days = models.PositiveSmallIntegerField(
        _("call when no answer after (days)"), default=3, validators=[MaxValueValidator(60)]
    )
    quiet_days = models.PositiveSmallIntegerField(
        _("quiet period (days)"),
        default=14,
        validators=[MaxValueValidator(365)],
        help_text=_("No action when any program contacted the customer within these days."),
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out share (%)"), default=10, validators=[MaxValueValidator(50)]
    )
    max_per_run = models.PositiveIntegerField(
        _("confirm runs above"),
        null=True,
        blank=True,
        help_text=_("Blank: the site's number."),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    evaluated_through = models.DateField(_("evaluated through"), null=True, blank=True)
    evaluating_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    DATE_TRIGGERS = (
        "policy_expiry",
        "warranty_expiry",
        "contract_expiry",
        "purchase_anniversary",
        "birthday",
        "maintenance_due",
        "appointment",
    )
    EVENT_TRIGGERS = ("ticket_closed", "service_delivered", "survey_low", "became_at_risk")
    SCHEDULE_TRIGGERS = ("once", "yearly", "spring_festival", "mid_autumn")

    class Meta:
        verbose_name = _("care program")
        verbose_name_plural = _("care programs")
        ordering = ["name"]
        indexes = [models.Index(fields=["status"], name="care_program_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="care_program_ends_after_start",
                violation_error_message=_("The program cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=50),
                name="care_program_holdout_range",
                violation_error_message=_("Hold out at most half of the customers."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def trigger_kind(self) -> str:
        if self.trigger in self.SCHEDULE_TRIGGERS:
            return "schedule"
        if self.trigger in self.EVENT_TRIGGERS:
            return "event"
        return "date"

    @property
    def sends_message(self) -> bool:
        return self.action in (self.Action.MESSAGE, self.Action.MESSAGE_THEN_CALL)

    @property
    def makes_calls(self) -> bool:
        return self.action in (self.Action.CALL, self.Action.MESSAGE_THEN_CALL)


class CareSettings(models.Model):
    """Site-wide care rules (one row, pk=1), set by administrators."""

    confirm_above = models.PositiveIntegerField(
        _("runs reaching more customers wait for a supervisor"), default=200
    )
    calls_per_agent_per_day = models.PositiveSmallIntegerField(
        _("call tasks per representative per day"),
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(500)],
    )
    catch_up_days = models.PositiveSmallIntegerField(
        _("days a late evaluation catches up"), default=7, validators=[MaxValueValidator(60)]
    )

    class Meta:
        verbose_name = _("care settings")
        verbose_name_plural = _("care settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="care_settings_singleton")]

    def __str__(self) -> str:
        return str(_("Care settings"))

    @classmethod
    def current(cls) -> "CareSettings":
        row, _created = cls.objects.get_or_create(pk=1)
        return row


class CareRun(models.Model):
    """One evaluation of a program on one day, with what it planned."""

    class Status(models.TextChoices):
        RELEASED = "released", pgettext_lazy("care program", "Running")
        AWAITING = "awaiting", _("Waiting for a supervisor")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="runs"
    )
    run_on = models.DateField(_("run date"))
    program_version = models.PositiveIntegerField(_("program version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RELEASED
    )
    planned = models.PositiveIntegerField(_("to contact"), default=0)
    held_out = models.PositiveIntegerField(_("held out"), default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care run")
        verbose_name_plural = _("care runs")
        ordering = ["-run_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "run_on"], name="care_run_once_a_day")
        ]
        indexes = [models.Index(fields=["status"], name="care_run_status")]

    def __str__(self) -> str:
        return f"{self.program} {self.run_on}"

    @property
    def is_released(self) -> bool:
        return self.status in (self.Status.RELEASED, self.Status.CONFIRMED)


class CareAction(models.Model):
    """One planned contact of one customer for one occurrence of a program's trigger.

    The guard's decision is kept here: `state` skipped with a `reason` answers "why did this
    customer not get it?"."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HOLDOUT = "holdout", _("Held out (not contacted, for comparison)")
        WAITING = "waiting", _("Message sent, waiting for an answer")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped")

    class Kind(models.TextChoices):
        CALL = "call", _("Call task")
        MESSAGE = "message", _("Message")

    class Reason(models.TextChoices):
        DECEASED = "deceased", _("The customer is deceased.")
        MERGED = "merged", _("The customer file was merged into another.")
        DO_NOT_CONTACT = "do_not_contact", _("The customer asked not to be contacted.")
        NO_CONSENT = "no_consent", _("The customer withdrew consent for this purpose.")
        COMPLAINT = "complaint", _("An urgent complaint is open or the customer is upset.")
        RECENTLY_CONTACTED = (
            "recently_contacted",
            _("A care program contacted the customer within the quiet period."),
        )
        UNREACHABLE = "unreachable", _("No channel reaches the customer.")
        PROGRAM_ENDED = "program_ended", _("The program ended before the action.")
        ANSWERED = "answered", _("The customer answered the message; no call needed.")
        QUIET_HOURS = "quiet_hours", _("Quiet hours: deferred to their end.")
        TO_TICKET_OWNER = (
            "to_ticket_owner",
            _("An urgent complaint is open: the call went to the ticket's owner."),
        )

    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="actions"
    )
    run = models.ForeignKey(
        CareRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="actions"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="care_actions",
    )
    occurrence_key = models.CharField(_("occurrence"), max_length=80)
    occasion = models.CharField(_("occasion"), max_length=200, blank=True)
    due_on = models.DateField(_("due on"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=8, choices=State.choices)
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    execute_after = models.DateTimeField(_("not before"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("representative"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    call_on = models.DateField(_("call day"), null=True, blank=True)
    outbox_id = models.PositiveBigIntegerField(_("message"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    executed_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care action")
        verbose_name_plural = _("care actions")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "customer", "occurrence_key"],
                name="care_action_once_per_occurrence",
            )
        ]
        indexes = [
            models.Index(
                fields=["execute_after"],
                name="care_action_due",
                condition=Q(state__in=["planned", "waiting"]),
            ),
            models.Index(fields=["customer", "-executed_at"], name="care_action_customer"),
            models.Index(fields=["run", "state"], name="care_action_run"),
            models.Index(fields=["assignee", "call_on"], name="care_action_call_day"),
        ]

    def __str__(self) -> str:
        return f"{self.program} → {self.customer_id} ({self.occurrence_key})"


class CareTask(models.Model):
    """A call for a representative, with the script and what they record."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    action = models.OneToOneField(
        CareAction, verbose_name=_("care action"), on_delete=models.CASCADE, related_name="task"
    )
    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="tasks"
    )
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="care_tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("representative"),
        on_delete=models.PROTECT,
        related_name="care_tasks",
    )
    due_on = models.DateField(_("call on"))
    script = models.TextField(_("call script"), blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default="open")
    reached = models.BooleanField(_("reached"), null=True, blank=True)
    interested = models.BooleanField(_("interested"), null=True, blank=True)
    booked = models.BooleanField(_("booked"), null=True, blank=True)
    declined = models.BooleanField(_("declined"), null=True, blank=True)
    outcome_reason = models.CharField(_("reason"), max_length=300, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalated to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    escalate_at = models.DateTimeField(_("escalates at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("care call task")
        verbose_name_plural = _("care call tasks")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["assignee", "state", "due_on"], name="care_task_queue"),
            models.Index(
                fields=["escalate_at"],
                name="care_task_escalation",
                condition=Q(acknowledged_at__isnull=True, state="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.customer}"
