"""Calls (通话) and the raw call events (通话事件) a cloud call centre pushes.

Imported into rapport.channels.models, so they belong to the channels app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rapport.core.masking import mask_phone


class Call(models.Model):
    """One telephone call through a phone account: who, with whom, and how it went."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")

    class State(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        ENDED = "ended", pgettext_lazy("call", "Ended")
        MISSED = "missed", _("Missed")

    class HangupSide(models.TextChoices):
        UNKNOWN = "", _("Unknown")
        CUSTOMER = "customer", pgettext_lazy("hung up", "Customer")
        AGENT = "agent", pgettext_lazy("hung up", "Representative")
        SYSTEM = "system", pgettext_lazy("hung up", "System")

    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="calls",
    )
    provider_call_id = models.CharField(_("provider's call id"), max_length=128)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.INBOUND
    )
    from_number = models.CharField(pgettext_lazy("call", "from"), max_length=40, blank=True)
    to_number = models.CharField(pgettext_lazy("call", "to"), max_length=40, blank=True)
    # The customer's side in E.164 ("" when withheld or not a number): what matching used.
    customer_number = models.CharField(_("customer's number"), max_length=20, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("representative"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
    )
    # The provider's agent id or extension as pushed, kept when no staff member matched.
    agent_ref = models.CharField(_("provider's agent"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.RINGING)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    hangup_side = models.CharField(
        _("hung up by"), max_length=8, choices=HangupSide.choices, blank=True, default=""
    )
    recording_url = models.URLField(_("recording"), max_length=1000, blank=True)
    interaction = models.ForeignKey(
        "interactions.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calls",
    )
    callback_task = models.ForeignKey(
        "interactions.FollowUpTask",
        verbose_name=_("call-back task"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Why the call is not on a timeline, or what went wrong recording it (words).
    note = models.CharField(_("note"), max_length=300, blank=True)
    banner_dismissed_at = models.DateTimeField(_("banner dismissed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider_call_id"], name="call_unique_per_account"
            ),
            models.CheckConstraint(condition=~Q(provider_call_id=""), name="call_has_provider_id"),
        ]
        indexes = [
            # The header banner asks "what is ringing at me" every few seconds.
            models.Index(fields=["agent", "-updated_at"], name="call_agent_recent"),
            models.Index(fields=["customer", "-started_at"], name="call_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.masked_number} {self.get_state_display()}"

    @property
    def customer_side_raw(self) -> str:
        return self.from_number if self.direction == self.Direction.INBOUND else self.to_number

    @property
    def masked_number(self) -> str:
        """The customer's number as staff see it: 138****8000."""
        return mask_phone(self.customer_number or self.customer_side_raw) or "—"

    @property
    def duration_display(self) -> str:
        minutes, seconds = divmod(self.duration_seconds or 0, 60)
        if not minutes:
            return _("%(seconds)s s") % {"seconds": seconds}
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": seconds}

    @property
    def is_live(self) -> bool:
        return self.state in (self.State.RINGING, self.State.ANSWERED)


class CallEvent(models.Model):
    """One event as the call centre pushed it. The same call id and event type is one row."""

    class Kind(models.TextChoices):
        RINGING = "ringing", _("Ringing")
        ANSWERED = "answered", _("Answered")
        ENDED = "ended", pgettext_lazy("call", "Ended")
        MISSED = "missed", _("Missed")
        RECORDING = "recording", _("Recording")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Applied")
        LATE = "late", _("Arrived late; what it adds was kept")
        IGNORED = "ignored", _("Ignored")

    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="call_events",
    )
    call = models.ForeignKey(
        Call,
        verbose_name=_("call"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    provider_call_id = models.CharField(_("provider's call id"), max_length=128)
    # Free text: an unknown type is kept as sent, with the reason it was ignored.
    event_type = models.CharField(_("event"), max_length=40)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "provider_call_id", "event_type"],
                name="call_event_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_call_id} {self.event_type}"
