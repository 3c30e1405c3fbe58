"""Merge a duplicate into the ticket that carries on, and split some customer messages off into a
ticket of their own. Both keep every row where it was and link the two tickets both ways:
the duplicate's timeline and its customer's own words stay on it, and the surviving ticket shows
them with a link; a split ticket names the ticket and the messages it came from.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.bounds import control_character_message
from rapport.sla import services as sla
from rapport.sla.models import ServiceClock
from rapport.staff.models import User
from rapport.tickets.models import Ticket, TicketEvent
from rapport.tickets.services import (
    _event,
    _locked,
    _markup,
    _raise,
    _required,
    _save,
    _site_text,
    ticket_create,
)

S = Ticket.Status
E = TicketEvent.Kind
MAX_SPLIT_MESSAGES = 50


def _controls(errors: dict, **texts: str) -> None:
    for field, text in texts.items():
        if message := control_character_message(text or ""):
            errors.setdefault(field, []).append(message)


@transaction.atomic
def ticket_merge(*, ticket: Ticket, into: Ticket, by: User, reason: str = "") -> Ticket:
    """Close `ticket` as a duplicate of `into` (same customer, both not closed).

    The duplicate is closed with a public event naming the surviving ticket; the surviving
    ticket gets an event carrying the duplicate's customer words and number. The duplicate's
    clocks stop. Raises TransitionNotAllowed when either ticket's state or the role refuses,
    ValidationError on `into` for itself, another customer, or a chain of merges."""
    # Lock in id order so two merges of the same pair cannot wait on each other.
    first, second = sorted([ticket, into], key=lambda t: t.pk)
    locked = {first.pk: _locked(first, by, "merge")}
    if second.pk != first.pk:
        locked[second.pk] = _locked(second, by, "merge")
    ticket, into = locked[ticket.pk], locked[into.pk]
    errors: dict[str, list[str]] = {}
    if ticket.pk == into.pk:
        errors["into"] = [_("A ticket cannot be a duplicate of itself.")]
    elif into.customer_id != ticket.customer_id:
        errors["into"] = [
            _("%(number)s is another customer's ticket; only the same customer's tickets merge.")
            % {"number": into.number}
        ]
    elif into.merged_into_id is not None:
        errors["into"] = [_("%(number)s was itself merged.") % {"number": into.number}]
    reason = (reason or "").strip()
    _markup(errors, reason=reason)
    _controls(errors, reason=reason)
    _raise(errors)
    now = timezone.now()
    before = ticket.status
    ticket.status, ticket.is_open, ticket.closed_at = S.CLOSED, False, now
    ticket.merged_into = into
    _save(ticket, by, now, ["status", "is_open", "closed_at", "merged_into"])
    text = _site_text(
        lambda: (
            f"{_('Closed as a duplicate of %(number)s.') % {'number': into.number}} {reason}"
        ).strip()[:4000]
    )
    _event(
        ticket,
        E.TRANSITION,
        by,
        now,
        action="merge",
        from_status=before,
        to_status=S.CLOSED,
        body=text,
        is_public=True,
        data={"merged_into": into.pk},
    )
    _save(into, by, now, [])
    _event(
        into,
        E.MERGED,
        by,
        now,
        body=ticket.customer_words[:4000],
        data={"duplicate": ticket.pk, "number": ticket.number, "reason": reason},
    )
    for clock in ServiceClock.objects.filter(ticket=ticket).exclude(
        state=ServiceClock.State.STOPPED
    ):
        sla.clock_stop(clock=clock, at=now)
    return ticket


@transaction.atomic
def ticket_split(
    *, ticket: Ticket, by: User, message_ids: list[int], subject: str, description: str = ""
) -> Ticket:
    """A new ticket of the same customer from some of `ticket`'s customer messages.

    The messages' text becomes the new ticket's customer words (exactly as written, oldest
    first); the messages themselves stay on `ticket`. Both tickets get a `split` event naming the
    other. Raises ValidationError on `message_ids` when none or another ticket's are chosen,
    on `subject` when it is missing."""
    ticket = _locked(ticket, by, "split")
    errors: dict[str, list[str]] = {}
    ids = sorted({int(i) for i in message_ids or [] if str(i).isdigit() and len(str(i)) < 19})[
        :MAX_SPLIT_MESSAGES
    ]
    messages = list(
        TicketEvent.objects.filter(ticket=ticket, kind=E.CUSTOMER_MESSAGE, pk__in=ids).order_by(
            "at", "id"
        )
    )
    if not ids:
        errors["message_ids"] = [_("Choose the customer's messages that belong to a new ticket.")]
    elif len(messages) != len(ids):
        errors["message_ids"] = [_("Choose only this ticket's messages from the customer.")]
    subject = _required(errors, "subject", subject, _("Give the new ticket a subject."))
    _markup(errors, subject=subject, description=description)
    _controls(errors, subject=subject, description=description)
    _raise(errors)
    words = "\n\n".join(m.body for m in messages)[:4000]
    try:
        new = ticket_create(
            by=by,
            customer=ticket.customer,
            kind=ticket.kind,
            source=ticket.source,
            subject=subject[:120],
            description=(description or "").strip() or words,
            customer_words=words,
            contact_name=ticket.contact_name,
            contact_phone=ticket.contact_phone,
            contact_email=ticket.contact_email,
            occurred_at=messages[0].at,
            occurred_where=ticket.occurred_where,
            asset=ticket.asset,
            interaction=ticket.interaction,
        )
    except ValidationError as exc:
        # The new ticket's fields come from this one; name them as the split form knows them.
        raise ValidationError(
            {"subject" if k == "subject" else "message_ids": v for k, v in exc.message_dict.items()}
        ) from exc
    now = timezone.now()
    new.split_from = ticket
    new.save(update_fields=["split_from"])
    message_numbers = [m.pk for m in messages]
    _save(ticket, by, now, [])
    _event(
        ticket,
        E.SPLIT,
        by,
        now,
        action="split_to",
        body=_site_text(lambda: _("Split into %(number)s.") % {"number": new.number}),
        data={"ticket": new.pk, "number": new.number, "messages": message_numbers},
    )
    _event(
        new,
        E.SPLIT,
        by,
        now,
        action="split_from",
        body=_site_text(lambda: _("Split from %(number)s.") % {"number": ticket.number}),
        data={"ticket": ticket.pk, "number": ticket.number, "messages": message_numbers},
    )
    return new
