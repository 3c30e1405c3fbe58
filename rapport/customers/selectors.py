"""Reads of customer files, scoped to what the staff member may see."""

from django.db import connections
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from rapport.core.errors import NotFound
from rapport.core.prepared import Prepared, key_value
from rapport.core.search import SUBSTRING_MIN, prefix_q, substring_q
from rapport.customers.identities import normalize_identity
from rapport.customers.models import (
    LIVE,
    Asset,
    Consent,
    Contact,
    Customer,
    CustomerMerge,
    Identity,
    Tag,
)
from rapport.staff.models import User

SORTS = {
    "recent": ("-created_at", "-id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "updated": ("-updated_at", "-id"),
    "value": ("-lifetime_value", "-id"),
}


def customer_visible_qs(*, staff: User) -> QuerySet[Customer]:
    """Customer files are company-wide: any active staff member may look one up, because an
    inbound contact can reach anyone. Editing is narrowed by team (customer_can_edit)."""
    if not staff.can("customers.view"):
        return Customer.objects.none()
    return Customer.objects.filter(merged_into__isnull=True)


def customer_visible_q(*, staff: User, prefix: str = "customer") -> Q:
    """The same rule for rows that belong to a customer (appointments, assets, work orders), as
    a condition on the joined customer: `customer__in=customer_visible_qs(...)` made SQLite list
    every live customer for each request (100k at M) before reading a single row."""
    if not staff.can("customers.view"):
        return Q(pk__in=[])
    return Q(**{f"{prefix}__merged_into__isnull": True})


def _search_term(q: str) -> str:
    q = q.strip().lower()
    digits = q.replace(" ", "").replace("-", "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if digits.isdigit():
        return digits
    return q


def customer_search_q(q: str) -> Q:
    """Three characters or more match anywhere (name, pinyin, phone digits, e-mail, WeChat id)
    through the trigram index; shorter terms match the start of the name, its pinyin or its
    initials (张, zw), which plain indexes answer."""
    term = _search_term(q)
    if len(term) >= SUBSTRING_MIN:
        return substring_q(column="search_text", fts_table="customers_customer_fts", term=term)
    return prefix_q(
        table="customers_customer",
        fields=["name", "name_initials", "name_pinyin"],
        term=term,
        where="merged_into_id IS NULL",  # so the partial indexes apply
    )


def customer_list(
    *,
    staff: User,
    q: str = "",
    tier: str = "",
    stage: str = "",
    tag: str = "",
    sort: str = "recent",
) -> QuerySet[Customer]:
    """Customers matching a search on name, pinyin (full or initials), any part of a phone
    number, e-mail or WeChat id; filtered by tier, stage and tag; in a stable order."""
    qs = customer_visible_qs(staff=staff)
    if q.strip():
        qs = qs.filter(customer_search_q(q))
    if tier:
        qs = qs.filter(tier=tier)
    if stage:
        qs = qs.filter(lifecycle_stage=stage)
    if tag:
        qs = qs.filter(tags__name=tag)
    return qs.order_by(*SORTS.get(sort, SORTS["recent"])).prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")),
        Prefetch(
            "identities",
            queryset=Identity.objects.filter(is_primary=True).order_by("kind"),
            to_attr="primary_identities",
        ),
    )


_CUSTOMER = Prepared(
    lambda shape, customer_id: Customer.objects.filter(
        pk=customer_id, merged_into__isnull=True
    ).select_related("service_team", "account_manager", "created_by")[:1]
)
_MERGED_INTO = Prepared(
    lambda shape, customer_id: Customer.objects.filter(pk=customer_id).values_list(
        "merged_into_id", flat=True
    )[:1]
)


def customer_get_for_staff(*, staff: User, customer_id: int) -> Customer:
    """The customer by id, or NotFound. A merged id resolves to nothing: callers that want to
    follow a merge use customer_resolve_merged. (Read on every customer page: the statement is
    compiled once per process.)"""
    pk = key_value(customer_id)
    customer = _CUSTOMER.first(customer_id=pk) if pk is not None else None
    if customer is None or not staff.can("customers.view"):
        raise NotFound(_("No such customer."))
    return customer


def customer_resolve_merged(*, customer_id: int) -> int | None:
    """The id of the surviving customer a merged id now lives on, if any: the end of the chain
    when the survivor was itself merged later."""
    survivor = None
    customer_id = key_value(customer_id)
    for _hop in range(20):  # merges cannot form a cycle; the bound is only a guard
        if customer_id is None:
            return survivor
        row = _MERGED_INTO.first(customer_id=customer_id)
        if row is None:
            return survivor
        survivor = customer_id = row
    return survivor


def customer_find_by_identity(*, kind: str, raw: str) -> Customer | None:
    """The customer an inbound contact belongs to, following merges; None if unknown or invalid."""
    try:
        value = normalize_identity(kind, raw)
    except Exception:
        return None
    identity = Identity.objects.select_related("customer").filter(kind=kind, value=value).first()
    if identity is None:
        return None
    customer = identity.customer
    while customer.merged_into_id:
        customer = customer.merged_into
    return customer


_IDENTITIES = Prepared(
    lambda shape, customer_id: (
        Identity.objects.filter(customer_id=customer_id)
        .select_related("contact")
        .order_by("kind", "-is_primary", "id")
    )
)
_ASSETS = Prepared(
    lambda shape, customer_id: Asset.objects.filter(customer_id=customer_id).order_by(
        "kind", "name", "id"
    )
)
_CONTACTS = Prepared(
    lambda shape, customer_id: Contact.objects.filter(organisation_id=customer_id).order_by(
        "-is_primary", "name"
    )
)
_TAGS = Prepared(
    lambda shape, customer_id: Tag.objects.filter(customers__id=customer_id).order_by("name")
)
_MERGES = Prepared(
    lambda shape, customer_id: (
        CustomerMerge.objects.filter(survivor_id=customer_id)
        .select_related("merged_by")
        .order_by("-merged_at")[:5]
    )
)


def _owned_by(rows: list, field: str, customer: Customer) -> list:
    """Rows read by the customer's id know their customer, as rows read through its related
    manager do (no query when a template asks for it)."""
    cache = type(rows[0])._meta.get_field(field) if rows else None
    for row in rows:
        cache.set_cached_value(row, customer)
    return rows


def customer_profile(*, customer: Customer) -> dict:
    """What the 360 page shows besides the customer row itself, in a fixed number of queries
    (each compiled once per process)."""
    pk = customer.pk
    return {
        "identities": _owned_by(_IDENTITIES.list(customer_id=pk), "customer", customer),
        "assets": _owned_by(_ASSETS.list(customer_id=pk), "customer", customer),
        "contacts": _owned_by(_CONTACTS.list(customer_id=pk), "organisation", customer),
        "tags": _TAGS.list(customer_id=pk),
        "merges": _owned_by(_MERGES.list(customer_id=pk), "survivor", customer),
        "consents": consent_summary(customer=customer),
    }


def customer_possible_duplicates(*, customer: Customer, limit: int = 8) -> list[Customer]:
    """Live customers that may be the same person or company: same name, or same pinyin
    (张伟 / 章伟 typed by different people)."""
    same = Q(name=customer.name)
    if customer.name_pinyin:
        same |= Q(name_pinyin=customer.name_pinyin)
    return list(
        Customer.objects.filter(LIVE & same)
        .exclude(pk=customer.pk)
        .order_by("-created_at", "-id")[:limit]
    )


def asset_get_for_staff(*, staff: User, asset_id: int) -> Asset:
    try:
        return Asset.objects.select_related("customer").get(
            customer_visible_q(staff=staff), pk=asset_id
        )
    except (Asset.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such asset.")) from exc


def identity_get_for_staff(*, staff: User, identity_id: int) -> Identity:
    try:
        return Identity.objects.select_related("customer").get(
            customer_visible_q(staff=staff), pk=identity_id
        )
    except (Identity.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such identity.")) from exc


def tag_list() -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


# --- Consent ----------------------------------------------------------------------------------


def _latest_consents(customer: Customer, purpose: str | None = None) -> dict[tuple, Consent]:
    """The latest Consent row per (purpose, channel) of the customer, in one query."""
    values = {"customer_id": customer.pk}
    if purpose is not None:
        values["purpose"] = purpose
    latest: dict[tuple, Consent] = {}
    for row in _CONSENTS.list(**values):
        latest.setdefault((row.purpose, row.channel), row)
    return latest


def _consents(shape, customer_id, purpose=None):
    rows = Consent.objects.filter(customer_id=customer_id)
    if purpose is not None:
        rows = rows.filter(purpose=purpose)
    return rows.order_by("-recorded_at", "-id").select_related("recorded_by")


_CONSENTS = Prepared(_consents)


def consent_current(*, customer: Customer, purpose: str, channel: str = "") -> Consent | None:
    """The statement that decides `purpose` on `channel`: the newest of the rows for that
    channel and for every channel ("")."""
    latest = _latest_consents(customer, purpose)
    candidates = [latest.get((purpose, "")), latest.get((purpose, channel)) if channel else None]
    candidates = [c for c in candidates if c is not None]
    return max(candidates, key=lambda c: (c.recorded_at, c.pk)) if candidates else None


# SMS marketing needs an explicit grant: 工信部令第31号 forbids commercial SMS without the user's
# consent. On the other channels marketing is allowed until the customer withdraws.
OPT_IN_MARKETING_CHANNELS = ("sms",)


def consent_allows(*, customer: Customer, purpose: str, channel: str = "") -> bool:
    """May we contact the customer for `purpose` ("service"/"marketing") on `channel`?

    False for every purpose when the customer is deceased or asked not to be contacted. For
    marketing: False when `marketing_opt_out` is set or the latest statement (for the channel or
    for every channel) is a withdrawal, and on SMS also when there is no grant at all. For
    service: False only after an explicit withdrawal.
    """
    if customer.is_deceased or customer.do_not_contact:
        return False
    if purpose == Consent.Purpose.MARKETING and customer.marketing_opt_out:
        return False
    # The deciding statement's `granted` only (read for every message sent): the newest of the
    # rows for this channel and for every channel, without building the rows.
    channels = [""] + ([channel] if channel else [])
    granted = (
        Consent.objects.filter(customer_id=customer.pk, purpose=purpose, channel__in=channels)
        .order_by("-recorded_at", "-id")
        .values_list("granted", flat=True)[:1]
    )
    for value in granted:
        return value
    return not (purpose == Consent.Purpose.MARKETING and channel in OPT_IN_MARKETING_CHANNELS)


def consent_and_deliverable(
    *, customer: Customer, purpose: str, channel: str, identity_kind: str | None, address: str
) -> tuple[bool, bool]:
    """What the outbox asks at the moment of sending, in one statement: (consent_allows(customer,
    purpose, channel), whether `address` of `identity_kind` is marked undeliverable). Written
    once (rapport.core.rawsql's reasoning): it is asked for every message sent."""
    if (
        customer.is_deceased
        or customer.do_not_contact
        or (purpose == Consent.Purpose.MARKETING and customer.marketing_opt_out)
    ):
        allowed = False
    else:
        allowed = None
    connection = connections[Consent.objects.db]
    q = connection.ops.quote_name
    consent, identity = Consent._meta, Identity._meta
    sql = (
        f"SELECT (SELECT {q('granted')} FROM {q(consent.db_table)} "
        f"WHERE {q('customer_id')} = %s AND {q('purpose')} = %s AND {q('channel')} IN (%s, %s) "
        f"ORDER BY {q('recorded_at')} DESC, {q('id')} DESC LIMIT 1), "
        f"EXISTS (SELECT 1 FROM {q(identity.db_table)} WHERE {q('kind')} = %s "
        f"AND {q('value')} = %s AND {q('undeliverable_at')} IS NOT NULL)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer.pk, purpose, "", channel or "", identity_kind or "", address])
        granted, undeliverable = cursor.fetchone()
    if allowed is None:
        if granted is None:
            allowed = not (
                purpose == Consent.Purpose.MARKETING and channel in OPT_IN_MARKETING_CHANNELS
            )
        else:
            allowed = bool(granted)
    return allowed, bool(undeliverable) and bool(identity_kind)


def consent_summary(*, customer: Customer) -> list[dict]:
    """For the 360 page: per purpose, the every-channel statement and the channel-specific ones,
    newest first (one query)."""
    latest = _latest_consents(customer)
    summary = []
    for purpose, label in Consent.Purpose.choices:
        rows = sorted(
            (row for (p, _channel), row in latest.items() if p == purpose),
            key=lambda r: (r.channel != "", r.channel),
        )
        summary.append({"purpose": purpose, "label": label, "rows": rows})
    return summary


def consent_history(*, customer: Customer, limit: int = 50) -> list[Consent]:
    return list(
        Consent.objects.filter(customer_id=customer.pk)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-id")[:limit]
    )
