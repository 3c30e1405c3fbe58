"""Reads of interactions, tasks, transfers and agent status, scoped to what the staff member may see.

Customer files are company-wide (customers.selectors.customer_visible_qs), so are their contacts:
anyone who may see the customer may see its timeline. Objects by id come through the
`*_get_for_staff` functions, where "not allowed" looks exactly like "not found".
"""

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from rapport.core.errors import NotFound
from rapport.core.prepared import Prepared
from rapport.customers.models import Customer
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    Interaction,
    Purpose,
    Transfer,
)
from rapport.staff.models import User

TIMELINE_PAGE = 20
# Order of kinds at the same instant, newest first: the transfer after the interaction it
# hands off, the task after the transfer that created it.
KIND_RANK = {"interaction": 0, "transfer": 1, "task": 2}


def interaction_qs(*, staff: User) -> QuerySet[Interaction]:
    """Every interaction, for staff who may see customers and log contacts. Customer files are
    company-wide and a merge moves interactions to the survivor, so no per-row filter is needed
    (and counting a million rows stays a plain index count)."""
    if not (staff.can("interactions.log") and staff.can("customers.view")):
        return Interaction.objects.none()
    return Interaction.objects.all()


def interaction_get_for_staff(*, staff: User, interaction_id: int) -> Interaction:
    try:
        return (
            interaction_qs(staff=staff)
            .select_related(
                "customer", "contact", "asset", "staff", "first_responder", "handler", "purpose"
            )
            .get(pk=interaction_id)
        )
    except (Interaction.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such interaction.")) from exc


def interaction_list(
    *,
    staff: User,
    customer_id: int | None = None,
    channel: str = "",
    direction: str = "",
    staff_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Interaction]:
    """Interactions newest first, filtered; `until` is exclusive."""
    qs = interaction_qs(staff=staff)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if channel:
        qs = qs.filter(channel=channel)
    if direction:
        qs = qs.filter(direction=direction)
    if staff_id is not None:
        qs = qs.filter(staff_id=staff_id)
    if since is not None:
        qs = qs.filter(started_at__gte=since)
    if until is not None:
        qs = qs.filter(started_at__lt=until)
    return qs.select_related("customer", "staff", "purpose").order_by("-started_at", "-id")


def interaction_detail(*, interaction: Interaction) -> dict:
    """What the interaction page shows besides the row, in a fixed number of queries."""
    return {
        "revisions": list(interaction.revisions.select_related("changed_by").order_by("-number")),
        "tasks": list(
            interaction.tasks.select_related("assignee", "assignee_team", "completed_by")
        ),
        "transfers": list(
            interaction.transfers.select_related("from_staff", "to_staff").order_by("at", "id")
        ),
    }


def purpose_choices() -> list[Purpose]:
    return list(Purpose.objects.filter(is_active=True).order_by("sort_order", "id"))


def transfer_targets(*, exclude: User) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .exclude(pk=exclude.pk)
        .order_by("role", "display_name", "username")
    )


def transfer_list(
    *, staff: User, customer_id: int | None = None, interaction_id: int | None = None
) -> QuerySet[Transfer]:
    qs = Transfer.objects.filter(interaction__in=interaction_qs(staff=staff))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if interaction_id is not None:
        qs = qs.filter(interaction_id=interaction_id)
    return qs.select_related("from_staff", "to_staff").order_by("-at", "-id")


# -- Timeline -----------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    kind: str  # "interaction", "transfer" or "task"
    at: datetime
    obj: object

    @property
    def key(self) -> tuple:
        return (self.at, KIND_RANK[self.kind], self.obj.pk)


@dataclass
class TimelinePage:
    entries: list[TimelineEntry] = field(default_factory=list)
    next_cursor: str = ""


def encode_cursor(entry: TimelineEntry) -> str:
    raw = f"{entry.at.isoformat()}|{entry.kind}|{entry.obj.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int, int] | None:
    """(at, kind rank, id) of the last entry seen, or None for a missing or garbled cursor."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at_text, kind, pk = raw.split("|")
        at = parse_datetime(at_text)
        if at is None or kind not in KIND_RANK:
            return None
        # An id beyond any column's range compares as the largest (or smallest) there is.
        return at, KIND_RANK[kind], max(-(2**63), min(int(pk), 2**63 - 1))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _after_cursor(qs: QuerySet, time_field: str, mode: str | None, at, pk) -> QuerySet:
    """Rows strictly older than the cursor in (time desc, kind rank desc, id desc) order: `mode`
    says how a row at the cursor's own instant compares (cursor_mode)."""
    if mode is None:
        return qs
    if mode == "lte":
        return qs.filter(**{f"{time_field}__lte": at})
    if mode == "lt":
        return qs.filter(**{f"{time_field}__lt": at})
    return qs.filter(Q(**{f"{time_field}__lt": at}) | Q(**{time_field: at, "pk__lt": pk}))


def cursor_mode(rank: int, cursor) -> str | None:
    if cursor is None:
        return None
    cursor_rank = cursor[1]
    return "lte" if rank < cursor_rank else "lt" if rank > cursor_rank else "tie"


TIMELINE_SOURCES = {
    "interaction": (Interaction, "started_at", ("staff", "purpose", "contact", "asset"), ""),
    "transfer": (Transfer, "at", ("from_staff", "to_staff"), "interaction__"),
    "task": (
        FollowUpTask,
        "created_at",
        ("assignee", "assignee_team", "completed_by"),
        "interaction__",
    ),
}


def _timeline_rows(shape, customer_id, channel=None, direction=None, at=None, pk=None, since=None):
    kind, mode, has_since = shape[0], shape[1], shape[2]
    model, time_field, related, via = TIMELINE_SOURCES[kind]
    qs = model.objects.filter(customer_id=customer_id)
    if channel is not None:
        qs = qs.filter(**{f"{via}channel": channel})
    if direction is not None:
        qs = qs.filter(**{f"{via}direction": direction})
    qs = _after_cursor(qs.select_related(*related), time_field, mode, at, pk)
    if has_since:
        qs = qs.filter(**{f"{time_field}__gte": since})
    return qs.order_by(f"-{time_field}", "-pk")[: shape[3]]


_TIMELINE_ROWS = Prepared(lambda shape, **values: _timeline_rows(shape, **values))


def customer_timeline(
    *,
    customer: Customer,
    channel: str = "",
    direction: str = "",
    cursor: str = "",
    limit: int = TIMELINE_PAGE,
) -> TimelinePage:
    """One page of a customer's interactions, transfers and follow-up tasks, newest first.

    Keyset pagination: each kind is read with its own index up to `limit + 1` rows past the
    cursor and merged, so a page costs three queries however long the history is. Filtering by
    channel or direction keeps the transfers and tasks of the matching interactions only. The
    three statements are compiled once per process (rapport.core.prepared).
    """
    position = decode_cursor(cursor)
    entries: list[TimelineEntry] = []
    for kind, (_model, time_field, _related, _via) in TIMELINE_SOURCES.items():
        values: dict = {"customer_id": customer.pk}
        if channel:
            values["channel"] = channel
        if direction:
            values["direction"] = direction
        mode = cursor_mode(KIND_RANK[kind], position)
        if mode is not None:
            values["at"] = position[0]
            if mode == "tie":
                values["pk"] = position[2]
        since = len(entries) > limit
        if since:
            # A page and one more entry are in hand already: a row older than the page's last
            # can be neither on the page nor decide whether there is a next one, so it is not
            # read (on a long history the transfers and tasks were 40 of the 63 rows read).
            entries.sort(key=lambda e: e.key, reverse=True)
            values["since"] = entries[limit - 1].at
        rows = _TIMELINE_ROWS.list((kind, mode, since, limit + 1), **values)
        entries.extend(TimelineEntry(kind, getattr(row, time_field), row) for row in rows)
    entries.sort(key=lambda e: e.key, reverse=True)
    page = TimelinePage(entries=entries[:limit])
    if len(entries) > limit:
        page.next_cursor = encode_cursor(page.entries[-1])
    return page


# -- Tasks --------------------------------------------------------------------------------------


def task_qs(*, staff: User) -> QuerySet[FollowUpTask]:
    """The tasks a staff member may see and close: their own, their teams', the ones they
    created; leads see all."""
    if staff.can("tasks.manage_any"):
        return FollowUpTask.objects.all()
    if not staff.can("interactions.log"):
        return FollowUpTask.objects.none()
    return FollowUpTask.objects.filter(
        Q(assignee=staff) | Q(assignee_team__in=staff.teams.all()) | Q(created_by=staff)
    )


def task_get_for_staff(*, staff: User, task_id: int) -> FollowUpTask:
    try:
        return task_qs(staff=staff).select_related("customer").get(pk=task_id)
    except (FollowUpTask.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such task.")) from exc


def task_list_for_staff(*, staff: User, status: str = "open") -> QuerySet[FollowUpTask]:
    """'My tasks': assigned to the staff member or, unassigned to a person, to one of their
    teams. Open tasks come soonest due first, so the overdue ones lead; closed ones newest first."""
    qs = FollowUpTask.objects.filter(_mine(staff.pk))
    if status:
        qs = qs.filter(status=status)
    order = ("due_at", "id") if status == FollowUpTask.Status.OPEN else ("-completed_at", "-id")
    return qs.select_related("customer", "assignee", "assignee_team", "interaction").order_by(
        *order
    )


def task_list(
    *, staff: User, status: str = "", customer_id: int | None = None, assignee_id: int | None = None
) -> QuerySet[FollowUpTask]:
    qs = task_qs(staff=staff)
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if assignee_id is not None:
        qs = qs.filter(assignee_id=assignee_id)
    return qs.select_related("assignee", "assignee_team").order_by("due_at", "id")


# -- Agent status -------------------------------------------------------------------------------


_OPEN_STATUS = Prepared(
    lambda shape, staff_id: AgentStatusInterval.objects.filter(
        staff_id=staff_id, ended_at__isnull=True
    ).order_by("pk")[:1]
)


def agent_status_current(*, staff: User) -> AgentStatusInterval | None:
    """The staff member's open status interval (read on every page: compiled once)."""
    return _OPEN_STATUS.first(staff_id=staff.pk)


def agent_status_history(*, staff: User, limit: int = 50) -> list[AgentStatusInterval]:
    return list(
        AgentStatusInterval.objects.filter(staff=staff).order_by("-started_at", "-id")[:limit]
    )


# -- Home ---------------------------------------------------------------------------------------


def home_panel_for_staff(*, staff: User) -> dict:
    """What 'my work' shows from this module: the first open tasks and how many are overdue
    (task_list_for_staff's open tasks; each statement compiled once per process)."""
    return {
        "my_tasks": _MY_TASKS.list(staff_id=staff.pk),
        "my_tasks_open": _MY_TASKS_COUNT.count(staff_id=staff.pk),
        "my_tasks_overdue": _MY_TASKS_OVERDUE.count(staff_id=staff.pk, now=timezone.now()),
    }


def _mine(staff_id: int) -> Q:
    """Tasks assigned to the staff member or, unassigned to a person, to one of their teams."""
    teams = User.teams.through.objects.filter(user_id=staff_id).values("team_id")
    return Q(assignee_id=staff_id) | Q(assignee__isnull=True, assignee_team_id__in=teams)


def _my_open_tasks(staff_id: int) -> QuerySet[FollowUpTask]:
    return FollowUpTask.objects.filter(_mine(staff_id), status=FollowUpTask.Status.OPEN)


_MY_TASKS = Prepared(
    lambda shape, staff_id: (
        _my_open_tasks(staff_id)
        .select_related("customer", "assignee", "assignee_team", "interaction")
        .order_by("due_at", "id")[:8]
    )
)
_MY_TASKS_COUNT = Prepared(lambda shape, staff_id: _my_open_tasks(staff_id).order_by())
_MY_TASKS_OVERDUE = Prepared(
    lambda shape, staff_id, now: _my_open_tasks(staff_id).filter(due_at__lt=now).order_by()
)
