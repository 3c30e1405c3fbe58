from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from rapport.core.api import BodyIn, amount_type
from rapport.core.bounds import BoundedDatetime, DueDate, DueDatetime
from rapport.core.masking import mask_phone
from rapport.tickets.models import (
    ImprovementAction,
    Remedy,
    Ticket,
    TicketEvent,
    TicketInvestigation,
    TicketType,
)

KindT = Literal["complaint", "service_request", "inquiry"]
StatusT = Literal["new", "classified", "in_progress", "waiting", "resolved", "closed", "reopened"]
ImpactT = Literal["safety", "group", "normal"]
QueueT = Literal["mine", "owned", "team", "investigating", "unassigned", "waiting", "all"]
SortT = Literal["priority", "newest", "oldest", "updated"]
RemedyKindT = Literal["refund", "replacement", "compensation", "upgrade", "apology"]
ImprovementKindT = Literal["training", "process", "product", "other"]


RemedyAmount = amount_type(max_digits=14, decimal_places=4)


class TicketTypeOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    parent_id: int | None

    @staticmethod
    def from_type(t: TicketType) -> "TicketTypeOut":
        return TicketTypeOut(
            id=t.pk, code=t.code, name_zh=t.name_zh, name_en=t.name_en, parent_id=t.parent_id
        )


class TicketIn(BodyIn):
    customer_id: int
    kind: KindT = "complaint"
    subject: str = Field("", max_length=120)
    description: str = Field(..., min_length=1, max_length=4000)
    customer_words: str = Field(
        ..., min_length=1, max_length=4000, description="The customer's own words, verbatim."
    )
    contact_name: str = Field(..., min_length=1, max_length=100)
    contact_phone: str = Field("", max_length=32)
    contact_email: str = Field("", max_length=254)
    occurred_at: BoundedDatetime
    occurred_where: str = Field(..., min_length=1, max_length=200)
    asset_id: int | None = None
    interaction_id: int | None = None


class TicketPatch(BodyIn):
    subject: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, min_length=1, max_length=4000)
    contact_name: str | None = Field(None, min_length=1, max_length=100)
    contact_phone: str | None = Field(None, max_length=32)
    contact_email: str | None = Field(None, max_length=254)
    occurred_at: BoundedDatetime | None = None
    occurred_where: str | None = Field(None, min_length=1, max_length=200)
    customer_words: str | None = Field(
        None, description="Refused: the customer's own words are never edited."
    )


class TicketOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    source: str
    customer_id: int
    asset_id: int | None
    interaction_id: int | None
    subject: str
    description: str
    customer_words: str
    contact_name: str
    contact_phone: str = Field(description="Masked (138****1234).")
    contact_email: str
    occurred_at: datetime
    occurred_where: str
    ticket_type_id: int | None
    impact: str
    priority: int
    priority_overridden: bool
    first_responder_id: int | None
    assignee_id: int | None
    team_id: int | None
    is_repeat: bool
    repeat_of_id: int | None
    customer_upset: bool
    cannot_meet: str
    partner_name: str
    partner_contact: str
    waiting_on: str
    waiting_reason: str
    resolution: str
    satisfaction: str
    created_at: datetime
    updated_at: datetime
    first_responded_at: datetime | None
    waiting_since: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    allowed_actions: list[str] = []

    @staticmethod
    def from_ticket(t: Ticket, actions: list[str] | None = None) -> "TicketOut":
        data = {
            f: getattr(t, f)
            for f in TicketOut.model_fields
            if f not in ("number", "contact_phone", "allowed_actions") and hasattr(t, f)
        }
        return TicketOut(
            **data,
            number=t.number,
            contact_phone=mask_phone(t.contact_phone) if t.contact_phone else "",
            allowed_actions=actions or [],
        )


class TransitionIn(BodyIn):
    """An action from the table with its fields; unknown fields are ignored."""

    action: str = Field(..., max_length=30)
    ticket_type_id: int | None = None
    impact: ImpactT | None = None
    kind: KindT | None = None
    waiting_on: Literal["customer", "third_party"] | None = None
    reason: str = Field("", max_length=300)
    resolution: str = Field("", max_length=4000)
    root_cause: str = Field("", max_length=2000)
    satisfaction: Literal["yes", "no", "no_answer"] | None = None
    note: str = Field("", max_length=1000)
    body: str = Field("", max_length=4000)
    channel: str = Field("phone", max_length=16)
    to_staff_id: int | None = None
    priority: int | None = Field(None, ge=1, le=4)
    upset: bool | None = None
    partner_name: str = Field("", max_length=100)
    partner_contact: str = Field("", max_length=200)
    team_id: int | None = None
    question: str = Field("", max_length=500)
    due_at: DueDatetime | None = None
    problem: str = Field("", max_length=2000)
    cause: str = Field("", max_length=2000)
    remedy: str = Field("", max_length=2000)


class EventOut(Schema):
    id: int
    kind: str
    action: str
    actor_id: int | None
    at: datetime
    from_status: str
    to_status: str
    body: str
    is_public: bool
    data: dict

    @staticmethod
    def from_event(e: TicketEvent) -> "EventOut":
        return EventOut(
            id=e.pk,
            kind=e.kind,
            action=e.action,
            actor_id=e.actor_id,
            at=e.at,
            from_status=e.from_status,
            to_status=e.to_status,
            body=e.body,
            is_public=e.is_public,
            data=e.data,
        )


class RemedyIn(BodyIn):
    kind: RemedyKindT
    amount: RemedyAmount = Field(Decimal("0"), max_digits=14, decimal_places=4)
    description: str = Field("", max_length=500)
    needs_resources: bool = False


class RemedyOut(Schema):
    id: int
    ticket_id: int
    kind: str
    amount: Decimal
    description: str
    needs_resources: bool
    is_chosen: bool
    approval: str
    decided_by_id: int | None
    decided_at: datetime | None
    decision_comment: str

    @staticmethod
    def from_remedy(r: Remedy) -> "RemedyOut":
        return RemedyOut(
            id=r.pk,
            ticket_id=r.ticket_id,
            kind=r.kind,
            amount=r.amount,
            description=r.description,
            needs_resources=r.needs_resources,
            is_chosen=r.is_chosen,
            approval=r.approval,
            decided_by_id=r.decided_by_id,
            decided_at=r.decided_at,
            decision_comment=r.decision_comment,
        )


class ApprovalIn(BodyIn):
    decision: Literal["approve", "reject"]
    comment: str = Field("", max_length=500)


class ImprovementIn(BodyIn):
    kind: ImprovementKindT
    description: str = Field(..., min_length=1, max_length=500)
    owner_id: int
    due_on: DueDate


class ImprovementOut(Schema):
    id: int
    ticket_id: int
    kind: str
    description: str
    owner_id: int
    due_on: DueDate
    status: str
    completed_at: datetime | None

    @staticmethod
    def from_improvement(a: ImprovementAction) -> "ImprovementOut":
        return ImprovementOut(
            id=a.pk,
            ticket_id=a.ticket_id,
            kind=a.kind,
            description=a.description,
            owner_id=a.owner_id,
            due_on=a.due_on,
            status=a.status,
            completed_at=a.completed_at,
        )


class InvestigationOut(Schema):
    id: int
    team_id: int
    question: str
    due_at: datetime
    status: str
    finding: str

    @staticmethod
    def from_investigation(i: TicketInvestigation) -> "InvestigationOut":
        return InvestigationOut(
            id=i.pk,
            team_id=i.team_id,
            question=i.question,
            due_at=i.due_at,
            status=i.status,
            finding=i.finding,
        )


class PublicTicketIn(BodyIn):
    kind: KindT = "complaint"
    name: str = Field(..., min_length=1, max_length=100)
    phone: str = Field("", max_length=32)
    email: str = Field("", max_length=254)
    customer_words: str = Field(..., min_length=1, max_length=4000)
    occurred_at: BoundedDatetime
    occurred_where: str = Field(..., min_length=1, max_length=200)


class PublicTicketOut(Schema):
    number: str
    status: str
    tracking_url: str
