"""Saved views of the ticket queue: filters, sort and columns under a name, for oneself or shared
with a team. The filter and column names are the queue's own; any other name is refused with the
names allowed, so a view never silently drops what its author meant."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from rapport.core.bounds import control_character_message
from rapport.core.errors import Forbidden
from rapport.staff.models import Team, User
from rapport.tickets.models import Impact, Priority, SavedView, Ticket, TicketType
from rapport.tickets.selectors import QUEUES, SORTS
from rapport.tickets.services import _markup, _required

# The queue's columns, in table order; the number is always shown.
COLUMNS = {
    "subject": gettext_lazy("Subject"),
    "status": gettext_lazy("Status"),
    "customer": pgettext_lazy("ticket", "Customer"),
    "type": gettext_lazy("Type"),
    "priority": gettext_lazy("Priority"),
    "assignee": pgettext_lazy("ticket", "Assignee"),
    "received": gettext_lazy("Received"),
    "due": gettext_lazy("Resolution due"),
}
DEFAULT_COLUMNS = ["subject", "status", "customer", "type", "assignee", "received", "due"]
MAX_VIEWS_PER_OWNER = 50


def _int(value) -> int | None:
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 19 else None


# Each filter: how its value is checked; the stored value is the checked one.
FILTERS = {
    "queue": lambda v: v if v in QUEUES else None,
    "status": lambda v: v if v in Ticket.Status.values else None,
    "kind": lambda v: v if v in Ticket.Kind.values else None,
    "priority": lambda v: _int(v) if _int(v) in Priority.values else None,
    "impact": lambda v: v if v in Impact.values else None,
    "ticket_type": lambda v: (
        _int(v) if _int(v) and TicketType.objects.filter(pk=_int(v)).exists() else None
    ),
    "q": lambda v: (
        v.strip()[:100] if isinstance(v, str) and not control_character_message(v) else None
    ),
    "sort": lambda v: v if v in SORTS else None,
}


def saved_view_clean(*, filters, columns) -> tuple[dict, list[str]]:
    """The filters and columns as stored, or ValidationError on `filters` / `columns` naming the
    unknown or invalid ones and the names allowed."""
    errors: dict[str, list[str]] = {}
    filters = filters if isinstance(filters, dict) else {}
    unknown = sorted(str(k) for k in filters if k not in FILTERS)
    clean: dict = {}
    if unknown:
        errors.setdefault("filters", []).append(
            _("Unknown filters: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown)[:200], "known": ", ".join(FILTERS)}
        )
    for key, check in FILTERS.items():
        value = filters.get(key)
        if value in (None, ""):
            continue
        checked = check(value)
        if checked in (None, ""):
            errors.setdefault("filters", []).append(
                _("“%(value)s” is not a value of the filter %(name)s.")
                % {"value": str(value)[:40], "name": key}
            )
        else:
            clean[key] = checked
    columns = [str(c) for c in (columns or [])] if isinstance(columns, list | tuple) else None
    if columns is None:
        errors["columns"] = [_("Give the columns as a list.")]
        columns = []
    unknown_columns = sorted({c for c in columns if c not in COLUMNS})
    if unknown_columns:
        errors.setdefault("columns", []).append(
            _("Unknown columns: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown_columns)[:200], "known": ", ".join(COLUMNS)}
        )
    if errors:
        raise ValidationError(errors)
    ordered = [c for c in COLUMNS if c in columns] or list(DEFAULT_COLUMNS)
    return clean, ordered


@transaction.atomic
def saved_view_save(
    *, by: User, name: str, filters, columns, team: Team | None = None
) -> SavedView:
    """Save the view for `by`, or shared with `team` (one of `by`'s teams). A view of the same
    name for the same audience is replaced. Raises ValidationError on `name`, `filters`,
    `columns` or `team`."""
    if not by.can("tickets.view"):
        raise Forbidden(_("You may not see tickets."))
    errors: dict[str, list[str]] = {}
    name = _required(errors, "name", name, _("Give the view a name."))[:60]
    _markup(errors, name=name)
    if message := control_character_message(name):
        errors.setdefault("name", []).append(message)
    if team is not None and not by.teams.filter(pk=team.pk).exists():
        errors["team"] = [_("Share views only with a team of yours.")]
    try:
        clean, ordered = saved_view_clean(filters=filters, columns=columns)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    audience = {"team": team, "owner": None} if team else {"owner": by, "team": None}
    if (
        team is None
        and SavedView.objects.filter(owner=by).exclude(name=name).count() >= MAX_VIEWS_PER_OWNER
    ):
        raise ValidationError({"name": [_("You have too many saved views; delete one first.")]})
    try:
        with transaction.atomic():
            view, _created = SavedView.objects.update_or_create(
                name=name,
                **audience,
                defaults={"filters": clean, "columns": ordered, "created_by": by},
            )
    except IntegrityError as exc:  # the same name saved twice at once
        raise ValidationError({"name": [_("A view of this name was just saved.")]}) from exc
    return view


@transaction.atomic
def saved_view_delete(*, view: SavedView, by: User) -> None:
    """Its author, its owner, or a lead of its team may delete it."""
    allowed = view.owner_id == by.pk or view.created_by_id == by.pk
    if view.team_id and by.can("tickets.see_all"):
        allowed = allowed or by.teams.filter(pk=view.team_id).exists()
    if not allowed:
        raise Forbidden(_("Only its author or a lead of its team may delete this view."))
    view.delete()
