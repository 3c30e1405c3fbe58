"""Pieces every domain's API router shares: the error shape, pagination, actor access."""

from typing import Any

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field


class FieldError(Schema):
    field: str
    message: str


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
