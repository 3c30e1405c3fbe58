"""Pieces every domain's API router shares: the error shape, pagination, actor access."""

import re
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from rapport.core.queries import capped_count


class FieldError(Schema):
    field: str
    message: str
    kind: str = Field(
        "",
        description="What refused it: the request parser's error type (`string_too_long`, "
        "`datetime_out_of_range`, ...) or `rule:<code>` for a rule of the domain.",
    )


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[FieldError] = []


class PageParams(Schema):
    limit: int = Field(25, ge=1, le=200, description="Rows per page (1–200).")
    offset: int = Field(0, ge=0, le=10_000_000, description="Rows to skip.")


def paginate(
    qs: QuerySet, params: PageParams, serialize=None, *, count_cap: int | None = None
) -> dict[str, Any]:
    """A page of rows with the total; the count is taken without ordering or prefetching. With
    `count_cap`, counting stops there (a list that can hold 100k rows): `count` is then at most
    the cap (or, for a page beyond it, the next multiple of the cap past the page) and
    `count_capped` says there are more."""
    capped = False
    if not hasattr(qs, "order_by"):
        count = len(qs)
    elif count_cap is None:
        count = qs.order_by().count()
    else:
        # As the HTML queues count: up to the cap, and further for a page beyond it (to the next
        # multiple of the cap past the page's end), so `count` always covers the page asked for.
        reach = max(count_cap, -(-(params.offset + params.limit + 1) // count_cap) * count_cap)
        count = capped_count(qs, reach + 1)
        capped = count > reach
        count = min(count, reach)
    rows = list(qs[params.offset : params.offset + params.limit])
    return {
        "count": count,
        "count_capped": capped,
        "limit": params.limit,
        "offset": params.offset,
        "results": [serialize(r) for r in rows] if serialize else rows,
    }


def page_schema(item: type) -> type:
    """A response schema for a page of `item`."""
    return type(
        f"{item.__name__}Page",
        (Schema,),
        {
            "__annotations__": {
                "count": int,
                "count_capped": bool,
                "limit": int,
                "offset": int,
                "results": list[item],
            },
            "count_capped": Field(
                False, description="True when there are more rows than `count` (a capped count)."
            ),
        },
    )


def _no_float(value: Any) -> Any:
    if isinstance(value, bool | float):
        message = _("Give the amount as a string such as “600.50” or as a whole number.")
        raise PydanticCustomError("decimal_as_string", message.replace("{", "("))
    return value


def amount_type(*, max_digits: int, decimal_places: int) -> Any:
    """A non-negative amount read exactly: a string such as "600.50" or a whole number, never a
    float; the schema says so (pattern and bounds), so the documented form is the accepted one.
    Use with `Field(max_digits=..., decimal_places=...)` of the same numbers."""
    whole = max_digits - decimal_places
    return Annotated[
        Decimal,
        BeforeValidator(_no_float),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "integer", "minimum": 0, "maximum": 10**whole - 1},
                    {
                        "type": "string",
                        "pattern": rf"^[0-9]{{1,{whole}}}(\.[0-9]{{1,{decimal_places}}})?$",
                    },
                ],
                "description": f"An amount with at most {decimal_places} decimals, as a string.",
            }
        ),
    ]


class _Refused:
    """Stands in for a JSON value of the wrong type, so that the field's own validation refuses
    it with its usual error and location."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)


def _scalar(annotation: Any) -> type | None:
    """`int`, `bool`, `date` or `datetime` when a field holds that (optionally None, optionally
    annotated)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _scalar(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = {_scalar(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return annotation if annotation in (int, bool, date, datetime) else None


# The ISO 8601 forms the schema documents (`format: date` / `date-time`); pydantic would also
# read a bare number ("0", 0.5) as seconds since 1970.
_ISO = {
    date: re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    datetime: re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}"),
}


def _wrong_type(kind: type | None, value: Any, *, json: bool) -> bool:
    if kind in _ISO:
        return value is not None and not (isinstance(value, str) and _ISO[kind].match(value))
    if not json:
        return False  # a query string holds text; pydantic reads the number or flag from it
    if kind is int:
        return isinstance(value, bool | str)
    if kind is bool:
        return value is not None and not isinstance(value, bool)
    return False


def _takes_bool(annotation: Any) -> bool:
    """Whether a field's type admits true/false (pydantic's lax mode reads false as 0 for
    `str | int`, which no schema of ours means)."""
    if annotation is bool or annotation is Any:
        return True
    if annotation is type(None):
        return False
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _takes_bool(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_takes_bool(a) for a in typing.get_args(annotation))
    # containers, models and literals are checked by pydantic itself
    return (
        origin is not None
        or not isinstance(annotation, type)
        or not issubclass(annotation, str | int | float)
    )


def _refuse_wrong_types(cls, data: Any, *, json: bool) -> Any:
    # ninja hands the values over wrapped in a DjangoGetter.
    raw = data._obj if isinstance(data, DjangoGetter) else data
    if json and (raw is None or isinstance(raw, list | str | int | float | bool)):
        raise PydanticCustomError("model_type", _("Send a JSON object."))
    if not isinstance(raw, dict):
        return data
    refused = {}
    for name, field in cls.model_fields.items():
        key = field.alias or name
        if key not in raw:
            continue
        value = raw[key]
        if _wrong_type(_scalar(field.annotation), value, json=json) or (
            json and isinstance(value, bool) and not _takes_bool(field.annotation)
        ):
            refused[key] = _Refused(value)
    if not refused:
        return data
    if isinstance(data, DjangoGetter):
        return DjangoGetter({**raw, **refused}, data._schema_cls, data._context)
    return {**raw, **refused}


class BodyIn(Schema):
    """A JSON request body, read with JSON's types as the schema states them: `true` is not the
    integer 1, neither 1 nor "yes" is the boolean true, a date is an ISO string and not a number
    of seconds, and the body is an object (pydantic's lax mode would take each of them, so the
    server accepted what its own schema calls invalid)."""

    @model_validator(mode="before")
    @classmethod
    def _json_types(cls, data: Any) -> Any:
        return _refuse_wrong_types(cls, data, json=True)


class QueryIn(Schema):
    """Query parameters: dates and times in the ISO forms the schema documents, never a bare
    number read as seconds since 1970."""

    @model_validator(mode="before")
    @classmethod
    def _iso_dates(cls, data: Any) -> Any:
        return _refuse_wrong_types(cls, data, json=False)


def _iso(kind: type):
    def check(value: Any) -> Any:
        if _wrong_type(kind, value, json=False):
            raise PydanticCustomError(
                f"{kind.__name__}_not_iso",
                _("Give the date as YYYY-MM-DD.")
                if kind is date
                else _("Give the time as YYYY-MM-DDTHH:MM:SS with its zone."),
            )
        return value

    return BeforeValidator(check)


# For a date or time read outside a BodyIn/QueryIn schema (a plain query parameter).
IsoDate = Annotated[date, _iso(date)]
IsoDatetime = Annotated[datetime, _iso(datetime)]


class BulkItemOut(Schema):
    """What happened to one item of a bulk request (rapport.core.bulk)."""

    id: int
    label: str
    ok: bool
    code: str
    reason: str


class BulkOut(Schema):
    done: int
    refused: int
    items: list[BulkItemOut]


class BulkIdsIn(BodyIn):
    ids: list[int] = Field(..., max_length=10_000)
