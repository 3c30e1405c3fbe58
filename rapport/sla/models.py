"""Service levels (服务时限): policies, the clocks a ticket runs under them, and their alerts.

This app sits below tickets: tickets start, pause, resume and stop clocks through
`rapport.sla.services`; the sla app never imports tickets (the clock's foreign key names the
ticket model by its label only). Clock arithmetic is `rapport.core.calendar.clock`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def matcher_choices() -> dict[str, list[tuple]]:
    """The values each matcher may take: ticket kinds and priorities (tickets), channels
    (interactions), customer tiers. Read through the app registry: those apps sit beside or
    above this one."""
    from django.apps import apps

    ticket = apps.get_model("tickets", "Ticket")
    interaction = apps.get_model("interactions", "Interaction")
    customer = apps.get_model("customers", "Customer")
    return {
        "ticket_kind": list(ticket._meta.get_field("kind").choices),
        "priority": list(ticket._meta.get_field("priority").choices),
        "channel": list(interaction._meta.get_field("channel").choices),
        "customer_tier": list(customer._meta.get_field("tier").choices),
    }


class SlaPolicy(models.Model):
    """Targets in business time on a calendar, for the tickets its matchers select.

    A blank matcher matches anything; among the active policies that match a ticket, the one with
    the most matchers set wins, then the lower `precedence`, then the older policy.
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    calendar = models.ForeignKey(
        "core.BusinessCalendar", verbose_name=_("calendar"), on_delete=models.PROTECT
    )
    ticket_kind = models.CharField(_("ticket kind"), max_length=20, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    customer_tier = models.CharField(_("customer tier"), max_length=20, blank=True)
    first_response_seconds = models.PositiveIntegerField(
        _("first response target (seconds)"), null=True, blank=True
    )
    next_reply_seconds = models.PositiveIntegerField(
        _("next reply target (seconds)"), null=True, blank=True
    )
    resolution_seconds = models.PositiveIntegerField(
        _("resolution target (seconds)"), null=True, blank=True
    )
    warn_share = models.DecimalField(
        _("warn at share of target"), max_digits=3, decimal_places=2, default=0.80
    )
    precedence = models.PositiveSmallIntegerField(_("precedence"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        ordering = ["precedence", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_seconds__isnull=False)
                | Q(next_reply_seconds__isnull=False)
                | Q(resolution_seconds__isnull=False),
                name="sla_policy_has_a_target",
                violation_error_message=_("A policy needs at least one target."),
            ),
            models.CheckConstraint(
                condition=(Q(first_response_seconds__isnull=True) | Q(first_response_seconds__gt=0))
                & (Q(next_reply_seconds__isnull=True) | Q(next_reply_seconds__gt=0))
                & (Q(resolution_seconds__isnull=True) | Q(resolution_seconds__gt=0)),
                name="sla_policy_targets_positive",
                violation_error_message=_("Targets must be longer than zero."),
            ),
            models.CheckConstraint(
                condition=Q(warn_share__gt=0) & Q(warn_share__lte=1),
                name="sla_policy_warn_share_range",
                violation_error_message=_("Warn at a share between 0 and 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A matcher must be one of its known values: a typo would match no ticket, silently."""
        super().clean()
        errors = {}
        for name, choices in matcher_choices().items():
            value = getattr(self, name)
            if value not in (None, "") and value not in {c[0] for c in choices}:
                errors[name] = _("“%(value)s” is not one of the known values.") % {"value": value}
        if errors:
            raise ValidationError(errors)

    @property
    def specificity(self) -> int:
        return sum(
            bool(v) for v in (self.ticket_kind, self.priority, self.channel, self.customer_tier)
        )

    def target_for(self, kind: str) -> int | None:
        return getattr(self, f"{kind}_seconds")


class ServiceClock(models.Model):
    """One service-level clock of a ticket: first response, next reply or resolution.

    `due_at` and `warn_at` are recomputed by the services on every start, pause, resume, stop and
    policy change. `next_check_at` is the next instant the sweep must look at this clock (the
    warning, then the due instant; NULL when there is nothing left to announce), so the sweep
    reads only the clocks whose moment has come, not every open ticket.
    """

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        NEXT_REPLY = "next_reply", _("Next reply")
        RESOLUTION = "resolution", _("Resolution")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        STOPPED = "stopped", _("Stopped")

    ticket = models.ForeignKey(
        "tickets.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="clocks"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="clocks"
    )
    target_seconds = models.PositiveIntegerField(_("target (seconds)"))
    warn_share = models.DecimalField(max_digits=3, decimal_places=2, default=0.80)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    # The calendar's `updated_at` the instants were computed with: a clock behind its calendar
    # is recomputed in the background (rapport.sla.recompute).
    calendar_version = models.DateTimeField(null=True, blank=True)
    # Who is told, set by tickets when the clock starts and on every reassignment.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("service-level clock")
        verbose_name_plural = _("service-level clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "kind"], name="sla_one_clock_per_kind"),
            models.CheckConstraint(condition=Q(target_seconds__gt=0), name="sla_clock_target_gt_0"),
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="sla_clock_next_check",
                condition=Q(next_check_at__isnull=False),
            ),
            models.Index(fields=["kind", "due_at"], name="sla_clock_due"),
            # Compliance: clocks stopped in a period, and clocks breached in it.
            models.Index(fields=["kind", "stopped_at"], name="sla_clock_stopped"),
            models.Index(fields=["kind", "breached_at"], name="sla_clock_breached"),
            # The team dashboard and the open backlog: the clocks still counting, by team.
            models.Index(fields=["state", "team", "due_at"], name="sla_clock_state_team"),
            # The dashboard's most overdue: running clocks in due order, whatever the team.
            models.Index(fields=["state", "due_at"], name="sla_clock_state_due"),
            # Covering: the open backlog of one kind by how long overdue, from the index alone.
            models.Index(
                fields=["kind", "state", "due_at", "breached_at"], name="sla_clock_backlog"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} T{self.ticket_id:06d}"


class CalendarRecompute(models.Model):
    """How far the background recompute has followed a calendar: the calendar's `updated_at`
    once every open clock under it has been recomputed. While it lags, the sweep walks them."""

    calendar = models.OneToOneField(
        "core.BusinessCalendar", on_delete=models.CASCADE, related_name="+"
    )
    done_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar recompute")
        verbose_name_plural = _("calendar recomputes")

    def __str__(self) -> str:
        return f"{self.calendar_id} {self.done_for}"


class ClockPause(models.Model):
    """A stretch during which a clock did not run (waiting on the customer or a third party)."""

    clock = models.ForeignKey(ServiceClock, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField(_("paused at"))
    ended_at = models.DateTimeField(_("resumed at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    flagged = models.BooleanField(
        _("flagged for the supervisor"),
        default=False,
        help_text=_("Paused soon after a customer message: possibly gaming the clock."),
    )

    class Meta:
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock"], condition=Q(ended_at__isnull=True), name="sla_one_open_pause"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="sla_pause_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clock} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"


class SlaAlert(models.Model):
    """A warning or breach told to one person; unacknowledged, it goes up a level after a delay:
    the assignee, then the team's supervisor, then the service manager (DOMAIN.md §4)."""

    class Kind(models.TextChoices):
        AT_RISK = "at_risk", pgettext_lazy("service level", "At risk")
        BREACHED = "breached", pgettext_lazy("service level", "Breached")

    class Level(models.IntegerChoices):
        ASSIGNEE = 0, _("Assignee")
        SUPERVISOR = 1, _("Supervisor")
        MANAGER = 2, _("Service manager")

    clock = models.ForeignKey(ServiceClock, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="sla_alerts"
    )
    created_at = models.DateTimeField(_("raised at"))
    escalate_at = models.DateTimeField(_("goes up at"), null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The e-mail: claimed by a worker (a lease, rapport.sla.tasks), then marked sent.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("service-level alert")
        verbose_name_plural = _("service-level alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "kind", "level"], name="sla_alert_once_per_level"
            )
        ]
        indexes = [
            models.Index(
                fields=["escalate_at"],
                name="sla_alert_escalation",
                condition=Q(acknowledged_at__isnull=True, escalated_at__isnull=True),
            ),
            models.Index(fields=["recipient", "acknowledged_at"], name="sla_alert_inbox"),
            models.Index(
                fields=["created_at"],
                name="sla_alert_unsent",
                condition=Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.clock} → {self.recipient}"


class ComplianceRollup(models.Model):
    """One day's compliance counts for one clock kind and one group: what the compliance page
    and its trend read instead of the clocks (rapport.sla.rollups). `day` is a local day (site
    time zone); a clock counts on the day of each of its instants:

    - stopped: stopped that day (state stopped); met: of those, never breached.
    - carried_in: breached that day (and not stopped before it breached);
      carried_out: of the breached clocks, stopped that day.
    A clock is carried (breached and still counting) at an instant when it came in before it and
    has not gone out before it, so the carried count at the start of a day is the sum of
    carried_in − carried_out over every day before (CarriedSnapshot holds it at month starts).

    The group is the ticket's current value of `grain` (team, person = assignee, type, channel,
    priority, kind), as text in `key` (NULL: the ticket has none); grain "all" has one row per
    day and kind, its key NULL."""

    class Grain(models.TextChoices):
        ALL = "all", _("All")
        TEAM = "team", _("Team")
        PERSON = "person", _("Person")
        TYPE = "type", _("Type")
        CHANNEL = "channel", _("Channel")
        PRIORITY = "priority", _("Priority")
        KIND = "kind", _("Ticket kind")

    day = models.DateField(_("day"))
    clock_kind = models.CharField(_("kind"), max_length=16, choices=ServiceClock.Kind.choices)
    grain = models.CharField(_("grouping"), max_length=8, choices=Grain.choices)
    key = models.CharField(_("key"), max_length=40, null=True, blank=True)
    stopped = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    carried_in = models.PositiveIntegerField(default=0)
    carried_out = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("compliance rollup")
        verbose_name_plural = _("compliance rollups")
        indexes = [
            # Covering: a period's rows of one kind and grouping come from the index alone.
            models.Index(
                fields=[
                    *("clock_kind", "grain", "day", "key"),
                    *("stopped", "met", "carried_in", "carried_out"),
                ],
                name="sla_rollup_cover",
            ),
            models.Index(fields=["day"], name="sla_rollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.clock_kind} {self.grain} {self.key}"


class ComplianceRollupDay(models.Model):
    """Whether a day's rollup rows are current: every write that changes the day's counts adds
    one to `version` in its own transaction; the worker rebuilds the day and records the version
    it read in `built_version`. A day is read from the rollup only while the two are equal.
    Versions only ever go up, so their sum over the days before an instant changes exactly when
    one of those days changed (CarriedSnapshot)."""

    day = models.DateField(_("day"), unique=True)
    version = models.BigIntegerField(_("version"), default=1)
    built_version = models.BigIntegerField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("compliance rollup day")
        verbose_name_plural = _("compliance rollup days")
        indexes = [
            # Covering: the sum of the versions before a snapshot's day, from the index alone.
            models.Index(fields=["day", "version", "built_version"], name="sla_rollup_day_version"),
        ]

    def __str__(self) -> str:
        return str(self.day)


class CarriedSnapshot(models.Model):
    """The carried count (breached clocks still counting) at the first instant of `day`, the
    first of a month, per clock kind and group (CarriedCount rows). It was computed when the
    days before `day` had versions summing to `versions`; it is current while they still do."""

    day = models.DateField(_("day"), unique=True)
    versions = models.BigIntegerField(null=True, blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("carried snapshot")
        verbose_name_plural = _("carried snapshots")

    def __str__(self) -> str:
        return str(self.day)


class CarriedCount(models.Model):
    """One group's carried count in a CarriedSnapshot (grain and key as in ComplianceRollup)."""

    snapshot = models.ForeignKey(CarriedSnapshot, on_delete=models.CASCADE, related_name="counts")
    clock_kind = models.CharField(_("kind"), max_length=16, choices=ServiceClock.Kind.choices)
    grain = models.CharField(_("grouping"), max_length=8, choices=ComplianceRollup.Grain.choices)
    key = models.CharField(_("key"), max_length=40, null=True, blank=True)
    carried = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("carried count")
        verbose_name_plural = _("carried counts")
        indexes = [
            models.Index(
                fields=["snapshot", "clock_kind", "grain", "key", "carried"],
                name="sla_carried_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.snapshot} {self.clock_kind} {self.grain} {self.key}"
