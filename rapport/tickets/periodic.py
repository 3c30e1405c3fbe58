"""Background sweeps of the complaint desk, run by every `rapport worker` (rapport.core.periodic)."""

from datetime import timedelta

from rapport.core.periodic import register
from rapport.tickets.services import tickets_auto_close_due


@register("tickets.auto_close", every=timedelta(minutes=30))
def auto_close_resolved() -> int:
    """Close resolved tickets the customer never confirmed, after the admin-set number of days."""
    return tickets_auto_close_due()
