"""What each role may do. One table, read by views, API endpoints and selectors alike.

Capabilities are strings `area.verb`. A role not listed for a capability does not have it.
Team scoping (which records) is applied by the selectors on top of these.
"""

from rapport.staff.models import User

R = User.Role

_ALL = frozenset(R.values)
_SERVICE = frozenset({R.REPRESENTATIVE, R.SPECIALIST, R.SUPERVISOR, R.MANAGER, R.ADMIN})
_LEADS = frozenset({R.SUPERVISOR, R.MANAGER, R.ADMIN})

CAPABILITIES: dict[str, frozenset[str]] = {
    "customers.view": _ALL,
    "customers.create": _ALL,
    "customers.edit": _ALL,  # narrowed to the staff member's teams by customer_can_edit
    "customers.edit_any": frozenset({R.MANAGER, R.ADMIN}),
    "customers.merge": _LEADS,
    "customers.reveal": frozenset({R.SUPERVISOR, R.MANAGER, R.KEY_ACCOUNT_MANAGER, R.ADMIN}),
    "customers.export": frozenset({R.MANAGER, R.ADMIN}),
    "interactions.log": _ALL,
    "interactions.correct_any": _LEADS,
    "measures.view": _LEADS,
    "interactions.transfer": _ALL,
    "tasks.manage_any": _LEADS,
    "audit.view": frozenset({R.ADMIN}),
    "calendars.manage": frozenset({R.ADMIN}),
    "sla.compliance": _LEADS,
    "sla.manage": frozenset({R.ADMIN}),
    "admin.access": frozenset({R.ADMIN}),
    # tickets
    "tickets.view": _ALL,
    "tickets.create": _ALL,
    "tickets.work": _SERVICE,
    "tickets.see_all": _LEADS,
    "tickets.prioritise": _LEADS,
    "tickets.approve": _LEADS,
    "tickets.improvements": _LEADS,
    # Messaging: the team inbox of conversations, and the administrators' quarantine and
    # "simulate an inbound message" pages.
    "inbox.work": _SERVICE,
    "inbox.see_all": _LEADS,
    "messaging.admin": frozenset({R.ADMIN}),
    "outbox.marketing": _LEADS,
    # Satisfaction surveys: anyone sees the surveys about their own and their teams' work and may
    # send one about an event; leads run campaigns and read the analysis (supervisors for their
    # teams, managers and administrators for everyone).
    "surveys.view": _ALL,
    "surveys.send": _ALL,
    "surveys.campaign": _LEADS,
    "surveys.analyse": _LEADS,
    "surveys.analyse_all": frozenset({R.MANAGER, R.ADMIN}),
    # Knowledge base: everyone reads; people in service write drafts and send them for review;
    # supervisors and managers publish, return and archive.
    "knowledge.view": _ALL,
    "knowledge.write": _SERVICE,
    "knowledge.publish": _LEADS,
    # Customer care: representatives make the calls; leads design programs and segments and
    # confirm large runs.
    "care.work": _SERVICE,
    "care.manage": _LEADS,
    "care.confirm": _LEADS,
    # Appointments and work orders: people in service book, receive and write work orders;
    # leads set up the workshop (resources, service types, price list, rules).
    "appointments.book": _SERVICE,
    "appointments.manage": _LEADS,
    # Assistance: the phrasing coach and the phrase picker for everyone who writes to customers;
    # leads read how often each rule appears and how often it is fixed (their teams; managers all).
    "assist.coach": _SERVICE,
    "assist.review": _LEADS,
    "assist.review_all": frozenset({R.MANAGER, R.ADMIN}),
}


def role_can(role: str, capability: str) -> bool:
    try:
        return role in CAPABILITIES[capability]
    except KeyError as exc:
        raise KeyError(f"Unknown capability {capability!r}") from exc
