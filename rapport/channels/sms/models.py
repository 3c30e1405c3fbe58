"""SMS admin data and delivery receipts (registered in the channels app: see the last line of
rapport/channels/models.py)."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.channels.models import ChannelAccount, MessageTemplate, OutboxMessage


class SmsTemplateCode(models.Model):
    """The provider's approved template (模板) that carries one of our message templates on an
    SMS account, and which of our variables fill its parameters, in order.

    A row without a message template is the account's template for free text (replies written
    by a representative): its one parameter is `content`.
    """

    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("SMS account"),
        on_delete=models.CASCADE,
        related_name="sms_template_codes",
        limit_choices_to={"kind": "sms"},
    )
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("message template"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sms_codes",
        help_text=_("Empty: the template for free text written by staff."),
    )
    code = models.CharField(
        _("provider template code"),
        max_length=40,
        help_text=_("Aliyun: SMS_123456789; Tencent: the numeric template id."),
    )
    param_names = models.JSONField(
        _("parameters"),
        default=list,
        blank=True,
        help_text=_(
            "Our variables in the order of the provider template's parameters, e.g. "
            '["customer_name", "content"].'
        ),
    )

    class Meta:
        app_label = "channels"
        verbose_name = _("SMS template code")
        verbose_name_plural = _("SMS template codes")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "template"],
                condition=models.Q(template__isnull=False),
                name="sms_template_code_unique",
                violation_error_message=_("This account already has a code for the template."),
            ),
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(template__isnull=True),
                name="sms_template_code_one_free_text",
                violation_error_message=_("This account already has a free-text template."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.template_id or '*'} → {self.code}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not isinstance(self.param_names, list) or not all(
            isinstance(name, str) and name.isidentifier() for name in self.param_names
        ):
            raise ValidationError(
                {"param_names": _('Give a list of variable names, e.g. ["content"].')}
            )


class SmsReceipt(models.Model):
    """A delivery report (回执) from an SMS provider, one row per message and outcome.

    Kept also when no outbox message matches (with the reason), so a receipt is never lost and
    never a server error; the same report delivered twice is one row.
    """

    class Status(models.TextChoices):
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Not delivered")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied to the message")
        UNKNOWN = "unknown", _("No such message")
        IGNORED = "ignored", _("Ignored")

    account = models.ForeignKey(
        ChannelAccount,
        verbose_name=_("SMS account"),
        on_delete=models.CASCADE,
        related_name="sms_receipts",
    )
    provider_message_id = models.CharField(_("provider's id"), max_length=300)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    code = models.CharField(_("provider's code"), max_length=80, blank=True)
    description = models.CharField(_("provider's description"), max_length=300, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    outbox = models.ForeignKey(
        OutboxMessage,
        verbose_name=_("outbox message"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sms_receipts",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    raw = models.JSONField(_("report as received"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        app_label = "channels"
        verbose_name = _("SMS receipt")
        verbose_name_plural = _("SMS receipts")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider_message_id", "status"],
                name="sms_receipt_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_message_id} {self.status}"
