"""Appointments (预约) with capacity levelling (平准化), after the dealer's seven steps (seed 000).

A booking takes time from one service advisor and, when the service type needs one, one bay and a
technician with the skill, inside one day-part of their working calendar. The time taken is kept
per resource, day and day-part in `CapacityBucket` and reserved with a conditional UPDATE, so two
advisors booking the last slot at once cannot both succeed.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.core.models import BusinessCalendar, TimeStampedModel
from rapport.customers.models import Asset, Customer

MAX_PRICE = Decimal("200000.00")


class WorkshopSettings(models.Model):
    """The one row of workshop rules an administrator sets."""

    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("workshop calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Opening days, holidays and 调休 of the workshop. Empty: the default business calendar."
        ),
    )

    slot_minutes = models.PositiveSmallIntegerField(
        _("arrival slot (minutes)"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(120)],
    )
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=60, validators=[MaxValueValidator(7 * 24 * 60)]
    )
    horizon_days = models.PositiveSmallIntegerField(
        _("booking horizon (days)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    repeat_repair_days = models.PositiveSmallIntegerField(
        _("repeat repair window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "A work order for the same vehicle and complaint within this window is a repeat repair."
        ),
    )
    diagnosis_minutes = models.PositiveSmallIntegerField(
        _("diagnosis authorised for (minutes)"),
        default=120,
        validators=[MinValueValidator(15), MaxValueValidator(24 * 60)],
    )

    class Meta:
        verbose_name = _("workshop settings")
        verbose_name_plural = _("workshop settings")

    def __str__(self) -> str:
        return str(_("Workshop settings"))

    @classmethod
    def current(cls) -> "WorkshopSettings":
        found = cls.objects.select_related("calendar").order_by("pk").first()
        return found or cls.objects.create()


class ServiceType(models.Model):
    """What the customer comes for: maintenance, repair, warranty, diagnosis, repeat repair."""

    class Kind(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")
        REPAIR = "repair", _("General repair")
        WARRANTY = "warranty", _("Warranty")
        DIAGNOSIS = "diagnosis", _("Diagnosis / hard problem")
        REPEAT = "repeat", _("Repeat repair")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(10), MaxValueValidator(8 * 60)]
    )
    needs_bay = models.BooleanField(_("needs a bay"), default=True)
    technician_skill = models.CharField(
        _("technician skill"),
        max_length=40,
        blank=True,
        help_text=_("Leave empty when any technician will do or no technician is booked."),
    )
    estimate = models.DecimalField(
        _("estimate (yuan)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PRICE)],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=10), name="service_type_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(estimate__gte=0), name="service_type_estimate_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    """A service advisor, a bay or a technician, with the calendar they work by."""

    class Kind(models.TextChoices):
        ADVISOR = "advisor", _("Service advisor")
        BAY = "bay", _("Bay")
        TECHNICIAN = "technician", _("Technician")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workshop_resources",
    )
    skills = models.CharField(
        _("skills"), max_length=200, blank=True, help_text=_("Comma-separated, for technicians.")
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("working calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: the workshop calendar (holidays and 调休 included)."),
    )
    walk_in_reserve_percent = models.PositiveSmallIntegerField(
        _("walk-in reserve (%)"),
        default=20,
        validators=[MaxValueValidator(90)],
        help_text=_("Share of each day-part kept free for customers without an appointment."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("workshop resource")
        verbose_name_plural = _("workshop resources")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="resource_name_unique_per_kind"),
            models.CheckConstraint(
                condition=Q(walk_in_reserve_percent__lte=90), name="resource_reserve_at_most_90"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def skill_set(self) -> set[str]:
        return {s.strip() for s in self.skills.replace("，", ",").split(",") if s.strip()}


class CapacityBucket(models.Model):
    """Minutes of one resource in one day-part: what it has, what is kept for walk-ins, what is
    booked. Rows are made on first use; bookings change `booked_minutes` only by conditional
    UPDATE (see services.capacity_reserve)."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.CASCADE, related_name="buckets"
    )
    day = models.DateField(_("day"))
    part = models.PositiveSmallIntegerField(_("day-part"))
    capacity_minutes = models.PositiveIntegerField(_("capacity (minutes)"))
    reserve_minutes = models.PositiveIntegerField(_("walk-in reserve (minutes)"), default=0)
    booked_minutes = models.PositiveIntegerField(_("booked (minutes)"), default=0)

    class Meta:
        verbose_name = _("capacity")
        verbose_name_plural = _("capacities")
        constraints = [
            models.UniqueConstraint(fields=["resource", "day", "part"], name="bucket_unique"),
            models.CheckConstraint(
                condition=Q(booked_minutes__lte=F("capacity_minutes")), name="bucket_not_overbooked"
            ),
        ]
        indexes = [models.Index(fields=["day", "resource"], name="bucket_day")]

    def __str__(self) -> str:
        return f"{self.resource} {self.day} #{self.part}"

    @property
    def bookable_minutes(self) -> int:
        return max(0, self.capacity_minutes - self.reserve_minutes - self.booked_minutes)


class Appointment(TimeStampedModel):
    """A customer's visit booked into a slot."""

    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CONFIRMED = "confirmed", _("Confirmed")
        ARRIVED = "arrived", pgettext_lazy("appointment state", "Arrived")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")
        RESCHEDULED = "rescheduled", _("Rescheduled")

    class Fuel(models.TextChoices):
        EMPTY = "empty", _("Empty")
        QUARTER = "quarter", _("1/4")
        HALF = "half", _("1/2")
        THREE_QUARTERS = "three_quarters", _("3/4")
        FULL = "full", _("Full")

    HOLDING = (State.BOOKED, State.CONFIRMED, State.ARRIVED)
    OPEN = (State.BOOKED, State.CONFIRMED)

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="appointments"
    )
    asset = models.ForeignKey(
        Asset,
        verbose_name=_("vehicle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service type"), on_delete=models.PROTECT
    )
    customer_words = models.TextField(_("the customer's words"), max_length=2000, blank=True)
    mileage_km = models.PositiveIntegerField(
        _("mileage (km)"), null=True, blank=True, validators=[MaxValueValidator(2_000_000)]
    )
    starts_at = models.DateTimeField(_("arrival time"))
    ends_at = models.DateTimeField(_("expected end"))
    day = models.DateField(_("day"))
    part = models.PositiveSmallIntegerField(_("day-part"))
    advisor = models.ForeignKey(
        Resource,
        verbose_name=_("service advisor"),
        on_delete=models.PROTECT,
        related_name="advised_appointments",
    )
    bay = models.ForeignKey(
        Resource,
        verbose_name=_("bay"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bay_appointments",
    )
    technician = models.ForeignKey(
        Resource,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="technician_appointments",
    )
    estimate = models.DecimalField(
        _("estimate (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    # [[bucket id, minutes], …]: what the booking took, given back when it is cancelled or moved.
    holds = models.JSONField(_("capacity held"), default=list, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.BOOKED)
    state_reason = models.CharField(_("reason"), max_length=300, blank=True)
    channel = models.CharField(_("booked by"), max_length=16, default="phone")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rescheduled_to = models.OneToOneField(
        "self",
        verbose_name=_("rescheduled to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rescheduled_from",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    # The customer answered the reminder "2" (改期): the advisor should agree a new time.
    new_time_wanted_at = models.DateTimeField(_("asked for a new time at"), null=True, blank=True)
    # The day-before sweep claimed this appointment for a confirmation call (once only).
    call_task_at = models.DateTimeField(_("confirmation call made at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    received_at = models.DateTimeField(
        pgettext_lazy("appointment", "received at"), null=True, blank=True
    )
    arrival_mileage_km = models.PositiveIntegerField(
        _("mileage on arrival (km)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(2_000_000)],
    )
    fuel_level = models.CharField(_("fuel level"), max_length=16, choices=Fuel.choices, blank=True)
    damage_notes = models.CharField(_("damage marks"), max_length=500, blank=True)
    items_left = models.CharField(_("items left in the car"), max_length=300, blank=True)
    covers_fitted = models.BooleanField(_("protective covers fitted"), default=False)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "id"]
        constraints = [
            # One arrival per advisor per slot: the last line of defence behind the buckets.
            models.UniqueConstraint(
                fields=["advisor", "starts_at"],
                condition=Q(state__in=["booked", "confirmed", "arrived"]),
                name="appointment_advisor_slot_unique",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["day", "state"], name="appointment_day_state"),
            models.Index(fields=["customer", "starts_at"], name="appointment_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.customer_id}"

    @property
    def number(self) -> str:
        return f"YY{self.pk or 0:06d}"

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def is_holding(self) -> bool:
        return self.state in self.HOLDING


# -- work orders (维修工单) ----------------------------------------------------------------------


class PriceItem(models.Model):
    """A line of the price list behind the reception desk (维修价格表): labour or a part."""

    class Kind(models.TextChoices):
        LABOUR = "labour", _("Labour")
        PART = "part", _("Part")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.LABOUR)
    price = models.DecimalField(
        _("price (yuan)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PRICE)],
    )
    minutes = models.PositiveSmallIntegerField(_("standard time (minutes)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0) & Q(price__lte=MAX_PRICE),
                name="price_item_price_sane",
                violation_error_message=_("A price must be between ¥0 and ¥200,000."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ¥{self.price:,.2f}"


class WorkOrder(TimeStampedModel):
    """A work order, in the texts' order: customer, vehicle, the customer's own words (never
    edited), the main items, keep old parts, payment method, authorisation, confirmation."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("work order state", "Open")
        AUTHORISED = "authorised", _("Authorised")
        IN_PROGRESS = "in_progress", pgettext_lazy("work order state", "In progress")
        WAITING = "waiting", _("Waiting for parts or authorisation")
        DONE = "done", pgettext_lazy("work order state", "Done")
        DELIVERED = "delivered", pgettext_lazy("work order state", "Delivered")

    class Payment(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Bank card")
        WECHAT = "wechat_pay", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        WARRANTY = "warranty", _("Warranty (no charge)")
        INSURANCE = "insurance", _("Insurance claim")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="work_orders"
    )
    asset = models.ForeignKey(
        Asset, verbose_name=_("vehicle"), on_delete=models.PROTECT, related_name="work_orders"
    )
    appointment = models.OneToOneField(
        Appointment,
        verbose_name=_("appointment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_order",
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service advisor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer_words = models.TextField(_("the customer's words"), max_length=2000)
    mileage_km = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    keep_old_parts = models.BooleanField(_("keep old parts"), default=False)
    payment_method = models.CharField(_("payment method"), max_length=12, choices=Payment.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    waiting_for = models.CharField(_("waiting for"), max_length=200, blank=True)
    promised_at = models.DateTimeField(_("ready for collection at"), null=True, blank=True)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeats",
    )
    explained_work = models.BooleanField(_("what work is needed"), default=False)
    explained_benefit = models.BooleanField(_("how it helps the car"), default=False)
    explained_cost = models.BooleanField(_("what it costs"), default=False)
    explained_duration = models.BooleanField(_("how long it takes"), default=False)
    explained_collection = models.BooleanField(_("when to collect the car"), default=False)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("explained by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    explained_at = models.DateTimeField(_("explained at"), null=True, blank=True)
    started_at = models.DateTimeField(_("work started at"), null=True, blank=True)
    done_at = models.DateTimeField(_("work done at"), null=True, blank=True)
    delivered_at = models.DateTimeField(
        pgettext_lazy("work order", "delivered at"), null=True, blank=True
    )
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delivered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    EXPLANATIONS = (
        "explained_work",
        "explained_benefit",
        "explained_cost",
        "explained_duration",
        "explained_collection",
    )

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(customer_words=""), name="work_order_has_customer_words"
            ),
        ]
        indexes = [models.Index(fields=["asset", "created_at"], name="work_order_asset")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"GD{self.pk or 0:06d}"

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None

    @property
    def all_explained(self) -> bool:
        return all(getattr(self, name) for name in self.EXPLANATIONS)


class Authorisation(models.Model):
    """The customer's consent to work (维修授权): who, when, how, for what amount and, for a
    diagnosis, for how long. Append-only: extra work or time needs a new one."""

    class Scope(models.TextChoices):
        REPAIR = "repair", _("Repair as quoted")
        DIAGNOSIS = "diagnosis", _("Diagnosis for a set time")

    class Method(models.TextChoices):
        SIGNATURE = "signature", _("Signature on the tablet")
        SMS = "sms", _("SMS confirmation")
        WECHAT = "wechat", _("WeChat confirmation")
        CALL = "call", _("Recorded call")

    work_order = models.ForeignKey(
        WorkOrder,
        verbose_name=_("work order"),
        on_delete=models.CASCADE,
        related_name="authorisations",
    )
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    method = models.CharField(_("how"), max_length=12, choices=Method.choices)
    contact = models.CharField(_("contact used"), max_length=254, blank=True)
    given_by = models.CharField(_("given by"), max_length=100)
    amount = models.DecimalField(_("authorised amount (yuan)"), max_digits=12, decimal_places=2)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order} {self.get_scope_display()}"


class WorkOrderItem(models.Model):
    """One line of the work: from the price list (its price at the time) or a quoted line."""

    work_order = models.ForeignKey(
        WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="items"
    )
    price_item = models.ForeignKey(
        PriceItem,
        verbose_name=_("price list item"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1000"))],
    )
    unit_price = models.DecimalField(_("unit price (yuan)"), max_digits=10, decimal_places=2)
    authorisation = models.ForeignKey(
        Authorisation,
        verbose_name=_("authorised by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("work order item")
        verbose_name_plural = _("work order items")
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(unit_price__lte=MAX_PRICE) & Q(quantity__gt=0),
                name="work_order_item_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


# -- customer self-booking (自助预约) -------------------------------------------------------------


class SelfBookingCode(models.Model):
    """A one-time code for the self-booking page, sent by SMS to a mobile number.

    Only a keyed hash of the code is kept. A number we do not know gets a row too (with no
    customer, and no SMS), so the page behaves the same for every number. A verified row is the
    customer's sign-in: its id travels in a signed cookie until `session_expires_at` or logout.
    """

    phone = models.CharField(_("mobile number"), max_length=32)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    code_hash = models.CharField(_("code (hashed)"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    session_expires_at = models.DateTimeField(_("signed in until"), null=True, blank=True)
    ended_at = models.DateTimeField(_("signed out at"), null=True, blank=True)
    ip = models.CharField(_("address"), max_length=45, blank=True)

    class Meta:
        verbose_name = _("self-booking code")
        verbose_name_plural = _("self-booking codes")
        indexes = [models.Index(fields=["phone", "-created_at"], name="selfbook_code_phone")]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"
