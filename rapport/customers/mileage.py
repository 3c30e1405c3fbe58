"""Vehicle mileage: the odometer readings the system sees and the estimate made from them.

Readings come from staff editing the vehicle (the asset form and API), from reception when a car
arrives and from a delivered work order (appointments, through `asset_mileage_record`). The asset
keeps the latest reading and its day, the first reading seen (the average is measured from it),
the odometer at the last service and the average km per day in use: the vehicle's own once its
readings span MILEAGE_ESTIMATE_MIN_DAYS, else the fleet default (RAPPORT_DEFAULT_KM_PER_DAY).
Every write recomputes `mileage_due_key`, which lets care find the vehicles reaching their next
service mileage on a day through one index (see Asset.mileage_due_key). A reading lower than the
last one, dated in the future or before the last reading is refused where staff type it and
ignored where a system path brings it.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.customers.models import Asset

MAX_KM_PER_DAY = 1500  # an estimate above this is a typing error, not driving
SERVICE_READING_DAYS = 7  # a reading this close before a service is the service's odometer
MILEAGE_FIELDS = (
    "mileage_km",
    "mileage_read_on",
    "mileage_base_km",
    "mileage_base_on",
    "service_mileage_km",
    "last_service_on",
    "km_per_day",
    "mileage_due_key",
    "mileage_estimated_on",
)


def default_km_per_day() -> int:
    return settings.RAPPORT_DEFAULT_KM_PER_DAY


def reading_errors(
    *, last_km: int | None, last_on: date | None, km: int, read_on: date, today: date
) -> dict[str, list[str]]:
    """Why a reading of `km` on `read_on` cannot follow the last one (empty when it can)."""
    errors: dict[str, list[str]] = {}
    if read_on > today:
        errors["mileage_read_on"] = [_("A reading cannot be dated in the future.")]
    elif last_on is not None and read_on < last_on:
        errors["mileage_read_on"] = [
            _("The last reading was on %(day)s; record a newer one.") % {"day": last_on}
        ]
    if last_km is not None and km < last_km:
        errors["mileage_km"] = [
            _("The odometer cannot go back: the vehicle had %(km)s km.") % {"km": f"{last_km:,}"}
        ]
    return errors


def mileage_estimate(asset: Asset, *, today: date | None = None) -> None:
    """Recompute the asset's km_per_day and mileage_due_key from its readings (not saved); when
    they change, the estimate is dated `today` (see Asset.mileage_due_on)."""
    before = (asset.km_per_day, asset.mileage_due_key)
    if asset.kind != Asset.Kind.VEHICLE or asset.mileage_km is None or not asset.mileage_read_on:
        asset.km_per_day = asset.mileage_due_key = None
    else:
        if asset.km_per_day_estimated and asset.mileage_km >= (asset.mileage_base_km or 0):
            days = (asset.mileage_read_on - asset.mileage_base_on).days
            asset.km_per_day = min(
                round((asset.mileage_km - asset.mileage_base_km) / days), MAX_KM_PER_DAY
            )
        else:
            asset.km_per_day = default_km_per_day()
        if asset.km_per_day and asset.service_mileage_km is not None and asset.last_service_on:
            asset.mileage_due_key = (
                asset.km_per_day * asset.mileage_read_on.toordinal()
                + asset.service_mileage_km
                - asset.mileage_km
            )
        else:
            asset.mileage_due_key = None
    if (asset.km_per_day, asset.mileage_due_key) != before or asset.mileage_estimated_on is None:
        asset.mileage_estimated_on = today or timezone.localdate()


def _apply_reading(asset: Asset, *, km: int, read_on: date) -> None:
    if asset.mileage_base_on is None or asset.mileage_base_km is None:
        asset.mileage_base_km, asset.mileage_base_on = km, read_on
    asset.mileage_km, asset.mileage_read_on = km, read_on


def mileage_prepare(*, asset: Asset, stored: Asset | None, today: date | None = None) -> None:
    """Before the asset form's or API's save: check the typed reading against the stored one and
    keep the estimate right. Raises ValidationError naming the field."""
    today = today or timezone.localdate()
    if asset.kind != Asset.Kind.VEHICLE:
        return
    errors: dict[str, list[str]] = {}
    if asset.last_service_on and asset.last_service_on > today:
        errors["last_service_on"] = [_("A service cannot be dated in the future.")]
    old_km = stored.mileage_km if stored else None
    old_on = stored.mileage_read_on if stored else None
    new_reading = asset.mileage_km is not None and (
        asset.mileage_km != old_km or asset.mileage_read_on != old_on
    )
    if new_reading:
        if asset.mileage_read_on is None or (
            asset.mileage_km != old_km and asset.mileage_read_on == old_on
        ):
            asset.mileage_read_on = today  # a new figure without a new day was read today
        errors |= reading_errors(
            last_km=old_km,
            last_on=old_on,
            km=asset.mileage_km,
            read_on=asset.mileage_read_on,
            today=today,
        )
    if asset.service_mileage_km is not None and not asset.last_service_on:
        errors["last_service_on"] = [_("Give the day of the service this mileage was read at.")]
    if errors:
        raise ValidationError(errors)
    if asset.mileage_km is None:
        asset.mileage_read_on = asset.mileage_base_km = asset.mileage_base_on = None
    elif new_reading:
        if stored is None or stored.mileage_read_on is None:
            asset.mileage_base_km = asset.mileage_base_on = None  # undated figures start afresh
        _apply_reading(asset, km=asset.mileage_km, read_on=asset.mileage_read_on)
    # A service day typed without its odometer: the reading of that day is it, else unknown.
    same_day = bool(asset.last_service_on) and asset.mileage_read_on == asset.last_service_on
    if stored is None:
        if asset.service_mileage_km is None and same_day:
            asset.service_mileage_km = asset.mileage_km
    elif (
        asset.last_service_on != stored.last_service_on
        and asset.service_mileage_km == stored.service_mileage_km
    ):
        asset.service_mileage_km = asset.mileage_km if same_day else None
    mileage_estimate(asset, today=today)


@transaction.atomic
def asset_mileage_record(
    *,
    asset_id: int,
    km: int | None,
    read_on: date,
    service: bool = False,
    strict: bool = True,
) -> Asset:
    """Record an odometer reading another domain saw (reception, a delivered work order); with
    `service` it is also a service done on `read_on`, whose odometer is `km` (or the reading of
    the visit when `km` is None). The caller has checked its own permission. A backwards reading
    raises ValidationError({"mileage_km": …}) when `strict`, else it is left out."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.kind != Asset.Kind.VEHICLE:
        return asset
    if km is not None:
        errors = reading_errors(
            last_km=asset.mileage_km,
            last_on=asset.mileage_read_on,
            km=km,
            read_on=read_on,
            today=max(read_on, timezone.localdate()),
        )
        if errors and strict:
            raise ValidationError(errors)
        if not errors:
            _apply_reading(asset, km=km, read_on=read_on)
    if service:
        asset.last_service_on = read_on
        since = (read_on - asset.mileage_read_on).days if asset.mileage_read_on else None
        recent = since is not None and 0 <= since <= SERVICE_READING_DAYS
        asset.service_mileage_km = asset.mileage_km if recent else None
    mileage_estimate(asset, today=read_on)
    asset.save(update_fields=[*MILEAGE_FIELDS, "updated_at"])
    return asset
