"""Writes to customer files. Every function is a transaction; callers pass keyword arguments."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.audit import audit_record
from rapport.core.errors import DomainError, Forbidden
from rapport.core.models import AuditEntry
from rapport.core.rawsql import Columns, read_one
from rapport.core.text import pinyin_full, pinyin_initials
from rapport.customers.errors import DuplicateIdentity
from rapport.customers.identities import normalize_identity, searchable_form
from rapport.customers.mileage import mileage_prepare
from rapport.customers.models import (
    Asset,
    Consent,
    Contact,
    Customer,
    CustomerMerge,
    Identity,
    Tag,
)
from rapport.customers.registry import STANDING, customers_changed
from rapport.staff.models import User

EDITABLE_FIELDS = (
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
    "id_number",
    "city",
    "address",
    "language",
    "marketing_opt_out",
    "preferred_channel",
    "do_not_contact",
    "is_deceased",
    "lifetime_value",
    "notes",
    "service_team",
    "account_manager",
)
TIER_RANK = {"potential": 0, "regular": 1, "key_account": 2, "vip": 3}


@dataclass
class IdentityInput:
    kind: str
    value: str
    label: str = ""
    is_primary: bool = False
    contact_id: int | None = None


@dataclass
class MergeResult:
    survivor: Customer
    record: CustomerMerge
    moved: dict[str, int] = field(default_factory=dict)


def customer_can_edit(*, staff: User, customer: Customer) -> bool:
    """Representatives edit the customers of their own teams (or no team); managers any."""
    if not staff.can("customers.edit") or customer.is_merged:
        return False
    if staff.can("customers.edit_any"):
        return True
    if customer.account_manager_id == staff.pk:
        return True
    if customer.service_team_id is None:
        return True
    return customer.service_team_id in {t.pk for t in staff.teams.all()}


def _require_edit(staff: User, customer: Customer) -> None:
    if not customer_can_edit(staff=staff, customer=customer):
        raise Forbidden(_("You may not change this customer."))


def customer_refresh_search_text(*, customer: Customer) -> None:
    _write_search_text(
        customer,
        identities=customer.identities.values_list("kind", "value"),
        contact_names=customer.contacts.values_list("name", flat=True),
    )


def _write_search_text(customer: Customer, *, identities, contact_names) -> None:
    """The search columns from the name, `identities` ((kind, value) in the identities' order)
    and the contacts' names."""
    full, initials = pinyin_full(customer.name), pinyin_initials(customer.name)
    parts = [customer.name.lower(), full, initials]
    for kind, value in identities:
        parts.append(searchable_form(kind, value))
    for name in contact_names:
        parts.append(name.lower())
    text = "|".join(p for p in parts if p)[:1000]
    Customer.objects.filter(pk=customer.pk).update(
        search_text=text, name_pinyin=full[:300], name_initials=initials[:100]
    )
    customer.search_text, customer.name_pinyin, customer.name_initials = text, full, initials


_IDENTITY = Columns(Identity, "i")
_IDENTITY_CUSTOMER = Columns(Customer, "c")


def _existing_identity(kind: str, value: str) -> Identity | None:
    """The identity (kind, value) with its customer, or None. Read for every inbound message,
    so its SQL is written once (rapport.core.rawsql); (kind, value) is unique."""
    connection = connections[Identity.objects.db]
    q = connection.ops.quote_name
    found = read_one(
        connection,
        [_IDENTITY, _IDENTITY_CUSTOMER],
        f"INNER JOIN {_IDENTITY_CUSTOMER.table(connection)} ON c.{q('id')} = i.{q('customer_id')}",
        f"WHERE i.{q('kind')} = %s AND i.{q('value')} = %s",
        [kind, value],
    )
    if found is None:
        return None
    identity, identity.customer = found
    return identity


def _normalize_all(identities: list[IdentityInput]) -> list[IdentityInput]:
    errors: dict[str, list[str]] = {}
    normalized = []
    seen = set()
    for item in identities:
        try:
            value = normalize_identity(item.kind, item.value)
        except ValidationError as exc:
            errors.setdefault(item.kind, []).extend(exc.messages)
            continue
        if (item.kind, value) in seen:
            continue
        seen.add((item.kind, value))
        normalized.append(
            IdentityInput(item.kind, value, item.label, item.is_primary, item.contact_id)
        )
    if errors:
        raise ValidationError(errors)
    return normalized


def _check_not_taken(identities: list[IdentityInput], *, except_customer: int | None = None):
    for item in identities:
        existing = _existing_identity(item.kind, item.value)
        if existing and existing.customer_id != except_customer:
            survivor = existing.customer
            while survivor.merged_into_id:
                survivor = survivor.merged_into
            raise DuplicateIdentity(
                kind=item.kind,
                value=item.value,
                existing_customer_id=survivor.pk,
                existing_name=survivor.name,
            )


def _save_identities(
    customer: Customer, identities: list[IdentityInput], *, new_customer: bool = False
) -> list[tuple[str, str]]:
    """Save `identities` (normalised, checked as not taken) on `customer`; returns them as
    (kind, value) in the identities' own order (kind, primary first). A `new_customer` has none
    yet: nothing is read, and a race for an identity is the IntegrityError below."""
    has_primary = (
        set()
        if new_customer
        else set(customer.identities.filter(is_primary=True).values_list("kind", flat=True))
    )
    saved = []
    for item in identities:
        primary = item.is_primary or item.kind not in has_primary
        if primary:
            if item.kind in has_primary:
                customer.identities.filter(kind=item.kind).update(is_primary=False)
            has_primary.add(item.kind)
        identity = Identity(
            customer=customer,
            kind=item.kind,
            value=item.value,
            label=item.label,
            is_primary=primary,
            contact_id=item.contact_id,
        )
        identity.full_clean(exclude=["customer", "contact"], validate_constraints=not new_customer)
        try:
            with transaction.atomic():
                identity.save()
        except IntegrityError as exc:  # lost a race with another writer
            existing = _existing_identity(item.kind, item.value)
            raise DuplicateIdentity(
                kind=item.kind,
                value=item.value,
                existing_customer_id=existing.customer_id if existing else 0,
                existing_name=existing.customer.name if existing else "",
            ) from exc
        saved.append((item.kind, item.value, primary))
    saved.sort(key=lambda row: (row[0], not row[2]))  # stable: saved order within
    return [(kind, value) for kind, value, _primary in saved]


@transaction.atomic
def customer_create(
    *,
    by: User | None,
    name: str,
    identities: list[IdentityInput] | None = None,
    tags: list[Tag] | None = None,
    **fields: Any,
) -> Customer:
    """Create a customer with its identities.

    Raises ValidationError for invalid fields (keyed by field name) and DuplicateIdentity when a
    phone, e-mail or WeChat id already belongs to a customer, naming that customer.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    normalized = _normalize_all(identities or [])
    _check_not_taken(normalized)
    return _customer_insert(by=by, name=name, identities=normalized, tags=tags, fields=fields)


def _customer_insert(
    *,
    by: User | None,
    name: str,
    identities: list[IdentityInput],
    tags: list[Tag] | None,
    fields: dict[str, Any],
    validate_constraints: bool = True,
) -> Customer:
    """The new customer with `identities` (normalised, checked as not taken), in the caller's
    transaction. A new customer has no identities or contacts yet, so its search text is built
    from what it is given rather than read back."""
    customer = Customer(name=(name or "").strip(), created_by=by, **fields)
    if customer.lifecycle_stage != Customer.Stage.LOST:
        customer.churn_reason = ""
    customer.full_clean(validate_constraints=validate_constraints)
    customer.save()
    saved = _save_identities(customer, identities, new_customer=True)
    if tags:
        customer.tags.set(tags)
    _write_search_text(customer, identities=saved, contact_names=[])
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: User, **fields: Any) -> Customer:
    """Change profile fields. Moving a customer to 'lost' requires a churn reason."""
    _require_edit(by, customer)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    opt_out_before = customer.marketing_opt_out
    standing = None  # as stored: a model form has already set the new values on `customer`
    if fields.keys() & set(STANDING):
        standing = Customer.objects.filter(pk=customer.pk).values_list(*STANDING).first()
    for name, value in fields.items():
        setattr(customer, name, value)
    if customer.lifecycle_stage != Customer.Stage.LOST and "lifecycle_stage" in fields:
        customer.churn_reason = ""
        fields["churn_reason"] = ""
    if isinstance(customer.name, str):
        customer.name = customer.name.strip()
    customer.full_clean()
    customer.save(update_fields=[*fields, "updated_at"])
    if standing and standing != tuple(getattr(customer, name) for name in STANDING):
        customers_changed([customer.pk])
    if "name" in fields:
        customer_refresh_search_text(customer=customer)
    if "marketing_opt_out" in fields and bool(customer.marketing_opt_out) != opt_out_before:
        # The tick box on the profile is a statement of consent too: keep the history complete.
        _consent_append(
            customer=customer,
            purpose=Consent.Purpose.MARKETING,
            channel="",
            granted=not customer.marketing_opt_out,
            source=Consent.Source.STAFF,
            by=by,
            note=_("Changed on the customer profile."),
        )
    return customer


# --- Consent ----------------------------------------------------------------------------------


def _consent_append(
    *, customer: Customer, purpose: str, channel: str, granted: bool, source: str, by, note: str
) -> Consent:
    consent = Consent(
        customer=customer,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source,
        note=note,
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    consent.full_clean(exclude=["customer", "recorded_by"])
    consent.save()
    return consent


@transaction.atomic
def consent_record(
    *,
    customer: Customer,
    purpose: str,
    granted: bool,
    source: str,
    channel: str = "",
    by: User | None = None,
    note: str = "",
) -> Consent:
    """Append the customer's consent (granted) or its withdrawal for `purpose` on `channel`
    ("" = every channel); the latest statement is the current state (consent_allows).

    A withdrawal or grant of marketing on every channel also sets `marketing_opt_out`, so code
    that reads the flag agrees. Staff (`by`) need the right to edit the customer and must give
    a note (the reason); automatic sources (an SMS reply, a WeChat event) pass `by=None`.
    Raises ValidationError keyed by field for an unknown purpose, channel or source, Forbidden
    when `by` may not change the customer.
    """
    errors: dict[str, list[str]] = {}
    if purpose not in Consent.Purpose.values:
        errors["purpose"] = [_("Choose service or marketing.")]
    if channel not in Consent.Channel.values:
        errors["channel"] = [_("Unknown channel “%(channel)s”.") % {"channel": channel}]
    if source not in Consent.Source.values:
        errors["source"] = [_("Unknown source “%(source)s”.") % {"source": source}]
    note = (note or "").strip()
    if by is not None and not note:
        errors["note"] = [_("Say why the consent changes.")]
    if len(note) > 500:
        errors["note"] = [_("The note has at most 500 characters.")]
    if not isinstance(granted, bool):
        errors["granted"] = [_("Say whether the customer agrees.")]
    if errors:
        raise ValidationError(errors)
    if by is not None:
        _require_edit(by, customer)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    consent = _consent_append(
        customer=customer,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=source,
        by=by,
        note=note,
    )
    marketing_everywhere = purpose == Consent.Purpose.MARKETING and channel == ""
    if marketing_everywhere and customer.marketing_opt_out == granted:
        customer.marketing_opt_out = not granted
        customer.save(update_fields=["marketing_opt_out", "updated_at"])
    return consent


@transaction.atomic
def identity_add(
    *,
    customer: Customer,
    by: User,
    kind: str,
    value: str,
    label: str = "",
    is_primary: bool = False,
    contact: Contact | None = None,
) -> Identity:
    _require_edit(by, customer)
    if contact is not None and contact.organisation_id != customer.pk:
        raise DomainError(_("That contact belongs to another customer."), field="contact")
    (item,) = _normalize_all([IdentityInput(kind, value, label, is_primary)]) or [None]
    _check_not_taken([item])
    item.contact_id = contact.pk if contact else None
    _save_identities(customer, [item])
    customer_refresh_search_text(customer=customer)
    return customer.identities.get(kind=item.kind, value=item.value)


@transaction.atomic
def identity_remove(*, identity: Identity, by: User) -> None:
    customer = identity.customer
    _require_edit(by, customer)
    was_primary = identity.is_primary
    identity.delete()
    if was_primary:
        nxt = customer.identities.filter(kind=identity.kind).order_by("id").first()
        if nxt:
            Identity.objects.filter(pk=nxt.pk).update(is_primary=True)
    customer_refresh_search_text(customer=customer)


ASSET_FIELDS = (
    "kind",
    "name",
    "identifier",
    "plate",
    "model",
    "mileage_km",
    "purchased_on",
    "warranty_ends_on",
    "expires_on",
    "last_service_on",
    "mileage_read_on",
    "service_mileage_km",
    "notes",
)


def _save_asset(asset: Asset, *, stored: Asset | None = None) -> Asset:
    asset.plate = (asset.plate or "").upper().replace(" ", "")
    mileage_prepare(asset=asset, stored=stored)
    asset.identifier = (asset.identifier or "").strip()
    if asset.kind == Asset.Kind.VEHICLE:
        asset.identifier = asset.identifier.upper()
    asset.full_clean(validate_constraints=False)
    if (
        asset.identifier
        and Asset.objects.filter(kind=asset.kind, identifier=asset.identifier)
        .exclude(pk=asset.pk)
        .exists()
    ):
        raise ValidationError({"identifier": [_("Another asset already has this identifier.")]})
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"identifier": [_("Another asset already has this identifier.")]}
        ) from exc
    return asset


@transaction.atomic
def asset_create(*, customer: Customer, by: User, **fields: Any) -> Asset:
    _require_edit(by, customer)
    unknown = set(fields) - set(ASSET_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    asset = _save_asset(Asset(customer=customer, **fields))
    customers_changed([customer.pk])  # a purchase
    return asset


@transaction.atomic
def asset_update(*, asset: Asset, by: User, **fields: Any) -> Asset:
    _require_edit(by, asset.customer)
    unknown = set(fields) - set(ASSET_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    # The row as stored, before the form or the payload changed the instance: a reading is
    # checked against the last one recorded.
    stored = Asset.objects.select_for_update().get(pk=asset.pk)
    for name, value in fields.items():
        setattr(asset, name, value)
    return _save_asset(asset, stored=stored)


@transaction.atomic
def contact_create(
    *,
    organisation: Customer,
    by: User,
    name: str,
    title: str = "",
    is_primary: bool = False,
    is_decision_maker: bool = False,
) -> Contact:
    _require_edit(by, organisation)
    if not organisation.is_organisation:
        raise DomainError(_("Only organisations have contacts."), field="organisation")
    contact = Contact(
        organisation=organisation,
        name=name.strip(),
        title=title,
        is_primary=is_primary,
        is_decision_maker=is_decision_maker,
    )
    contact.full_clean()
    contact.save()
    customer_refresh_search_text(customer=organisation)
    return contact


@transaction.atomic
def customer_set_tags(*, customer: Customer, by: User, tags: list[Tag]) -> None:
    _require_edit(by, customer)
    customer.tags.set(tags)


class RevealReason(models.TextChoices):
    """Why someone looks at a customer's unmasked data (个人信息查看事由), kept in the audit log."""

    VERIFY = "verify", gettext_lazy("Verifying the customer's identity")
    CONTACT = "contact", gettext_lazy("Calling or writing to the customer")
    COMPLAINT = "complaint", gettext_lazy("Handling a complaint")
    OTHER = "other", gettext_lazy("Other (explain below)")


def customer_reveal(
    *,
    customer: Customer,
    by: User,
    what: str,
    reason: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """Return full personal data and write the audit record (who, whom, when, from where, why).

    A reason is required; "other" needs a note saying what for."""
    if not by.can("customers.reveal"):
        raise Forbidden(_("You may not see unmasked personal data."))
    if reason not in RevealReason.values:
        raise DomainError(_("Choose why you need to see the data."), field="reason")
    note = (note or "").strip()[:200]
    if reason == RevealReason.OTHER and not note:
        raise DomainError(_("Say in a few words why you need to see the data."), field="note")
    if what == "id_number":
        values: dict[str, Any] = {"id_number": customer.id_number}
    elif what == "identities":
        values = {
            "identities": [
                {"id": i.pk, "kind": i.kind, "value": i.value} for i in customer.identities.all()
            ]
        }
    else:
        raise DomainError(_("Unknown field to reveal."), field="what")
    audit_record(
        actor=by,
        action=AuditEntry.Action.REVEAL,
        target=customer,
        detail={"what": what, "reason": reason, **({"note": note} if note else {})},
        request=request,
    )
    return values


def customer_audit_export(*, by: User, count: int, filters: dict, request=None) -> None:
    """Exports of customer lists are audited like reveals."""
    if not by.can("customers.export"):
        raise Forbidden(_("You may not export customers."))
    AuditEntry.objects.create(
        actor=by,
        action=AuditEntry.Action.EXPORT,
        target_type="customers.customer",
        target_id="*",
        target_repr=_("%(count)s customers") % {"count": count},
        detail={"filters": filters, "count": count},
    )


def _merge_fields(survivor: Customer, duplicate: Customer) -> list[str]:
    """Fill the survivor's blanks from the duplicate; the safer value wins for consent flags."""
    changed = []
    for name in (
        "gender",
        "birthday",
        "lunar_birthday_month",
        "lunar_birthday_day",
        "id_number",
        "city",
        "address",
        "service_team_id",
        "account_manager_id",
    ):
        if getattr(survivor, name) in (None, "") and getattr(duplicate, name) not in (None, ""):
            setattr(survivor, name, getattr(duplicate, name))
            changed.append(name.removesuffix("_id"))
    for flag in ("marketing_opt_out", "do_not_contact", "is_deceased"):
        if getattr(duplicate, flag) and not getattr(survivor, flag):
            setattr(survivor, flag, True)
            changed.append(flag)
    if TIER_RANK[duplicate.tier] > TIER_RANK[survivor.tier]:
        survivor.tier = duplicate.tier
        changed.append("tier")
    if duplicate.lifetime_value:
        survivor.lifetime_value = (survivor.lifetime_value or Decimal(0)) + duplicate.lifetime_value
        changed.append("lifetime_value")
    if duplicate.notes:
        survivor.notes = (survivor.notes + "\n" + duplicate.notes).strip()[:4000]
        changed.append("notes")
    return changed


def _snapshot(customer: Customer) -> dict[str, Any]:
    data = {
        f: getattr(customer, f)
        for f in EDITABLE_FIELDS
        if f not in ("service_team", "account_manager")
    }
    data = {k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in data.items()}
    data["id"] = customer.pk
    data["identities"] = list(customer.identities.values("kind", "value"))
    return data


@transaction.atomic
def customer_merge(
    *, survivor: Customer, duplicate: Customer, by: User, request: HttpRequest | None = None
) -> MergeResult:
    """Move everything that points at `duplicate` to `survivor`, in one transaction.

    Every foreign key to Customer in every installed app is followed, so rows added by later
    modules (interactions, tickets, …) move too. The duplicate stays as a tombstone pointing at
    the survivor, so old links and audit records still resolve.
    """
    if not by.can("customers.merge"):
        raise Forbidden(_("You may not merge customers."))
    if survivor.pk == duplicate.pk:
        raise DomainError(_("A customer cannot be merged into itself."), field="duplicate")
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if survivor.is_merged or duplicate.is_merged:
        raise DomainError(
            _("One of these customers has already been merged."), code="already_merged"
        )

    snapshot = _snapshot(duplicate)
    moved: dict[str, int] = {}
    reverse = [
        f
        for f in Customer._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and f.related_model is not None
    ]
    for rel in reverse:
        model = rel.related_model
        if model is CustomerMerge or rel.field.name == "merged_into":
            continue
        if model._meta.auto_created:
            continue  # many-to-many link tables: handled below through their relation
        if rel.many_to_many:
            # Another model's many-to-many to customers: the survivor takes the duplicate's links.
            through = rel.through
            if through is None:
                continue
            source = next(f for f in through._meta.fields if f.related_model is Customer)
            existing = set(
                through.objects.filter(**{source.name: survivor}).values_list(
                    f"{rel.field.m2m_field_name()}_id", flat=True
                )
            )
            qs = through.objects.filter(**{source.name: duplicate})
            qs.filter(**{f"{rel.field.m2m_field_name()}_id__in": existing}).delete()
            count = qs.update(**{source.name: survivor})
        else:
            fk = rel.field.name
            if rel.one_to_one and model._default_manager.filter(**{fk: survivor}).exists():
                continue
            count = model._base_manager.filter(**{fk: duplicate}).update(**{fk: survivor})
        if count:
            moved[model._meta.label_lower] = count
    for m2m in Customer._meta.many_to_many:
        items = list(getattr(duplicate, m2m.name).all())
        if items:
            getattr(survivor, m2m.name).add(*items)
            getattr(duplicate, m2m.name).clear()
            moved[m2m.name] = len(items)

    changed = _merge_fields(survivor, duplicate)
    survivor.full_clean()
    survivor.save(update_fields=[*changed, "updated_at"] if changed else ["updated_at"])
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["merged_into", "updated_at"])
    Customer.objects.filter(merged_into=duplicate).update(merged_into=survivor)
    customer_refresh_search_text(customer=survivor)
    Customer.objects.filter(pk=duplicate.pk).update(
        search_text="", name_pinyin="", name_initials=""
    )

    record = CustomerMerge.objects.create(
        survivor=survivor, merged=duplicate, merged_by=by, snapshot=snapshot, moved=moved
    )
    customers_changed([survivor.pk, duplicate.pk])
    audit_record(
        actor=by,
        action=AuditEntry.Action.MERGE,
        target=survivor,
        detail={"merged_id": duplicate.pk, "merged_name": duplicate.name, "moved": moved},
        request=request,
    )
    return MergeResult(survivor=survivor, record=record, moved=moved)


def customer_get_or_create_from_contact(
    *, kind: str, value: str, name: str = ""
) -> tuple[Customer, bool]:
    """The customer an inbound contact belongs to, or a new potential customer carrying it.

    Used by the channels when a message arrives from an unknown sender: the new file is a
    potential customer (潜在客户) with the identity attached, created by no one. Two messages
    from the same new sender at once still make one customer (the identity is unique; the loser
    of the race returns the winner's customer). Raises ValidationError for an invalid identity.
    Returns (customer, created).
    """
    (item,) = _normalize_all([IdentityInput(kind, value)])
    existing = _existing_identity(item.kind, item.value)
    if existing is None:
        display = (name or "").strip()[:100] or item.value[:100]
        try:
            with transaction.atomic():
                # The identity was just found free (a race is DuplicateIdentity below), and a
                # potential customer with default figures meets the table's check constraints
                # by construction (the database holds them too): neither is asked again.
                customer = _customer_insert(
                    by=None,
                    name=display,
                    identities=[item],
                    tags=None,
                    fields={
                        "tier": Customer.Tier.POTENTIAL,
                        "lifecycle_stage": Customer.Stage.POTENTIAL,
                    },
                    validate_constraints=False,
                )
            return customer, True
        except DuplicateIdentity:
            existing = _existing_identity(item.kind, item.value)
            if existing is None:
                raise
    customer = existing.customer
    while customer.merged_into_id:
        customer = customer.merged_into
    return customer, False


def identity_mark_undeliverable(*, kind: str, value: str, reason: str) -> int:
    """Mark an address as undeliverable (a permanent bounce); returns how many rows changed.

    The outbox no longer sends to it. An address nobody has is ignored.
    """
    try:
        normalized = normalize_identity(kind, value)
    except ValidationError:
        return 0
    return Identity.objects.filter(kind=kind, value=normalized, undeliverable_at=None).update(
        undeliverable_at=timezone.now(), undeliverable_reason=(reason or "")[:300]
    )


def tag_get_or_create(*, name: str) -> Tag:
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("A tag needs a name.")]})
    if len(name) > 40:
        raise ValidationError({"name": [_("A tag has at most 40 characters.")]})
    tag, _created = Tag.objects.get_or_create(name=name)
    return tag


__all__ = [
    "IdentityInput",
    "MergeResult",
    "RevealReason",
    "asset_create",
    "asset_update",
    "contact_create",
    "customer_can_edit",
    "customer_create",
    "customer_get_or_create_from_contact",
    "customer_merge",
    "customer_reveal",
    "customer_set_tags",
    "customer_update",
    "identity_add",
    "identity_mark_undeliverable",
    "identity_remove",
    "tag_get_or_create",
]
