"""The service-level sweep run by every `rapport worker` (rapport.sla.periodic).

It reads only the clocks whose `next_check_at` has come and the alerts whose escalation is due,
so its cost follows the clocks that change, not the open tickets. Every announcement is a
conditional UPDATE (`warned_at IS NULL`, `breached_at IS NULL`, `escalated_at IS NULL`) committed
together with the alert row it creates, under a unique (clock, kind, level) constraint: with many
workers, or a worker killed mid-sweep, each warning and breach is raised exactly once.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from rapport.notifications.services import notify
from rapport.sla.models import ServiceClock, SlaAlert
from rapport.sla.rollups import rollup_touch
from rapport.sla.tasks import send_lease, sla_alert_notify
from rapport.staff.models import User

State = ServiceClock.State
Level = SlaAlert.Level


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)
    breached: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)


def escalation_delay(level: int) -> timedelta | None:
    """How long an unacknowledged alert at `level` waits before going up; None at the top."""
    delays = settings.RAPPORT_SLA_ESCALATION_MINUTES
    if level >= len(delays):
        return None
    return timedelta(minutes=delays[level])


def _recipient(clock: ServiceClock, level: int) -> User | None:
    if level == Level.ASSIGNEE:
        return clock.assignee
    role = User.Role.SUPERVISOR if level == Level.SUPERVISOR else User.Role.MANAGER
    people = User.objects.filter(is_active=True, role=role).order_by("id")
    if clock.team_id:
        in_team = people.filter(teams=clock.team_id).first()
        if in_team:
            return in_team
    return people.first()


def _raise(clock: ServiceClock, kind: str, level: int, now: datetime) -> SlaAlert | None:
    delay = escalation_delay(level)
    try:
        with transaction.atomic():
            alert = SlaAlert.objects.create(
                clock=clock,
                kind=kind,
                level=level,
                recipient=_recipient(clock, level),
                created_at=now,
                escalate_at=now + delay if delay is not None else None,
            )
        _tell(alert)
    except IntegrityError:  # raised already by another worker
        return None
    transaction.on_commit(lambda: sla_alert_notify.enqueue(alert.pk))
    return alert


def _tell(alert: SlaAlert) -> None:
    """The alert's recipient sees it in the bell too, in the alert's transaction (once per
    alert: the alert itself is created once per clock, kind and level)."""
    if alert.recipient is None:
        return
    clock = alert.clock
    number = f"T{clock.ticket_id:06d}"
    if alert.kind == SlaAlert.Kind.BREACHED:
        kind, text = "sla_breach", gettext_lazy("Ticket {number}: {clock} breached")
    else:
        kind, text = "sla_warning", gettext_lazy("Ticket {number}: {clock} at risk")
    notify(
        users=[alert.recipient],
        kind=kind,
        title=format_lazy(text, number=number, clock=ServiceClock.Kind(clock.kind).label),
        url=reverse("tickets:detail", args=[clock.ticket_id]),
        dedupe_key=f"sla_alert:{alert.pk}",
        email=False,  # sla_alert_notify e-mails the alert itself
    )


def _announce(clock_id: int, now: datetime, result: SweepResult) -> None:
    with transaction.atomic():
        running = ServiceClock.objects.filter(pk=clock_id, state=State.RUNNING)
        # The due instant itself is in time, as for a clock stopped then (clock_stop).
        breaching = running.filter(breached_at__isnull=True, due_at__lt=now)
        # A breach changes today's compliance rollup. The day is marked before the clock's row
        # is locked: a ticket's action may hold the day (marked for one of its clocks) while it
        # locks another, so holding the clock while waiting for the day could deadlock.
        touched = breaching.exists()
        if touched:
            rollup_touch([timezone.localdate(now)])
        if running.filter(warned_at__isnull=True, warn_at__lte=now).update(warned_at=now):
            clock = ServiceClock.objects.get(pk=clock_id)
            if _raise(clock, SlaAlert.Kind.AT_RISK, Level.ASSIGNEE, now):
                result.warned.append(clock_id)
        if breaching.update(breached_at=now):
            if not touched:  # resumed meanwhile
                rollup_touch([timezone.localdate(now)])
            clock = ServiceClock.objects.get(pk=clock_id)
            if _raise(clock, SlaAlert.Kind.BREACHED, Level.ASSIGNEE, now):
                result.breached.append(clock_id)
        clock = ServiceClock.objects.get(pk=clock_id)
        nxt = None
        if clock.state == State.RUNNING:
            if clock.warned_at is None and clock.warn_at is not None:
                nxt = clock.warn_at
            elif clock.breached_at is None:
                nxt = clock.due_at
        ServiceClock.objects.filter(pk=clock_id).update(next_check_at=nxt)


def _escalate(alert_id: int, now: datetime, result: SweepResult) -> None:
    with transaction.atomic():
        if not SlaAlert.objects.filter(pk=alert_id, clock__state=State.RUNNING).exists():
            # Stopped (resolved, answered) or paused: it goes no higher; clock_resume re-arms it.
            SlaAlert.objects.filter(pk=alert_id, escalated_at__isnull=True).update(escalate_at=None)
            return
        won = SlaAlert.objects.filter(
            pk=alert_id, acknowledged_at__isnull=True, escalated_at__isnull=True
        ).update(escalated_at=now)
        if not won:
            return
        alert = SlaAlert.objects.select_related("clock").get(pk=alert_id)
        if alert.level >= Level.MANAGER:
            return
        if _raise(alert.clock, alert.kind, alert.level + 1, now):
            result.escalated.append(alert_id)


def sla_sweep(*, now: datetime | None = None, limit: int = 2000) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    clock_ids = list(
        ServiceClock.objects.filter(next_check_at__lte=now)
        .order_by("next_check_at")
        .values_list("id", flat=True)[:limit]
    )
    for clock_id in clock_ids:
        _announce(clock_id, now, result)
    alert_ids = list(
        SlaAlert.objects.filter(
            Q(acknowledged_at__isnull=True, escalated_at__isnull=True, escalate_at__lte=now)
        )
        .order_by("escalate_at")
        .values_list("id", flat=True)[:limit]
    )
    for alert_id in alert_ids:
        _escalate(alert_id, now, result)
    return result


# An alert's e-mail task is queued when the alert commits; one still unsent this long after was
# lost with its worker (between the commit and the queueing) and is queued again.
RESEND_AFTER = timedelta(minutes=5)
RESEND_WITHIN = timedelta(days=1)


def sla_alerts_resend_unsent(*, now: datetime | None = None, limit: int = 500) -> int:
    """Queue the e-mail of each alert not sent yet, not claimed by a live sender, and old enough
    that its own task should have run; returns how many. A task queued twice sends once."""
    now = now or timezone.now()
    alert_ids = list(
        SlaAlert.objects.filter(
            Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - send_lease()),
            emailed_at__isnull=True,
            created_at__lte=now - RESEND_AFTER,
            created_at__gt=now - RESEND_WITHIN,
        )
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
    for alert_id in alert_ids:
        sla_alert_notify.enqueue(alert_id)
    return len(alert_ids)
