"""The coach, the upset detector and the phrase library over HTTP, one text or up to 500.

Mounted by rapport.api.api at `/assist`. Bad input is a 422 naming the field (text too long,
unknown language, too many items); any text within bounds gets an answer, never a 500.
"""

from django.http import HttpRequest
from ninja import Query, Router

from rapport.assist.coach import coach_check
from rapport.assist.rules import LABELS
from rapport.assist.schemas import (
    CoachBatchIn,
    CoachBatchItemOut,
    CoachIn,
    CoachOut,
    PhraseOut,
    PhraseQuery,
    UpsetBatchIn,
    UpsetBatchItemOut,
    UpsetIn,
    UpsetOut,
)
from rapport.assist.selectors import phrase_search
from rapport.assist.upset import detect_upset
from rapport.core.api import ErrorOut

router = Router()
ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _flags(text: str, language: str) -> list[dict]:
    return [
        {**flag.as_dict(), "label": str(LABELS.get(flag.rule, flag.rule))}
        for flag in coach_check(text, language=language)
    ]


@router.post(
    "/coach", response={200: CoachOut, **ERRORS}, summary="Check a draft with the phrasing coach"
)
def coach(request: HttpRequest, payload: CoachIn):
    return {"flags": _flags(payload.text, payload.language)}


@router.post(
    "/coach/batch",
    response={200: list[CoachBatchItemOut], **ERRORS},
    summary="Check up to 500 replies",
)
def coach_batch(request: HttpRequest, payload: CoachBatchIn):
    return [
        {
            "id": item.id,
            "rules": list(
                dict.fromkeys(f.rule for f in coach_check(item.text, language=payload.language))
            ),
        }
        for item in payload.items
    ]


@router.post(
    "/upset", response={200: UpsetOut, **ERRORS}, summary="Assess a message for an upset customer"
)
def upset(request: HttpRequest, payload: UpsetIn):
    return detect_upset(payload.text).as_dict()


@router.post(
    "/upset/batch",
    response={200: list[UpsetBatchItemOut], **ERRORS},
    summary="Assess up to 500 messages",
)
def upset_batch(request: HttpRequest, payload: UpsetBatchIn):
    return [{"id": item.id, **detect_upset(item.text).as_dict()} for item in payload.items]


@router.get(
    "/phrases", response={200: list[PhraseOut], **ERRORS}, summary="Search the phrase library"
)
def phrases(request: HttpRequest, params: Query[PhraseQuery]):
    return list(
        phrase_search(q=params.q, language=params.language or "", situation=params.situation)
    )
