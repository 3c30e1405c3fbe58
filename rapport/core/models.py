from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only record."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[override]
        raise AppendOnlyError("The audit log is append-only.")

    def delete(self):  # type: ignore[override]
        raise AppendOnlyError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One access to, or export or merge of, personal data (个人信息访问审计). Append-only."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Revealed personal data")
        EXPORT = "export", _("Exported data")
        MERGE = "merge", _("Merged customers")
        TOKEN = "token", _("API token issued")

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    target_type = models.CharField(_("target type"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=64, db_index=True)
    target_repr = models.CharField(_("whom"), max_length=200)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only.")


class PeriodicRun(models.Model):
    """When a periodic sweep may next run; claimed with a conditional UPDATE by one worker."""

    name = models.CharField(max_length=80, unique=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("periodic run")
        verbose_name_plural = _("periodic runs")

    def __str__(self) -> str:
        return self.name
