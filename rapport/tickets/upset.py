"""Upset detection on a ticket's inbound messages and on logged interactions (rapport.assist).

Registered in TicketsConfig.ready() with the channels registry (every inbound message, any kind)
and the interactions registry (every interaction a person logs), so neither lower layer imports
assist or tickets. An upset message marks the ticket upset (the four steps show at the top);
intensity 3 from outside the company (12315, 消协, lawyers, media, police) also flags it
"regulator/media risk" and tells the team's supervisors, once per ticket.

A failure here never stops the message being recorded: the assessment runs in a savepoint and
an error is logged, not raised (an exception in an inbound hook would quarantine the message).
"""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rapport.assist.models import UpsetAssessment
from rapport.assist.services import upset_assess
from rapport.tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)


def on_inbound_message(message, incoming, account) -> None:
    text = (getattr(message, "reply_text", "") or getattr(message, "text", "") or "").strip()
    _assess(
        source="message",
        source_id=message.pk,
        text=text,
        ticket_ids=[message.ticket_id] if message.ticket_id else [],
    )


def on_interaction_logged(interaction) -> None:
    """A contact a person logged (a phone call, a visit): assessed, and the customer's open
    tickets marked when it is upset. Contacts the channels record (by the system user) are
    assessed as messages instead; our own outbound replies are not the customer's words."""
    from rapport.staff.services import staff_system_user

    if interaction.direction == "outbound" or interaction.staff_id == staff_system_user().pk:
        return
    open_ids = list(
        Ticket.objects.filter(customer_id=interaction.customer_id)
        .exclude(status__in=[Ticket.Status.CLOSED])
        .values_list("pk", flat=True)[:5]
    )
    _assess(
        source="interaction",
        source_id=interaction.pk,
        text=interaction.summary,
        ticket_ids=open_ids,
    )


def _assess(*, source: str, source_id: int, text: str, ticket_ids: list[int]) -> None:
    try:
        with transaction.atomic():
            assessment, created = upset_assess(
                source=source,
                source_id=source_id,
                text=text,
                ticket_id=ticket_ids[0] if ticket_ids else None,
            )
            if created and assessment.upset:
                for ticket_id in ticket_ids:
                    ticket_upset_detected(ticket_id=ticket_id, assessment=assessment)
    except Exception:  # advice must never lose a customer's message
        logger.exception("Upset assessment of %s %s failed", source, source_id)


@transaction.atomic
def ticket_upset_detected(*, ticket_id: int, assessment: UpsetAssessment) -> Ticket | None:
    """Mark the ticket upset (and at risk) from an assessment; the timeline says why."""
    from rapport.tickets.services import _event, _save, _site_text

    ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
    if ticket is None or not assessment.upset:
        return None
    now = timezone.now()
    fields = []
    if not ticket.customer_upset:
        ticket.customer_upset = True
        fields.append("customer_upset")
    newly_at_risk = assessment.risk and not ticket.regulator_risk
    if newly_at_risk:
        ticket.regulator_risk = True
        fields.append("regulator_risk")
    if not fields:
        return ticket
    _save(ticket, None, now, fields)
    reasons = "、".join(reason.partition(":")[2] for reason in assessment.reasons[:6])
    _event(
        ticket,
        TicketEvent.Kind.FLAG,
        None,
        now,
        action="upset_detected",
        body=_site_text(
            lambda: format_lazy(
                _("Customer upset (detected, intensity {intensity}): {reasons}"),
                intensity=assessment.intensity,
                reasons=reasons,
            )
        ),
        data={
            "upset": True,
            "intensity": assessment.intensity,
            "risk": assessment.risk,
            "reasons": assessment.reasons[:20],
            "source": assessment.source,
        },
    )
    if newly_at_risk:
        _notify_risk(ticket, reasons)
    return ticket


def _notify_risk(ticket: Ticket, reasons: str) -> None:
    from rapport.notifications.services import notification_recipients_supervisors, notify

    notify(
        users=notification_recipients_supervisors(team=ticket.team),
        kind="upset_risk",
        title=format_lazy(
            _("Regulator/media risk on {number}: {reasons}"), number=ticket.number, reasons=reasons
        ),
        url=reverse("tickets:detail", args=[ticket.pk]),
        dedupe_key=f"upset_risk:{ticket.pk}",
    )
