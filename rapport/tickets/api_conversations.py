"""Conversations over HTTP: the team inbox, one conversation with its messages, claim, reply,
convert to a ticket. In tickets because converting opens a ticket; the claim and the reply are
rapport.channels services. Mounted by rapport.api.api at `/conversations`.
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rapport.channels import services as channel_services
from rapport.channels.models import Conversation, Message
from rapport.core.api import BodyIn, ErrorOut, PageParams, page_schema, paginate
from rapport.core.errors import Forbidden
from rapport.staff.models import User
from rapport.tickets import inbox_selectors as selectors
from rapport.tickets import messaging

router = Router()
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
TabT = Literal["team", "mine", "all"]
StateT = Literal["unassigned", "claimed", "converted", "linked", "closed"]


def _require(user: User, capability: str) -> None:
    if not user.can(capability):
        raise Forbidden(_("Not allowed."))


class ConversationOut(Schema):
    id: int
    state: StateT
    subject: str
    customer_id: int
    customer_name: str
    account_id: int
    team_id: int
    claimed_by_id: int | None
    claimed_at: datetime | None
    ticket_id: int | None
    closed_reason: str
    last_message_at: datetime
    created_at: datetime

    @staticmethod
    def of(c: Conversation) -> "ConversationOut":
        return ConversationOut(
            id=c.pk,
            state=c.state,
            subject=c.subject,
            customer_id=c.customer_id,
            customer_name=c.customer.name,
            account_id=c.account_id,
            team_id=c.team_id,
            claimed_by_id=c.claimed_by_id,
            claimed_at=c.claimed_at,
            ticket_id=c.ticket_id,
            closed_reason=c.closed_reason,
            last_message_at=c.last_message_at,
            created_at=c.created_at,
        )


class MessageOut(Schema):
    id: int
    direction: Literal["inbound", "outbound"]
    channel: str
    sender: str
    sender_name: str
    subject: str
    reply_text: str = Field(description="The text without quoted history and signature.")
    text: str = Field(description="The full text.")
    auto: str = Field(description="Empty when a person wrote it; else the kind of automatic mail.")
    created_at: datetime
    attachments: list[str]

    @staticmethod
    def of(m: Message) -> "MessageOut":
        return MessageOut(
            id=m.pk,
            direction=m.direction,
            channel=m.channel,
            sender=m.sender,
            sender_name=m.sender_name,
            subject=m.subject,
            reply_text=m.reply_text,
            text=m.text,
            auto=m.auto,
            created_at=m.created_at,
            attachments=[a.filename for a in m.attachments.all()],
        )


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


class ReplyIn(BodyIn):
    body: str = Field(..., min_length=1, max_length=4000)


class ReplyOut(Schema):
    outbox_id: int
    state: str


class ConvertIn(BodyIn):
    kind: Literal["complaint", "service_request", "inquiry"] = "complaint"


class ConvertOut(Schema):
    ticket_id: int
    number: str


@router.get(
    "",
    response={200: page_schema(ConversationOut), **ERRORS},
    summary="The inbox: unassigned conversations of my teams, mine, or all open ones",
)
def conversation_list(request: HttpRequest, page: Query[PageParams], tab: TabT = "team"):
    _require(request.user, "inbox.work")
    return paginate(selectors.inbox(staff=request.user, tab=tab), page, ConversationOut.of)


def _get(request: HttpRequest, conversation_id: int) -> Conversation:
    _require(request.user, "inbox.work")
    return selectors.conversation_get_for_staff(staff=request.user, conversation_id=conversation_id)


@router.get(
    "/{conversation_id}",
    response={200: ConversationDetailOut, **ERRORS},
    summary="One conversation with its messages",
)
def conversation_read(request: HttpRequest, conversation_id: int):
    found = _get(request, conversation_id)
    messages = found.messages.prefetch_related("attachments").order_by("created_at", "id")
    base = ConversationOut.of(found).model_dump()
    return ConversationDetailOut(**base, messages=[MessageOut.of(m) for m in messages])


@router.post(
    "/{conversation_id}/claim",
    response={200: ConversationOut, 409: ErrorOut, **ERRORS},
    summary="Claim a conversation",
    description="When two people claim at once one wins; the other gets 409.",
)
def conversation_claim(request: HttpRequest, conversation_id: int):
    found = _get(request, conversation_id)
    claimed = channel_services.conversation_claim(conversation=found, by=request.user)
    return ConversationOut.of(claimed)


@router.post(
    "/{conversation_id}/reply",
    response={201: ReplyOut, 409: ErrorOut, **ERRORS},
    summary="Reply to the customer (queued in the outbox, in the customer's thread)",
)
def conversation_reply(request: HttpRequest, conversation_id: int, payload: ReplyIn):
    found = _get(request, conversation_id)
    outbox = channel_services.conversation_reply(
        conversation=found, by=request.user, body=payload.body
    )
    return Status(201, ReplyOut(outbox_id=outbox.pk, state=outbox.state))


@router.post(
    "/{conversation_id}/convert",
    response={201: ConvertOut, 409: ErrorOut, **ERRORS},
    summary="Make the conversation a ticket; the customer's message becomes its own words",
)
def conversation_convert(request: HttpRequest, conversation_id: int, payload: ConvertIn):
    found = _get(request, conversation_id)
    ticket = messaging.conversation_convert(conversation=found, by=request.user, kind=payload.kind)
    return Status(201, ConvertOut(ticket_id=ticket.pk, number=ticket.number))
