"""Complaints and service requests (投诉与服务请求): the four-step process of DOMAIN.md §3.

Intake → classification and priority → investigation and a remedy the customer chooses → reply,
confirmed close, archive and revisit. What may happen to a ticket in which state, for which role,
is decided by one table: rapport.tickets.transitions.ACTIONS.
"""

import contextlib
import ipaddress
import re
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from rapport.core.memo import ProcessMemo

# Compensation above this is a typing error, not a remedy.
MAX_COMPENSATION = Decimal("1000000")
_MARKUP = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|style|svg|img|link|meta|form)\b|javascript:",
    re.IGNORECASE,
)


def validate_no_markup(value: str) -> None:
    """Refuse text carrying HTML that could run in a browser. Everything is escaped on output
    anyway; refusing says so to the person typing instead of silently storing it."""
    if value and _MARKUP.search(value):
        raise ValidationError(
            _("Remove the HTML tags (such as <script>) from this text."), code="markup"
        )


def defuse_markup(value: str) -> str:
    """The text with what `validate_no_markup` refuses made harmless and still readable: angle
    brackets become ‹ › and `javascript:` loses its colon. For text the system writes from
    stored data (a customer's name in a follow-up's subject), which must not be refused."""
    if not value or not _MARKUP.search(value):
        return value
    value = value.replace("<", "‹").replace(">", "›")
    return re.sub(r"(javascript)\s*:", "\\1：", value, flags=re.IGNORECASE)


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


# Read by every queue page (the type filter) and the classify form, the same for everyone: kept
# per process (rapport.core.memo). Saving or deleting a type forgets it in this process at once;
# the other workers see the change within the ttl.
TYPE_TREE_MEMO = ProcessMemo("ticket type tree", ttl=60)
SETTINGS_MEMO = ProcessMemo("ticket settings", ttl=30)


class TicketType(models.Model):
    """A node of the admin-editable type tree: product quality › electrical, billing, …"""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=40)
    name_en = models.CharField(_("English name"), max_length=60)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ticket type")
        verbose_name_plural = _("ticket types")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="ticket_type_not_own_parent"
            )
        ]

    def __str__(self) -> str:
        name = self.name_zh if (get_language() or "zh").startswith("zh") else self.name_en
        return name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        TYPE_TREE_MEMO.forget()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        TYPE_TREE_MEMO.forget()
        return result

    @property
    def root_id(self) -> int:
        return self.parent_id or self.pk


class Impact(models.TextChoices):
    SAFETY = "safety", _("Safety-related")
    GROUP = "group", _("Group complaint")
    NORMAL = "normal", _("Normal")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class PriorityRule(models.Model):
    """One cell of the priority matrix: type × impact × customer tier → priority.

    Blank fields match anything; the most specific matching rule wins (a type's rule also covers
    its sub-types). Without any match the priority is normal.
    """

    ticket_type = models.ForeignKey(
        TicketType,
        verbose_name=_("type"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="priority_rules",
    )
    impact = models.CharField(_("impact"), max_length=8, choices=Impact.choices, blank=True)
    tier = models.CharField(
        _("customer tier"),
        max_length=16,
        blank=True,
        choices=[
            ("vip", _("VIP")),
            ("key_account", _("Key account")),
            ("regular", _("Regular")),
            ("potential", _("Potential")),
        ],
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority matrix")
        ordering = ["ticket_type", "impact", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_type", "impact", "tier"],
                condition=Q(ticket_type__isnull=False),
                name="priority_rule_unique",
                violation_error_message=_("There is already a rule for this combination."),
            ),
            models.UniqueConstraint(
                fields=["impact", "tier"],
                condition=Q(ticket_type__isnull=True),
                name="priority_rule_unique_any_type",
                violation_error_message=_("There is already a rule for this combination."),
            ),
        ]

    def __str__(self) -> str:
        return " × ".join(
            [
                str(self.ticket_type or _("any type")),
                self.get_impact_display() or str(_("any impact")),
                self.get_tier_display() or str(_("any tier")),
            ]
        )

    @property
    def specificity(self) -> int:
        return (
            (4 if self.ticket_type_id else 0) + (2 if self.impact else 0) + (1 if self.tier else 0)
        )


class TicketSettings(models.Model):
    """The complaint desk's knobs, one row, edited in the admin."""

    approval_threshold = models.DecimalField(
        _("approval needed above (¥)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("500"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    auto_close_days = models.PositiveSmallIntegerField(
        _("auto-close resolved tickets after (days)"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    revisit_days = models.PositiveSmallIntegerField(
        _("revisit after close (days)"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
    )
    repeat_window_days = models.PositiveSmallIntegerField(
        _("repeat window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
    )
    public_form_per_hour = models.PositiveSmallIntegerField(
        _("public form submissions per address and hour"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
    )
    public_form_shared_networks = models.TextField(
        _("shared networks"),
        blank=True,
        help_text=_(
            "Addresses or networks many customers share (a company, a campus, a mobile carrier's "
            "gateway), one per line, e.g. 203.0.113.0/24. They get the higher limit below."
        ),
    )
    public_form_per_hour_shared = models.PositiveSmallIntegerField(
        _("public form submissions per hour from a shared network"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
    )

    class Meta:
        verbose_name = _("complaint settings")
        verbose_name_plural = _("complaint settings")

    def __str__(self) -> str:
        return str(_("Complaint settings"))

    def shared_networks(self) -> list:
        """The shared networks as ip_network objects (lines that do not parse are skipped; clean()
        refuses them when the settings are saved through a form)."""
        networks = []
        for line in self.public_form_shared_networks.splitlines():
            with contextlib.suppress(ValueError):
                networks.append(ipaddress.ip_network(line.strip(), strict=False))
        return networks

    def clean(self) -> None:
        super().clean()
        bad = []
        for line in self.public_form_shared_networks.splitlines():
            if line.strip():
                try:
                    ipaddress.ip_network(line.strip(), strict=False)
                except ValueError:
                    bad.append(line.strip())
        if bad:
            raise ValidationError(
                {
                    "public_form_shared_networks": _(
                        "Not an address or network: %(lines)s (write e.g. 203.0.113.0/24)."
                    )
                    % {"lines": ", ".join(bad[:5])}
                }
            )
        if self.public_form_per_hour_shared < self.public_form_per_hour:
            raise ValidationError(
                {
                    "public_form_per_hour_shared": _(
                        "The limit for shared networks should not be lower than the usual one."
                    )
                }
            )

    @classmethod
    def current(cls) -> "TicketSettings":
        obj = cls.objects.order_by("pk").first()
        return obj if obj is not None else cls()

    @classmethod
    def cached(cls) -> "TicketSettings":
        """The row as pages show it (the detail page's approval threshold): a copy kept per
        process; a change reaches every worker within SETTINGS_MEMO.ttl seconds. Rules that
        decide read current()."""
        return SETTINGS_MEMO.get(cls, cls.current)

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        SETTINGS_MEMO.forget()


OPEN = Q(is_open=True)


class Ticket(models.Model):
    """A complaint, service request or inquiry, from intake to archive.

    Service-level clocks (next issue) hook in here without new placeholders: every change of
    state is a TicketEvent with its instant, and `created_at`, `first_responded_at` (first reply
    to the customer), `waiting_since` (the clock pauses while waiting on the customer or a third
    party), `resolved_at` and `closed_at` give the points a first-response and resolution clock
    needs; an SLA policy will be looked up from priority and channel and its due instants
    computed on the business calendar (rapport.core.calendar) when the clock starts.
    """

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        SERVICE_REQUEST = "service_request", _("Service request")
        INQUIRY = "inquiry", _("Inquiry")

    class Status(models.TextChoices):
        NEW = "new", pgettext_lazy("ticket status", "New")
        CLASSIFIED = "classified", _("Classified")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    class Source(models.TextChoices):
        STAFF = "staff", _("Taken by staff")
        INTERACTION = "interaction", _("From an interaction")
        PUBLIC_FORM = "public_form", _("Public web form")
        API = "api", _("API")
        SURVEY = "survey", _("Satisfaction survey follow-up")
        MESSAGE = "message", _("A message from the customer")

    class WaitingOn(models.TextChoices):
        NONE = "", _("Not waiting")
        CUSTOMER = "customer", _("The customer")
        THIRD_PARTY = "third_party", _("A third party")

    class CannotMeet(models.TextChoices):
        NONE = "", _("Can be met")
        TECHNICAL = "technical", _("Technical reason (explain)")
        RESOURCES = "resources", _("Needs resources (approval)")

    class Satisfaction(models.TextChoices):
        UNKNOWN = "", _("Not asked")
        YES = "yes", _("Confirmed satisfied")
        NO = "no", _("Not satisfied")
        NO_ANSWER = "no_answer", _("No answer")

    kind = models.CharField(
        pgettext_lazy("ticket", "kind"), max_length=16, choices=Kind.choices, default=Kind.COMPLAINT
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    # Kept by the services with status: everything but closed. The queue indexes are on it.
    is_open = models.BooleanField(_("open"), default=True)
    source = models.CharField(_("received via"), max_length=12, choices=Source.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    asset = models.ForeignKey(
        "customers.Asset",
        verbose_name=_("asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    interaction = models.ForeignKey(
        "interactions.Interaction",
        verbose_name=_("from interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    subject = models.CharField(_("subject"), max_length=120, validators=[validate_no_markup])
    description = models.TextField(
        _("what happened"), max_length=4000, validators=[validate_no_markup]
    )
    # 顾客原话: exactly as the customer said or wrote it, never edited afterwards.
    customer_words = models.TextField(
        _("the customer's own words"), max_length=4000, validators=[validate_no_markup]
    )
    contact_name = models.CharField(
        _("contact name"), max_length=100, validators=[validate_no_markup]
    )
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    occurred_at = models.DateTimeField(_("when it happened"))
    occurred_where = models.CharField(
        _("where it happened"), max_length=200, validators=[validate_no_markup]
    )

    ticket_type = models.ForeignKey(
        TicketType,
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    impact = models.CharField(
        _("impact"), max_length=8, choices=Impact.choices, default=Impact.NORMAL
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    priority_overridden = models.BooleanField(_("priority set by hand"), default=False)

    # 首问负责制: whoever first took the ticket owns it to the end; set once, never changed.
    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first responder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("ticket", "assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )

    is_repeat = models.BooleanField(_("repeat"), default=False)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
    )
    # A duplicate closed into the ticket that carries on (merge), and a ticket opened from some
    # of another's customer messages (split). Both ends show the link.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_duplicates",
    )
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="split_tickets",
    )
    customer_upset = models.BooleanField(_("customer upset"), default=False)
    regulator_risk = models.BooleanField(
        _("regulator/media risk"),
        default=False,
        help_text=_(
            "The customer threatened to go to 12315, a regulator, the police, a lawyer or the media."
        ),
    )
    cannot_meet = models.CharField(
        _("request cannot be met"), max_length=10, choices=CannotMeet.choices, blank=True
    )
    cannot_meet_note = models.CharField(_("why"), max_length=500, blank=True)
    partner_name = models.CharField(_("responsible partner"), max_length=100, blank=True)
    partner_contact = models.CharField(
        _("partner contact given to the customer"), max_length=200, blank=True
    )
    waiting_on = models.CharField(
        _("waiting on"), max_length=12, choices=WaitingOn.choices, blank=True
    )
    waiting_reason = models.CharField(_("waiting because"), max_length=300, blank=True)
    resolution = models.TextField(_("resolution"), max_length=4000, blank=True)
    root_cause = models.TextField(
        _("root cause"),
        max_length=2000,
        blank=True,
        help_text=_("Required to resolve a follow-up of an unhappy survey answer."),
    )
    satisfaction = models.CharField(
        _("customer confirmed"), max_length=10, choices=Satisfaction.choices, blank=True
    )

    public_token = models.CharField(max_length=40, unique=True, default=new_public_token)
    created_at = models.DateTimeField(_("received at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    first_responded_at = models.DateTimeField(_("first reply at"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-priority", "-id"]
        # One index per queue: its filter, then its order, so a page is an index walk.
        indexes = [
            models.Index(
                fields=["assignee", "-priority", "-id"], name="ticket_q_mine", condition=OPEN
            ),
            models.Index(
                fields=["first_responder", "-priority", "-id"],
                name="ticket_q_owned",
                condition=OPEN,
            ),
            models.Index(fields=["team", "-priority", "-id"], name="ticket_q_team", condition=OPEN),
            models.Index(
                fields=["-priority", "-id"],
                name="ticket_q_unassigned",
                condition=OPEN & Q(assignee__isnull=True),
            ),
            models.Index(fields=["-priority", "-id"], name="ticket_q_open", condition=OPEN),
            models.Index(fields=["status", "-priority", "-id"], name="ticket_q_status"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer"),
            models.Index(
                fields=["customer", "ticket_type", "created_at"], name="ticket_repeat_lookup"
            ),
            models.Index(
                fields=["resolved_at"], name="ticket_resolved", condition=Q(status="resolved")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_open=True) | Q(status="closed"), name="ticket_closed_not_open"
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting") | ~Q(waiting_on=""),
                name="ticket_waiting_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="ticket_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="ticket_priority_range"
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | Q(status="closed"),
                name="ticket_merged_is_closed",
            ),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("id")), name="ticket_not_merged_into_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"T{self.pk:06d}" if self.pk else "T—"

    def clean(self) -> None:
        errors = {}
        # A ticket opened from a chat message (WeChat, WeCom) is answered in that chat.
        from_chat = (
            self.source == self.Source.MESSAGE
            and self.interaction_id is not None
            and self.interaction.channel == "wechat"
        )
        if not (self.contact_phone or self.contact_email or from_chat):
            errors["contact_phone"] = [_("Give a phone number or an e-mail address.")]
        if self.occurred_at and self.occurred_at > timezone.now() + timedelta(minutes=5):
            errors["occurred_at"] = [_("The problem cannot have happened in the future.")]
        if self.asset_id and self.customer_id and self.asset.customer_id != self.customer_id:
            errors["asset"] = [_("That asset belongs to another customer.")]
        if errors:
            raise ValidationError(errors)


class TicketEvent(models.Model):
    """One entry of a ticket's timeline: every note, reply, transition, hand-off, classification,
    priority change, remedy, approval and flag. Append-only. `is_public` entries are the ones
    the customer sees on the tracking page."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Received")
        TRANSITION = "transition", _("Status changed")
        CLASSIFIED = "classified", _("Classified")
        NOTE = "note", _("Internal note")
        REPLY = "reply", _("Reply to the customer")
        ASSIGNED = "assigned", _("Assigned")
        ESCALATED = "escalated", _("Handed to a supervisor")
        PRIORITY = "priority", _("Priority changed")
        REPEAT = "repeat", _("Marked as repeat")
        INVESTIGATION = "investigation", _("Investigation requested")
        INVESTIGATION_DONE = "investigation_done", _("Investigation answered")
        REMEDY = "remedy", _("Remedy offered")
        REMEDY_CHOSEN = "remedy_chosen", _("Remedy chosen")
        APPROVAL = "approval", _("Approval decision")
        IMPROVEMENT = "improvement", _("Improvement action")
        FLAG = "flag", _("Situation noted")
        ATTACHMENT = "attachment", _("Attachment added")
        ARCHIVED = "archived", _("Archived as a case")
        EDITED = "edited", _("Details edited")
        CUSTOMER_MESSAGE = "customer_message", _("The customer wrote")
        DELIVERY = "delivery", _("Delivery problem")
        MERGED = "merged", _("Duplicate merged in")
        SPLIT = "split", _("Split")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    action = models.CharField(_("action"), max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    from_status = models.CharField(
        pgettext_lazy("ticket status", "from"), max_length=12, blank=True
    )
    to_status = models.CharField(pgettext_lazy("ticket status", "to"), max_length=12, blank=True)
    body = models.TextField(_("text"), max_length=4000, blank=True)
    is_public = models.BooleanField(_("shown to the customer"), default=False)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at", "id"], name="ticket_event_timeline")]

    def __str__(self) -> str:
        return f"T{self.ticket_id:06d} {self.kind} {self.action}"

    @property
    def text(self) -> str:
        """The body in the reader's (active) language when the system wrote it in each language
        of the site (data["texts"]); else the body as written."""
        texts = self.data.get("texts") if isinstance(self.data, dict) else None
        if isinstance(texts, dict):
            return texts.get(get_language()) or self.body
        return self.body

    @property
    def from_status_label(self) -> str:
        return Ticket.Status(self.from_status).label if self.from_status else ""

    @property
    def to_status_label(self) -> str:
        return Ticket.Status(self.to_status).label if self.to_status else ""


class TicketInvestigation(models.Model):
    """A department asked to investigate (调查), with a due date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Answered")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="investigations"
    )
    team = models.ForeignKey(
        "staff.Team", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    question = models.CharField(
        _("what to find out"), max_length=500, validators=[validate_no_markup]
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    finding = models.TextField(_("finding"), max_length=4000, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("investigation")
        verbose_name_plural = _("investigations")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["team", "status", "due_at"], name="investigation_team")]

    def __str__(self) -> str:
        return self.question

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at < timezone.now()


class Remedy(models.Model):
    """A remedy offered to the customer; one of them is the one the customer chose. Above the
    approval threshold, or when it needs resources, a supervisor approves it first."""

    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        REPLACEMENT = "replacement", _("Replacement")
        COMPENSATION = "compensation", _("Compensation")
        UPGRADE = "upgrade", _("Service upgrade")
        APOLOGY = "apology", _("Explanation and apology")

    class Approval(models.TextChoices):
        NOT_NEEDED = "not_needed", _("No approval needed")
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="remedies"
    )
    kind = models.CharField(_("remedy"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount (¥)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_COMPENSATION)],
    )
    description = models.CharField(
        _("details"), max_length=500, blank=True, validators=[validate_no_markup]
    )
    needs_resources = models.BooleanField(_("needs resources"), default=False)
    is_chosen = models.BooleanField(_("chosen by the customer"), default=False)
    approval = models.CharField(
        _("approval"), max_length=12, choices=Approval.choices, default=Approval.NOT_NEEDED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("offered by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)

    class Meta:
        verbose_name = _("remedy")
        verbose_name_plural = _("remedies")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["created_at"], name="remedy_pending", condition=Q(approval="pending")
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount__lte=MAX_COMPENSATION),
                name="remedy_amount_range",
            ),
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(is_chosen=True), name="remedy_one_chosen"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def clean(self) -> None:
        if self.kind == self.Kind.COMPENSATION and not self.amount:
            raise ValidationError({"amount": [_("A compensation needs an amount.")]})


class ImprovementAction(models.Model):
    """An improvement raised from a complaint (PDCA): training, a process change, …"""

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        PROCESS = "process", _("Process change")
        PRODUCT = "product", _("Product feedback")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="improvements"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    description = models.CharField(
        _("what will change"), max_length=500, validators=[validate_no_markup]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=6, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("raised by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on", "id"], name="improvement_queue")]

    def __str__(self) -> str:
        return self.description

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_on < timezone.localdate()


class CaseLesson(models.Model):
    """A closed complaint archived as a case (案例) for training and, later, the knowledge base."""

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="lesson"
    )
    problem = models.TextField(_("problem"), max_length=2000, validators=[validate_no_markup])
    cause = models.TextField(_("cause"), max_length=2000, validators=[validate_no_markup])
    remedy = models.TextField(_("remedy"), max_length=2000, validators=[validate_no_markup])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("archived by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("archived at"), default=timezone.now)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.problem[:60]


class TicketAttachment(models.Model):
    """A photo or document, stored outside the web root and served only through a checked view."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to="tickets/%Y/%m/", max_length=200)
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class PublicSubmission(models.Model):
    """The one-time key of a public-form or public-API submission: a replay finds the ticket the
    first one created instead of creating another."""

    key = models.CharField(max_length=100, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    # SHA-256 of the details sent (tickets.submissions.submission_digest): the same key with
    # other details is refused instead of answered with someone else's ticket.
    request_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("public submission")
        verbose_name_plural = _("public submissions")

    def __str__(self) -> str:
        return self.key


class SavedView(models.Model):
    """A queue as someone likes to see it (保存的视图): filters, sort and columns, kept for one
    person or shared with a team. What filters and columns exist is rapport.tickets.views_saved
    (the queue's own filter form); the service refuses any other name."""

    name = models.CharField(_("name"), max_length=60, validators=[validate_no_markup])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("kept for"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_ticket_views",
    )
    team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("shared with team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_ticket_views",
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) ^ Q(team__isnull=True),
                name="saved_view_one_audience",
            ),
            models.UniqueConstraint(
                fields=["owner", "name"],
                condition=Q(owner__isnull=False),
                name="saved_view_unique_per_owner",
            ),
            models.UniqueConstraint(
                fields=["team", "name"],
                condition=Q(team__isnull=False),
                name="saved_view_unique_per_team",
            ),
        ]

    def __str__(self) -> str:
        return self.name
