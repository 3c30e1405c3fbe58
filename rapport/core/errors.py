"""Errors the services raise. Views turn them into messages, the API into JSON with `code`."""

from typing import Any


class DomainError(Exception):
    """A request the domain refuses, with a stable machine-readable code."""

    code = "refused"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.field:
            data["errors"] = [{"field": self.field, "message": str(self.message)}]
        return data


class NotFound(DomainError):
    """The object does not exist, or the actor may not see it: the two look the same."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409
