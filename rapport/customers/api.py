"""Customers, identities and assets over HTTP. Same services and selectors as the HTML views."""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from rapport.core.api import ErrorOut, PageParams, QueryIn, page_schema, paginate
from rapport.core.errors import DomainError, Forbidden, NotFound
from rapport.customers import selectors, services
from rapport.customers.schemas import (
    AssetIn,
    AssetOut,
    AssetPatch,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    IdentityIn,
    IdentityOut,
    MergedOut,
    MergeIn,
    MergeOut,
    RevealIn,
    StageT,
    TierT,
)
from rapport.staff.models import Team, User

router = Router()
_BLANKABLE = {"churn_reason", "churn_note", "gender", "id_number", "city", "address", "notes"}
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class CustomerFilters(QueryIn):
    q: str = ""
    tier: TierT | None = None
    stage: StageT | None = None
    tag: str = ""
    sort: str = "recent"


def _require(user: User, capability: str) -> None:
    if not user.can(capability):
        raise Forbidden(_("Not allowed."))


def _relations(data: dict) -> dict:
    """Turn *_id fields into objects, refusing ids that do not exist."""
    out = dict(data)
    if "service_team_id" in out:
        team_id = out.pop("service_team_id")
        out["service_team"] = Team.objects.filter(pk=team_id).first() if team_id else None
        if team_id and out["service_team"] is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"service_team_id": [_("No such team.")]})
    if "account_manager_id" in out:
        user_id = out.pop("account_manager_id")
        out["account_manager"] = (
            User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
        )
        if user_id and out["account_manager"] is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"account_manager_id": [_("No such staff member.")]})
    return out


@router.get("", response={200: page_schema(CustomerOut), **ERRORS}, summary="List customers")
def list_customers(request: HttpRequest, filters: Query[CustomerFilters], page: Query[PageParams]):
    qs = selectors.customer_list(
        staff=request.user,
        q=filters.q,
        tier=filters.tier or "",
        stage=filters.stage or "",
        tag=filters.tag,
        sort=filters.sort,
    ).prefetch_related(Prefetch("identities", to_attr="api_identities"))
    return paginate(qs, page, CustomerOut.from_customer)


@router.post("", response={201: CustomerOut, **ERRORS}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerIn):
    _require(request.user, "customers.create")
    data = _relations(payload.model_dump(exclude={"identities", "tags", "name"}, exclude_none=True))
    tags = [services.tag_get_or_create(name=t) for t in payload.tags]
    customer = services.customer_create(
        by=request.user,
        name=payload.name,
        identities=[services.IdentityInput(**i.model_dump()) for i in payload.identities],
        tags=tags,
        **data,
    )
    return Status(201, CustomerOut.from_customer(customer))


@router.get(
    "/{int:customer_id}",
    response={200: CustomerOut, 301: MergedOut, **ERRORS},
    summary="Read a customer",
    description="A customer that was merged into another answers 301 with `Location` set to "
    "the surviving customer and a body naming it (`merged_into`).",
)
def read_customer(request: HttpRequest, customer_id: int, response: HttpResponse):
    survivor = selectors.customer_resolve_merged(customer_id=customer_id)
    if survivor is not None and request.user.can("customers.view"):
        response["Location"] = reverse("api:read_customer", args=[survivor])
        message = _("This customer was merged; the file lives on as customer %(id)s.")
        return Status(301, MergedOut(message=message % {"id": survivor}, merged_into=survivor))
    return CustomerOut.from_customer(
        selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    )


@router.patch(
    "/{int:customer_id}", response={200: CustomerOut, **ERRORS}, summary="Update a customer"
)
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch):
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    data = _relations(payload.model_dump(exclude_unset=True))
    for key in ("name", "kind", "tier", "lifecycle_stage", "language"):
        if key in data and data[key] is None:
            data.pop(key)
    data = {k: ("" if v is None and k in _BLANKABLE else v) for k, v in data.items()}
    services.customer_update(customer=customer, by=request.user, **data)
    return CustomerOut.from_customer(customer)


@router.post(
    "/{int:customer_id}/merge",
    response={200: MergeOut, **ERRORS},
    summary="Merge a duplicate into this customer",
)
def merge_customer(request: HttpRequest, customer_id: int, payload: MergeIn):
    _require(request.user, "customers.merge")
    survivor = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    try:
        duplicate = selectors.customer_get_for_staff(
            staff=request.user, customer_id=payload.duplicate_id
        )
    except NotFound as exc:
        # The customer in the path exists; only the one named in the body is missing.
        raise DomainError(
            _("No such customer to merge."), code="duplicate_not_found", field="duplicate_id"
        ) from exc
    result = services.customer_merge(
        survivor=survivor, duplicate=duplicate, by=request.user, request=request
    )
    return {
        "survivor": CustomerOut.from_customer(result.survivor),
        "merged_id": duplicate.pk,
        "moved": result.moved,
    }


@router.post(
    "/{int:customer_id}/reveal",
    response={200: dict, **ERRORS},
    summary="Reveal unmasked personal data (audited)",
)
def reveal_customer(request: HttpRequest, customer_id: int, payload: RevealIn):
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    return services.customer_reveal(
        customer=customer,
        by=request.user,
        what=payload.what,
        reason=payload.reason,
        note=payload.note,
        request=request,
    )


@router.get(
    "/{int:customer_id}/identities",
    response={200: list[IdentityOut], **ERRORS},
    summary="List a customer's identities",
)
def list_identities(request: HttpRequest, customer_id: int):
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    return [IdentityOut.from_identity(i) for i in customer.identities.all()]


@router.post(
    "/{int:customer_id}/identities",
    response={201: IdentityOut, **ERRORS},
    summary="Add a phone, e-mail or WeChat id",
)
def add_identity(request: HttpRequest, customer_id: int, payload: IdentityIn):
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    identity = services.identity_add(customer=customer, by=request.user, **payload.model_dump())
    return Status(201, IdentityOut.from_identity(identity))


@router.delete(
    "/identities/{int:identity_id}", response={204: None, **ERRORS}, summary="Remove an identity"
)
def remove_identity(request: HttpRequest, identity_id: int):
    identity = selectors.identity_get_for_staff(staff=request.user, identity_id=identity_id)
    services.identity_remove(identity=identity, by=request.user)
    return Status(204, None)


@router.get(
    "/lookup",
    response={200: CustomerOut, **ERRORS},
    summary="Find the customer an inbound phone, e-mail or WeChat id belongs to",
)
def lookup_customer(request: HttpRequest, kind: str, value: str):
    customer = selectors.customer_find_by_identity(kind=kind, raw=value)
    if customer is None:
        raise NotFound(_("No customer has this identity."))
    return CustomerOut.from_customer(customer)


@router.get(
    "/{int:customer_id}/assets", response={200: list[AssetOut], **ERRORS}, summary="List assets"
)
def list_assets(request: HttpRequest, customer_id: int):
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    return [AssetOut.from_asset(a) for a in customer.assets.order_by("kind", "name", "id")]


@router.post(
    "/{int:customer_id}/assets", response={201: AssetOut, **ERRORS}, summary="Add an asset"
)
def add_asset(request: HttpRequest, customer_id: int, payload: AssetIn):
    customer = selectors.customer_get_for_staff(staff=request.user, customer_id=customer_id)
    asset = services.asset_create(customer=customer, by=request.user, **payload.model_dump())
    return Status(201, AssetOut.from_asset(asset))


@router.get("/assets/{int:asset_id}", response={200: AssetOut, **ERRORS}, summary="Read an asset")
def read_asset(request: HttpRequest, asset_id: int):
    return AssetOut.from_asset(selectors.asset_get_for_staff(staff=request.user, asset_id=asset_id))


@router.patch(
    "/assets/{int:asset_id}", response={200: AssetOut, **ERRORS}, summary="Update an asset"
)
def update_asset(request: HttpRequest, asset_id: int, payload: AssetPatch):
    asset = selectors.asset_get_for_staff(staff=request.user, asset_id=asset_id)
    data = {
        k: ("" if v is None and k in {"identifier", "plate", "model", "notes"} else v)
        for k, v in payload.model_dump(exclude_unset=True).items()
    }
    services.asset_update(asset=asset, by=request.user, **data)
    return AssetOut.from_asset(asset)
