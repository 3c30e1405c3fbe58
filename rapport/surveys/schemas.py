from datetime import datetime
from typing import Literal

from ninja import Schema
from pydantic import Field

from rapport.core.api import BodyIn, QueryIn
from rapport.core.bounds import BoundedDate
from rapport.surveys.models import Question, SurveyResponse, SurveySend, SurveyTemplate

TriggerT = Literal["service_completed", "manual"]


class QuestionOut(Schema):
    id: int
    position: int
    code: str
    kind: str
    text_zh: str
    text_en: str
    alt_text_zh: str
    alt_text_en: str
    dimension: str
    options: list[dict]
    required: bool


class TemplateOut(Schema):
    id: int
    code: str
    kind: str
    name_zh: str
    name_en: str
    intro_zh: str
    intro_en: str
    is_active: bool
    questions: list[QuestionOut]

    @staticmethod
    def from_template(t: SurveyTemplate) -> "TemplateOut":
        questions = [
            QuestionOut(**{f: getattr(q, f) for f in QuestionOut.model_fields})
            for q in sorted(t.questions.all(), key=lambda q: (q.position, q.id))
        ]
        data = {f: getattr(t, f) for f in TemplateOut.model_fields if f != "questions"}
        return TemplateOut(**data, questions=questions)


class SendIn(BodyIn):
    customer_id: int
    template: str = Field("post_ticket_csat", description="A template code.")
    trigger: TriggerT = "service_completed"
    event_key: str = Field(
        ...,
        min_length=1,
        max_length=60,
        description="Names the event, e.g. a work order number; one survey per event.",
    )
    subject: str = Field("", max_length=200, description="What the survey is about.")
    owner_id: int | None = Field(None, description="Whose work it rates; defaults to the caller.")
    channel: str = Field("", max_length=16)


class SendOut(Schema):
    id: int
    template: str
    customer_id: int
    trigger: str
    trigger_key: str
    subject: str
    ticket_id: int | None
    owner_id: int | None
    team_id: int | None
    channel: str
    ticket_type: str
    language: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    expires_at: datetime | None

    @staticmethod
    def from_send(s: SurveySend) -> "SendOut":
        data = {f: getattr(s, f) for f in SendOut.model_fields if f != "template"}
        return SendOut(**data, template=s.template.code)


class AnswerOut(Schema):
    question: str
    kind: str
    value: int | None
    value_b: int | None
    text: str
    choices: list[str]


class ResponseOut(Schema):
    id: int
    send_id: int
    template: str
    customer_id: int
    submitted_at: datetime
    updated_at: datetime
    edit_count: int
    csat: int | None
    nps: int | None
    solved: bool | None
    needs_follow_up: bool
    follow_up_ticket_id: int | None
    follow_up_error: str = Field("", description="Why the follow-up ticket could not be opened.")
    answers: list[AnswerOut]

    @staticmethod
    def from_response(r: SurveyResponse) -> "ResponseOut":
        answers = [
            AnswerOut(
                question=a.question.code,
                kind=a.question.kind,
                value=a.value,
                value_b=a.value_b,
                text=a.text,
                choices=a.choices,
            )
            for a in r.answers.all()
        ]
        data = {
            f: getattr(r, f)
            for f in ResponseOut.model_fields
            if f not in ("template", "customer_id", "answers")
        }
        return ResponseOut(
            **data, template=r.send.template.code, customer_id=r.send.customer_id, answers=answers
        )


class AnalysisQuery(QueryIn):
    date_from: BoundedDate | None = None
    date_to: BoundedDate | None = None
    team_id: int | None = None
    agent_id: int | None = None
    channel: str = ""
    ticket_type: str = ""
    tier: str = ""
    template: str = ""


class CsatOut(Schema):
    counts: dict[int, int]
    mean: float | None
    satisfied_share: float | None = Field(
        None, description="The CSAT figure: share of answers 4 or 5, from 0 to 1 (null with none)."
    )
    n: int


class NpsOut(Schema):
    score: float | None
    promoters: int
    passives: int
    detractors: int
    n: int
    counts: dict[int, int]


class RateOut(Schema):
    template: str
    delivered: int
    answered: int
    undeliverable: int
    rate: float | None


class DimensionOut(Schema):
    dimension: str
    expectation: float | None
    perception: float | None
    gap: float | None
    verdict: str | None
    n: int


class ServqualOut(Schema):
    dimensions: list[DimensionOut]
    weakest: str | None
    tolerance: float
    trend: dict[str, dict[str, float]]


class KanoOut(Schema):
    feature: str
    text_zh: str
    text_en: str
    category: str | None
    counts: dict[str, int]
    shares: dict[str, float]
    better: float | None
    worse: float | None
    n: int


class LoyaltyBandOut(Schema):
    band: str
    n: int
    came_back: int
    active: int
    lost: int
    came_back_share: float | None
    active_share: float | None
    lost_share: float | None
    churn: list[tuple[str, int]]


class LoyaltyOut(Schema):
    bands: list[LoyaltyBandOut]
    lost_total: int
    lost_said_satisfied_share: float | None
    reference: dict[str, str]


class CreditPartOut(Schema):
    n: int
    csat: float | None
    nps: float | None


class CreditOut(Schema):
    staff_id: int
    name: str
    owner: CreditPartOut | None
    transfer: CreditPartOut | None


QUESTION_KINDS = [k for k, _ in Question.Kind.choices]
