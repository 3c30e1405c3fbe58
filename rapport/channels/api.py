"""Messaging over HTTP: the outbox (create with an Idempotency-Key, read the state), message
templates, and channel accounts for administrators (secrets are never returned).

Mounted by rapport.api.api at `/outbox`, `/message-templates` and `/channel-accounts`. The same
services as the pages; conversations are in rapport.tickets.api_conversations.
"""

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from rapport.channels import services
from rapport.channels.models import ChannelAccount, MessageTemplate, OutboxMessage
from rapport.core.api import BodyIn, ErrorOut, PageParams, QueryIn, page_schema, paginate
from rapport.core.errors import Conflict, Forbidden, NotFound
from rapport.customers.selectors import customer_get_for_staff
from rapport.interactions.idempotency import IdempotencyKeyReused
from rapport.staff.models import User

outbox_router = Router()
templates_router = Router()
accounts_router = Router()
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

PurposeT = Literal["service", "marketing"]
ChannelT = Literal["email", "wechat", "wecom", "sms"]
# Every kind of account, including those the outbox does not send on (phone).
AccountKindT = Literal["email", "wechat", "wecom", "sms", "phone"]
StateT = Literal["queued", "sending", "sent", "delivered", "failed", "refused"]


def _require(user: User, capability: str) -> None:
    if not user.can(capability):
        raise Forbidden(_("Not allowed."))


# -- Outbox -------------------------------------------------------------------------------------


class OutboxIn(BodyIn):
    customer_id: int
    purpose: PurposeT = "service"
    template_code: str | None = Field(None, max_length=40)
    context: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    subject: str | None = Field(None, max_length=300)
    body: str | None = Field(None, max_length=20000)
    channel: ChannelT | None = Field(
        None, description="Forced channel; by default chosen from the customer's preference."
    )
    to_address: str | None = Field(None, max_length=254)


class OutboxOut(Schema):
    id: int
    customer_id: int
    purpose: str
    source: str
    channel: str
    to_address: str
    subject: str
    body: str
    state: StateT
    reason: str = Field(description="Code of why it failed or was refused; empty otherwise.")
    reason_text: str
    attempts: int
    ticket_id: int | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None

    @staticmethod
    def of(o: OutboxMessage) -> "OutboxOut":
        return OutboxOut(
            id=o.pk,
            customer_id=o.customer_id,
            purpose=o.purpose,
            source=o.source,
            channel=o.channel,
            to_address=o.to_address,
            subject=o.subject,
            body=o.body,
            state=o.state,
            reason=o.reason,
            reason_text=str(o.get_reason_display()) if o.reason else "",
            attempts=o.attempts,
            ticket_id=o.ticket_id,
            created_at=o.created_at,
            sent_at=o.sent_at,
            delivered_at=o.delivered_at,
        )


def _outbox_visible(user: User):
    if user.can("inbox.see_all"):
        return OutboxMessage.objects.all()
    return OutboxMessage.objects.filter(created_by=user)


@outbox_router.post(
    "",
    response={200: OutboxOut, 201: OutboxOut, **ERRORS},
    summary="Queue a message to a customer",
    description="Requires the `Idempotency-Key` header: the same key with the same body returns "
    "the first message (200) and queues nothing; the same key with another body is refused "
    "(422 `idempotency_key_reused`). Stop conditions (deceased, do-not-contact, consent, quiet "
    "hours, frequency cap) are checked when it is sent, not here: read the state afterwards.",
)
def outbox_create(
    request: HttpRequest,
    payload: OutboxIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", max_length=150),
):
    user = request.user
    _require(user, "inbox.work")
    if payload.purpose == "marketing":
        _require(user, "outbox.marketing")
    try:
        customer = customer_get_for_staff(staff=user, customer_id=payload.customer_id)
    except NotFound as exc:
        raise ValidationError({"customer_id": [_("No such customer.")]}) from exc
    key = f"api:{user.pk}:{idempotency_key}"
    existing = OutboxMessage.objects.filter(idempotency_key=key).values_list("pk", flat=True)
    existed = existing.first()
    try:
        outbox = services.outbox_queue(
            customer=customer,
            purpose=payload.purpose,
            source="api",
            template_code=payload.template_code or None,
            context=payload.context or None,
            subject=payload.subject,
            body=payload.body,
            channel=payload.channel,
            to_address=payload.to_address,
            idempotency_key=key,
            by=user,
        )
    except Conflict as exc:
        if exc.code == "idempotency_key_reused":
            raise IdempotencyKeyReused(exc.message, field="Idempotency-Key") from exc
        raise
    return Status(200 if existed == outbox.pk else 201, OutboxOut.of(outbox))


class OutboxFilters(QueryIn):
    state: StateT | None = None
    customer_id: int | None = None
    ticket_id: int | None = None
    source: str | None = Field(None, max_length=40)


@outbox_router.get(
    "",
    response={200: page_schema(OutboxOut), **ERRORS},
    summary="Messages in the outbox, newest first",
    description="Leads see every message; the others the ones they queued.",
)
def outbox_list(request: HttpRequest, filters: Query[OutboxFilters], page: Query[PageParams]):
    _require(request.user, "inbox.work")
    qs = _outbox_visible(request.user)
    for field in ("state", "customer_id", "ticket_id", "source"):
        value = getattr(filters, field)
        if value not in (None, ""):
            qs = qs.filter(**{field: value})
    return paginate(qs.order_by("-created_at", "-id"), page, OutboxOut.of)


@outbox_router.get(
    "/{outbox_id}",
    response={200: OutboxOut, **ERRORS},
    summary="One message and its delivery state",
)
def outbox_read(request: HttpRequest, outbox_id: int):
    _require(request.user, "inbox.work")
    found = _outbox_visible(request.user).filter(pk=outbox_id).first()
    if found is None:
        raise NotFound(_("No such message."))
    return OutboxOut.of(found)


# -- Message templates --------------------------------------------------------------------------


class MessageTemplateOut(Schema):
    code: str
    name: str
    purpose: PurposeT
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    variables: str
    is_active: bool


def _template_out(t: MessageTemplate) -> MessageTemplateOut:
    return MessageTemplateOut(
        code=t.code,
        name=t.name,
        purpose=t.purpose,
        subject_zh=t.subject_zh,
        subject_en=t.subject_en,
        body_zh=t.body_zh,
        body_en=t.body_en,
        variables=t.variables,
        is_active=t.is_active,
    )


@templates_router.get(
    "", response={200: page_schema(MessageTemplateOut), **ERRORS}, summary="Message templates"
)
def template_list(request: HttpRequest, page: Query[PageParams]):
    _require(request.user, "inbox.work")
    return paginate(MessageTemplate.objects.order_by("code"), page, _template_out)


@templates_router.get(
    "/{code}", response={200: MessageTemplateOut, **ERRORS}, summary="One message template by code"
)
def template_read(request: HttpRequest, code: str):
    _require(request.user, "inbox.work")
    found = MessageTemplate.objects.filter(code=code).first()
    if found is None:
        raise NotFound(_("No such template."))
    return _template_out(found)


# -- Channel accounts (administrators) ----------------------------------------------------------


class AccountOut(Schema):
    id: int
    kind: AccountKindT
    name: str
    address: str
    default_team_id: int
    open_as: Literal["conversation", "ticket"]
    ticket_kind: str
    ticket_type_code: str
    provider: str
    is_default: bool
    is_active: bool
    config: dict = Field(description="Hosts, ports, TLS, user names, folder. Never passwords.")
    has_secrets: bool = Field(description="Whether passwords are stored; they are never returned.")


def _account_out(a: ChannelAccount) -> AccountOut:
    return AccountOut(
        id=a.pk,
        kind=a.kind,
        name=a.name,
        address=a.address,
        default_team_id=a.default_team_id,
        open_as=a.open_as,
        ticket_kind=a.ticket_kind,
        ticket_type_code=a.ticket_type_code,
        provider=a.provider,
        is_default=a.is_default,
        is_active=a.is_active,
        config=a.config,
        has_secrets=a.has_secrets,
    )


@accounts_router.get(
    "",
    response={200: page_schema(AccountOut), **ERRORS},
    summary="Channel accounts (administrators)",
)
def account_list(request: HttpRequest, page: Query[PageParams]):
    _require(request.user, "messaging.admin")
    return paginate(ChannelAccount.objects.order_by("kind", "name"), page, _account_out)


@accounts_router.get(
    "/{account_id}",
    response={200: AccountOut, **ERRORS},
    summary="One channel account (administrators)",
)
def account_read(request: HttpRequest, account_id: int):
    _require(request.user, "messaging.admin")
    found = ChannelAccount.objects.filter(pk=account_id).first()
    if found is None:
        raise NotFound(_("No such account."))
    return _account_out(found)
