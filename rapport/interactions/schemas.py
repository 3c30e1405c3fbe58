from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from rapport.core.api import BodyIn, QueryIn
from rapport.core.bounds import BoundedDate, BoundedDatetime, DueDatetime
from rapport.interactions.measures import MAX_PERIOD_YEARS
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    Interaction,
    InteractionRevision,
    Transfer,
)

ChannelT = Literal[
    "face_to_face", "phone", "web_form", "email", "chat", "sms", "wechat", "social", "fax", "letter"
]
DirectionT = Literal["inbound", "outbound"]
TransferKindT = Literal["to_representative", "to_specialist", "to_senior"]
TaskStatusT = Literal["open", "done", "cancelled"]
AgentStatusT = Literal[
    "available", "in_contact", "after_contact_work", "training", "break", "offline"
]


class FollowUpIn(BodyIn):
    title: str = Field(..., min_length=1, max_length=200)
    due_at: DueDatetime
    assignee_id: int | None = Field(None, description="Defaults to the caller when no team.")
    assignee_team_id: int | None = None


class InteractionIn(BodyIn):
    customer_id: int
    channel: ChannelT
    direction: DirectionT
    purpose: str = Field(..., description="A purpose code, e.g. information, complaint.")
    summary: str = Field(..., min_length=1, max_length=4000)
    outcome: str = Field("", max_length=500)
    started_at: BoundedDatetime | None = Field(None, description="Defaults to now.")
    duration_seconds: int = 0
    contact_id: int | None = None
    asset_id: int | None = None
    follow_up: FollowUpIn | None = None


class InteractionPatch(BodyIn):
    reason: str = Field(..., min_length=1, max_length=300, description="Why it is corrected.")
    channel: ChannelT | None = None
    direction: DirectionT | None = None
    purpose: str | None = None
    summary: str | None = Field(None, min_length=1, max_length=4000)
    outcome: str | None = Field(None, max_length=500)
    started_at: BoundedDatetime | None = None
    duration_seconds: int | None = None


class InteractionOut(Schema):
    id: int
    customer_id: int
    contact_id: int | None
    asset_id: int | None
    channel: str
    direction: str
    purpose: str
    staff_id: int
    first_responder_id: int
    handler_id: int
    started_at: datetime
    duration_seconds: int
    summary: str
    outcome: str
    escalated: bool
    passed_on: bool
    revision_count: int
    created_at: datetime

    @staticmethod
    def from_interaction(i: Interaction) -> "InteractionOut":
        data = {f: getattr(i, f) for f in InteractionOut.model_fields if f != "purpose"}
        return InteractionOut(**data, purpose=i.purpose.code)


class RevisionOut(Schema):
    number: int
    changed_by_id: int
    changed_at: datetime
    reason: str
    before: dict
    after: dict

    @staticmethod
    def from_revision(r: InteractionRevision) -> "RevisionOut":
        return RevisionOut.model_validate(r, from_attributes=True)


class TaskIn(BodyIn):
    customer_id: int
    interaction_id: int | None = None
    title: str = Field(..., min_length=1, max_length=200)
    due_at: DueDatetime
    assignee_id: int | None = None
    assignee_team_id: int | None = None


class TaskOut(Schema):
    id: int
    interaction_id: int | None
    customer_id: int
    title: str
    assignee_id: int | None
    assignee_team_id: int | None
    due_at: datetime
    status: str
    is_overdue: bool
    completed_by_id: int | None
    completed_at: datetime | None
    created_by_id: int
    created_at: datetime

    @staticmethod
    def from_task(t: FollowUpTask) -> "TaskOut":
        return TaskOut.model_validate(t, from_attributes=True)


class TransferIn(BodyIn):
    to_staff_id: int
    kind: TransferKindT | None = Field(
        None,
        description="Follows from the receiver's role (representative → to_representative, "
        "specialist or key-account manager → to_specialist, supervisor, manager or administrator "
        "→ to_senior); when sent it must agree, or the answer is 422 on `kind`.",
    )
    reason: str = Field(..., min_length=1, max_length=300)


class TransferOut(Schema):
    id: int
    interaction_id: int
    customer_id: int
    from_staff_id: int
    to_staff_id: int
    kind: str
    reason: str
    at: datetime

    @staticmethod
    def from_transfer(t: Transfer) -> "TransferOut":
        return TransferOut.model_validate(t, from_attributes=True)


class AgentStatusIn(BodyIn):
    status: AgentStatusT


class AgentStatusOut(Schema):
    id: int
    staff_id: int
    status: str
    started_at: datetime
    ended_at: datetime | None

    @staticmethod
    def from_interval(s: AgentStatusInterval) -> "AgentStatusOut":
        return AgentStatusOut.model_validate(s, from_attributes=True)


class TimelineItemOut(Schema):
    kind: Literal["interaction", "transfer", "task"]
    at: datetime
    interaction: InteractionOut | None = None
    transfer: TransferOut | None = None
    task: TaskOut | None = None


class TimelineOut(Schema):
    results: list[TimelineItemOut]
    next_cursor: str = Field(
        "", description="Pass as `cursor` for the next page; empty at the end."
    )


class PurposeOut(Schema):
    code: str
    name_zh: str
    name_en: str


class ChannelCountOut(Schema):
    channel: str
    inbound: int
    outbound: int


class MeasuresOut(Schema):
    start: datetime
    end: datetime
    interactions: int
    escalated: int
    passed_on: int
    empowerment: float | None = Field(description="(interactions − escalated) ÷ interactions")
    generalist_degree: float | None = Field(description="(interactions − passed_on) ÷ interactions")
    non_contact_seconds: int
    logged_in_seconds: int
    non_contact_share: float | None
    status_seconds: dict[str, int]
    left: int
    average_headcount: float | None
    turnover: float | None = Field(description="left ÷ average headcount of the previous year")
    channels: list[ChannelCountOut]


class MeasuresQuery(QueryIn):
    start: BoundedDate | None = Field(
        None, description="First day; defaults to this month's first day."
    )
    end: BoundedDate | None = Field(
        None,
        description=(
            "Day after the last; defaults to next month. "
            f"A period is at most {MAX_PERIOD_YEARS} years."
        ),
    )
    team_id: int | None = None
    staff_id: int | None = None
