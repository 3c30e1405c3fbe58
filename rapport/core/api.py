"""Pieces every domain's API router shares: the error shape, pagination, actor access."""

from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError


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


def paginate(qs: QuerySet, params: PageParams, serialize=None) -> dict[str, Any]:
    """A page of rows with the total; the count is taken without ordering or prefetching."""
    count = qs.order_by().count() if hasattr(qs, "order_by") else len(qs)
    rows = list(qs[params.offset : params.offset + params.limit])
    return {
        "count": count,
        "limit": params.limit,
        "offset": params.offset,
        "results": [serialize(r) for r in rows] if serialize else rows,
    }


def page_schema(item: type) -> type:
    """A response schema for a page of `item`."""
    return type(
        f"{item.__name__}Page",
        (Schema,),
        {"__annotations__": {"count": int, "limit": int, "offset": int, "results": list[item]}},
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
