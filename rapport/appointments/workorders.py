"""Writes for work orders (维修工单) and the price list.

The order moves open → authorised → in progress ⇄ waiting → done → delivered. It cannot start,
resume or finish while an item lacks an authorisation, or while only a diagnosis is authorised
and its time has run out; extra work needs a new authorisation through a contact recorded for
the customer. Delivery needs the five explanations. A work order on the same vehicle for the
same complaint within the admin-set window is a repeat repair (返修).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.appointments.models import (
    MAX_PRICE,
    Appointment,
    Authorisation,
    PriceItem,
    WorkOrder,
    WorkOrderItem,
    WorkshopSettings,
)
from rapport.core.errors import Conflict, Forbidden
from rapport.customers.identities import normalize_identity
from rapport.customers.mileage import asset_mileage_record
from rapport.customers.models import Asset, Customer
from rapport.interactions.models import Interaction, Purpose
from rapport.interactions.services import interaction_log
from rapport.staff.models import User

S = WorkOrder.State
REPEAT_SIMILARITY = 0.4
# Which identity kinds a remote authorisation must come through. A confirmation on WeChat comes
# from the follower's openid (or unionid) the official account recorded, as well as from a WeChat
# id typed in by hand, or from WeCom.
METHOD_KINDS = {
    "sms": ("phone",),
    "call": ("phone",),
    "wechat": ("wechat", "wxopenid", "wxunion", "wecom"),
}


def _require(user: User) -> None:
    if not user.can("appointments.book"):
        raise Forbidden(_("You may not write work orders."))


def _money(value, field: str, errors: dict) -> Decimal | None:
    """A price in yuan: refuses negative, absurd (over ¥200,000) and non-numbers."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Give the price as a number of yuan.")]
        return None
    if not amount.is_finite() or amount < 0:
        errors[field] = [_("A price cannot be negative.")]
        return None
    if amount > MAX_PRICE:
        errors[field] = [
            _("¥%(amount)s is not a believable price; the limit is ¥200,000.")
            % {"amount": f"{amount:,.2f}"}
        ]
        return None
    return amount


# -- the price list -------------------------------------------------------------------------------


def price_clean(value, *, field: str = "price") -> Decimal:
    """The price in yuan to two places, or ValidationError naming `field` for a negative, absurd
    (over ¥200,000) or unreadable one. The one rule for the price list, wherever it is edited."""
    errors: dict[str, list[str]] = {}
    amount = _money(value, field, errors)
    if errors:
        raise ValidationError(errors)
    return amount


def price_item_save(
    *, by: User, code: str, name: str, price, kind: str = "labour", minutes: int = 0
) -> PriceItem:
    """Create or update a price list line. Raises ValidationError naming `price` for a
    negative or absurd price."""
    if not by.can("appointments.manage"):
        raise Forbidden(_("Only leads change the price list."))
    amount = price_clean(price)
    item = PriceItem.objects.filter(code=code).first() or PriceItem(code=code)
    item.name, item.price, item.kind, item.minutes = name, amount, kind, minutes
    item.full_clean()
    item.save()
    return item


# -- the timeline -------------------------------------------------------------------------------


def _timeline(*, by: User, order: WorkOrder, summary: str) -> None:
    purpose = (
        Purpose.objects.filter(code="after_sales").first()
        or Purpose.objects.filter(code="appointment").first()
    )
    interaction_log(
        by=by,
        customer=order.customer,
        channel=Interaction.Channel.FACE_TO_FACE,
        direction=Interaction.Direction.INBOUND,
        purpose=purpose,
        summary=f"{order.number} {summary}"[:4000],
        asset=order.asset,
    )


# -- repeat repairs -------------------------------------------------------------------------------


def _bigrams(text: str) -> set[str]:
    text = "".join(ch for ch in text if ch.isalnum())
    return {text[i : i + 2] for i in range(len(text) - 1)}


def complaint_similarity(a: str, b: str) -> float:
    """Share of the shorter complaint's character pairs found in the other (0–1)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def repeat_find(*, asset: Asset, customer_words: str, now: datetime) -> WorkOrder | None:
    """The latest earlier order on this vehicle within the window with a similar complaint."""
    window = timedelta(days=WorkshopSettings.current().repeat_repair_days)
    for earlier in WorkOrder.objects.filter(asset=asset, created_at__gte=now - window).order_by(
        "-created_at"
    ):
        if complaint_similarity(earlier.customer_words, customer_words) >= REPEAT_SIMILARITY:
            return earlier
    return None


# -- opening --------------------------------------------------------------------------------------


@dataclass
class ItemIn:
    price_item: PriceItem | None = None
    description: str = ""
    unit_price: object = None  # a quoted line's price; price list lines take the list's
    quantity: object = 1


def _item_rows(
    order: WorkOrder, items: list[ItemIn], now: datetime, errors: dict
) -> list[WorkOrderItem]:
    rows = []
    for n, item in enumerate(items):
        field = f"items[{n}]"
        if item.price_item is not None:
            if not item.price_item.is_active:
                errors[field] = [
                    _("“%(name)s” is no longer on the price list.") % {"name": item.price_item.name}
                ]
                continue
            price, description = item.price_item.price, item.price_item.name
        else:
            description = (item.description or "").strip()
            if not description:
                errors[field] = [_("Describe the quoted work.")]
                continue
            price = _money(item.unit_price, field, errors)
            if price is None:
                continue
        try:
            quantity = Decimal(str(item.quantity))
        except (InvalidOperation, ValueError):
            quantity = Decimal("0")
        if not quantity.is_finite() or not (Decimal("0") < quantity <= Decimal("1000")):
            errors[field] = [_("The quantity must be more than 0 and at most 1,000.")]
            continue
        rows.append(
            WorkOrderItem(
                work_order=order,
                price_item=item.price_item,
                description=description[:200],
                quantity=quantity,
                unit_price=price,
                added_at=now,
            )
        )
    return rows


def _written_for(appointment: Appointment) -> str:
    """Why no second work order can be written for `appointment`, or "" when none is."""
    found = WorkOrder.objects.filter(appointment=appointment).only("pk").first()
    if found is None:
        return ""
    return _("Work order %(number)s is already written for this appointment.") % {
        "number": found.number
    }


def work_order_open(
    *,
    by: User,
    customer: Customer,
    asset: Asset,
    customer_words: str,
    payment_method: str,
    items: list[ItemIn] | None = None,
    keep_old_parts: bool = False,
    mileage_km: int | None = None,
    appointment: Appointment | None = None,
    promised_at: datetime | None = None,
    now: datetime | None = None,
) -> WorkOrder:
    """Write the work order. The customer's words are kept verbatim and never edited after.
    Raises ValidationError naming each bad field (`appointment` when one is already written for
    it); nothing is saved when it does."""
    _require(by)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    words = (customer_words or "").strip()
    if not words:
        errors["customer_words"] = [_("Write down the customer's own words (顾客原话).")]
    elif len(words) > 2000:
        errors["customer_words"] = [_("Keep the customer's words under 2,000 characters.")]
    if asset.customer_id != customer.pk or asset.kind != Asset.Kind.VEHICLE:
        errors["asset"] = [_("Choose one of this customer's vehicles.")]
    if payment_method not in WorkOrder.Payment.values:
        errors["payment_method"] = [_("Choose how the customer will pay.")]
    if appointment is not None and appointment.customer_id != customer.pk:
        errors["appointment"] = [_("This appointment is another customer's.")]
    elif appointment is not None and (written := _written_for(appointment)):
        errors["appointment"] = [written]
    if mileage_km is not None and not (0 <= mileage_km <= 2_000_000):
        errors["mileage_km"] = [_("Give the mileage in kilometres, 0 to 2,000,000.")]
    order = WorkOrder(
        customer=customer,
        asset=asset,
        appointment=appointment,
        advisor=by,
        customer_words=words,
        mileage_km=mileage_km,
        keep_old_parts=keep_old_parts,
        payment_method=payment_method,
        promised_at=promised_at,
    )
    rows = _item_rows(order, items or [], now, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        order.repeat_of = repeat_find(asset=asset, customer_words=words, now=now)
        try:
            with transaction.atomic():
                order.save()
        except IntegrityError as exc:  # another request wrote it since the check above
            if appointment is None or not (written := _written_for(appointment)):
                raise
            raise ValidationError({"appointment": [written]}) from exc
        if mileage_km is not None:  # a lower figure stays on the order, not on the vehicle
            asset_mileage_record(
                asset_id=asset.pk,
                km=mileage_km,
                read_on=timezone.localtime(now).date(),
                strict=False,
            )
        for row in rows:
            row.work_order = order
        WorkOrderItem.objects.bulk_create(rows)
        summary = _("Work order opened. The customer's words: %(words)s") % {"words": words}
        if order.repeat_of:
            summary += " " + _("(repeat repair of %(number)s)") % {"number": order.repeat_of.number}
        _timeline(by=by, order=order, summary=summary)
    return order


def work_order_total(order: WorkOrder) -> Decimal:
    return sum((i.total for i in order.items.all()), Decimal("0"))


# -- authorisation --------------------------------------------------------------------------------


def _contact_ok(customer: Customer, method: str, contact: str) -> bool:
    kinds = METHOD_KINDS.get(method)
    if kinds is None:
        return True  # a signature at the desk needs no contact
    for kind in kinds:
        try:
            value = normalize_identity(kind, contact)
        except (ValidationError, ValueError):
            continue
        if customer.identities.filter(kind=kind, value=value).exists():
            return True
    return False


def work_order_authorise(
    *,
    by: User,
    work_order: WorkOrder,
    scope: str,
    method: str,
    given_by: str,
    contact: str = "",
    minutes: int | None = None,
    now: datetime | None = None,
) -> Authorisation:
    """Record the customer's authorisation; it covers every item not yet authorised. A diagnosis
    one runs for `minutes` (the workshop's default when None); going past it needs another
    (a second diagnosis authorisation extends it, a repair one lifts the limit). A remote
    one (SMS, WeChat, call) must come through a contact recorded for the customer."""
    _require(by)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    if scope not in Authorisation.Scope.values:
        errors["scope"] = [_("Choose what is authorised.")]
    if method not in Authorisation.Method.values:
        errors["method"] = [_("Choose how the customer authorised.")]
    elif not _contact_ok(work_order.customer, method, contact):
        errors["contact"] = [
            _(
                "This is not a contact recorded for the customer; authorisation must come through one."
            )
        ]
    if not (given_by or "").strip():
        errors["given_by"] = [_("Say who authorised.")]
    if scope == Authorisation.Scope.DIAGNOSIS:
        minutes = minutes if minutes is not None else WorkshopSettings.current().diagnosis_minutes
        if not (15 <= minutes <= 24 * 60):
            errors["minutes"] = [_("A diagnosis is authorised for 15 minutes to 24 hours.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        if order.state in (S.DONE, S.DELIVERED):
            raise Conflict(
                _("The work is done; nothing more can be authorised."),
                field="state",
                code="wrong_state",
            )
        pending = list(order.items.filter(authorisation__isnull=True))
        amount = sum((i.total for i in pending), Decimal("0"))
        authorisation = Authorisation.objects.create(
            work_order=order,
            scope=scope,
            method=method,
            contact=(contact or "").strip(),
            given_by=given_by.strip()[:100],
            amount=amount,
            valid_until=now + timedelta(minutes=minutes)
            if scope == Authorisation.Scope.DIAGNOSIS
            else None,
            recorded_by=by,
            recorded_at=now,
        )
        WorkOrderItem.objects.filter(pk__in=[i.pk for i in pending]).update(
            authorisation=authorisation
        )
        if order.state == S.OPEN:
            order.state = S.AUTHORISED
            order.save(update_fields=["state", "updated_at"])
        _timeline(
            by=by,
            order=order,
            summary=_("Authorised by %(who)s (%(how)s): %(scope)s")
            % {
                "who": authorisation.given_by,
                "how": authorisation.get_method_display(),
                "scope": authorisation.get_scope_display(),
            },
        )
    work_order.refresh_from_db()
    return authorisation


def work_order_add_item(
    *, by: User, work_order: WorkOrder, item: ItemIn, now: datetime | None = None
) -> WorkOrderItem:
    """Extra work found on the way: added unauthorised; the order waits for a new authorisation."""
    _require(by)
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        if order.state in (S.DONE, S.DELIVERED):
            raise Conflict(
                _("The work is done; open a new work order."), field="state", code="wrong_state"
            )
        rows = _item_rows(order, [item], now, errors)
        if errors:
            raise ValidationError({"item": next(iter(errors.values()))})
        row = rows[0]
        row.save()
        if order.state == S.IN_PROGRESS:
            order.state = S.WAITING
            order.waiting_for = _("authorisation of extra work")
            order.save(update_fields=["state", "waiting_for", "updated_at"])
    work_order.refresh_from_db()
    return row


# -- moving on ------------------------------------------------------------------------------------


def authorisation_missing(order: WorkOrder, now: datetime) -> str:
    """Why the work may not go on, in words, or "" when it may."""
    latest = order.authorisations.order_by("-recorded_at", "-pk").first()
    if latest is None:
        return _("The customer has not authorised any work yet.")
    if order.items.filter(authorisation__isnull=True).exists():
        return _("Some work is not authorised by the customer yet; get a new authorisation first.")
    repair = order.authorisations.filter(scope=Authorisation.Scope.REPAIR).exists()
    if not repair and latest.valid_until and latest.valid_until < now:
        return _(
            "The authorised diagnosis time ended at %(when)s; get a new authorisation to go on."
        ) % {"when": timezone.localtime(latest.valid_until).strftime("%H:%M")}
    return ""


MOVES = {
    "start": ((S.AUTHORISED,), S.IN_PROGRESS),
    "wait": ((S.IN_PROGRESS,), S.WAITING),
    "resume": ((S.WAITING,), S.IN_PROGRESS),
    "finish": ((S.IN_PROGRESS,), S.DONE),
}


def work_order_move(
    *,
    by: User,
    work_order: WorkOrder,
    move: str,
    waiting_for: str = "",
    now: datetime | None = None,
) -> WorkOrder:
    """start | wait | resume | finish. Refused (field `state`) from the wrong state, and while
    authorisation is missing or the authorised diagnosis time has run out."""
    _require(by)
    now = now or timezone.now()
    if move not in MOVES:
        raise ValidationError({"move": [_("Unknown step.")]})
    allowed, target = MOVES[move]
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        if order.state not in allowed:
            raise Conflict(
                _("The work order is %(state)s; it cannot do that now.")
                % {"state": order.get_state_display()},
                field="state",
                code="wrong_state",
            )
        if target in (S.IN_PROGRESS, S.DONE):
            missing = authorisation_missing(order, now)
            if missing:
                raise Conflict(missing, field="authorisation", code="not_authorised")
        if move == "wait":
            reason = (waiting_for or "").strip()
            if not reason:
                raise ValidationError({"waiting_for": [_("Say what the work is waiting for.")]})
            order.waiting_for = reason[:200]
        elif target == S.IN_PROGRESS:
            order.waiting_for = ""
        if move == "start":
            order.started_at = now
        if target == S.DONE:
            order.done_at = now
        order.state = target
        order.save()
    work_order.refresh_from_db()
    return work_order


def work_order_explain(
    *, by: User, work_order: WorkOrder, ticks: dict[str, bool], now: datetime | None = None
) -> WorkOrder:
    """Tick the five explanations as they are given (what, why, cost, duration, collection).
    Refused (Conflict) once the car is delivered."""
    _require(by)
    unknown = set(ticks) - set(WorkOrder.EXPLANATIONS)
    if unknown:
        raise ValidationError(
            {"ticks": [_("Unknown explanation: %(names)s") % {"names": ", ".join(sorted(unknown))}]}
        )
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        if order.state == S.DELIVERED:
            raise Conflict(
                _("The car is delivered; the explanations stay as they were given."),
                field="explanations",
                code="wrong_state",
            )
        for name, value in ticks.items():
            setattr(order, name, bool(value))
        order.explained_by = by
        order.explained_at = now or timezone.now()
        order.save()
    work_order.refresh_from_db()
    return work_order


def work_order_deliver(
    *, by: User, work_order: WorkOrder, now: datetime | None = None
) -> WorkOrder:
    """Hand the car back. Needs the work done and the five explanations given."""
    _require(by)
    now = now or timezone.now()
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=work_order.pk)
        if order.state != S.DONE:
            raise Conflict(
                _("Only finished work can be delivered."), field="state", code="wrong_state"
            )
        if not order.all_explained:
            raise Conflict(
                _(
                    "Give the customer all five explanations first: what work, why it helps, cost, duration, when to collect."
                ),
                field="explanations",
                code="not_explained",
            )
        order.state = S.DELIVERED
        order.delivered_at = now
        order.delivered_by = by
        order.save()
        if order.asset_id:
            # The service's odometer: the order's reading, else the reading of this visit.
            asset_mileage_record(
                asset_id=order.asset_id,
                km=order.mileage_km,
                read_on=timezone.localtime(now).date(),
                service=True,
                strict=False,
            )
        _timeline(
            by=by,
            order=order,
            summary=_("Car delivered; %(total)s; the five explanations given by %(who)s")
            % {
                "total": f"¥{work_order_total(order):,.2f}",
                "who": order.explained_by.get_full_name() or order.explained_by.get_username(),
            },
        )
    work_order.refresh_from_db()
    return work_order
