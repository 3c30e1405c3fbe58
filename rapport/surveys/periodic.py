"""Background sweeps for surveys, run by every `rapport worker` (rapport.core.periodic)."""

from datetime import timedelta

from django.utils import timezone

from rapport.core.periodic import register
from rapport.surveys import hooks, selectors
from rapport.surveys.models import SurveySweep

# The first sweep looks back this far, so tickets closed just before deployment still get theirs.
FIRST_LOOK_BACK = timedelta(days=1)


def surveys_sweep_closed_tickets(*, now=None) -> int:
    """Send the post-ticket survey for each ticket closed since the last sweep; returns how many
    were sent. The stretch of time is claimed with a conditional UPDATE, so with many workers each
    closed ticket is looked at once; the unique event key makes a second send impossible anyway."""
    now = now or timezone.now()
    mark, _created = SurveySweep.objects.get_or_create(
        name="ticket_closed", defaults={"swept_until": now - FIRST_LOOK_BACK}
    )
    start = mark.swept_until
    if start >= now:
        return 0
    claimed = SurveySweep.objects.filter(pk=mark.pk, swept_until=start).update(swept_until=now)
    if not claimed:
        return 0
    sent = 0
    for ticket_id in selectors.tickets_closed_between(start=start, end=now):
        if hooks.survey_send_for_ticket_closed(ticket_id=ticket_id) is not None:
            sent += 1
    return sent


@register("surveys.ticket_closed", every=timedelta(minutes=2))
def send_surveys_for_closed_tickets() -> int:
    return surveys_sweep_closed_tickets()
