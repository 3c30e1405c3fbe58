"""Reads for calls: the header banner (asked every few seconds, so one cheap query) and the
calls on a customer's 360 page."""

from datetime import datetime, timedelta

from django.utils import timezone

from rapport.channels.phone.models import Call
from rapport.core.prepared import Prepared
from rapport.customers.models import Customer
from rapport.staff.models import User

# A ringing call no later event ended is taken as gone after this (the provider never said).
RINGING_SHOWN_FOR = timedelta(minutes=2)
# An answered call without an end event stops showing after this.
ANSWERED_SHOWN_FOR = timedelta(hours=4)
# After the end, the banner offers "add summary" for this long, unless dismissed.
ENDED_SHOWN_FOR = timedelta(minutes=30)

S = Call.State


def call_banner_for(*, user: User, now: datetime | None = None) -> Call | None:
    """The call the header shows `user`: ringing at them, in progress, or just ended — one
    query on the (agent, updated_at) index, the customer and interaction joined in."""
    now = now or timezone.now()
    call = (
        Call.objects.filter(
            agent_id=user.pk,
            updated_at__gte=now - ANSWERED_SHOWN_FOR,
            banner_dismissed_at__isnull=True,
        )
        .select_related("customer")
        .order_by("-updated_at", "-id")
        .first()
    )
    if call is None:
        return None
    if call.state == S.RINGING and call.started_at < now - RINGING_SHOWN_FOR:
        return None
    if call.state in (S.ENDED, S.MISSED) and call.updated_at < now - ENDED_SHOWN_FOR:
        return None
    return call


def banner_token(call: Call | None) -> str:
    """What the page shows now; the poll answers 204 while it is unchanged."""
    if call is None:
        return ""
    return f"{call.pk}.{call.state}.{call.customer_id or 0}.{call.interaction_id or 0}"


_CALLS = Prepared(
    lambda limit, customer_id: (
        Call.objects.filter(customer_id=customer_id)
        .select_related("agent", "interaction")
        .order_by("-started_at", "-id")[:limit]
    )
)


def calls_for_customer(*, customer: Customer, limit: int = 5) -> list[Call]:
    """The customer's latest calls (on every 360 page: compiled once per process)."""
    return _CALLS.list(limit, customer_id=customer.pk)


def call_get_for_agent(*, user: User, call_id: int) -> Call | None:
    return Call.objects.filter(pk=call_id, agent_id=user.pk).first()
