"""One action on many tickets (批量处理): assign, change priority, add a note, close as duplicates.

Each ticket goes through its normal service (ticket_assign, ticket_prioritise, ticket_note,
ticket_merge) with that service's checks, events and clocks, in its own savepoint
(rapport.core.bulk). What the action needs (whom to assign to, the new priority and why, the
note, the surviving ticket) is checked once before any ticket is touched: bad input refuses the
whole request naming the field; a ticket the person may not see, or whose state no longer
allows the action, is refused on its own with the reason.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.bounds import control_character_message
from rapport.core.bulk import BulkResult, bulk_ids, bulk_run
from rapport.core.errors import NotFound
from rapport.staff.models import User
from rapport.tickets.models import Priority, Ticket
from rapport.tickets.selectors import ticket_get_for_staff, ticket_visible_qs
from rapport.tickets.services import (
    ticket_assign,
    ticket_note,
    ticket_prioritise,
    validate_no_markup,
)
from rapport.tickets.services.merge import ticket_merge

BULK_ACTIONS = {
    "assign": gettext_lazy("Assign"),
    "prioritise": gettext_lazy("Change priority"),
    "note": gettext_lazy("Add a note"),
    "close_duplicate": gettext_lazy("Close as duplicates"),
}


def _text(errors: dict, field: str, value, message: str, *, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if required and not text:
        errors[field] = [message]
    try:
        validate_no_markup(text)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)
    if message := control_character_message(text):
        errors.setdefault(field, []).append(message)
    return text


def _id(value) -> int | None:
    """A positive id that fits the database, from a form or JSON value; else None."""
    text = str(value if value is not None else "").strip().upper().lstrip("T")
    return int(text) if text.isdigit() and 0 < len(text) < 19 and int(text) > 0 else None


def tickets_bulk(
    *,
    staff: User,
    action: str,
    ids,
    to_staff_id=None,
    priority=None,
    reason: str = "",
    body: str = "",
    into_id=None,
) -> BulkResult:
    """Do `action` on each of the tickets `ids` and say what happened to each.

    Fields by action: assign(to_staff_id, reason?), prioritise(priority, reason),
    note(body), close_duplicate(into_id, reason?). Raises ValidationError naming the field for
    an unknown action, bad ids (none, not numbers, more than 500) or a missing or invalid
    field; then nothing is done."""
    errors: dict[str, list[str]] = {}
    if action not in BULK_ACTIONS:
        errors["action"] = [_("Choose what to do with the selected tickets.")]
    try:
        ticket_ids = bulk_ids(ids)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        ticket_ids = []
    fields: dict = {}
    if action == "assign":
        to_staff = None
        if _id(to_staff_id):
            to_staff = User.objects.filter(pk=_id(to_staff_id), is_active=True).first()
        if to_staff is None:
            errors["to_staff_id"] = [_("Choose an active staff member.")]
        fields = {
            "to_staff": to_staff,
            "reason": _text(errors, "reason", reason, "", required=False),
        }
    elif action == "prioritise":
        value = _id(priority) or 0
        if value not in Priority.values:
            errors["priority"] = [_("Choose a priority.")]
        fields = {
            "priority": value,
            "reason": _text(errors, "reason", reason, _("Say why the priority changes.")),
        }
    elif action == "note":
        fields = {"body": _text(errors, "body", body, _("Write the note."))}
    elif action == "close_duplicate":
        into = None
        if _id(into_id):
            try:
                into = ticket_get_for_staff(staff=staff, ticket_id=_id(into_id))
            except NotFound:
                into = None
        if into is None:
            errors["into_id"] = [_("Give the number of the ticket the duplicates close into.")]
        fields = {
            "into": into,
            "reason": _text(errors, "reason", reason, "", required=False),
        }
    if errors:
        raise ValidationError(errors)
    found = {
        t.pk: t
        for t in ticket_visible_qs(staff=staff)
        .filter(pk__in=ticket_ids)
        .select_related("customer", "assignee", "team")
    }
    services = {
        "assign": lambda t: ticket_assign(ticket=t, by=staff, **fields),
        "prioritise": lambda t: ticket_prioritise(ticket=t, by=staff, **fields),
        "note": lambda t: ticket_note(ticket=t, by=staff, **fields),
        "close_duplicate": lambda t: ticket_merge(ticket=t, by=staff, **fields),
    }
    return bulk_run(
        ids=ticket_ids,
        found=found,
        act=services[action],
        label=lambda t: t.number,
        not_found=_("No such ticket, or not one you may work on."),
        id_label=lambda pk: Ticket(pk=pk).number,
    )
