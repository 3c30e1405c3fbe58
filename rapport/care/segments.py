"""Segment conditions: validated JSON → a customer query.

A definition is a flat object; every key is one condition and all must hold:

    {"tier": ["vip"], "stage": ["active", "at_risk"], "tags": ["车主俱乐部"], "city": ["北京"],
     "asset_kind": ["vehicle"], "asset_model": "帕萨特", "purchased_from": "2020-01-01",
     "purchased_to": "2023-12-31", "no_contact_days": 90, "contact_within_days": 30,
     "open_tickets": true, "satisfaction": "no", "gender": "female", "marketing_ok": true}

Unknown keys and bad values are refused with the key named, so the form and the API say which
condition is wrong. An empty definition matches every customer (the caller must confirm that).
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.customers.models import Asset, Customer, Tag
from rapport.interactions.models import Interaction
from rapport.tickets.models import Ticket

LIST_FIELDS = {
    "tier": Customer.Tier.values,
    "stage": Customer.Stage.values,
    "asset_kind": Asset.Kind.values,
    "gender": [v for v in Customer.Gender.values if v],
}
FREE_LISTS = ("tags", "city")
DATE_FIELDS = ("purchased_from", "purchased_to")
DAY_FIELDS = ("no_contact_days", "contact_within_days")
BOOL_FIELDS = ("open_tickets", "marketing_ok")
TEXT_FIELDS = ("asset_model",)
CHOICE_FIELDS = {"satisfaction": ("yes", "no")}
FIELDS = (
    *LIST_FIELDS,
    *FREE_LISTS,
    *DATE_FIELDS,
    *DAY_FIELDS,
    *BOOL_FIELDS,
    *TEXT_FIELDS,
    *CHOICE_FIELDS,
)


def _as_list(value) -> list[str] | None:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return [v.strip() for v in value if v.strip()]


def segment_clean(definition) -> dict:
    """The definition normalised (empty conditions dropped); ValidationError keyed by field."""
    if definition in (None, ""):
        return {}
    if not isinstance(definition, dict):
        raise ValidationError({"definition": [_("Give the conditions as an object.")]})
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for key, value in definition.items():
        if key not in FIELDS:
            errors[key] = [_("Unknown condition “%(key)s”.") % {"key": str(key)[:40]}]
            continue
        if value in (None, "", []):
            continue
        if key in LIST_FIELDS or key in FREE_LISTS:
            items = _as_list(value)
            if items is None:
                errors[key] = [_("Give a list of values.")]
            elif key in LIST_FIELDS and (bad := [v for v in items if v not in LIST_FIELDS[key]]):
                errors[key] = [_("Unknown value “%(value)s”.") % {"value": bad[0][:40]}]
            elif len(items) > 50 or any(len(v) > 60 for v in items):
                errors[key] = [_("At most 50 values of at most 60 characters.")]
            elif items:
                clean[key] = items
        elif key in DATE_FIELDS:
            try:
                day = date.fromisoformat(str(value))
            except ValueError:
                errors[key] = [_("Give a date as YYYY-MM-DD.")]
                continue
            if not date(1900, 1, 1) <= day <= date(2200, 1, 1):
                errors[key] = [_("Give a date between 1900 and 2200.")]
            else:
                clean[key] = day.isoformat()
        elif key in DAY_FIELDS:
            try:
                days = int(value)
            except (TypeError, ValueError):
                errors[key] = [_("Give a number of days.")]
                continue
            if isinstance(value, bool) or not 1 <= days <= 3650:
                errors[key] = [_("Give between 1 and 3650 days.")]
            else:
                clean[key] = days
        elif key in BOOL_FIELDS:
            if value in (True, "true", "1", "on", "yes"):
                clean[key] = True
            elif value in (False, "false", "0", "no"):
                clean[key] = False
            else:
                errors[key] = [_("Give true or false.")]
        elif key in TEXT_FIELDS:
            if not isinstance(value, str) or len(value) > 60:
                errors[key] = [_("Give a text of at most 60 characters.")]
            else:
                clean[key] = value.strip()
        elif key in CHOICE_FIELDS:
            if value not in CHOICE_FIELDS[key]:
                errors[key] = [_("Unknown value “%(value)s”.") % {"value": str(value)[:40]}]
            else:
                clean[key] = value
    if (
        "purchased_from" in clean
        and "purchased_to" in clean
        and clean["purchased_to"] < clean["purchased_from"]
    ):
        errors["purchased_to"] = [_("The end of the range is before its start.")]
    if errors:
        raise ValidationError(errors)
    return clean


def segment_q(definition: dict, *, today: date | None = None) -> Q:
    """The customer filter of a clean definition (segment_clean)."""
    today = today or timezone.localdate()
    q = Q()
    if "tier" in definition:
        q &= Q(tier__in=definition["tier"])
    if "stage" in definition:
        q &= Q(lifecycle_stage__in=definition["stage"])
    if "gender" in definition:
        q &= Q(gender__in=definition["gender"])
    if "city" in definition:
        q &= Q(city__in=definition["city"])
    if "tags" in definition:
        q &= Q(
            Exists(
                Tag.customers.through.objects.filter(
                    customer_id=OuterRef("pk"), tag__name__in=definition["tags"]
                )
            )
        )
    assets = Asset.objects.filter(customer_id=OuterRef("pk"))
    asset_conditions = False
    if "asset_kind" in definition:
        assets, asset_conditions = assets.filter(kind__in=definition["asset_kind"]), True
    if definition.get("asset_model"):
        assets, asset_conditions = assets.filter(model__icontains=definition["asset_model"]), True
    if "purchased_from" in definition:
        assets = assets.filter(purchased_on__gte=definition["purchased_from"])
        asset_conditions = True
    if "purchased_to" in definition:
        assets = assets.filter(purchased_on__lte=definition["purchased_to"])
        asset_conditions = True
    if asset_conditions:
        q &= Q(Exists(assets))
    now = timezone.now()
    if "no_contact_days" in definition:
        since = now - timedelta(days=definition["no_contact_days"])
        q &= ~Q(
            Exists(Interaction.objects.filter(customer_id=OuterRef("pk"), started_at__gte=since))
        )
    if "contact_within_days" in definition:
        since = now - timedelta(days=definition["contact_within_days"])
        q &= Q(
            Exists(Interaction.objects.filter(customer_id=OuterRef("pk"), started_at__gte=since))
        )
    if "open_tickets" in definition:
        open_ = Exists(Ticket.objects.filter(customer_id=OuterRef("pk"), is_open=True))
        q &= Q(open_) if definition["open_tickets"] else ~Q(open_)
    if "satisfaction" in definition:
        q &= Q(
            Exists(
                Ticket.objects.filter(
                    customer_id=OuterRef("pk"), satisfaction=definition["satisfaction"]
                )
            )
        )
    if "marketing_ok" in definition:
        ok = Q(marketing_opt_out=False, do_not_contact=False, is_deceased=False)
        q &= ok if definition["marketing_ok"] else ~ok
    return q


def segment_customers(definition: dict) -> QuerySet[Customer]:
    """Live customers matching the definition."""
    return Customer.objects.filter(merged_into__isnull=True).filter(segment_q(definition))
