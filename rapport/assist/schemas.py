from typing import Literal

from ninja import Schema
from pydantic import Field

from rapport.core.api import BodyIn, QueryIn

LanguageT = Literal["zh-hans", "en"]
MAX_TEXT = 20_000
MAX_BATCH = 500


class CoachIn(BodyIn):
    text: str = Field(..., max_length=MAX_TEXT, description="The draft reply (may be empty).")
    language: LanguageT = "zh-hans"


class FlagOut(Schema):
    rule: str
    label: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str


class CoachOut(Schema):
    flags: list[FlagOut]


class BatchItemIn(BodyIn):
    id: str | int | None = None
    text: str = Field(..., max_length=MAX_TEXT)


class CoachBatchIn(BodyIn):
    items: list[BatchItemIn] = Field(..., max_length=MAX_BATCH)
    language: LanguageT = "zh-hans"


class CoachBatchItemOut(Schema):
    id: str | int | None
    rules: list[str]


class UpsetIn(BodyIn):
    text: str = Field(..., max_length=MAX_TEXT)


class UpsetOut(Schema):
    upset: bool
    intensity: int
    reasons: list[str]
    risk: bool


class UpsetBatchIn(BodyIn):
    items: list[BatchItemIn] = Field(..., max_length=MAX_BATCH)


class UpsetBatchItemOut(UpsetOut):
    id: str | int | None


class PhraseQuery(QueryIn):
    q: str = Field("", max_length=100)
    language: LanguageT | None = None
    situation: str = Field("", max_length=16)


class PhraseOut(Schema):
    code: str
    situation: str
    language: str
    title: str
    text: str
