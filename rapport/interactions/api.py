"""Interactions, follow-up tasks, transfers, agent status, the timeline and the measures over HTTP.

The same services and selectors as the HTML views. Mounted by rapport.api.api:
`/interactions`, `/tasks`, `/agent-status` and `/measures`.
"""

from datetime import datetime, time, timedelta
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status

from rapport.core.api import (
    BulkIdsIn,
    BulkOut,
    ErrorOut,
    PageParams,
    QueryIn,
    page_schema,
    paginate,
)
from rapport.core.bounds import BoundedDatetime
from rapport.core.errors import Forbidden, NotFound
from rapport.customers.models import Asset, Contact, Customer
from rapport.customers.selectors import customer_get_for_staff
from rapport.interactions import measures as m
from rapport.interactions import selectors, services
from rapport.interactions.bulk import tasks_bulk
from rapport.interactions.idempotency import idempotent_call
from rapport.interactions.models import Purpose
from rapport.interactions.schemas import (
    AgentStatusIn,
    AgentStatusOut,
    ChannelCountOut,
    ChannelT,
    DirectionT,
    InteractionIn,
    InteractionOut,
    InteractionPatch,
    MeasuresOut,
    MeasuresQuery,
    PurposeOut,
    RevisionOut,
    TaskIn,
    TaskOut,
    TaskStatusT,
    TimelineItemOut,
    TimelineOut,
    TransferIn,
    TransferOut,
)
from rapport.staff.models import Team, User

router = Router()
tasks_router = Router()
status_router = Router()
measures_router = Router()
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _require(user: User, capability: str) -> None:
    if not user.can(capability):
        raise Forbidden(_("Not allowed."))


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _customer(user: User, customer_id: int) -> Customer:
    try:
        return customer_get_for_staff(staff=user, customer_id=customer_id)
    except NotFound as exc:
        raise _field_error("customer_id", _("No such customer.")) from exc


def _purpose(code: str) -> Purpose:
    purpose = Purpose.objects.filter(code=code, is_active=True).first()
    if purpose is None:
        raise _field_error("purpose", _("Unknown purpose."))
    return purpose


def _optional(model, pk: int | None, field: str, **filters):
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk, **filters).first()
    if obj is None:
        raise _field_error(field, _("Not found."))
    return obj


def _staff(pk: int | None, field: str) -> User | None:
    return _optional(User, pk, field)


# -- Interactions -------------------------------------------------------------------------------


class InteractionFilters(QueryIn):
    customer_id: int | None = None
    channel: ChannelT | None = None
    direction: DirectionT | None = None
    staff_id: int | None = None
    since: BoundedDatetime | None = None
    until: BoundedDatetime | None = None


@router.get("/purposes", response={200: list[PurposeOut], **ERRORS}, summary="List purposes")
def list_purposes(request: HttpRequest):
    return [PurposeOut.model_validate(p, from_attributes=True) for p in selectors.purpose_choices()]


@router.post(
    "",
    response={201: InteractionOut, **ERRORS},
    summary="Record an interaction",
    description="Send an `Idempotency-Key` header to make retries safe: the same key returns "
    "the first result and records nothing new; the same key with another body is refused "
    "with `idempotency_key_reused`.",
)
def create_interaction(
    request: HttpRequest,
    payload: InteractionIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=200
    ),
):
    def action():
        return 201, _create_interaction(request.user, payload).model_dump(mode="json")

    status, body, _replayed = idempotent_call(
        user=request.user,
        endpoint="interactions.create",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        action=action,
    )
    return Status(status, body)


def _create_interaction(user: User, payload: InteractionIn) -> InteractionOut:
    _require(user, "interactions.log")
    customer = _customer(user, payload.customer_id)
    follow_up = None
    if payload.follow_up is not None:
        team = _optional(Team, payload.follow_up.assignee_team_id, "follow_up.assignee_team_id")
        assignee = _staff(payload.follow_up.assignee_id, "follow_up.assignee_id")
        follow_up = services.FollowUpInput(
            title=payload.follow_up.title,
            due_at=payload.follow_up.due_at,
            assignee=assignee or (None if team else user),
            assignee_team=team,
        )
    interaction = services.interaction_log(
        by=user,
        customer=customer,
        channel=payload.channel,
        direction=payload.direction,
        purpose=_purpose(payload.purpose),
        summary=payload.summary,
        outcome=payload.outcome,
        started_at=payload.started_at,
        duration_seconds=payload.duration_seconds,
        contact=_optional(Contact, payload.contact_id, "contact_id"),
        asset=_optional(Asset, payload.asset_id, "asset_id"),
        follow_up=follow_up,
    )
    return InteractionOut.from_interaction(interaction)


@router.get("", response={200: page_schema(InteractionOut), **ERRORS}, summary="List interactions")
def list_interactions(
    request: HttpRequest, filters: Query[InteractionFilters], page: Query[PageParams]
):
    qs = selectors.interaction_list(
        staff=request.user,
        customer_id=filters.customer_id,
        channel=filters.channel or "",
        direction=filters.direction or "",
        staff_id=filters.staff_id,
        since=filters.since,
        until=filters.until,
    )
    return paginate(qs, page, InteractionOut.from_interaction)


@router.get("/{int:interaction_id}", response={200: InteractionOut, **ERRORS}, summary="Read one")
def read_interaction(request: HttpRequest, interaction_id: int):
    interaction = selectors.interaction_get_for_staff(
        staff=request.user, interaction_id=interaction_id
    )
    return InteractionOut.from_interaction(interaction)


@router.patch(
    "/{int:interaction_id}",
    response={200: InteractionOut, **ERRORS},
    summary="Correct an interaction (the old values are kept as a revision)",
)
def correct_interaction(request: HttpRequest, interaction_id: int, payload: InteractionPatch):
    interaction = selectors.interaction_get_for_staff(
        staff=request.user, interaction_id=interaction_id
    )
    if not services.interaction_can_correct(staff=request.user, interaction=interaction):
        raise NotFound(_("No such interaction."))
    fields = payload.model_dump(exclude_unset=True, exclude={"reason"})
    fields = {k: v for k, v in fields.items() if v is not None}
    if "purpose" in fields:
        fields["purpose"] = _purpose(fields["purpose"])
    interaction = services.interaction_correct(
        interaction=interaction, by=request.user, reason=payload.reason, **fields
    )
    return InteractionOut.from_interaction(interaction)


@router.get(
    "/{int:interaction_id}/revisions",
    response={200: list[RevisionOut], **ERRORS},
    summary="Correction history",
)
def list_revisions(request: HttpRequest, interaction_id: int):
    interaction = selectors.interaction_get_for_staff(
        staff=request.user, interaction_id=interaction_id
    )
    return [RevisionOut.from_revision(r) for r in interaction.revisions.order_by("-number")]


@router.get(
    "/transfers",
    response={200: page_schema(TransferOut), **ERRORS},
    summary="List transfers, newest first",
)
def list_all_transfers(
    request: HttpRequest, page: Query[PageParams], customer_id: int | None = None
):
    rows = selectors.transfer_list(staff=request.user, customer_id=customer_id)
    return paginate(rows, page, TransferOut.from_transfer)


@router.get(
    "/{int:interaction_id}/transfers",
    response={200: list[TransferOut], **ERRORS},
    summary="Transfers of an interaction",
)
def list_transfers(request: HttpRequest, interaction_id: int):
    selectors.interaction_get_for_staff(staff=request.user, interaction_id=interaction_id)
    rows = selectors.transfer_list(staff=request.user, interaction_id=interaction_id)
    return [TransferOut.from_transfer(t) for t in rows]


@router.post(
    "/{int:interaction_id}/transfers",
    response={201: TransferOut, **ERRORS},
    summary="Transfer a contact; the first responder gets a check-back task",
)
def create_transfer(request: HttpRequest, interaction_id: int, payload: TransferIn):
    interaction = selectors.interaction_get_for_staff(
        staff=request.user, interaction_id=interaction_id
    )
    if not services.interaction_can_transfer(staff=request.user, interaction=interaction):
        raise NotFound(_("No such interaction."))
    to_staff = _staff(payload.to_staff_id, "to_staff_id")
    transfer = services.transfer_create(
        interaction=interaction,
        by=request.user,
        to_staff=to_staff,
        kind=payload.kind,
        reason=payload.reason,
    )
    return Status(201, TransferOut.from_transfer(transfer))


@router.get(
    "/customers/{int:customer_id}/timeline",
    response={200: TimelineOut, **ERRORS},
    summary="A customer's timeline: interactions, transfers and tasks, newest first",
)
def customer_timeline(
    request: HttpRequest,
    customer_id: int,
    channel: ChannelT | None = None,
    direction: DirectionT | None = None,
    cursor: str = "",
    limit: int = Query(20, ge=1, le=100),
):
    _require(request.user, "interactions.log")
    customer = customer_get_for_staff(staff=request.user, customer_id=customer_id)
    page = selectors.customer_timeline(
        customer=customer,
        channel=channel or "",
        direction=direction or "",
        cursor=cursor,
        limit=limit,
    )
    results = []
    for entry in page.entries:
        item = TimelineItemOut(kind=entry.kind, at=entry.at)
        if entry.kind == "interaction":
            item.interaction = InteractionOut.from_interaction(entry.obj)
        elif entry.kind == "transfer":
            item.transfer = TransferOut.from_transfer(entry.obj)
        else:
            item.task = TaskOut.from_task(entry.obj)
        results.append(item)
    return {"results": results, "next_cursor": page.next_cursor}


# -- Follow-up tasks ----------------------------------------------------------------------------


@tasks_router.get("", response={200: page_schema(TaskOut), **ERRORS}, summary="List tasks")
def list_tasks(
    request: HttpRequest,
    page: Query[PageParams],
    status: TaskStatusT | None = None,
    customer_id: int | None = None,
    assignee_id: int | None = None,
):
    qs = selectors.task_list(
        staff=request.user,
        status=status or "",
        customer_id=customer_id,
        assignee_id=assignee_id,
    )
    return paginate(qs, page, TaskOut.from_task)


@tasks_router.get(
    "/mine",
    response={200: page_schema(TaskOut), **ERRORS},
    summary="My tasks, soonest due (overdue) first",
)
def my_tasks(request: HttpRequest, page: Query[PageParams], status: TaskStatusT = "open"):
    return paginate(
        selectors.task_list_for_staff(staff=request.user, status=status), page, TaskOut.from_task
    )


@tasks_router.post("", response={201: TaskOut, **ERRORS}, summary="Create a follow-up task")
def create_task(request: HttpRequest, payload: TaskIn):
    customer = _customer(request.user, payload.customer_id)
    interaction = None
    if payload.interaction_id is not None:
        try:
            interaction = selectors.interaction_get_for_staff(
                staff=request.user, interaction_id=payload.interaction_id
            )
        except NotFound as exc:
            raise _field_error("interaction_id", _("No such interaction.")) from exc
    team = _optional(Team, payload.assignee_team_id, "assignee_team_id")
    assignee = _staff(payload.assignee_id, "assignee_id")
    task = services.follow_up_task_create(
        by=request.user,
        customer=customer,
        interaction=interaction,
        title=payload.title,
        due_at=payload.due_at,
        assignee=assignee or (None if team else request.user),
        assignee_team=team,
    )
    return Status(201, TaskOut.from_task(task))


@tasks_router.get("/{int:task_id}", response={200: TaskOut, **ERRORS}, summary="Read a task")
def read_task(request: HttpRequest, task_id: int):
    return TaskOut.from_task(selectors.task_get_for_staff(staff=request.user, task_id=task_id))


@tasks_router.post(
    "/{int:task_id}/complete", response={200: TaskOut, **ERRORS}, summary="Mark a task done"
)
def complete_task(request: HttpRequest, task_id: int):
    task = selectors.task_get_for_staff(staff=request.user, task_id=task_id)
    return TaskOut.from_task(services.follow_up_task_complete(task=task, by=request.user))


@tasks_router.post(
    "/{int:task_id}/cancel", response={200: TaskOut, **ERRORS}, summary="Cancel a task"
)
def cancel_task(request: HttpRequest, task_id: int):
    task = selectors.task_get_for_staff(staff=request.user, task_id=task_id)
    return TaskOut.from_task(services.follow_up_task_cancel(task=task, by=request.user))


# -- Agent status -------------------------------------------------------------------------------


@status_router.get("", response={200: AgentStatusOut | None, **ERRORS}, summary="My current status")
def current_status(request: HttpRequest):
    current = selectors.agent_status_current(staff=request.user)
    return AgentStatusOut.from_interval(current) if current else None


@status_router.put("", response={200: AgentStatusOut, **ERRORS}, summary="Set my status")
def set_status(request: HttpRequest, payload: AgentStatusIn):
    return AgentStatusOut.from_interval(
        services.agent_status_set(staff=request.user, status=payload.status)
    )


@status_router.get(
    "/history", response={200: list[AgentStatusOut], **ERRORS}, summary="My recent statuses"
)
def status_history(request: HttpRequest):
    return [
        AgentStatusOut.from_interval(s) for s in selectors.agent_status_history(staff=request.user)
    ]


# -- Measures -----------------------------------------------------------------------------------


def _local_midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


@measures_router.get(
    "",
    response={200: MeasuresOut, **ERRORS},
    summary="Effectiveness measures (DOMAIN.md §9) for a period, team or person",
)
def get_measures(request: HttpRequest, query: Query[MeasuresQuery]):
    _require(request.user, "measures.view")
    start, end = m.month_bounds(timezone.localdate())
    if query.start:
        start = _local_midnight(query.start)
    if query.end:
        end = _local_midnight(query.end)
    if end <= start:
        raise _field_error("end", _("The end must be after the start."))
    last_day = timezone.localdate(end - timedelta(days=1))
    if message := m.period_length_message(timezone.localdate(start), last_day):
        raise _field_error("end", message)
    scope = m.Scope(
        team=_optional(Team, query.team_id, "team_id"),
        person=_staff(query.staff_id, "staff_id"),
    )
    result = m.measures_for(start=start, end=end, scope=scope)
    return MeasuresOut(
        start=result.start,
        end=result.end,
        interactions=result.interactions,
        escalated=result.escalated,
        passed_on=result.passed_on,
        empowerment=result.empowerment,
        generalist_degree=result.generalist_degree,
        non_contact_seconds=result.non_contact_seconds,
        logged_in_seconds=result.logged_in_seconds,
        non_contact_share=result.non_contact_share,
        status_seconds=result.status_seconds,
        left=result.left,
        average_headcount=result.average_headcount,
        turnover=result.turnover,
        channels=[
            ChannelCountOut(channel=r.channel, inbound=r.inbound, outbound=r.outbound)
            for r in result.channels
        ],
    )


class TasksBulkIn(BulkIdsIn):
    action: Literal["complete", "cancel"]


@tasks_router.post(
    "/bulk",
    response={200: BulkOut, **ERRORS},
    summary="Complete or cancel many tasks",
    description="At most 500 ids; a task closed meanwhile or not yours is refused on its own.",
)
def bulk_tasks(request: HttpRequest, payload: TasksBulkIn):
    return tasks_bulk(staff=request.user, action=payload.action, ids=payload.ids).as_dict()
