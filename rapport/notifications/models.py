"""What staff are told (通知): one row per person per event, and how each person wants it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.notifications.text import render_title


class Notification(models.Model):
    """One thing one staff member is told. The title is kept as its message id and parameters
    (`title_key`, `title_params`), rendered when read in the reader's language."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40)
    title_key = models.CharField(_("title"), max_length=300)
    title_params = models.JSONField(_("title parameters"), default=dict, blank=True)
    body = models.TextField(_("text"), max_length=1000, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # One row per recipient per event: a retried service call or sweep creates nothing new.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_wanted = models.BooleanField(_("send by e-mail"), default=False)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_list"),
            # The bell's poll: count and newest id of one person's unread rows, index only.
            models.Index(
                fields=["recipient", "id"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_once_per_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.title_key[:40]}"

    @property
    def title(self) -> str:
        """The title in the active language (the reader's)."""
        return render_title(self.title_key, self.title_params)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """How one person wants one kind: in app, by e-mail, by WeCom app message, in the daily
    digest. No row means the kind's defaults (rapport.notifications.registry)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=40)
    in_app = models.BooleanField(_("in app"), default=True)
    by_email = models.BooleanField(_("by e-mail"), default=False)
    # Kept for the WeCom app channel; nothing sends it until that channel exists.
    by_wecom = models.BooleanField(_("by WeCom app message"), default=False)
    in_digest = models.BooleanField(_("in the daily digest"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class DigestState(models.Model):
    """When a person's daily digest last went out; the digest claims a day with a conditional
    UPDATE on this row, so two workers never send it twice."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    sent_on = models.DateField(_("last sent on"), null=True, blank=True)
    sent_at = models.DateTimeField(_("last sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("digest state")
        verbose_name_plural = _("digest states")

    def __str__(self) -> str:
        return f"{self.user_id} {self.sent_on}"
