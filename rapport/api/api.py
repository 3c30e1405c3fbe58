"""The one NinjaAPI: bearer-token auth, JSON errors with a stable `code`, and every domain router."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from rapport.core.bounds import BoundedParser
from rapport.core.calendar.api import router as calendars_router
from rapport.core.errors import DomainError
from rapport.core.middleware import RETRY_AFTER_DEFAULT
from rapport.customers.api import router as customers_router
from rapport.sla.api import router as sla_router
from rapport.staff.services import api_token_authenticate


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Rapport API",
    version="1",
    description="客户互动与服务管理系统 — customers, identities, assets and more. "
    "Authenticate with `Authorization: Bearer <token>` (create one with `rapport token create USER`).",
    auth=BearerAuth(),
    urls_namespace="api",
    parser=BoundedParser(),
)


def _error(request, status: int, code: str, message: str, errors: list | None = None):
    body = {"code": code, "message": message, "errors": errors or []}
    return api.create_response(request, body, status=status)


def _loc_to_field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "params")]
    return ".".join(parts) or "body"


_UNION_TAGS = {"str", "int", "float", "bool", "none", "decimal", "list", "dict"}


def _without_union_tags(locs: list[tuple]) -> list[tuple]:
    """A value refused by every member of a union (`str | int`) comes back once per member, each
    location ending in the member's tag (`items.0.id.str`, `items.0.id.int`): name the field."""
    out = []
    for loc in locs:
        tail = str(loc[-1]) if loc else ""
        siblings = sum(1 for other in locs if other[:-1] == loc[:-1])
        if siblings > 1 and (tail in _UNION_TAGS or "[" in tail):
            loc = loc[:-1]
        out.append(loc)
    return out


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    locs = _without_union_tags([tuple(e.get("loc", ())) for e in exc.errors])
    errors, seen = [], set()
    for loc, e in zip(locs, exc.errors, strict=True):
        field = _loc_to_field(loc)
        if field in seen:
            continue
        seen.add(field)
        errors.append({"field": field, "message": e.get("msg", ""), "kind": e.get("type", "")})
    first = errors[0] if errors else {"field": "", "message": ""}
    message = _("Invalid input: %(field)s — %(message)s") % first
    return _error(request, 422, "validation_error", message, errors)


def _django_code(error: DjangoValidationError) -> str:
    return f"rule:{error.code}" if error.code else "rule"


@api.exception_handler(DjangoValidationError)
def on_model_validation_error(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": field, "message": message, "kind": _django_code(error)}
            for field, errs in exc.error_dict.items()
            for error in errs
            for message in error.messages
        ]
    else:
        errors = [
            {"field": "", "message": message, "kind": _django_code(error)}
            for error in exc.error_list
            for message in error.messages
        ]
    first = errors[0]
    return _error(
        request,
        422,
        "validation_error",
        f"{first['field']}: {first['message']}".strip(": "),
        errors,
    )


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    body = exc.as_dict()
    body.setdefault("errors", [])
    response = api.create_response(request, body, status=exc.status)
    if exc.status == 429:
        response["Retry-After"] = str(getattr(exc, "retry_after", RETRY_AFTER_DEFAULT))
    return response


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, "unauthenticated", _("A valid bearer token is required."))


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or _("Not allowed."))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, NinjaValidationError):  # the parser refused a field
        return on_validation_error(request, exc.__cause__)
    return _error(request, exc.status_code, "error", str(exc))


api.add_router("/customers", customers_router, tags=["customers"])
api.add_router("/calendars", calendars_router, tags=["business calendars"])
api.add_router("/sla", sla_router, tags=["service levels"])

from rapport.assist import api as assist_api  # noqa: E402
from rapport.interactions import api as interactions_api  # noqa: E402

api.add_router("/assist", assist_api.router, tags=["assistance"])

api.add_router("/interactions", interactions_api.router, tags=["interactions"])
api.add_router("/tasks", interactions_api.tasks_router, tags=["follow-up tasks"])
api.add_router("/agent-status", interactions_api.status_router, tags=["agent status"])
api.add_router("/measures", interactions_api.measures_router, tags=["measures"])

from rapport.surveys import api as surveys_api  # noqa: E402

api.add_router("/surveys", surveys_api.router, tags=["surveys"])

from rapport.care import api as care_api  # noqa: E402

api.add_router("/care", care_api.router, tags=["customer care"])

from rapport.appointments import api as appointments_api  # noqa: E402

api.add_router("/appointments", appointments_api.router, tags=["appointments"])
api.add_router("/work-orders", appointments_api.workorders_router, tags=["work orders"])

from rapport.tickets import api as tickets_api  # noqa: E402

api.add_router("/tickets", tickets_api.router, tags=["tickets"])

from rapport.channels import api as channels_api  # noqa: E402
from rapport.tickets import api_conversations  # noqa: E402

api.add_router("/conversations", api_conversations.router, tags=["conversations"])
api.add_router("/outbox", channels_api.outbox_router, tags=["outbox"])
api.add_router("/message-templates", channels_api.templates_router, tags=["message templates"])
api.add_router("/channel-accounts", channels_api.accounts_router, tags=["channel accounts"])

from rapport.channels import webhook_api as channels_webhook_api  # noqa: E402
from rapport.channels.wechat import callback as chat_callback  # noqa: E402

api.add_router("/channels/email", channels_webhook_api.router, tags=["channels"])
api.add_router("/channels", chat_callback.router, tags=["channels"])

from rapport.channels.phone import api as phone_api  # noqa: E402

api.add_router("/channels/phone", phone_api.router, tags=["channels"])
from rapport.channels.sms import api as sms_api  # noqa: E402

api.add_router("/channels/sms", sms_api.router, tags=["channels"])


@csrf_exempt
def not_found(request: HttpRequest, path: str = ""):
    """Any path under /api/v1/ that names no operation (an id that is not a number, a typo)
    answers as every other API error does: JSON with `code`, never the HTML 404 page."""
    return _error(request, 404, "not_found", _("Not found."))
