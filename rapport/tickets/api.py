"""Tickets over HTTP: intake with Idempotency-Key, queues, the transition table, remedies,
approvals, improvement actions, and the unauthenticated public endpoint for embedding.

The same services and selectors as the HTML pages. Mounted by rapport.api.api at `/tickets`.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from rapport.core.api import (
    BodyIn,
    BulkOut,
    ErrorOut,
    PageParams,
    QueryIn,
    page_schema,
    paginate,
)
from rapport.core.errors import Forbidden, NotFound
from rapport.customers.models import Asset
from rapport.customers.selectors import customer_get_for_staff
from rapport.interactions.idempotency import idempotent_call
from rapport.interactions.selectors import interaction_get_for_staff
from rapport.sla.selectors import clocks_for_ticket
from rapport.staff.models import Team, User
from rapport.tickets import selectors, services
from rapport.tickets.models import TicketType
from rapport.tickets.ratelimit import RateLimited, public_rate_count, public_rate_retry_after
from rapport.tickets.schemas import (
    ApprovalIn,
    EventOut,
    ImpactT,
    ImprovementIn,
    ImprovementOut,
    InvestigationOut,
    KindT,
    PublicTicketIn,
    PublicTicketOut,
    QueueT,
    RemedyIn,
    RemedyOut,
    SortT,
    StatusT,
    TicketIn,
    TicketOut,
    TicketPatch,
    TicketTypeOut,
    TransitionIn,
)
from rapport.tickets.services import assignment
from rapport.tickets.services.bulk import tickets_bulk
from rapport.tickets.services.merge import ticket_merge, ticket_split
from rapport.tickets.services.saved_views import saved_view_delete, saved_view_save
from rapport.tickets.transitions import ACTIONS, allowed_actions

router = Router()
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


def _require(user: User, capability: str) -> None:
    if not user.can(capability):
        raise Forbidden(_("Not allowed."))


def _field_error(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _out(ticket, user: User) -> TicketOut:
    return TicketOut.from_ticket(ticket, allowed_actions(ticket=ticket, staff=user))


API_COUNT_CAP = 1_000  # as the queues' tabs (1000+); a later page counts further


class TicketFilters(QueryIn):
    queue: QueueT = "all"
    status: StatusT | None = None
    kind: KindT | None = None
    priority: int | None = Field(None, ge=1, le=4, description="1 low … 4 urgent.")
    impact: ImpactT | None = None
    ticket_type_id: int | None = None
    customer_id: int | None = None
    assignee_id: int | None = None
    q: str = ""
    overdue: bool = Field(
        False, description="Only tickets with a service-level clock breached or past due."
    )
    sort: SortT = "priority"


@router.get("/types", response={200: list[TicketTypeOut], **ERRORS}, summary="The type tree")
def list_types(request: HttpRequest):
    return [TicketTypeOut.from_type(t) for t in selectors.ticket_type_choices()]


TicketPage = page_schema(TicketOut)


@router.get("", response={200: TicketPage, **ERRORS}, summary="List tickets")
def list_tickets(request: HttpRequest, filters: Query[TicketFilters], page: Query[PageParams]):
    qs = selectors.ticket_queue(
        staff=request.user,
        queue=filters.queue,
        status=filters.status or "",
        kind=filters.kind or "",
        priority=filters.priority,
        impact=filters.impact or "",
        ticket_type=filters.ticket_type_id,
        customer_id=filters.customer_id,
        assignee_id=filters.assignee_id,
        q=filters.q,
        overdue=filters.overdue,
        sort=filters.sort,
    )
    # The queue of every open ticket can hold 100k rows: count up to COUNT_CAP, as the HTML queues
    # do (their tabs say 1000+), and say when there are more.
    # Each ticket is validated once, as it is made (TicketOut.from_ticket); the page around them
    # is built without validating them again.
    return TicketPage.model_construct(
        **paginate(qs, page, lambda t: _out(t, request.user), count_cap=API_COUNT_CAP)
    )


@router.post(
    "",
    response={201: TicketOut, **ERRORS},
    summary="Open a ticket",
    description="Send an `Idempotency-Key` header to make retries safe: the same key returns "
    "the first ticket and creates nothing; the same key with another body is refused with "
    "`idempotency_key_reused`.",
)
def create_ticket(
    request: HttpRequest,
    payload: TicketIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=200
    ),
):
    def action():
        return 201, _create(request.user, payload).model_dump(mode="json")

    status, body, _replayed = idempotent_call(
        user=request.user,
        endpoint="tickets.create",
        key=idempotency_key,
        payload=payload.model_dump(mode="json"),
        action=action,
    )
    return Status(status, body)


def _create(user: User, payload: TicketIn) -> TicketOut:
    _require(user, "tickets.create")
    try:
        customer = customer_get_for_staff(staff=user, customer_id=payload.customer_id)
    except NotFound as exc:
        raise _field_error("customer_id", _("No such customer.")) from exc
    interaction = None
    if payload.interaction_id is not None:
        try:
            interaction = interaction_get_for_staff(
                staff=user, interaction_id=payload.interaction_id
            )
        except NotFound as exc:
            raise _field_error("interaction_id", _("No such interaction.")) from exc
    asset = None
    if payload.asset_id is not None:
        asset = Asset.objects.filter(pk=payload.asset_id, customer=customer).first()
        if asset is None:
            raise _field_error("asset_id", _("That asset belongs to another customer."))
    ticket = services.ticket_create(
        by=user,
        customer=customer,
        kind=payload.kind,
        source="api",
        subject=payload.subject,
        description=payload.description,
        customer_words=payload.customer_words,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        contact_email=payload.contact_email,
        occurred_at=payload.occurred_at,
        occurred_where=payload.occurred_where,
        asset=asset,
        interaction=interaction,
    )
    return _out(ticket, user)


class ClockPauseOut(Schema):
    started_at: datetime
    ended_at: datetime | None
    reason: str
    flagged: bool


class ClockOut(Schema):
    kind: str
    policy: str
    calendar: str
    state: str
    target_seconds: int
    started_at: datetime
    due_at: datetime | None
    at_risk_from: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    pauses: list[ClockPauseOut]


@router.get(
    "/{int:ticket_id}/clocks",
    response={200: list[ClockOut], **ERRORS},
    summary="The ticket's service-level clocks, their policy and pauses",
)
def ticket_clocks(request: HttpRequest, ticket_id: int):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    return [
        {
            "kind": c.kind,
            "policy": c.policy.name,
            "calendar": c.policy.calendar.name,
            "state": c.state,
            "target_seconds": c.target_seconds,
            "started_at": c.started_at,
            "due_at": c.due_at,
            "at_risk_from": c.warn_at,
            "warned_at": c.warned_at,
            "breached_at": c.breached_at,
            "stopped_at": c.stopped_at,
            "pauses": [
                {
                    "started_at": p.started_at,
                    "ended_at": p.ended_at,
                    "reason": p.reason,
                    "flagged": p.flagged,
                }
                for p in c.pauses.all()
            ],
        }
        for c in clocks_for_ticket(ticket_id=ticket.pk)
    ]


@router.get("/{int:ticket_id}", response={200: TicketOut, **ERRORS}, summary="Read a ticket")
def read_ticket(request: HttpRequest, ticket_id: int):
    return _out(
        selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id), request.user
    )


@router.patch(
    "/{int:ticket_id}",
    response={200: TicketOut, **ERRORS},
    summary="Correct the intake record (never the customer's own words)",
)
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    fields = payload.model_dump(exclude_unset=True)
    if "customer_words" in fields:
        raise _field_error(
            "customer_words", _("The customer's own words are kept exactly as given.")
        )
    fields = {
        k: ("" if v is None and k in ("contact_phone", "contact_email") else v)
        for k, v in fields.items()
    }
    fields = {k: v for k, v in fields.items() if v is not None}
    ticket = services.ticket_update(ticket=ticket, by=request.user, **fields)
    return _out(ticket, request.user)


def _transition_fields(action: str, payload: TransitionIn) -> dict:
    """The service's keyword arguments for `action`, from the payload."""
    data = payload.model_dump(exclude={"action"})
    if action == "classify":
        ticket_type = None
        if payload.ticket_type_id is not None:
            ticket_type = TicketType.objects.filter(pk=payload.ticket_type_id).first()
            if ticket_type is None:
                raise _field_error("ticket_type_id", _("No such type."))
        return {
            "ticket_type": ticket_type,
            "impact": payload.impact or "",
            "kind": payload.kind or "",
            "note": payload.note,
        }
    if action in ("assign",):
        to_staff = (
            User.objects.filter(pk=payload.to_staff_id).first() if payload.to_staff_id else None
        )
        if payload.to_staff_id and to_staff is None:
            raise _field_error("to_staff_id", _("No such staff member."))
        return {"to_staff": to_staff, "reason": payload.reason}
    if action == "investigate":
        team = Team.objects.filter(pk=payload.team_id).first() if payload.team_id else None
        return {"team": team, "question": payload.question, "due_at": payload.due_at}
    keys = {
        "wait": ("waiting_on", "reason", "note"),
        "resolve": ("resolution", "root_cause", "note"),
        "close": ("satisfaction", "note"),
        "reopen": ("reason", "note"),
        "start": ("note",),
        "resume": ("note",),
        "note": ("body",),
        "reply": ("body", "channel"),
        "escalate": ("reason",),
        "prioritise": ("priority", "reason"),
        "flag_upset": ("upset",),
        "cannot_meet": ("reason", "note"),
        "partner": ("partner_name", "partner_contact"),
        "archive": ("problem", "cause", "remedy"),
    }.get(action, ())
    fields = {k: data[k] for k in keys}
    if action == "flag_upset":
        fields["upset"] = True if payload.upset is None else payload.upset
    return {k: ("" if v is None and k != "priority" else v) for k, v in fields.items()}


@router.post(
    "/{int:ticket_id}/transitions",
    response={200: TicketOut, **ERRORS},
    summary="Take an action from the transition table",
    description="`action` is one of: "
    + ", ".join(a for a, spec in ACTIONS.items() if spec.capability != "system")
    + ". Remedies, approvals, investigations' answers and attachments have their own endpoints. "
    "A refused action answers with code `transition_not_allowed`.",
)
def transition(request: HttpRequest, ticket_id: int, payload: TransitionIn):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    action = payload.action
    if action not in ACTIONS or action in (
        "offer_remedy",
        "choose_remedy",
        "decide_remedy",
        "answer_investigation",
        "attach",
        "improve",
        "edit",
        "merge",
        "split",
    ):
        raise services.TransitionNotAllowed(
            _("“%(action)s” is not an action of this endpoint.") % {"action": action},
            field="action",
        )
    services.ticket_act(
        ticket=ticket, by=request.user, action=action, **_transition_fields(action, payload)
    )
    return _out(
        selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id), request.user
    )


@router.post(
    "/{int:ticket_id}/claim",
    response={200: TicketOut, 409: ErrorOut, **ERRORS},
    summary="Claim an unassigned ticket",
    description="The caller becomes the assignee. When two people claim at once one wins; "
    "the other gets 409 with code `already_claimed` (`ticket_closed` for a closed ticket). "
    "Claiming one's own ticket again answers 200.",
)
def claim_ticket(request: HttpRequest, ticket_id: int):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    assignment.ticket_claim(ticket=ticket, by=request.user)
    return _out(
        selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id), request.user
    )


@router.get(
    "/{int:ticket_id}/events",
    response={200: list[EventOut], **ERRORS},
    summary="The ticket's timeline, oldest first",
)
def list_events(request: HttpRequest, ticket_id: int):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    return [EventOut.from_event(e) for e in ticket.events.order_by("at", "id")]


@router.get(
    "/{int:ticket_id}/investigations",
    response={200: list[InvestigationOut], **ERRORS},
    summary="Departments asked to investigate",
)
def list_investigations(request: HttpRequest, ticket_id: int):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    return [InvestigationOut.from_investigation(i) for i in ticket.investigations.all()]


@router.get(
    "/{int:ticket_id}/remedies", response={200: list[RemedyOut], **ERRORS}, summary="Remedies"
)
def list_remedies(request: HttpRequest, ticket_id: int):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    return [RemedyOut.from_remedy(r) for r in ticket.remedies.all()]


@router.post(
    "/{int:ticket_id}/remedies",
    response={201: RemedyOut, **ERRORS},
    summary="Offer a remedy (above the threshold or needing resources it awaits approval)",
)
def offer_remedy(request: HttpRequest, ticket_id: int, payload: RemedyIn):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    remedy = services.remedy_offer(ticket=ticket, by=request.user, **payload.model_dump())
    return Status(201, RemedyOut.from_remedy(remedy))


@router.post(
    "/remedies/{int:remedy_id}/choose",
    response={200: RemedyOut, **ERRORS},
    summary="Record the remedy the customer chose",
)
def choose_remedy(request: HttpRequest, remedy_id: int):
    remedy = selectors.remedy_get_for_staff(staff=request.user, remedy_id=remedy_id)
    return RemedyOut.from_remedy(services.remedy_choose(remedy=remedy, by=request.user))


@router.post(
    "/remedies/{int:remedy_id}/approval",
    response={200: RemedyOut, **ERRORS},
    summary="Approve or reject a remedy (supervisors)",
)
def decide_remedy(request: HttpRequest, remedy_id: int, payload: ApprovalIn):
    remedy = selectors.remedy_get_for_staff(staff=request.user, remedy_id=remedy_id)
    remedy = services.remedy_decide(
        remedy=remedy,
        by=request.user,
        approve=payload.decision == "approve",
        comment=payload.comment,
    )
    return RemedyOut.from_remedy(remedy)


@router.get(
    "/improvements",
    response={200: page_schema(ImprovementOut), **ERRORS},
    summary="Improvement actions (managers see all, others their own)",
)
def list_improvements(request: HttpRequest, page: Query[PageParams], status: str = "open"):
    qs = selectors.improvement_list(staff=request.user, status=status)
    return paginate(qs, page, ImprovementOut.from_improvement)


@router.post(
    "/{int:ticket_id}/improvements",
    response={201: ImprovementOut, **ERRORS},
    summary="Raise an improvement action",
)
def add_improvement(request: HttpRequest, ticket_id: int, payload: ImprovementIn):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    owner = User.objects.filter(pk=payload.owner_id).first()
    if owner is None:
        raise _field_error("owner_id", _("No such staff member."))
    improvement = services.improvement_add(
        ticket=ticket,
        by=request.user,
        kind=payload.kind,
        description=payload.description,
        owner=owner,
        due_on=payload.due_on,
    )
    return Status(201, ImprovementOut.from_improvement(improvement))


@router.post(
    "/improvements/{int:improvement_id}/complete",
    response={200: ImprovementOut, **ERRORS},
    summary="Mark an improvement action done",
)
def complete_improvement(request: HttpRequest, improvement_id: int):
    improvement = selectors.improvement_get_for_staff(
        staff=request.user, improvement_id=improvement_id
    )
    return ImprovementOut.from_improvement(
        services.improvement_complete(improvement=improvement, by=request.user)
    )


@router.post(
    "/public",
    auth=None,
    response={200: PublicTicketOut, 201: PublicTicketOut, **ERRORS},
    summary="Public intake for embedding in a company site (no token; rate-limited per address)",
    description="Send an `Idempotency-Key` header (a random string per submission): a retry "
    "with the same key returns the first ticket (200) and creates nothing.",
)
def public_create(
    request: HttpRequest,
    payload: PublicTicketIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=80),
):
    if retry_after := public_rate_retry_after(request):
        raise RateLimited(
            _("Too many submissions from this address; please try again later."),
            retry_after=retry_after,
        )
    if not idempotency_key or len(idempotency_key) > 80:
        raise _field_error(
            "Idempotency-Key", _("Send a random Idempotency-Key of at most 80 characters.")
        )
    ticket, created = services.ticket_create_public(
        submission_key=f"api:{idempotency_key}",
        name=payload.name,
        phone=payload.phone,
        email=payload.email,
        kind=payload.kind,
        description=payload.customer_words,
        customer_words=payload.customer_words,
        occurred_at=payload.occurred_at,
        occurred_where=payload.occurred_where,
        source="api",
    )
    if created:  # a retry with the same key returns the first ticket and counts nothing
        public_rate_count(request)
    body = PublicTicketOut(
        number=ticket.number,
        status=ticket.status,
        tracking_url=settings.SITE_URL.rstrip("/")
        + reverse("tickets:track", args=[ticket.public_token]),
    )
    return Status(201 if created else 200, body)


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    created_at: datetime


@router.post(
    "/{int:ticket_id}/attachments",
    response={201: list[AttachmentOut], **ERRORS},
    summary="Attach photos or PDF files (multipart, field `files`)",
    description="JPEG, PNG, WebP or PDF, at most 5 MB each and 10 per ticket; the content must "
    "match the extension. A refused file answers 422 with the reason under `attachments`.",
)
def add_attachments(
    request: HttpRequest,
    ticket_id: int,
    files: list[UploadedFile] = File(..., min_length=1),  # noqa: B008 — ninja's parameter marker
):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    saved = services.attachment_add(ticket=ticket, by=request.user, files=files)
    return Status(201, saved)


class BulkIn(BodyIn):
    """One action on many tickets; fields by action as in `tickets_bulk`."""

    action: str = Field(..., max_length=30)
    ids: list[int] = Field(..., max_length=10_000)
    to_staff_id: int | None = None
    priority: int | None = None
    reason: str = Field("", max_length=300)
    body: str = Field("", max_length=4000)
    into_id: str | None = Field(None, max_length=12)


@router.post(
    "/bulk",
    response={200: BulkOut, **ERRORS},
    summary="One action on many tickets",
    description="`action`: assign (to_staff_id, reason), prioritise (priority, reason), note "
    "(body), close_duplicate (into_id, reason). At most 500 ids. Bad input answers 422 naming "
    "the field and does nothing; each ticket that may not be touched or whose state no longer "
    "allows the action is refused on its own, listed under `items` with its reason.",
)
def bulk(request: HttpRequest, payload: BulkIn):
    _require(request.user, "tickets.work")
    result = tickets_bulk(staff=request.user, **payload.model_dump())
    return result.as_dict()


class TicketMergeIn(BodyIn):
    into_id: int
    reason: str = Field("", max_length=300)


class SplitIn(BodyIn):
    message_ids: list[int] = Field(..., max_length=50)
    subject: str = Field(..., max_length=120)


@router.post(
    "/{int:ticket_id}/merge",
    response={200: TicketOut, **ERRORS},
    summary="Close a ticket as a duplicate of another (same customer)",
)
def merge(request: HttpRequest, ticket_id: int, payload: TicketMergeIn):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    try:
        into = selectors.ticket_get_for_staff(staff=request.user, ticket_id=payload.into_id)
    except NotFound as exc:
        raise _field_error("into_id", _("No such ticket.")) from exc
    ticket_merge(ticket=ticket, into=into, by=request.user, reason=payload.reason)
    return _out(
        selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id), request.user
    )


@router.post(
    "/{int:ticket_id}/split",
    response={201: TicketOut, **ERRORS},
    summary="Open a new ticket from some of the customer's messages on this one",
)
def split(request: HttpRequest, ticket_id: int, payload: SplitIn):
    ticket = selectors.ticket_get_for_staff(staff=request.user, ticket_id=ticket_id)
    new = ticket_split(
        ticket=ticket, by=request.user, message_ids=payload.message_ids, subject=payload.subject
    )
    return Status(201, _out(new, request.user))


class SavedViewIn(BodyIn):
    name: str = Field(..., max_length=60)
    filters: dict = Field(default_factory=dict)
    columns: list[str] = Field(default_factory=list, max_length=20)
    team_id: int | None = None


class SavedViewOut(Schema):
    id: int
    name: str
    team_id: int | None
    filters: dict
    columns: list[str]


@router.get("/views", response={200: list[SavedViewOut], **ERRORS}, summary="My saved views")
def list_views(request: HttpRequest):
    return selectors.saved_views_for(staff=request.user)


@router.post(
    "/views",
    response={201: SavedViewOut, **ERRORS},
    summary="Save a view of the queue (for me, or shared with a team of mine)",
    description="Filters: queue, status, kind, priority, impact, ticket_type, q, sort. Columns: "
    "subject, status, customer, type, priority, assignee, received, due. Any other name is "
    "a 422 naming `filters` or `columns`. The same name for the same audience replaces it.",
)
def save_view(request: HttpRequest, payload: SavedViewIn):
    team = None
    if payload.team_id is not None:
        team = Team.objects.filter(pk=payload.team_id).first()
        if team is None:
            raise _field_error("team_id", _("Share views only with a team of yours."))
    view = saved_view_save(
        by=request.user,
        name=payload.name,
        filters=payload.filters,
        columns=payload.columns,
        team=team,
    )
    return Status(201, view)


@router.delete("/views/{int:view_id}", response={204: None, **ERRORS}, summary="Delete a view")
def delete_view(request: HttpRequest, view_id: int):
    view = selectors.saved_view_get_for_staff(staff=request.user, view_id=view_id)
    saved_view_delete(view=view, by=request.user)
    return Status(204, None)
