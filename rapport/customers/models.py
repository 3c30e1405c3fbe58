import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.core.models import TimeStampedModel

PLATE_VALIDATOR = RegexValidator(
    r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z]·?[A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$",
    _("Enter a Chinese plate such as 京A12345 or 粤B·D12345."),
    code="invalid_plate",
)
VIN_VALIDATOR = RegexValidator(
    r"^[A-HJ-NPR-Z0-9]{17}$",
    _("A VIN has 17 letters and digits, without I, O or Q."),
    code="invalid_vin",
)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#64748b")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


LIVE = Q(merged_into__isnull=True)

# The channels a customer may prefer ("" = chosen automatically); the values match
# channels.Channel, which customers cannot import.
PREFERRED_CHANNELS = [
    ("", _("Automatic")),
    ("wechat", _("WeChat")),
    ("wecom", _("WeCom customer service")),
    ("sms", _("SMS")),
    ("email", _("E-mail")),
]


class Customer(TimeStampedModel):
    """A customer file (客户档案): a person or an organisation."""

    class Kind(models.TextChoices):
        PERSON = "person", pgettext_lazy("customer kind", "Person")
        ORGANISATION = "organisation", _("Organisation")

    class Tier(models.TextChoices):
        VIP = "vip", _("VIP")
        KEY_ACCOUNT = "key_account", _("Key account")
        REGULAR = "regular", _("Regular")
        POTENTIAL = "potential", _("Potential")

    class Stage(models.TextChoices):
        POTENTIAL = "potential", _("Potential")
        NEW = "new", _("New")
        ACTIVE = "active", _("Active")
        AT_RISK = "at_risk", _("At risk")
        LOST = "lost", _("Lost")

    class ChurnReason(models.TextChoices):
        DEATH = "death", _("Death")
        MOVED_AWAY = "moved_away", _("Moved away")
        OTHER_COMPANY = "other_company", _("Relationship with another company")
        COMPETITION = "competition", _("Competition")
        PRODUCT = "product", _("Dissatisfied with the product")
        ATTITUDE = "attitude", _("The representative's attitude")
        OTHER = "other", _("Other")

    class Gender(models.TextChoices):
        UNKNOWN = "", _("Not given")
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.REGULAR)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=Stage.choices, default=Stage.NEW
    )
    churn_reason = models.CharField(
        _("churn reason"), max_length=16, choices=ChurnReason.choices, blank=True
    )
    churn_note = models.CharField(_("churn note"), max_length=500, blank=True)
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, blank=True, default=""
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    lunar_birthday_month = models.PositiveSmallIntegerField(
        _("lunar birthday month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    lunar_birthday_day = models.PositiveSmallIntegerField(
        _("lunar birthday day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )
    # Kept in step with the latest marketing Consent row (consent_record); code that only asks
    # "may we market to this customer at all" keeps reading it.
    marketing_opt_out = models.BooleanField(_("marketing opt-out"), default=False)
    preferred_channel = models.CharField(
        _("preferred channel"),
        max_length=8,
        choices=PREFERRED_CHANNELS,
        blank=True,
        default="",
        help_text=_("Messages go here first when the customer is reachable on it."),
    )
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    is_deceased = models.BooleanField(_("deceased"), default=False)
    lifetime_value = models.DecimalField(
        _("lifetime value"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    notes = models.TextField(_("notes"), max_length=4000, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), related_name="customers", blank=True)
    service_team = models.ForeignKey(
        "staff.Team",
        verbose_name=_("service team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_customers",
        db_index=False,  # a partial index below: almost every row is NULL here
    )
    # Denormalised for search: name, pinyin, initials, phone digits, e-mails, WeChat ids. A
    # trigram index over it (FTS5 on SQLite, pg_trgm on PostgreSQL) serves substring search.
    search_text = models.CharField(max_length=1000, blank=True, editable=False)
    name_pinyin = models.CharField(max_length=300, blank=True, editable=False)
    name_initials = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        # Lists only show live (unmerged) files, so the list indexes are partial on that; the
        # planner then walks them in order and stops after a page instead of sorting the table.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="customer_recent", condition=LIVE),
            models.Index(fields=["name", "id"], name="customer_name", condition=LIVE),
            models.Index(fields=["name_pinyin"], name="customer_name_pinyin", condition=LIVE),
            models.Index(fields=["name_initials"], name="customer_name_initials", condition=LIVE),
            models.Index(fields=["-updated_at", "-id"], name="customer_updated", condition=LIVE),
            models.Index(
                fields=["tier", "-created_at", "-id"], name="customer_tier", condition=LIVE
            ),
            models.Index(
                fields=["lifecycle_stage", "-created_at", "-id"],
                name="customer_stage",
                condition=LIVE,
            ),
            models.Index(fields=["merged_into"], name="customer_merged_into", condition=~LIVE),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(lifecycle_stage="lost") | ~Q(churn_reason=""),
                name="customer_lost_has_churn_reason",
                violation_error_message=_("A lost customer needs a churn reason."),
            ),
            models.CheckConstraint(
                condition=Q(lifetime_value__gte=0),
                name="customer_lifetime_value_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(lunar_birthday_month__isnull=True)
                | Q(lunar_birthday_month__gte=1, lunar_birthday_month__lte=12),
                name="customer_lunar_month_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.lifecycle_stage == self.Stage.LOST and not self.churn_reason:
            raise ValidationError({"churn_reason": [_("A lost customer needs a churn reason.")]})
        if (self.lunar_birthday_month is None) != (self.lunar_birthday_day is None):
            raise ValidationError(
                {"lunar_birthday_day": [_("Give both the lunar month and day, or neither.")]}
            )

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_organisation(self) -> bool:
        return self.kind == self.Kind.ORGANISATION

    @property
    def may_receive_outreach(self) -> bool:
        """False for customers no automatic outreach may reach (DOMAIN.md §4)."""
        return not (self.is_deceased or self.do_not_contact or self.is_merged)


class Contact(TimeStampedModel):
    """A person at an organisation customer (联系人)."""

    organisation = models.ForeignKey(
        Customer,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=100)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name


class Identity(TimeStampedModel):
    """A way a customer reaches us: phone, e-mail or WeChat id, stored normalised and unique."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        WX_OPENID = "wxopenid", _("WeChat follower (openid)")
        WX_UNIONID = "wxunion", _("WeChat unionid")
        WECOM = "wecom", _("WeCom customer (external_userid)")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="identities"
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="identities",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    label = models.CharField(_("label"), max_length=30, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    # Set when mail to this address bounced permanently; the outbox then skips it.
    undeliverable_at = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    undeliverable_reason = models.CharField(_("why undeliverable"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        ordering = ["kind", "-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "value"],
                name="identity_unique_per_kind",
                violation_error_message=_("This identity already belongs to a customer."),
            )
        ]
        indexes = [models.Index(fields=["customer", "kind"], name="identity_customer")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    @property
    def is_deliverable(self) -> bool:
        return self.undeliverable_at is None


# What asset_search_key removes; the database removes the same from the stored keys.
ASSET_KEY_SEPARATORS = (" ", "\u3000", "·", "・", "•", "-", ".", "．", "/", "_")


def _search_key(field: str):
    expression = Upper(field)
    for separator in ASSET_KEY_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression


MILEAGE_ESTIMATE_MIN_DAYS = 14  # readings closer together than this say little about the average


def asset_search_key(text: str) -> str:
    """A typed plate, VIN or policy number as the stored keys hold it: NFKC (full-width letters
    and digits become plain), upper case, separators removed."""
    key = unicodedata.normalize("NFKC", text or "").upper()
    for separator in ASSET_KEY_SEPARATORS:
        key = key.replace(separator, "")
    return key


class Asset(TimeStampedModel):
    """Something the customer owns and gets service for: vehicle, policy, device, contract."""

    class Kind(models.TextChoices):
        VEHICLE = "vehicle", _("Vehicle")
        POLICY = "policy", _("Insurance policy")
        DEVICE = "device", _("Device")
        CONTRACT = "contract", _("Contract")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="assets"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    identifier = models.CharField(
        _("identifier"),
        max_length=40,
        blank=True,
        help_text=_("VIN, policy number, serial number or contract number."),
    )
    plate = models.CharField(_("plate"), max_length=10, blank=True, validators=[PLATE_VALIDATOR])
    model = models.CharField(_("model"), max_length=60, blank=True)
    mileage_km = models.PositiveIntegerField(
        _("mileage (km)"), null=True, blank=True, validators=[MaxValueValidator(2_000_000)]
    )
    purchased_on = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_ends_on = models.DateField(_("warranty end"), null=True, blank=True)
    expires_on = models.DateField(_("expiry date"), null=True, blank=True)
    last_service_on = models.DateField(_("last service"), null=True, blank=True)
    # The mileage estimate (rapport.customers.mileage keeps it): the day of the odometer reading
    # in mileage_km, the first reading seen (the average is measured from it), the odometer at
    # the last service, the average km per day used (estimated from the readings, else the
    # fleet default), the day the estimate last changed and the key the care trigger seeks the
    # day the vehicle reaches a mileage by.
    mileage_read_on = models.DateField(_("mileage read on"), null=True, blank=True)
    mileage_base_km = models.PositiveIntegerField(null=True, blank=True, editable=False)
    mileage_base_on = models.DateField(null=True, blank=True, editable=False)
    service_mileage_km = models.PositiveIntegerField(
        _("mileage at last service (km)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(2_000_000)],
    )
    km_per_day = models.PositiveSmallIntegerField(
        _("average km per day"), null=True, blank=True, editable=False
    )
    # km_per_day × (the day number of the reading) + service_mileage_km − mileage_km: the vehicle
    # reaches service_mileage_km + K on day ceil((key + K) / km_per_day), so "which vehicles
    # reach their service mileage on day D" is one index range per km_per_day value.
    mileage_due_key = models.BigIntegerField(null=True, blank=True, editable=False)
    mileage_estimated_on = models.DateField(null=True, blank=True, editable=False)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    # The plate and the identifier as search compares them (asset_search_key): upper case,
    # without the separators people type or leave out (粤B·D2507 = 粤B D2507 = 粤bd2507).
    # Computed by the database, so every way a row is written keeps them right.
    plate_key = models.GeneratedField(
        expression=_search_key("plate"),
        output_field=models.CharField(max_length=40),
        db_persist=True,
    )
    identifier_key = models.GeneratedField(
        expression=_search_key("identifier"),
        output_field=models.CharField(max_length=40),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "identifier"],
                condition=~Q(identifier=""),
                name="asset_identifier_unique_per_kind",
                violation_error_message=_("Another asset already has this identifier."),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "kind"], name="asset_customer"),
            models.Index(fields=["plate"], name="asset_plate"),
            models.Index(fields=["plate_key"], name="asset_plate_key"),
            models.Index(fields=["identifier_key"], name="asset_identifier_key"),
            models.Index(fields=["km_per_day", "mileage_due_key"], name="asset_mileage_due"),
            models.Index(fields=["mileage_estimated_on"], name="asset_mileage_estimated_on"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.plate or self.identifier}".strip()

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.kind == self.Kind.VEHICLE and self.identifier:
            try:
                VIN_VALIDATOR(self.identifier)
            except ValidationError as exc:
                errors["identifier"] = exc.messages
        if self.kind != self.Kind.VEHICLE and (
            self.plate or self.mileage_km is not None or self.service_mileage_km is not None
        ):
            errors["plate"] = [_("Only vehicles have a plate and mileage.")]
        if (
            self.service_mileage_km is not None
            and self.mileage_km is not None
            and self.service_mileage_km > self.mileage_km
        ):
            errors["service_mileage_km"] = [
                _("The mileage at the last service cannot exceed the current mileage.")
            ]
        if (
            self.purchased_on
            and self.warranty_ends_on
            and self.warranty_ends_on < self.purchased_on
        ):
            errors["warranty_ends_on"] = [_("The warranty cannot end before the purchase.")]
        if errors:
            raise ValidationError(errors)

    @property
    def km_per_day_estimated(self) -> bool:
        """Whether km_per_day comes from this vehicle's readings (else the fleet default)."""
        return bool(
            self.mileage_base_on
            and self.mileage_read_on
            and (self.mileage_read_on - self.mileage_base_on).days >= MILEAGE_ESTIMATE_MIN_DAYS
        )

    def mileage_due_on(self, interval_km: int) -> date | None:
        """The day the vehicle is estimated to reach its last service's odometer + `interval_km`,
        never before the day after the estimate was made (a reading that shows the mileage
        already passed makes the vehicle due the next day, which no evaluation has seen yet).
        None without a last service with its odometer, a dated reading or any driving."""
        if (
            self.last_service_on is None
            or self.service_mileage_km is None
            or self.mileage_km is None
            or self.mileage_read_on is None
            or not self.km_per_day
        ):
            return None
        remaining = self.service_mileage_km + interval_km - self.mileage_km
        due = self.mileage_read_on + timedelta(days=-(-remaining // self.km_per_day))
        if self.mileage_estimated_on is not None:
            due = max(due, self.mileage_estimated_on + timedelta(days=1))
        return due

    def next_service(self, *, interval_km: int, interval_days: int) -> "NextService | None":
        """The next service of a vehicle serviced before: at its odometer then + `interval_km`
        (when known) on the estimated day, or `interval_days` after it, whichever is earlier."""
        if self.kind != self.Kind.VEHICLE or self.last_service_on is None:
            return None
        by_time = self.last_service_on + timedelta(days=interval_days)
        by_mileage = self.mileage_due_on(interval_km)
        return NextService(
            km=(
                self.service_mileage_km + interval_km
                if self.service_mileage_km is not None
                else None
            ),
            on=min(by_time, by_mileage) if by_mileage else by_time,
            by_mileage=by_mileage is not None and by_mileage < by_time,
        )


@dataclass(frozen=True)
class NextService:
    km: int | None
    on: date
    by_mileage: bool


class CustomerMerge(models.Model):
    """The record of a merge (合并): who merged which duplicate into which survivor, what moved."""

    survivor = models.ForeignKey(
        Customer, verbose_name=_("survivor"), on_delete=models.PROTECT, related_name="merges"
    )
    merged = models.ForeignKey(
        Customer, verbose_name=_("merged customer"), on_delete=models.PROTECT, related_name="+"
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("merged by"), on_delete=models.PROTECT
    )
    merged_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    snapshot = models.JSONField(_("merged customer's data"), default=dict)
    moved = models.JSONField(_("rows moved"), default=dict)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"#{self.merged_id} → #{self.survivor_id}"


class Consent(models.Model):
    """One statement of a customer's consent (同意) to be contacted, append-only.

    The latest row per (customer, purpose, channel) is the current state; a row for channel ""
    covers every channel. Rows are never changed or deleted: they are the proof of consent
    (工信部令第31号 asks for it to be kept).
    """

    class Purpose(models.TextChoices):
        SERVICE = "service", _("Service")
        MARKETING = "marketing", _("Marketing")

    class Channel(models.TextChoices):
        ALL = "", _("All channels")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        WECHAT = "wechat", _("WeChat")
        WECOM = "wecom", _("WeCom customer service")
        PHONE = "phone", _("Phone")

    class Source(models.TextChoices):
        FORM = "form", _("Form signed by the customer")
        SMS_REPLY = "sms_reply", _("SMS reply")
        WECHAT = "wechat", _("WeChat")
        IMPORT = "import", _("Import")
        STAFF = "staff", _("Recorded by staff")
        PORTAL = "portal", _("Customer portal")
        PHONE = "phone", _("Phone call")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(
        _("consent purpose"), max_length=12, choices=Purpose.choices, default=Purpose.MARKETING
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, blank=True, default=""
    )
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("consent source"), max_length=12, choices=Source.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "purpose", "-recorded_at", "-id"], name="consent_latest"
            ),
        ]

    def __str__(self) -> str:
        state = _("granted") if self.granted else _("withdrawn")
        return f"{self.customer_id} {self.purpose}/{self.channel or '*'} {state}"
