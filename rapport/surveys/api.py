"""Surveys over HTTP: templates, sends, responses and the analysis. Same services and selectors
as the HTML views; errors follow the API's handlers."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from rapport.core.api import ErrorOut, PageParams, page_schema, paginate
from rapport.core.errors import Forbidden, NotFound
from rapport.customers.selectors import customer_get_for_staff
from rapport.staff.models import User
from rapport.surveys import analysis, maths, selectors, services
from rapport.surveys.schemas import (
    AnalysisQuery,
    CreditOut,
    CsatOut,
    DimensionOut,
    KanoOut,
    LoyaltyOut,
    NpsOut,
    RateOut,
    ResponseOut,
    SendIn,
    SendOut,
    ServqualOut,
    TemplateOut,
)

router = Router()
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
REFERENCE = {
    "lost_said_satisfied": "65–85%",
    "dissatisfied_never_complain": "90–98%",
    "buy_again_silent_dissatisfied": "10%",
    "buy_again_complained_unresolved": "20%",
    "buy_again_complaint_resolved_well": "90%",
}


def _require(user: User, capability: str) -> None:
    if not user.can(capability):
        raise Forbidden(_("Not allowed."))


@router.get("/templates", response={200: list[TemplateOut], **ERRORS}, summary="List templates")
def list_templates(request: HttpRequest):
    _require(request.user, "surveys.view")
    return [
        TemplateOut.from_template(t)
        for t in selectors.template_list().prefetch_related("questions")
    ]


@router.get(
    "/templates/{int:template_id}", response={200: TemplateOut, **ERRORS}, summary="Read a template"
)
def read_template(request: HttpRequest, template_id: int):
    _require(request.user, "surveys.view")
    return TemplateOut.from_template(selectors.template_get(template_id=template_id))


@router.get("/sends", response={200: page_schema(SendOut), **ERRORS}, summary="List sends")
def list_sends(request: HttpRequest, page: Query[PageParams], status: str = ""):
    return paginate(selectors.send_list(staff=request.user, status=status), page, SendOut.from_send)


@router.post(
    "/sends",
    response={201: SendOut, **ERRORS},
    summary="Send a survey to a customer about an event",
    description="One survey per event: a second call with the same `event_key` is refused "
    "with 409 `already_sent`, so retries are safe. The fatigue rules refuse with 409 and a "
    "`code` naming the rule (fatigue, opted_out, deceased, do_not_contact, open_complaint).",
)
def create_send(request: HttpRequest, payload: SendIn):
    _require(request.user, "surveys.send")
    customer = customer_get_for_staff(staff=request.user, customer_id=payload.customer_id)
    template = selectors.template_get(code=payload.template)
    owner = request.user
    if payload.owner_id is not None:
        owner = User.objects.filter(pk=payload.owner_id, is_active=True).first()
        if owner is None:
            raise NotFound(_("No such staff member."), field="owner_id")
    send = services.survey_send(
        template=template,
        customer=customer,
        trigger=payload.trigger,
        trigger_key=f"{payload.trigger}:{payload.event_key}",
        by=request.user,
        subject=payload.subject,
        owner=owner,
        team=owner.teams.order_by("pk").first(),
        channel=payload.channel,
    )
    send.refresh_from_db()
    return Status(201, SendOut.from_send(send))


@router.get("/sends/{int:send_id}", response={200: SendOut, **ERRORS}, summary="Read a send")
def read_send(request: HttpRequest, send_id: int):
    return SendOut.from_send(selectors.send_get_for_staff(staff=request.user, send_id=send_id))


@router.get(
    "/responses", response={200: page_schema(ResponseOut), **ERRORS}, summary="List responses"
)
def list_responses(request: HttpRequest, page: Query[PageParams], template: str = ""):
    qs = selectors.response_list(staff=request.user, template=template)
    return paginate(qs, page, ResponseOut.from_response)


def _sends(request: HttpRequest, q: AnalysisQuery):
    _require(request.user, "surveys.analyse")
    return analysis.sends_in_scope(staff=request.user, filters=analysis.Filters(**q.dict()))


@router.get("/analysis/csat", response={200: CsatOut, **ERRORS}, summary="CSAT distribution")
def analysis_csat(request: HttpRequest, q: Query[AnalysisQuery]):
    return analysis.csat(scope=_sends(request, q))


@router.get("/analysis/nps", response={200: NpsOut, **ERRORS}, summary="NPS")
def analysis_nps(request: HttpRequest, q: Query[AnalysisQuery]):
    return analysis.nps(scope=_sends(request, q))


@router.get(
    "/analysis/response-rates", response={200: list[RateOut], **ERRORS}, summary="Response rates"
)
def analysis_rates(request: HttpRequest, q: Query[AnalysisQuery]):
    return analysis.response_rates(scope=_sends(request, q))


@router.get(
    "/analysis/servqual",
    response={200: ServqualOut, **ERRORS},
    summary="SERVQUAL gaps by dimension, the weakest, and the trend per quarter",
)
def analysis_servqual(request: HttpRequest, q: Query[AnalysisQuery]):
    sends = _sends(request, q)
    result = analysis.servqual(scope=sends)
    weakest = result["weakest"]
    return {
        "dimensions": [
            DimensionOut(
                dimension=g.dimension,
                expectation=g.expectation,
                perception=g.perception,
                gap=g.gap,
                verdict=g.verdict,
                n=g.n,
            )
            for g in result["dimensions"]
        ],
        "weakest": weakest.dimension if weakest else None,
        "tolerance": maths.GAP_TOLERANCE,
        "trend": analysis.servqual_trend(scope=sends)["gaps"],
    }


@router.get("/analysis/kano", response={200: list[KanoOut], **ERRORS}, summary="KANO classes")
def analysis_kano(request: HttpRequest, q: Query[AnalysisQuery]):
    return [
        KanoOut(
            feature=f["code"],
            text_zh=f["question"].text_zh,
            text_en=f["question"].text_en,
            category=f["category"],
            counts=f["counts"],
            shares=f["shares"],
            better=f["better"],
            worse=f["worse"],
            n=f["n"],
        )
        for f in analysis.kano(scope=_sends(request, q))
    ]


@router.get(
    "/analysis/loyalty",
    response={200: LoyaltyOut, **ERRORS},
    summary="Satisfaction beside loyalty, with the reference figures",
)
def analysis_loyalty(request: HttpRequest, q: Query[AnalysisQuery]):
    return {**analysis.loyalty(scope=_sends(request, q)), "reference": REFERENCE}


@router.get(
    "/analysis/credit",
    response={200: list[CreditOut], **ERRORS},
    summary="Scores credited to owners and transfer handlers",
)
def analysis_credit(request: HttpRequest, q: Query[AnalysisQuery]):
    return analysis.credit(scope=_sends(request, q))
