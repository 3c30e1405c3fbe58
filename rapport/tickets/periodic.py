"""Background sweeps of the complaint desk, run by every `rapport worker` (rapport.core.periodic)."""

from datetime import timedelta

from rapport.core.periodic import register
from rapport.tickets.services import tickets_auto_close_due


@register("tickets.auto_close", every=timedelta(minutes=30))
def auto_close_resolved() -> int:
    """Close resolved tickets the customer never confirmed, after the admin-set number of days."""
    return tickets_auto_close_due()


@register("tickets.escalate_unassigned", every=timedelta(minutes=1))
def escalate_unassigned_tickets() -> int:
    """Open tickets nobody took within their team's time go to the supervisors, once."""
    from rapport.tickets.services.assignment import tickets_escalate_unassigned

    return tickets_escalate_unassigned()
