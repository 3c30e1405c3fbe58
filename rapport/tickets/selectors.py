"""Reads of tickets, scoped to what the staff member may see. Objects by id come through the
`*_get_for_staff` functions, where "not allowed" looks exactly like "not found".

Who sees which tickets: leads (tickets.see_all) all of them; others the tickets of their teams
or of no team, the ones they own or hold, the ones a team of theirs investigates, and, for a
key-account manager, those of the customers they manage.
"""

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.errors import NotFound
from rapport.core.prepared import Pageable, Prepared, key_value
from rapport.core.queries import Unindexed
from rapport.customers.models import Customer, Identity
from rapport.interactions.models import Interaction
from rapport.sla.models import ServiceClock
from rapport.sla.selectors import clocks_for_ticket
from rapport.staff.models import Team, User
from rapport.tickets.models import (
    TYPE_TREE_MEMO,
    CaseLesson,
    ImprovementAction,
    Remedy,
    SavedView,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketInvestigation,
    TicketType,
)
from rapport.tickets.transitions import allowed_actions

SORTS = {
    "priority": ("-priority", "-id"),
    # Time left: walk the clocks' due index and join the tickets (a ticket without a
    # resolution clock has no time left to sort by and is not listed under this sort).
    "due": (F("clocks__due_at").asc(nulls_last=True), "-id"),
    "newest": ("-id",),
    "oldest": ("id",),
    "updated": ("-updated_at", "-id"),
}
QUEUES = ("mine", "owned", "team", "investigating", "unassigned", "waiting", "all")


_TEAM_IDS = Prepared(
    lambda shape, staff_id: (
        User.teams.through.objects.filter(user_id=staff_id)
        .order_by("team_id")
        .values_list("team_id", flat=True)
    )
)


def _team_ids(staff: User) -> list[int]:
    if not hasattr(staff, "_ticket_team_ids"):
        staff._ticket_team_ids = _TEAM_IDS.list(staff_id=staff.pk)
    return staff._ticket_team_ids


def _visible_rule(*, staff_id, teams, key_account: bool) -> Q:
    q = (
        Q(team_id__in=teams)
        | Q(team__isnull=True)
        | Q(assignee_id=staff_id)
        | Q(first_responder_id=staff_id)
        | Exists(TicketInvestigation.objects.filter(ticket=OuterRef("pk"), team_id__in=teams))
    )
    if key_account:
        q |= Q(customer__account_manager_id=staff_id)
    return q


def _visible_q(staff: User) -> Q:
    return _visible_rule(
        staff_id=staff.pk,
        teams=_team_ids(staff),
        key_account=staff.role == User.Role.KEY_ACCOUNT_MANAGER,
    )


def _scope(staff: User) -> str:
    """Which visibility rule applies to `staff`: none, all, the rule, or the rule with the
    customers a key-account manager manages (the shape of a prepared query)."""
    if not staff.can("tickets.view"):
        return "none"
    if staff.can("tickets.see_all"):
        return "all"
    return "key_account" if staff.role == User.Role.KEY_ACCOUNT_MANAGER else "rule"


def _scoped(scope: str, staff_id, teams) -> QuerySet[Ticket]:
    if scope == "none":
        return Ticket.objects.none()
    if scope == "all":
        return Ticket.objects.all()
    rule = _visible_rule(staff_id=staff_id, teams=teams, key_account=scope == "key_account")
    return Ticket.objects.filter(rule)


def _scope_values(staff: User) -> dict:
    scope = _scope(staff)
    if scope in ("none", "all"):
        return {"scope": scope, "values": {}}
    return {"scope": scope, "values": {"staff_id": staff.pk, "teams": _team_ids(staff)}}


def ticket_visible_qs(*, staff: User) -> QuerySet[Ticket]:
    scope = _scope(staff)
    if scope in ("none", "all"):
        return _scoped(scope, None, None)
    return Ticket.objects.filter(_visible_q(staff))


DETAIL_RELATED = (
    "customer",
    "asset",
    "ticket_type",
    "ticket_type__parent",
    "first_responder",
    "assignee",
    "team",
    "repeat_of",
    "interaction",
)
_TICKET_FOR_STAFF = Prepared(
    lambda scope, ticket_id, staff_id=None, teams=None: (
        _scoped(scope, staff_id, teams).select_related(*DETAIL_RELATED).filter(pk=ticket_id)[:1]
    )
)


def ticket_get_for_staff(*, staff: User, ticket_id: int) -> Ticket:
    """The ticket with its related rows, if `staff` may see it; else NotFound (compiled once
    per process and visibility rule: this read opens every ticket page and action)."""
    ticket_id = key_value(ticket_id)
    if ticket_id is None:
        raise NotFound(_("No such ticket."))
    scoped = _scope_values(staff)
    ticket = _TICKET_FOR_STAFF.first(scoped["scope"], ticket_id=ticket_id, **scoped["values"])
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def ticket_queue(*, staff: User, **filters) -> QuerySet[Ticket]:
    """One queue: my tickets (assigned to me), owned by me (first responder), my team's, those a
    department of mine investigates, unassigned, waiting, or all I may see; open tickets unless a
    status is asked for (filters: _queue_shape). Each queue has a partial index on its filter and
    the default order (rapport.tickets.models)."""
    shape, values = _queue_shape(staff=staff, **filters)
    return _queue_build(shape, **values)


def ticket_queue_rows(*, staff: User, **filters):
    """The queue as rows a paginator pages through, each page and count a statement compiled
    once per process and shape (rapport.core.prepared); a search by subject text, whose
    pattern is not a plain value, is read through the ORM."""
    shape, values = _queue_shape(staff=staff, **filters)
    if "text" in values:
        return _queue_build(shape, **values)
    return _QUEUE_PAGES.rows(shape, **values)


def _queue_shape(
    *,
    staff: User,
    queue: str = "mine",
    status: str = "",
    kind: str = "",
    priority: int | None = None,
    impact: str = "",
    ticket_type: int | None = None,
    customer_id: int | None = None,
    assignee_id: int | None = None,
    q: str = "",
    overdue: bool = False,
    sort: str = "priority",
) -> tuple[tuple, dict]:
    """What decides the queue's statement (its shape) and the values that go into it."""
    teams = _team_ids(staff)
    values: dict = {"staff_id": staff.pk, "teams": teams}
    for name, value in (
        ("status", status),
        ("kind", kind),
        ("priority", priority),
        ("impact", impact),
        ("ticket_type", ticket_type),
        ("customer_id", customer_id),
        ("assignee_id", assignee_id),
    ):
        if value:
            values[name] = value
    term = (q or "").strip()
    if term:
        number = term.upper().lstrip("T").lstrip("0")
        if number.isdigit():
            # A number beyond any id finds nothing, as it did through the ORM.
            found = key_value(number)
            values["number"] = found if found is not None and found > 0 else -1
        else:
            values["text"] = term[:100]
    if overdue:
        values["now"] = timezone.now()
    sort = sort if sort in SORTS else "priority"
    shape = (queue, _scope(staff), len(teams) > 1, sort, staff.can("tickets.view"))
    return shape, values


def _queue_build(
    shape: tuple,
    *,
    staff_id,
    teams,
    status=None,
    kind=None,
    priority=None,
    impact=None,
    ticket_type=None,
    customer_id=None,
    assignee_id=None,
    number=None,
    text=None,
    now=None,
) -> QuerySet[Ticket]:
    queue, scope, several_teams, sort, can_view = shape
    if queue == "mine":
        qs = Ticket.objects.filter(assignee_id=staff_id)
    elif queue == "owned":
        qs = Ticket.objects.filter(first_responder_id=staff_id)
    elif queue == "team" and (several_teams or sort == "due"):
        # Several teams: walk the open-tickets index in queue order and keep my teams' rows
        # (`team_id + 0` keeps SQLite from sorting every row of the teams instead); by time
        # left, walk the clocks' due index (below) and keep them likewise.
        qs = Ticket.objects.alias(team_unindexed=F("team_id") + 0).filter(team_unindexed__in=teams)
    elif queue == "team":
        qs = Ticket.objects.filter(team_id__in=teams)
    elif queue == "investigating":  # a department of mine was asked to investigate
        qs = Ticket.objects.filter(
            Exists(
                TicketInvestigation.objects.filter(
                    ticket=OuterRef("pk"), team_id__in=teams, status=TicketInvestigation.Status.OPEN
                )
            )
        )
    elif queue == "unassigned":
        qs = _scoped(scope, staff_id, teams).filter(assignee__isnull=True)
    elif queue == "waiting":
        qs = _scoped(scope, staff_id, teams).filter(status=Ticket.Status.WAITING)
    else:
        qs = _scoped(scope, staff_id, teams)
    if not can_view:
        qs = qs.none()
    if status:
        qs = qs.filter(status=status)
    elif queue != "waiting" and sort == "due":
        # Time left walks the clocks' due index and stops after a page; with planner statistics
        # SQLite would rather read the team's open tickets from their partial index and sort
        # them all (87 ms at S, 629 ms at M), so "open" is checked row by row here.
        qs = qs.filter(Exact(Unindexed("is_open"), True))
    elif queue != "waiting":
        qs = qs.filter(is_open=True)
    if kind:
        qs = qs.filter(kind=kind)
    if priority:
        qs = qs.filter(priority=priority)
    if impact:
        qs = qs.filter(impact=impact)
    if ticket_type:
        qs = qs.filter(Q(ticket_type_id=ticket_type) | Q(ticket_type__parent_id=ticket_type))
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if assignee_id:
        qs = qs.filter(assignee_id=assignee_id)
    if number is not None:
        qs = qs.filter(pk=number)
    elif text:
        qs = qs.filter(subject__icontains=text)
    if now is not None:
        qs = qs.filter(Exists(_overdue_clocks(now)))
    if sort == "due":
        qs = qs.filter(clocks__kind=ServiceClock.Kind.RESOLUTION)
    return with_clock(qs.select_related("customer", "assignee", "ticket_type")).order_by(
        *SORTS[sort]
    )


_QUEUE_PAGES = Pageable(lambda shape, **values: _queue_build(shape, **values))


def with_clock(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket's resolution clock: due instant, warned and breached instants, state — one
    indexed subquery each, so queues can sort by time left and colour the rows."""
    clock = ServiceClock.objects.filter(ticket=OuterRef("pk"), kind=ServiceClock.Kind.RESOLUTION)
    return qs.annotate(
        resolution_due=Subquery(clock.values("due_at")[:1]),
        resolution_warned=Subquery(clock.values("warned_at")[:1]),
        resolution_breached=Subquery(clock.values("breached_at")[:1]),
        resolution_state=Subquery(clock.values("state")[:1]),
    )


COUNT_CAP = 1000  # tabs say "1000+" beyond: a count that reads 100k rows helps nobody


def queue_counts(*, staff: User) -> dict[str, int]:
    """How many open tickets each personal queue holds (three bounded index counts)."""
    return {
        "mine": _OPEN_COUNT.count("assignee_id", value=staff.pk),
        "owned": _OPEN_COUNT.count("first_responder_id", value=staff.pk),
        "team": _OPEN_COUNT.count("team_id__in", value=_team_ids(staff)),
        "cap": COUNT_CAP,
    }


# Up to COUNT_CAP open tickets by one column (capped_count's statement, compiled once).
_OPEN_COUNT = Prepared(
    lambda column, value: (
        Ticket.objects.filter(is_open=True, **{column: value}).order_by().values("pk")[:COUNT_CAP]
    )
)


# A long timeline shows its first events (the intake, the customer's words) and its latest; the
# ones between are fetched when asked for (ticket_timeline_between), so the page's cost does not
# grow with the ticket's history.
TIMELINE_HEAD, TIMELINE_TAIL = 3, 20
_EVENTS = Prepared(
    lambda limit, ticket_id: (
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .select_related("actor")
        .order_by("at", "id")[:limit]
    )
)
_EVENT_IDS = Prepared(
    lambda shape, ticket_id: (
        TicketEvent.objects.filter(ticket_id=ticket_id)
        .order_by("at", "id")
        .values_list("pk", flat=True)
    )
)
_EVENTS_BY_ID = Prepared(
    lambda shape, ids: (
        TicketEvent.objects.filter(pk__in=ids).select_related("actor").order_by("at", "id")
    )
)


def ticket_timeline(*, ticket: Ticket, everything: bool = False) -> tuple[list, dict | None]:
    """The events the page shows, oldest first, and what it leaves out: None, or the number of
    events between the first TIMELINE_HEAD and the last TIMELINE_TAIL with the ids they lie
    between. One query for a short timeline, three for a long one, whatever its length."""
    if everything:
        return _know_ticket(_EVENTS.list(None, ticket_id=ticket.pk), ticket), None
    shown = TIMELINE_HEAD + TIMELINE_TAIL
    events = _EVENTS.list(shown + 2, ticket_id=ticket.pk)
    if len(events) <= shown + 1:  # hiding a single event saves nothing
        return _know_ticket(events, ticket), None
    ids = _EVENT_IDS.list(ticket_id=ticket.pk)
    tail = _EVENTS_BY_ID.list(ids=ids[-TIMELINE_TAIL:])
    hidden = {
        "count": len(ids) - shown,
        "after": ids[TIMELINE_HEAD - 1],
        "before": ids[-TIMELINE_TAIL],
    }
    return _know_ticket(events[:TIMELINE_HEAD] + tail, ticket), hidden


def ticket_timeline_between(*, ticket: Ticket, after: int, before: int) -> list[TicketEvent]:
    """The events strictly between two of the ticket's events, oldest first; NotFound when
    either is not the ticket's (the page is older than a merge or split: reload it)."""
    ids = _EVENT_IDS.list(ticket_id=ticket.pk)
    try:
        start, end = ids.index(after) + 1, ids.index(before)
    except ValueError as exc:
        raise NotFound(_("The timeline has changed; reload the page.")) from exc
    events = (
        TicketEvent.objects.filter(pk__in=ids[start:end])
        .select_related("actor")
        .order_by("at", "id")
    )
    return _know_ticket(list(events), ticket)


def _know_ticket(events: list, ticket: Ticket) -> list:
    for event in events:
        TicketEvent.ticket.field.set_cached_value(event, ticket)
    return events


_PRIMARY_IDENTITIES = Prepared(
    lambda shape, customer_id: Identity.objects.filter(
        customer_id=customer_id, is_primary=True
    ).order_by("kind")
)
_RECENT_INTERACTIONS = Prepared(
    lambda shape, customer_id: (
        Interaction.objects.filter(customer_id=customer_id)
        .select_related("purpose", "staff")
        .order_by("-started_at", "-id")[:3]
    )
)
_OTHER_TICKETS = Prepared(
    lambda scope, customer_id, ticket_id, staff_id=None, teams=None: (
        _scoped(scope, staff_id, teams)
        .filter(customer_id=customer_id)
        .exclude(pk=ticket_id)
        .only("id", "subject", "status", "created_at", "priority")
        .order_by("-created_at")[:5]
    )
)
_LESSON = Prepared(lambda shape, ticket_id: CaseLesson.objects.filter(ticket_id=ticket_id)[:1])


def ticket_detail(*, ticket: Ticket, staff: User, all_events: bool = False) -> dict:
    """What the detail page shows besides the row, in a fixed number of queries: the parts most
    tickets have none of (remedies, investigations, improvements, attachments, the archived
    lesson) are asked for in one query and read only when there are some. The reads made for
    every ticket are compiled once per process (rapport.core.prepared)."""
    customer_id = ticket.customer_id
    present = _parts_present(ticket)
    remedies = (
        list(ticket.remedies.select_related("decided_by", "offered_by"))
        if present["remedies"]
        else []
    )
    lesson = _LESSON.first(ticket_id=ticket.pk) if present["lesson"] else None
    if lesson is not None:
        CaseLesson.ticket.field.set_cached_value(lesson, ticket)
    events, events_hidden = ticket_timeline(ticket=ticket, everything=all_events)
    scoped = _scope_values(staff)
    return {
        "clocks": clocks_for_ticket(ticket_id=ticket.pk),
        "events": events,
        "events_hidden": events_hidden,
        "remedies": remedies,
        "chosen_remedy": next((r for r in remedies if r.is_chosen), None),
        "investigations": (
            list(ticket.investigations.select_related("team", "requested_by", "answered_by"))
            if present["investigations"]
            else []
        ),
        "improvements": (
            list(ticket.improvements.select_related("owner")) if present["improvements"] else []
        ),
        "attachments": list(ticket.attachments.all()) if present["attachments"] else [],
        "lesson": lesson,
        "identities": _PRIMARY_IDENTITIES.list(customer_id=customer_id),
        "recent_interactions": _RECENT_INTERACTIONS.list(customer_id=customer_id),
        # Only the customer's tickets this staff member may open: a subject is content too.
        "other_tickets": _OTHER_TICKETS.list(
            scoped["scope"], customer_id=customer_id, ticket_id=ticket.pk, **scoped["values"]
        ),
        "actions": [
            a
            for a in allowed_actions(ticket=ticket, staff=staff)
            if not (a == "archive" and lesson is not None)
        ],
    }


_PARTS_PRESENT = Prepared(
    lambda shape, ticket_id: Ticket.objects.filter(pk=ticket_id).values(
        **{
            f"has_{name}": Exists(model.objects.filter(ticket=OuterRef("pk")))
            for name, model in (
                ("remedies", Remedy),
                ("investigations", TicketInvestigation),
                ("improvements", ImprovementAction),
                ("attachments", TicketAttachment),
                ("lesson", CaseLesson),
            )
        }
    )
)


def _parts_present(ticket: Ticket) -> dict[str, bool]:
    """Which of the ticket's optional parts have rows, in one query."""
    # Named has_…: an annotation may not take the name of a reverse relation.
    row = _PARTS_PRESENT.first(ticket_id=ticket.pk)
    return {name.removeprefix("has_"): bool(value) for name, value in row.items()}


def ticket_get_by_token(*, token: str) -> Ticket:
    """The ticket behind a tracking link, or NotFound."""
    if not token or len(token) > 40:
        raise NotFound(_("No such ticket."))
    try:
        return Ticket.objects.select_related("customer").get(public_token=token)
    except Ticket.DoesNotExist as exc:
        raise NotFound(_("No such ticket.")) from exc


def public_events(*, ticket: Ticket) -> list[TicketEvent]:
    """What the customer sees: receipt, status changes, replies and their own messages; never
    internal notes."""
    kinds = ["created", "transition", "reply", "customer_message"]
    return list(ticket.events.filter(is_public=True, kind__in=kinds).order_by("at", "id"))


def customer_ticket_panel(*, staff: User, customer: Customer) -> dict:
    """The 360 page's ticket panel: the customer's open tickets (and the last closed ones)."""
    visible = ticket_visible_qs(staff=staff).filter(customer=customer)
    rows = list(
        with_clock(visible.select_related("assignee", "ticket_type")).order_by(
            "-is_open", "-created_at"
        )[:6]
    )
    return {
        "customer_tickets": rows,
        "customer_tickets_open": sum(1 for t in rows if t.is_open),
    }


def ticket_type_choices() -> list[TicketType]:
    """Active types, each root followed by its children, for selects (kept per process for
    TYPE_TREE_MEMO.ttl seconds; the rows are shared, read them only)."""
    return TYPE_TREE_MEMO.get("active", _ticket_type_tree)


def _ticket_type_tree() -> list[TicketType]:
    types = list(TicketType.objects.filter(is_active=True).order_by("sort_order", "id"))
    roots = [t for t in types if t.parent_id is None]
    ordered = []
    for root in roots:
        ordered.append(root)
        ordered.extend(t for t in types if t.parent_id == root.pk)
    return ordered


def work_staff() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .exclude(role=User.Role.KEY_ACCOUNT_MANAGER)
        .order_by("role", "display_name", "username")
    )


def investigation_teams() -> QuerySet[Team]:
    return Team.objects.filter(is_active=True).order_by("name")


def remedy_get_for_staff(*, staff: User, remedy_id: int) -> Remedy:
    try:
        return Remedy.objects.select_related("ticket").get(
            pk=remedy_id, ticket__in=ticket_visible_qs(staff=staff)
        )
    except (Remedy.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such remedy.")) from exc


def investigation_get_for_staff(*, staff: User, investigation_id: int) -> TicketInvestigation:
    try:
        return TicketInvestigation.objects.select_related("ticket", "team").get(
            pk=investigation_id, ticket__in=ticket_visible_qs(staff=staff)
        )
    except (TicketInvestigation.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such investigation.")) from exc


def attachment_get_for_staff(*, staff: User, attachment_id: int) -> TicketAttachment:
    try:
        return TicketAttachment.objects.get(
            pk=attachment_id, ticket__in=ticket_visible_qs(staff=staff)
        )
    except (TicketAttachment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such attachment.")) from exc


def improvement_qs(*, staff: User) -> QuerySet[ImprovementAction]:
    """Managers see every improvement action; others the ones they own."""
    if staff.can("tickets.improvements"):
        return ImprovementAction.objects.all()
    if not staff.can("tickets.view"):
        return ImprovementAction.objects.none()
    return ImprovementAction.objects.filter(owner=staff)


def improvement_list(*, staff: User, status: str = "open") -> QuerySet[ImprovementAction]:
    qs = improvement_qs(staff=staff)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("owner", "ticket").order_by("due_on", "id")


def improvement_get_for_staff(*, staff: User, improvement_id: int) -> ImprovementAction:
    try:
        return improvement_qs(staff=staff).select_related("ticket").get(pk=improvement_id)
    except (ImprovementAction.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such improvement action.")) from exc


def remedies_to_decide_qs(*, staff: User) -> QuerySet[Remedy]:
    """The remedies whose approval is this lead's to give: of their teams' tickets (a
    supervisor) or of any ticket (managers and administrators), whatever their state."""
    scope = _approval_scope(staff)
    if scope == "none":
        return Remedy.objects.none()
    if scope == "teams":
        return _of_teams(Remedy.objects.all(), _team_ids(staff))
    return Remedy.objects.all()


def _approval_scope(staff: User) -> str:
    """Whose remedies this lead decides: "none", their "teams"' or "all"."""
    if not staff.can("tickets.approve"):
        return "none"
    if staff.role == User.Role.SUPERVISOR and not staff.is_superuser:
        return "teams"
    return "all"


def _of_teams(remedies: QuerySet[Remedy], team_ids) -> QuerySet[Remedy]:
    # `team_id + 0`: SQLite would otherwise walk every open ticket of the teams (the team index
    # looks selective without statistics) instead of the few pending remedies.
    return remedies.alias(ticket_team_unindexed=F("ticket__team_id") + 0).filter(
        ticket_team_unindexed__in=list(team_ids)
    )


def _pending(remedies: QuerySet[Remedy]) -> QuerySet[Remedy]:
    """Those waiting for approval, chosen by the customer, on an open ticket. The conditions
    spelt as literals: SQLite uses the partial index of pending remedies only when the query
    states its condition as written, not as a parameter (with parameters it walked every open
    ticket: 160–225 ms at M, for no pending remedy)."""
    true = "1" if connection.vendor == "sqlite" else "true"
    return remedies.filter(ticket__is_open=True).extra(
        where=[
            f'"tickets_remedy"."approval" = \'{Remedy.Approval.PENDING.value}\'',
            f'"tickets_remedy"."is_chosen" = {true}',
        ]
    )


def pending_approvals(*, staff: User, team_ids: list[int] | None = None) -> QuerySet[Remedy]:
    """The remedies this lead may decide now, newest first: waiting for approval, chosen by the
    customer (an option the customer did not take needs no decision), on an open ticket, and of
    the lead's teams (a supervisor) or of any team (managers and administrators). `team_ids`
    narrows it to some teams (the dashboard's team filter)."""
    qs = _pending(remedies_to_decide_qs(staff=staff))
    if team_ids is not None:
        qs = _of_teams(qs, team_ids)
    return qs.select_related("ticket", "ticket__customer", "ticket__team", "offered_by").order_by(
        "-created_at", "-id"
    )


def approval_get_for_staff(*, staff: User, remedy_id) -> Remedy:
    """A remedy this lead may decide, or NotFound (also when it is no longer decidable)."""
    try:
        return pending_approvals(staff=staff).get(pk=remedy_id)
    except (Remedy.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such remedy waiting for your decision.")) from exc


def _overdue_clocks(now) -> QuerySet[ServiceClock]:
    """A ticket's clocks still counting that are breached or running past their due instant
    (the home page's overdue count and the queue's "overdue only" filter read the same)."""
    return ServiceClock.objects.filter(
        ticket=OuterRef("pk"), state__in=[ServiceClock.State.RUNNING, ServiceClock.State.PAUSED]
    ).filter(Q(breached_at__isnull=False) | Q(state=ServiceClock.State.RUNNING, due_at__lte=now))


def home_panel_for_staff(*, staff: User) -> dict:
    """What 'my work' could show from this module: my open tickets, most urgent first, and
    the remedies waiting for my approval. Each statement compiled once per process (the page
    every representative opens first; building them was two thirds of its cost)."""
    now = timezone.now()
    return {
        "my_tickets": ticket_queue_rows(staff=staff, queue="mine")[:6],
        "my_tickets_open": _MY_OPEN.count(staff_id=staff.pk),
        # Open tickets of mine with a clock past its due instant: the count the home page links
        # to the queue's "overdue only" filter (ticket_queue(overdue=True)) with.
        "my_tickets_overdue": _MY_OVERDUE.count(staff_id=staff.pk, now=now),
        "now": now,
        "approvals_waiting": _approvals_waiting(staff),
    }


_MY_OPEN = Prepared(
    lambda shape, staff_id: Ticket.objects.filter(assignee_id=staff_id, is_open=True).order_by()
)
_MY_OVERDUE = Prepared(
    lambda shape, staff_id, now: (
        Ticket.objects.filter(assignee_id=staff_id, is_open=True)
        .filter(Exists(_overdue_clocks(now)))
        .order_by()
    )
)


def _approvals_waiting(staff: User) -> int:
    """pending_approvals(staff=staff).count(), its statement compiled once per scope."""
    scope = _approval_scope(staff)
    if scope == "none":
        return 0
    team_ids = _team_ids(staff) if scope == "teams" else []
    return _APPROVALS_WAITING.count(scope, team_ids=team_ids)


def _approvals_waiting_build(scope: str, team_ids: list[int]) -> QuerySet[Remedy]:
    qs = _pending(Remedy.objects.all())
    return (_of_teams(qs, team_ids) if scope == "teams" else qs).order_by()


_APPROVALS_WAITING = Prepared(_approvals_waiting_build)


def saved_views_for(*, staff: User) -> list[SavedView]:
    """The views `staff` kept and those shared with their teams, by name."""
    return list(
        SavedView.objects.filter(Q(owner=staff) | Q(team_id__in=_team_ids(staff)))
        .select_related("team")
        .order_by("name", "id")
    )


def saved_view_get_for_staff(*, staff: User, view_id) -> SavedView:
    try:
        return SavedView.objects.get(
            Q(owner=staff) | Q(team_id__in=_team_ids(staff)), pk=int(view_id)
        )
    except (SavedView.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such saved view.")) from exc
