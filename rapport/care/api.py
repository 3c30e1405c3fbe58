"""Customer care over HTTP: segments, programs (create, activate, pause), runs and results.

The same services and selectors as the pages; a service's ValidationError becomes a 422 naming
the field, a refusal its 403/404/409.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from rapport.care import results, selectors, services
from rapport.care.models import CareRun, Program
from rapport.core.api import BodyIn, ErrorOut, PageParams, page_schema, paginate
from rapport.core.bounds import BoundedDate
from rapport.core.errors import Forbidden, NotFound
from rapport.staff.models import Team

router = Router()
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _require(request: HttpRequest, capability: str) -> None:
    if not request.user.can(capability):
        raise Forbidden(_("Not allowed."))


class SegmentIn(BodyIn):
    name: str = Field(..., min_length=1, max_length=80)
    description: str = Field("", max_length=300)
    definition: dict[str, Any] = Field(default_factory=dict)
    confirm_everyone: bool = False


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    definition: dict[str, Any]
    everyone_confirmed: bool


class SegmentPreviewOut(Schema):
    count: int
    sample: list[dict[str, Any]]


class ProgramIn(BodyIn):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=500)
    purpose: Literal["service", "marketing"] = "service"
    segment_id: int | None = None
    team_id: int | None = None
    trigger: Literal[tuple(Program.Trigger.values)]  # type: ignore[valid-type]
    offset_days: int = Field(0, ge=-366, le=366)
    schedule_on: BoundedDate | None = None
    maintenance_days: int = Field(180, ge=1, le=3650)
    maintenance_km: int = Field(5000, ge=100, le=100_000)
    action: Literal["call", "message", "message_then_call"]
    template_code: str = Field("", max_length=40)
    script_code: str = Field("", max_length=60)
    script_text: str = Field("", max_length=4000)
    followup_days: int = Field(3, ge=0, le=60)
    quiet_days: int = Field(14, ge=0, le=365)
    holdout_percent: int = Field(10, ge=0, le=50)
    max_per_run: int | None = Field(None, ge=0, le=1_000_000)
    starts_on: BoundedDate | None = None
    ends_on: BoundedDate | None = None


class ProgramOut(Schema):
    id: int
    name: str
    description: str
    purpose: str
    status: str
    segment_id: int | None
    team_id: int | None
    trigger: str
    offset_days: int
    schedule_on: date | None
    action: str
    template_code: str
    script_code: str
    script_text: str
    followup_days: int
    quiet_days: int
    holdout_percent: int
    max_per_run: int | None
    starts_on: date
    ends_on: date | None
    version: int
    evaluated_through: date | None


class RunOut(Schema):
    id: int
    program_id: int
    run_on: date
    status: str
    planned: int
    held_out: int
    confirmed_by_id: int | None
    confirmed_at: datetime | None


class RunRowOut(Schema):
    run_id: int | None
    run_on: date | None
    counts: dict[str, int]
    skipped_by_reason: dict[str, int]


class ResultsOut(Schema):
    program_id: int
    runs: list[RunRowOut]
    total: RunRowOut
    reached_customers: int
    held_out_customers: int
    reached_retained_percent: float | None
    held_out_retained_percent: float | None
    reached_satisfaction: float | None
    held_out_satisfaction: float | None


class RunFilter(Schema):
    program_id: int | None = Field(None, ge=1, le=2**63 - 1)
    status: Literal["released", "awaiting", "confirmed", "cancelled"] | None = None


def _program_fields(payload: ProgramIn, *, partial: bool = False) -> dict:
    data = payload.model_dump(exclude_unset=partial)
    fields = {k: v for k, v in data.items() if k not in ("segment_id", "team_id")}
    if "segment_id" in data:
        fields["segment"] = None
        if data["segment_id"] is not None:
            fields["segment"] = selectors.segment_list().filter(pk=data["segment_id"]).first()
            if fields["segment"] is None:
                raise NotFound(_("No such segment."))
    if "team_id" in data:
        fields["team"] = None
        if data["team_id"] is not None:
            fields["team"] = Team.objects.filter(pk=data["team_id"]).first()
            if fields["team"] is None:
                raise NotFound(_("No such team."))
    if fields.get("starts_on") is None:
        fields.pop("starts_on", None)
    return fields


@router.get("/segments", response={200: list[SegmentOut], **ERRORS}, summary="Customer segments")
def list_segments(request: HttpRequest):
    _require(request, "care.manage")
    return list(selectors.segment_list())


@router.post("/segments", response={201: SegmentOut, **ERRORS}, summary="Create a segment")
def create_segment(request: HttpRequest, payload: SegmentIn):
    segment = services.segment_create(by=request.user, **payload.model_dump())
    return Status(201, segment)


@router.get(
    "/segments/{int:segment_id}/preview",
    response={200: SegmentPreviewOut, **ERRORS},
    summary="Count and sample of a segment",
)
def preview_segment(request: HttpRequest, segment_id: int):
    segment = selectors.segment_get(staff=request.user, segment_id=segment_id)
    count, sample = selectors.segment_preview(definition=segment.definition)
    return {"count": count, "sample": [{"id": c.pk, "name": c.name} for c in sample]}


@router.get("/programs", response={200: list[ProgramOut], **ERRORS}, summary="Care programs")
def list_programs(request: HttpRequest):
    _require(request, "care.work")
    return list(selectors.program_list())


@router.post("/programs", response={201: ProgramOut, **ERRORS}, summary="Create a program (draft)")
def create_program(request: HttpRequest, payload: ProgramIn):
    _require(request, "care.manage")
    program = services.program_create(by=request.user, **_program_fields(payload))
    return Status(201, program)


@router.get("/programs/{int:program_id}", response={200: ProgramOut, **ERRORS}, summary="A program")
def read_program(request: HttpRequest, program_id: int):
    return selectors.program_get(staff=request.user, program_id=program_id)


@router.post(
    "/programs/{int:program_id}/activate", response={200: ProgramOut, **ERRORS}, summary="Activate"
)
def activate_program(request: HttpRequest, program_id: int):
    program = selectors.program_get(staff=request.user, program_id=program_id)
    return services.program_activate(program=program, by=request.user)


@router.post(
    "/programs/{int:program_id}/pause", response={200: ProgramOut, **ERRORS}, summary="Pause"
)
def pause_program(request: HttpRequest, program_id: int):
    program = selectors.program_get(staff=request.user, program_id=program_id)
    return services.program_pause(program=program, by=request.user)


@router.get("/runs", response={200: page_schema(RunOut), **ERRORS}, summary="Care runs")
def list_runs(request: HttpRequest, filters: Query[RunFilter], page: Query[PageParams]):
    _require(request, "care.work")
    qs = CareRun.objects.order_by("-run_on", "-id")
    if filters.program_id:
        qs = qs.filter(program_id=filters.program_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paginate(qs, page)


@router.get("/runs/{int:run_id}", response={200: RunOut, **ERRORS}, summary="A run")
def read_run(request: HttpRequest, run_id: int):
    return selectors.run_get(staff=request.user, run_id=run_id)


@router.post(
    "/runs/{int:run_id}/confirm", response={200: RunOut, **ERRORS}, summary="Confirm a run"
)
def confirm_run(request: HttpRequest, run_id: int):
    run = selectors.run_get(staff=request.user, run_id=run_id)
    return services.run_confirm(run=run, by=request.user)


def _row(r: results.RunRow) -> dict:
    return {
        "run_id": r.run.pk if r.run else None,
        "run_on": r.run.run_on if r.run else None,
        "counts": {k: r.counts.get(k, 0) for k, _label in results.METRICS},
        "skipped_by_reason": dict(r.skipped_by),
    }


@router.get(
    "/programs/{int:program_id}/results",
    response={200: ResultsOut, **ERRORS},
    summary="Results per run and against the hold-out",
)
def program_results(request: HttpRequest, program_id: int):
    program = selectors.program_get(staff=request.user, program_id=program_id)
    rows, total, _reasons, c = results.program_results(program=program)
    return {
        "program_id": program.pk,
        "runs": [_row(r) for r in rows],
        "total": _row(total),
        "reached_customers": c.reached,
        "held_out_customers": c.held_out,
        "reached_retained_percent": c.reached_retained,
        "held_out_retained_percent": c.held_out_retained,
        "reached_satisfaction": c.reached_csat,
        "held_out_satisfaction": c.held_out_csat,
    }
