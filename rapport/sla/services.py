"""Starting, pausing, resuming, stopping and re-targeting service-level clocks; acknowledging
alerts. Tickets call these; every function is a transaction and keeps `due_at`, `warn_at` and
`next_check_at` consistent with the clock's pauses."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.calendar.clock import Pause, clock_instant_reaching
from rapport.core.calendar.selectors import calendar_snapshot
from rapport.core.errors import DomainError
from rapport.sla.models import ClockPause, ServiceClock, SlaAlert, SlaPolicy
from rapport.sla.rollups import (
    ClockFacts,
    rollup_clock_changed,
    rollup_tickets_regrouped,
    rollup_touch,
)
from rapport.staff.models import Team, User

State = ServiceClock.State


def policy_for(
    *, ticket_kind: str, priority: int | None, channel: str, customer_tier: str
) -> SlaPolicy | None:
    """The most specific active policy matching a ticket, or None."""
    facts = {
        "ticket_kind": ticket_kind,
        "priority": priority,
        "channel": channel,
        "customer_tier": customer_tier,
    }
    candidates = [
        p
        for p in SlaPolicy.objects.filter(is_active=True).select_related("calendar")
        if all(not getattr(p, k) or getattr(p, k) == v for k, v in facts.items())
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (-p.specificity, p.precedence, p.created_at, p.pk))


def _pauses(clock: ServiceClock) -> list[Pause]:
    return [Pause(p.started_at, p.ended_at) for p in clock.pauses.order_by("started_at", "id")]


def _compute(clock: ServiceClock, pauses: list[Pause]) -> None:
    """Set the due and warning instants and the sweep's next look (nothing is saved)."""
    snapshot = calendar_snapshot(calendar=clock.policy.calendar)
    target = timedelta(seconds=clock.target_seconds)
    kwargs = {"started_at": clock.started_at, "pauses": pauses}
    if clock.state == State.STOPPED:
        kwargs["stopped_at"] = clock.stopped_at
    clock.due_at = clock_instant_reaching(snapshot, amount=target, **kwargs)
    clock.warn_at = clock_instant_reaching(
        snapshot, amount=target * float(clock.warn_share), **kwargs
    )
    clock.next_check_at = _next_check(clock)
    clock.calendar_version = clock.policy.calendar.updated_at


def _refresh(clock: ServiceClock) -> None:
    """Recompute the due and warning instants and the sweep's next look, and save them."""
    _compute(clock, _pauses(clock))
    clock.save(
        update_fields=[
            "due_at",
            "warn_at",
            "next_check_at",
            "state",
            "stopped_at",
            "calendar_version",
        ]
    )


def _next_check(clock: ServiceClock) -> datetime | None:
    if clock.state != State.RUNNING:
        return None
    if clock.warned_at is None and clock.warn_at is not None:
        return clock.warn_at
    if clock.breached_at is None:
        return clock.due_at
    return None


@transaction.atomic
def clock_start(
    *,
    ticket_id: int,
    kind: str,
    policy: SlaPolicy,
    started_at: datetime,
    assignee: User | None = None,
    team: Team | None = None,
) -> ServiceClock | None:
    """Start (or restart, after a stop) the ticket's clock of this kind; None when the policy
    sets no target for it."""
    seconds = policy.target_for(kind)
    if not seconds:
        return None
    before = (
        ServiceClock.objects.select_for_update()
        .filter(ticket_id=ticket_id, kind=kind)
        .values_list("kind", "state", "stopped_at", "breached_at")
        .first()
    )
    clock, _created = ServiceClock.objects.update_or_create(
        ticket_id=ticket_id,
        kind=kind,
        defaults={
            "policy": policy,
            "target_seconds": seconds,
            "warn_share": policy.warn_share,
            "state": State.RUNNING,
            "started_at": started_at,
            "stopped_at": None,
            "warned_at": None,
            "breached_at": None,
            "assignee": assignee,
            "team": team,
        },
    )
    clock.pauses.all().delete()
    _refresh(clock)
    rollup_clock_changed(ClockFacts(*before) if before else None, ClockFacts.of(clock))
    return clock


def clocks_start_new(
    *,
    ticket_id: int,
    policy: SlaPolicy,
    started_at: datetime,
    assignee: User | None = None,
    team: Team | None = None,
    stopped_at: dict[str, datetime] | None = None,
) -> list[ServiceClock]:
    """A new ticket's clocks under `policy`, in one INSERT: there is nothing to restart and no
    pause to read. A kind in `stopped_at` starts already stopped then (a first response given
    while the ticket was taken); a kind the policy sets no target for gets no clock."""
    rows = []
    for kind in (ServiceClock.Kind.FIRST_RESPONSE, ServiceClock.Kind.RESOLUTION):
        seconds = policy.target_for(kind)
        if not seconds:
            continue
        clock = ServiceClock(
            ticket_id=ticket_id,
            kind=kind,
            policy=policy,
            target_seconds=seconds,
            warn_share=policy.warn_share,
            state=State.RUNNING,
            started_at=started_at,
            assignee=assignee,
            team=team,
        )
        if stopped_at and kind in stopped_at:
            clock.state, clock.stopped_at = State.STOPPED, stopped_at[kind]
        _compute(clock, [])
        late = clock.due_at is not None and clock.due_at < (clock.stopped_at or clock.due_at)
        if clock.state == State.STOPPED and late:
            clock.breached_at = clock.due_at  # as clock_stop counts a late stop
        rows.append(clock)
    created = ServiceClock.objects.bulk_create(rows)
    rollup_touch(day for clock in created for day in ClockFacts.of(clock).counts())
    return created


def _locked(clock: ServiceClock) -> ServiceClock:
    return (
        ServiceClock.objects.select_for_update(of=("self",))
        .select_related("policy__calendar")
        .get(pk=clock.pk)
    )


@transaction.atomic
def clock_pause(
    *,
    clock: ServiceClock,
    at: datetime,
    reason: str,
    last_customer_message_at: datetime | None = None,
) -> ClockPause:
    """Stop the clock running while waiting on the customer or a third party. A pause set soon
    after a customer message is flagged for the supervisor (gaming the clock)."""
    clock = _locked(clock)
    before = ClockFacts.of(clock)
    if clock.state != State.RUNNING:
        raise DomainError(_("Only a running clock can be paused."), code="clock_not_running")
    if not reason.strip():
        raise DomainError(_("Say why the clock is paused."), field="reason")
    window = timedelta(minutes=settings.RAPPORT_SLA_PAUSE_FLAG_MINUTES)
    flagged = (
        last_customer_message_at is not None
        and timedelta(0) <= at - last_customer_message_at <= window
    )
    pause = ClockPause.objects.create(
        clock=clock, started_at=at, reason=reason.strip()[:300], flagged=flagged
    )
    clock.state = State.PAUSED
    _refresh(clock)
    rollup_clock_changed(before, ClockFacts.of(clock))
    return pause


@transaction.atomic
def clock_resume(*, clock: ServiceClock, at: datetime) -> ServiceClock:
    """Run the clock again (the customer answered, the ticket was reopened)."""
    clock = _locked(clock)
    if clock.state == State.RUNNING:
        return clock
    before = ClockFacts.of(clock)
    if clock.state == State.STOPPED:
        # Reopening: the time between the stop and now did not count.
        ClockPause.objects.create(
            clock=clock, started_at=clock.stopped_at, ended_at=at, reason=_("Reopened")
        )
        clock.stopped_at = None
    else:
        clock.pauses.filter(ended_at__isnull=True).update(ended_at=at)
    clock.state = State.RUNNING
    _refresh(clock)
    rollup_clock_changed(before, ClockFacts.of(clock))
    _rearm_escalation(clock, at)
    return clock


def _rearm_escalation(clock: ServiceClock, at: datetime) -> None:
    """Alerts held while the clock did not run go up again, each after a fresh delay."""
    from rapport.sla.sweep import escalation_delay

    held = SlaAlert.objects.filter(
        clock=clock, acknowledged_at__isnull=True, escalated_at__isnull=True, escalate_at=None
    )
    for level in set(held.values_list("level", flat=True)):
        delay = escalation_delay(level)
        if delay is not None:
            held.filter(level=level).update(escalate_at=at + delay)


@transaction.atomic
def clock_stop(*, clock: ServiceClock, at: datetime) -> ServiceClock:
    """The target's event happened (first response sent, ticket resolved)."""
    clock = _locked(clock)
    if clock.state == State.STOPPED:
        return clock
    before = ClockFacts.of(clock)
    clock.pauses.filter(ended_at__isnull=True).update(ended_at=at)
    clock.state = State.STOPPED
    clock.stopped_at = at
    _refresh(clock)
    if clock.breached_at is None and clock.due_at is not None and clock.due_at < at:
        # Stopped late before the sweep got to it: the breach still counts.
        ServiceClock.objects.filter(pk=clock.pk).update(breached_at=clock.due_at)
        clock.breached_at = clock.due_at
    rollup_clock_changed(before, ClockFacts.of(clock))
    return clock


@transaction.atomic
def clock_retarget(*, clock: ServiceClock, policy: SlaPolicy) -> ServiceClock | None:
    """A new policy applies from the moment of change: the time already run stays, the target
    (and so the due instant) is the new policy's. Warnings already sent are not repeated."""
    clock = _locked(clock)
    seconds = policy.target_for(clock.kind)
    if not seconds:
        clock.delete()
        rollup_clock_changed(ClockFacts.of(clock), None)
        return None
    clock.policy, clock.target_seconds, clock.warn_share = policy, seconds, policy.warn_share
    clock.save(update_fields=["policy", "target_seconds", "warn_share"])
    _refresh(clock)
    return clock


def clocks_reassign(*, ticket_id: int, assignee: User | None, team: Team | None) -> int:
    """Alerts from now on go to the new assignee and team."""
    return ServiceClock.objects.filter(ticket_id=ticket_id).update(assignee=assignee, team=team)


def clocks_regroup(*, ticket_ids: list[int]) -> None:
    """The tickets' team, assignee, type, channel, priority or kind changed: the compliance
    figures group their clocks anew (rapport.sla.rollups). Tickets call it in the transaction of
    every such change."""
    rollup_tickets_regrouped(ticket_ids=ticket_ids)


def alert_acknowledge(*, alert: SlaAlert, by: User) -> SlaAlert:
    """The recipient has seen it: it no longer goes up a level."""
    updated = SlaAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=by
    )
    alert.refresh_from_db()
    if not updated and alert.acknowledged_by_id != by.pk:
        raise DomainError(
            _("Someone already acknowledged this alert."), code="already_acknowledged"
        )
    return alert


__all__ = [
    "alert_acknowledge",
    "clock_pause",
    "clock_resume",
    "clock_retarget",
    "clock_start",
    "clock_stop",
    "clocks_reassign",
    "clocks_regroup",
    "policy_for",
]
