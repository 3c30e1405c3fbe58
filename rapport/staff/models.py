import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    """A team or department (团队/部门): the unit work is assigned to and measured by."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Customer service")
        TECHNICAL = "technical", _("Technical")
        OPERATIONS = "operations", _("Operations")
        SALES = "sales", _("Key accounts / sales")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member. The role decides what they may do; teams decide on which records."""

    class Role(models.TextChoices):
        REPRESENTATIVE = "representative", _("Customer service representative")
        SPECIALIST = "specialist", _("Specialist")
        SUPERVISOR = "supervisor", _("Supervisor")
        MANAGER = "manager", _("Service manager")
        KEY_ACCOUNT_MANAGER = "key_account_manager", _("Key-account manager")
        ADMIN = "admin", _("Administrator")

    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    role = models.CharField(
        _("role"), max_length=24, choices=Role.choices, default=Role.REPRESENTATIVE
    )
    teams = models.ManyToManyField(
        Team, verbose_name=_("teams"), related_name="members", blank=True
    )
    phone_extension = models.CharField(_("extension"), max_length=16, blank=True)
    hired_on = models.DateField(_("hire date"), null=True, blank=True)
    left_on = models.DateField(_("leave date"), null=True, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("zh-hans", "简体中文"), ("en", "English")],
        default="zh-hans",
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(hired_on__isnull=True)
                | models.Q(left_on__gte=models.F("hired_on")),
                name="staff_left_after_hired",
                violation_error_message=_("The leave date cannot be before the hire date."),
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def name(self) -> str:
        return str(self)

    def can(self, capability: str) -> bool:
        from rapport.staff.permissions import role_can

        if not self.is_active:
            return False
        return role_can(self.role, capability) or self.is_superuser


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "rpt_" + secrets.token_urlsafe(32)


class LoginFailure(models.Model):
    """A failed sign-in, kept for the lockout window: enough failures for one account or from
    one address refuse further sign-ins for a while, even with the right password."""

    username = models.CharField(_("username"), max_length=150)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [
            models.Index(fields=["username", "at"], name="loginfailure_user_at"),
            models.Index(fields=["ip_address", "at"], name="loginfailure_ip_at"),
            models.Index(fields=["at"], name="loginfailure_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.ip_address} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"
