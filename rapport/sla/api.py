"""Service levels over HTTP: policies, compliance, and a staff member's alerts."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rapport.core.api import BodyIn, BulkIdsIn, BulkOut, ErrorOut, QueryIn
from rapport.core.bounds import BoundedDatetime
from rapport.core.calendar.selectors import calendar_get
from rapport.core.errors import DomainError, Forbidden
from rapport.sla import selectors, services
from rapport.sla.bulk import alerts_acknowledge_bulk
from rapport.sla.models import SlaPolicy

router = Router()
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
KindT = Literal["first_response", "next_reply", "resolution"]


class PolicyIn(BodyIn):
    name: str = Field(..., min_length=1, max_length=80)
    calendar_id: int
    ticket_kind: str = Field("", max_length=20)
    priority: int | None = Field(None, ge=1, le=4)
    channel: str = Field("", max_length=20)
    customer_tier: str = Field("", max_length=20)
    first_response_seconds: int | None = Field(None, gt=0, le=365 * 24 * 3600)
    next_reply_seconds: int | None = Field(None, gt=0, le=365 * 24 * 3600)
    resolution_seconds: int | None = Field(None, gt=0, le=365 * 24 * 3600)
    warn_share: float = Field(0.8, gt=0, le=1)
    precedence: int = Field(100, ge=0, le=1000)


class PolicyOut(Schema):
    id: int
    name: str
    calendar_id: int
    ticket_kind: str
    priority: int | None
    channel: str
    customer_tier: str
    first_response_seconds: int | None
    next_reply_seconds: int | None
    resolution_seconds: int | None
    warn_share: float
    precedence: int
    is_active: bool


class ComplianceQuery(QueryIn):
    kind: KindT = "resolution"
    start: BoundedDatetime
    end: BoundedDatetime
    by: Literal["team", "person", "type", "channel", "priority", "kind"] | None = None


class ComplianceRowOut(Schema):
    key: str | int | None
    label: str
    total: int
    met: int
    breached: int
    rate: float | None


class AlertOut(Schema):
    id: int
    kind: str
    level: int
    clock_kind: str
    ticket_id: int
    due_at: datetime | None
    created_at: datetime
    acknowledged_at: datetime | None


def _alert(a) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        "level": a.level,
        "clock_kind": a.clock.kind,
        "ticket_id": a.clock.ticket_id,
        "due_at": a.clock.due_at,
        "created_at": a.created_at,
        "acknowledged_at": a.acknowledged_at,
    }


@router.get(
    "/policies", response={200: list[PolicyOut], **ERRORS}, summary="Service-level policies"
)
def list_policies(request: HttpRequest):
    return list(SlaPolicy.objects.order_by("precedence", "name"))


@router.post("/policies", response={201: PolicyOut, **ERRORS}, summary="Create a policy")
def create_policy(request: HttpRequest, payload: PolicyIn):
    if not request.user.can("sla.manage"):
        raise Forbidden(_("Only administrators change service-level policies."))
    data = payload.model_dump()
    calendar = calendar_get(calendar_id=data.pop("calendar_id"))
    data["warn_share"] = Decimal(str(round(data["warn_share"], 2)))
    policy = SlaPolicy(calendar=calendar, **data)
    if not any(
        [policy.first_response_seconds, policy.next_reply_seconds, policy.resolution_seconds]
    ):
        raise DomainError(_("A policy needs at least one target."), field="resolution_seconds")
    policy.full_clean()
    policy.save()
    return Status(201, policy)


@router.get(
    "/compliance",
    response={200: list[ComplianceRowOut], **ERRORS},
    summary="Compliance rate (达标率)",
)
def compliance(request: HttpRequest, query: Query[ComplianceQuery]):
    if not request.user.can("sla.compliance"):
        raise Forbidden(_("Not allowed."))
    rows = selectors.sla_compliance(kind=query.kind, start=query.start, end=query.end, by=query.by)
    return [
        {
            "key": r.key,
            "label": r.label,
            "total": r.total,
            "met": r.met,
            "breached": r.breached,
            "rate": r.rate,
        }
        for r in rows
    ]


@router.get("/alerts", response={200: list[AlertOut], **ERRORS}, summary="My open alerts")
def my_alerts(request: HttpRequest):
    return [_alert(a) for a in selectors.alerts_for(staff=request.user)[:200]]


@router.post(
    "/alerts/{int:alert_id}/acknowledge",
    response={200: AlertOut, **ERRORS},
    summary="Acknowledge an alert",
)
def acknowledge(request: HttpRequest, alert_id: int):
    alert = selectors.alert_get_for_staff(staff=request.user, alert_id=alert_id)
    return _alert(services.alert_acknowledge(alert=alert, by=request.user))


@router.post(
    "/alerts/acknowledge",
    response={200: BulkOut, **ERRORS},
    summary="Acknowledge many of my alerts",
    description="At most 500 ids; another's alert is refused as not found.",
)
def acknowledge_alerts(request: HttpRequest, payload: BulkIdsIn):
    return alerts_acknowledge_bulk(staff=request.user, ids=payload.ids).as_dict()
