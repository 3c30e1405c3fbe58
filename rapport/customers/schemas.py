from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from rapport.core.api import BodyIn, amount_type
from rapport.core.bounds import BoundedDate
from rapport.core.masking import mask_id_number, mask_phone
from rapport.customers.models import Asset, Customer, Identity

KindT = Literal["person", "organisation"]
TierT = Literal["vip", "key_account", "regular", "potential"]
StageT = Literal["potential", "new", "active", "at_risk", "lost"]
ChurnT = Literal[
    "", "death", "moved_away", "other_company", "competition", "product", "attitude", "other"
]
GenderT = Literal["", "female", "male"]
LangT = Literal["zh-hans", "en"]
IdentityKindT = Literal["phone", "email", "wechat"]
AssetKindT = Literal["vehicle", "policy", "device", "contract"]


LifetimeValue = amount_type(max_digits=14, decimal_places=2)


class IdentityIn(BodyIn):
    kind: IdentityKindT
    value: str = Field(..., min_length=1, max_length=254)
    label: str = Field("", max_length=30)
    is_primary: bool = False


class IdentityOut(Schema):
    id: int
    kind: str
    value: str = Field(description="Phone numbers are masked (138****1234); use /reveal.")
    label: str
    is_primary: bool
    contact_id: int | None

    @staticmethod
    def from_identity(i: Identity) -> "IdentityOut":
        value = mask_phone(i.value) if i.kind == "phone" else i.value
        return IdentityOut(
            id=i.pk,
            kind=i.kind,
            value=value,
            label=i.label,
            is_primary=i.is_primary,
            contact_id=i.contact_id,
        )


class CustomerFields(BodyIn):
    kind: KindT | None = None
    tier: TierT | None = None
    lifecycle_stage: StageT | None = None
    churn_reason: ChurnT | None = None
    churn_note: str | None = Field(None, max_length=500)
    gender: GenderT | None = None
    birthday: BoundedDate | None = None
    lunar_birthday_month: int | None = Field(None, ge=1, le=12)
    lunar_birthday_day: int | None = Field(None, ge=1, le=30)
    id_number: str | None = Field(None, max_length=32)
    city: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=200)
    language: LangT | None = None
    marketing_opt_out: bool | None = None
    do_not_contact: bool | None = None
    is_deceased: bool | None = None
    lifetime_value: LifetimeValue | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    notes: str | None = Field(None, max_length=4000)
    service_team_id: int | None = None
    account_manager_id: int | None = None


class CustomerIn(CustomerFields):
    name: str = Field(..., min_length=1, max_length=100)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=20)


class CustomerPatch(CustomerFields):
    name: str | None = Field(None, min_length=1, max_length=100)


class CustomerOut(Schema):
    id: int
    kind: str
    name: str
    tier: str
    lifecycle_stage: str
    churn_reason: str
    churn_note: str
    gender: str
    birthday: date | None
    lunar_birthday_month: int | None
    lunar_birthday_day: int | None
    id_number: str = Field(description="Masked; use /reveal.")
    city: str
    address: str
    language: str
    marketing_opt_out: bool
    do_not_contact: bool
    is_deceased: bool
    lifetime_value: Decimal
    notes: str
    service_team_id: int | None
    account_manager_id: int | None
    tags: list[str]
    identities: list[IdentityOut]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_customer(c: Customer) -> "CustomerOut":
        identities = getattr(c, "api_identities", None)
        if identities is None:
            identities = list(c.identities.all())
        return CustomerOut(
            **{
                f: getattr(c, f)
                for f in (
                    "kind",
                    "name",
                    "tier",
                    "lifecycle_stage",
                    "churn_reason",
                    "churn_note",
                    "gender",
                    "birthday",
                    "lunar_birthday_month",
                    "lunar_birthday_day",
                    "city",
                    "address",
                    "language",
                    "marketing_opt_out",
                    "do_not_contact",
                    "is_deceased",
                    "lifetime_value",
                    "notes",
                    "service_team_id",
                    "account_manager_id",
                    "created_at",
                    "updated_at",
                )
            },
            id=c.pk,
            id_number=mask_id_number(c.id_number) if c.id_number else "",
            tags=[t.name for t in c.tags.all()],
            identities=[IdentityOut.from_identity(i) for i in identities],
        )


class MergeIn(BodyIn):
    duplicate_id: int = Field(..., ge=1)


class MergeOut(Schema):
    survivor: CustomerOut
    merged_id: int
    moved: dict[str, int]


class MergedOut(Schema):
    """The answer for a customer that was merged into another: where the file lives now."""

    code: Literal["merged"] = "merged"
    message: str
    merged_into: int = Field(..., description="The id of the surviving customer.")


class RevealIn(BodyIn):
    what: Literal["identities", "id_number"]
    reason: Literal["verify", "contact", "complaint", "other"] = Field(
        description="Why the data is needed (kept in the audit log); `other` needs a note."
    )
    note: str = Field("", max_length=200)


class AssetIn(BodyIn):
    kind: AssetKindT
    name: str = Field(..., min_length=1, max_length=100)
    identifier: str = Field("", max_length=40)
    plate: str = Field("", max_length=10)
    model: str = Field("", max_length=60)
    mileage_km: int | None = Field(None, ge=0, le=2_000_000)
    mileage_read_on: BoundedDate | None = None
    purchased_on: BoundedDate | None = None
    warranty_ends_on: BoundedDate | None = None
    expires_on: BoundedDate | None = None
    last_service_on: BoundedDate | None = None
    service_mileage_km: int | None = Field(None, ge=0, le=2_000_000)
    notes: str = Field("", max_length=500)


class AssetPatch(BodyIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    identifier: str | None = Field(None, max_length=40)
    plate: str | None = Field(None, max_length=10)
    model: str | None = Field(None, max_length=60)
    mileage_km: int | None = Field(None, ge=0, le=2_000_000)
    mileage_read_on: BoundedDate | None = None
    purchased_on: BoundedDate | None = None
    warranty_ends_on: BoundedDate | None = None
    expires_on: BoundedDate | None = None
    last_service_on: BoundedDate | None = None
    service_mileage_km: int | None = Field(None, ge=0, le=2_000_000)
    notes: str | None = Field(None, max_length=500)


class AssetOut(Schema):
    id: int
    customer_id: int
    kind: str
    name: str
    identifier: str
    plate: str
    model: str
    mileage_km: int | None
    mileage_read_on: date | None
    purchased_on: date | None
    warranty_ends_on: date | None
    expires_on: date | None
    last_service_on: date | None
    service_mileage_km: int | None
    km_per_day: int | None
    km_per_day_estimated: bool
    notes: str

    @staticmethod
    def from_asset(a: Asset) -> "AssetOut":
        return AssetOut.model_validate(a, from_attributes=True)
