"""The outreach guard: checked when an action runs, never when it was planned (DOMAIN.md §4).

Seed 004's lesson — an automatic payment that everyone could have stopped and nobody did, each
check having been made earlier or by someone else — is why every condition is read again here,
from the rows as they are now, in the same transaction that performs the action.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from rapport.care import deps
from rapport.care.models import CareAction, Program
from rapport.channels.models import MessagingSettings
from rapport.channels.services.outbox import quiet_hours_end
from rapport.tickets.models import Priority, Ticket

R = CareAction.Reason
# A service message paused by an open complaint waits this long after its due day, then lapses.
COMPLAINT_PAUSE = timedelta(days=7)


@dataclass(frozen=True)
class Decision:
    go: bool
    reason: str = ""  # a CareAction.Reason
    defer_until: datetime | None = None
    ticket: Ticket | None = None  # the complaint a call is handed to
    channel: str = ""
    to_address: str = ""

    @property
    def skip(self) -> bool:
        return not self.go and self.defer_until is None


def _complaint(customer) -> Ticket | None:
    """An open high-priority complaint, or any open ticket where the customer is upset."""
    return (
        Ticket.objects.filter(customer=customer, is_open=True)
        .filter(Q(kind=Ticket.Kind.COMPLAINT, priority__gte=Priority.HIGH) | Q(customer_upset=True))
        .select_related("assignee")
        .order_by("-priority", "id")
        .first()
    )


def guard_check(*, action: CareAction, kind: str, now: datetime) -> Decision:
    """May `action` contact its customer now with `kind` (call or message)?"""
    program: Program = action.program
    customer = action.customer
    if program.status == Program.Status.ARCHIVED or (
        program.ends_on and now.date() > program.ends_on
    ):
        return Decision(False, R.PROGRAM_ENDED)
    if customer.is_merged:
        return Decision(False, R.MERGED)
    if customer.is_deceased:
        return Decision(False, R.DECEASED)
    if customer.do_not_contact:
        return Decision(False, R.DO_NOT_CONTACT)
    if not deps.consent_allows(customer=customer, purpose=program.purpose):
        return Decision(False, R.NO_CONSENT)
    complaint = _complaint(customer)
    if complaint is not None:
        if kind == CareAction.Kind.CALL:
            return Decision(True, R.TO_TICKET_OWNER, ticket=complaint)
        if program.purpose == "service" and now.date() <= action.due_on + COMPLAINT_PAUSE:
            return Decision(False, R.COMPLAINT, defer_until=now + timedelta(days=1))
        return Decision(False, R.COMPLAINT)
    if action.state == CareAction.State.PLANNED and program.quiet_days:
        since = now - timedelta(days=program.quiet_days)
        recent = (
            CareAction.objects.filter(
                customer=customer,
                state__in=[CareAction.State.DONE, CareAction.State.WAITING],
                executed_at__gte=since,
            )
            .exclude(pk=action.pk)
            .exists()
        )
        if recent:
            return Decision(False, R.RECENTLY_CONTACTED)
    if kind == CareAction.Kind.MESSAGE:
        reach = deps.channel_reach(customer=customer, purpose=program.purpose)
        if not reach.to_address:
            return Decision(False, R.UNREACHABLE)
        rules = MessagingSettings.current()
        quiet_end = quiet_hours_end(now, rules)
        if quiet_end is not None and (
            program.purpose == "marketing" or not rules.service_in_quiet_hours
        ):
            return Decision(False, R.QUIET_HOURS, defer_until=quiet_end)
        return Decision(True, channel=reach.channel, to_address=reach.to_address)
    return Decision(True)
