"""Background sweeps for surveys, run by every `rapport worker` (rapport.core.periodic)."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rapport.core.periodic import register
from rapport.surveys import hooks, selectors
from rapport.surveys.models import SurveySend, SurveySweep

# The first sweep looks back this far, so tickets closed just before deployment still get theirs.
FIRST_LOOK_BACK = timedelta(days=1)
# The cursor stays this far behind the clock: a close whose transaction commits a little after
# its closed_at is still found by the next sweep (handling it twice sends nothing twice).
SETTLE = timedelta(minutes=1)


def _advance(mark: SurveySweep, closed_at, ticket_id: int) -> None:
    """Move the cursor forward to (closed_at, ticket_id); never back (another worker ahead)."""
    SurveySweep.objects.filter(
        Q(swept_until__lt=closed_at) | Q(swept_until=closed_at, swept_id__lt=ticket_id),
        pk=mark.pk,
    ).update(swept_until=closed_at, swept_id=ticket_id)


def surveys_sweep_closed_tickets(*, now=None, limit: int = 1000) -> int:
    """Send the post-ticket survey for each ticket closed since the cursor; returns how many
    were sent. Each ticket is one transaction that sends its survey and moves the cursor past
    it, so a worker stopped at any point (SIGKILL, or the SIGTERM of a deploy) leaves the rest
    for the next sweep; the unique event key makes a second send impossible, so two workers,
    or a ticket looked at twice, never send twice."""
    now = now or timezone.now()
    mark, _created = SurveySweep.objects.get_or_create(
        name="ticket_closed", defaults={"swept_until": now - FIRST_LOOK_BACK}
    )
    settled = now - SETTLE
    sent = 0
    closed = selectors.tickets_closed_after(
        after=mark.swept_until, after_id=mark.swept_id, until=now, limit=limit
    )
    for ticket_id, closed_at in closed:
        with transaction.atomic():
            if hooks.survey_send_for_ticket_closed(ticket_id=ticket_id) is not None:
                sent += 1
            if closed_at <= settled:
                _advance(mark, closed_at, ticket_id)
    return sent


# A send still waiting this long after it was made lost its delivery (the task failed, or the
# worker died before queueing it); it is tried again for a while, then left for a person.
RETRY_AFTER = timedelta(minutes=10)
RETRY_WITHIN = timedelta(days=2)


def surveys_retry_deliveries(*, now=None, limit: int = 500) -> int:
    """Queue the delivery of each send still waiting after RETRY_AFTER; returns how many.
    Delivery only acts on a waiting send, under a row lock, so a send queued twice goes once."""
    from rapport.surveys.services import _enqueue_delivery

    now = now or timezone.now()
    ids = list(
        SurveySend.objects.filter(
            status=SurveySend.Status.PENDING,
            created_at__lte=now - RETRY_AFTER,
            created_at__gt=now - RETRY_WITHIN,
        )
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
    for send_id in ids:
        _enqueue_delivery(send_id)
    return len(ids)


@register("surveys.retry_deliveries", every=timedelta(minutes=10))
def retry_survey_deliveries() -> int:
    return surveys_retry_deliveries()


@register("surveys.ticket_closed", every=timedelta(minutes=2))
def send_surveys_for_closed_tickets() -> int:
    return surveys_sweep_closed_tickets()


@register("surveys.rollups", every=timedelta(minutes=5))
def build_satisfaction_rollups() -> int:
    """Rebuild the satisfaction rollup of each day changed since its last build (before today)."""
    from rapport.surveys.rollups import rollup_sweep

    return rollup_sweep()
