"""The one table of what may happen to a ticket: from which states, to which state, with which
capability. Services check it before they write; pages and the API read it to offer only the
actions allowed right now. No state library: a dict and two functions.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from rapport.tickets.models import Ticket

S = Ticket.Status
_OPEN = frozenset({S.NEW, S.CLASSIFIED, S.IN_PROGRESS, S.WAITING, S.REOPENED})
_NOT_CLOSED = _OPEN | {S.RESOLVED}
_WORKING = frozenset({S.CLASSIFIED, S.IN_PROGRESS, S.WAITING, S.REOPENED})
_REMEDYING = frozenset({S.IN_PROGRESS, S.WAITING})
SYSTEM = "system"  # the periodic sweeps; no staff member may use these actions


@dataclass(frozen=True)
class Action:
    name: str
    label: Promise
    sources: frozenset[str]
    capability: str
    target: str | None = None  # None: the action changes the ticket but not its status

    @property
    def is_transition(self) -> bool:
        return self.target is not None


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        # The process: new → classified → in progress ⇄ waiting → resolved → closed → reopened.
        Action("classify", _("Classify"), frozenset({S.NEW}), "tickets.work", S.CLASSIFIED),
        Action(
            "start",
            _("Start work"),
            frozenset({S.CLASSIFIED, S.REOPENED}),
            "tickets.work",
            S.IN_PROGRESS,
        ),
        Action("wait", _("Wait"), frozenset({S.IN_PROGRESS}), "tickets.work", S.WAITING),
        Action("resume", _("Resume"), frozenset({S.WAITING}), "tickets.work", S.IN_PROGRESS),
        Action("resolve", _("Resolve"), frozenset({S.IN_PROGRESS}), "tickets.work", S.RESOLVED),
        Action("close", _("Close"), frozenset({S.RESOLVED}), "tickets.work", S.CLOSED),
        Action("reopen", _("Reopen"), frozenset({S.CLOSED}), "tickets.work", S.REOPENED),
        Action("auto_close", _("Close automatically"), frozenset({S.RESOLVED}), SYSTEM, S.CLOSED),
        # The customer acts through a message or the tracking page (rapport.tickets.messaging).
        Action(
            "customer_answered",
            _("The customer answered"),
            frozenset({S.WAITING}),
            SYSTEM,
            S.IN_PROGRESS,
        ),
        Action(
            "customer_reopened",
            _("Reopened by the customer"),
            frozenset({S.RESOLVED, S.CLOSED}),
            SYSTEM,
            S.REOPENED,
        ),
        Action(
            "customer_confirmed",
            _("Confirmed resolved by the customer"),
            frozenset({S.RESOLVED}),
            SYSTEM,
            S.CLOSED,
        ),
        # Work on the ticket that leaves its status alone.
        Action("edit", _("Edit details"), _NOT_CLOSED, "tickets.work"),
        Action("note", _("Internal note"), _NOT_CLOSED, "tickets.work"),
        Action("reply", _("Reply to the customer"), _NOT_CLOSED, "tickets.work"),
        Action("assign", _("Assign"), _NOT_CLOSED, "tickets.work"),
        # Closes the ticket into another one (rapport.tickets.services.merge), from any open state.
        Action("merge", _("Close as a duplicate"), _NOT_CLOSED, "tickets.work", S.CLOSED),
        Action("split", _("Split into a new ticket"), _NOT_CLOSED, "tickets.work"),
        Action("escalate", _("Hand to a supervisor"), _NOT_CLOSED, "tickets.work"),
        Action("prioritise", _("Change priority"), _NOT_CLOSED, "tickets.prioritise"),
        Action("flag_upset", _("Customer upset"), _NOT_CLOSED, "tickets.work"),
        Action("cannot_meet", _("Request cannot be met"), _NOT_CLOSED, "tickets.work"),
        Action("partner", _("Partner's responsibility"), _NOT_CLOSED, "tickets.work"),
        Action("attach", _("Attach a file"), _NOT_CLOSED, "tickets.work"),
        Action("investigate", _("Ask a department"), _WORKING, "tickets.work"),
        Action("answer_investigation", _("Answer an investigation"), _WORKING, "tickets.work"),
        Action("offer_remedy", _("Offer a remedy"), _REMEDYING, "tickets.work"),
        Action("choose_remedy", _("Customer's choice"), _REMEDYING, "tickets.work"),
        Action("decide_remedy", _("Approve or reject"), _REMEDYING, "tickets.approve"),
        Action(
            "improve",
            _("Raise an improvement action"),
            frozenset({S.IN_PROGRESS, S.WAITING, S.RESOLVED}),
            "tickets.work",
        ),
        Action(
            "archive", _("Archive as a case"), frozenset({S.RESOLVED, S.CLOSED}), "tickets.work"
        ),
    ]
}


def action_allowed(*, status: str, action: str, staff) -> bool:
    """True if `staff` (None for the system) may do `action` on a ticket in `status`."""
    spec = ACTIONS.get(action)
    if spec is None or status not in spec.sources:
        return False
    if spec.capability == SYSTEM:
        return staff is None
    return staff is not None and staff.can(spec.capability)


def allowed_actions(*, ticket: Ticket, staff) -> list[str]:
    """The actions `staff` may take on `ticket` right now, in table order."""
    return [
        name for name in ACTIONS if action_allowed(status=ticket.status, action=name, staff=staff)
    ]
