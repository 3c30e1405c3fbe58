"""Where tickets drive their service-level clocks (rapport.sla).

Intake starts a first-response and a resolution clock under the most specific policy; the first
reply stops the first; waiting pauses the second and resuming runs it again; resolving stops it
and reopening resumes it; a new priority or type re-targets both (the time already run stays);
a hand-off makes the new assignee the one warned; a change of team, assignee, type, priority,
kind or channel regroups the clocks in the compliance figures. The services call these inside
their own transaction, so a refused action changes no clock.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.core.models import BusinessCalendar
from rapport.interactions.models import Interaction
from rapport.sla import services as sla
from rapport.sla.models import ServiceClock, SlaPolicy
from rapport.sla.recompute import on_due_moved
from rapport.tickets.models import Ticket, TicketEvent

FIRST, RESOLUTION = ServiceClock.Kind.FIRST_RESPONSE, ServiceClock.Kind.RESOLUTION
CHANNEL_OF_SOURCE = {"public_form": "web_form", "api": "web_form", "message": "email"}


def ticket_channel(ticket: Ticket) -> str:
    if ticket.interaction_id:
        return ticket.interaction.channel
    return CHANNEL_OF_SOURCE.get(ticket.source, "phone")


def policy_for_ticket(ticket: Ticket) -> SlaPolicy | None:
    return sla.policy_for(
        ticket_kind=ticket.kind,
        priority=ticket.priority,
        channel=ticket_channel(ticket),
        customer_tier=ticket.customer.tier,
    )


def _clocks(ticket: Ticket) -> dict[str, ServiceClock]:
    return {
        c.kind: c
        for c in ServiceClock.objects.filter(ticket=ticket).select_related("policy__calendar")
    }


def clocks_start(ticket: Ticket) -> None:
    """A new ticket's clocks; the first-response one already stopped when the ticket was taken
    by the representative who answered (its first response is the intake itself)."""
    policy = policy_for_ticket(ticket)
    if policy is None:
        return
    sla.clocks_start_new(
        ticket_id=ticket.pk,
        policy=policy,
        started_at=ticket.created_at,
        assignee=ticket.assignee,
        team=ticket.team,
        stopped_at={FIRST: ticket.first_responded_at} if ticket.first_responded_at else None,
    )


def _last_customer_message(ticket: Ticket, now: datetime) -> datetime | None:
    return (
        Interaction.objects.filter(
            customer_id=ticket.customer_id,
            direction=Interaction.Direction.INBOUND,
            started_at__lte=now,
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )


def clocks_after_transition(ticket: Ticket, action: str, now: datetime) -> None:
    clocks = _clocks(ticket)
    resolution = clocks.get(RESOLUTION)
    if action == "classify":
        clocks_retarget(ticket)
    if resolution is None:
        return
    if action == "wait" and resolution.state == ServiceClock.State.RUNNING:
        sla.clock_pause(
            clock=resolution,
            at=now,
            reason=ticket.waiting_reason or ticket.get_waiting_on_display(),
            last_customer_message_at=_last_customer_message(ticket, now),
        )
    elif action in ("resume", "reopen", "start", "customer_answered", "customer_reopened"):
        sla.clock_resume(clock=resolution, at=now)
    elif action == "resolve":
        sla.clock_stop(clock=resolution, at=now)


def clocks_first_response(ticket: Ticket, at: datetime) -> None:
    clock = _clocks(ticket).get(FIRST)
    if clock is not None and clock.state != ServiceClock.State.STOPPED:
        sla.clock_stop(clock=clock, at=at)


def clocks_retarget(ticket: Ticket) -> None:
    """After a change of priority, type or kind: the new policy from now on."""
    policy = policy_for_ticket(ticket)
    if policy is None:
        return
    for clock in _clocks(ticket).values():
        if clock.policy_id != policy.pk:
            sla.clock_retarget(clock=clock, policy=policy)


def clocks_reassign(ticket: Ticket) -> None:
    sla.clocks_reassign(ticket_id=ticket.pk, assignee=ticket.assignee, team=ticket.team)


# The ticket's fields the compliance figures group its clocks by (rapport.sla.rollups.FIELDS).
GROUPED_BY = frozenset({"team", "assignee", "ticket_type", "priority", "kind", "interaction"})


def clocks_regrouped(ticket_ids: list[int]) -> None:
    """The tickets' team, assignee, type, priority, kind or channel changed: the compliance
    rollup counts their clocks again. Called in the transaction of the change."""
    sla.clocks_regroup(ticket_ids=ticket_ids)


def on_interaction_corrected(interaction: Interaction, before: dict) -> None:
    """A corrected channel moves the tickets opened from the interaction to another channel
    (`before`: the changed fields' old values, by name)."""
    if "channel" in before:
        clocks_regrouped(
            list(Ticket.objects.filter(interaction=interaction).values_list("pk", flat=True))
        )


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "—"


@on_due_moved("tickets.timeline")
def record_due_moved(clock: ServiceClock, before: datetime | None, calendar: BusinessCalendar):
    """A calendar change moved one of the ticket's due instants: say so on its timeline, in the
    site's language like every event text."""
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "%(clock)s now due %(after)s (was %(before)s): the calendar “%(calendar)s” changed."
        ) % {
            "clock": clock.get_kind_display(),
            "after": _when(clock.due_at),
            "before": _when(before),
            "calendar": calendar.name,
        }
    event = TicketEvent(
        ticket_id=clock.ticket_id,
        kind=TicketEvent.Kind.FLAG,
        action="due_moved",
        body=body,
        data={
            "clock": clock.kind,
            "before": before.isoformat() if before else None,
            "after": clock.due_at.isoformat() if clock.due_at else None,
            "calendar": calendar.pk,
        },
    )
    event.full_clean(exclude=["ticket", "actor"])
    event.save()
