"""Items suggested by mileage and age (根据车况、里程和使用时间建议维修或保养项目, seed 000).

The rules are a small table kept here, with their names translated; each names the price list
codes that carry it out, so the last time it was done is read from the vehicle's earlier work
orders in this workshop (the mileage written on that order and its day). A rule never done here
counts from zero kilometres and from the purchase date (the last service date for the routine
oil change), so a car new to the workshop gets the routine items suggested.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.appointments.models import Appointment, PriceItem, WorkOrder, WorkOrderItem
from rapport.customers.models import Asset


@dataclass(frozen=True)
class Rule:
    code: str
    name: Promise
    every_km: int | None
    every_months: int | None
    price_codes: tuple[str, ...]
    routine: bool = False  # the car's last service date stands in when never done here


RULES: tuple[Rule, ...] = (
    Rule("oil", gettext_lazy("Engine oil and filter"), 5_000, 6, ("oil-change", "oil"), True),
    Rule("tyres", gettext_lazy("Tyre rotation and check"), 10_000, 12, ("tyre-rotation",)),
    Rule("air-filter", gettext_lazy("Engine air filter"), 20_000, 12, ("air-filter",)),
    Rule("cabin", gettext_lazy("Air conditioning service"), 20_000, 12, ("ac-service",)),
    Rule("alignment", gettext_lazy("Wheel alignment"), 20_000, 24, ("wheel-align",)),
    Rule("brake-fluid", gettext_lazy("Brake fluid"), 40_000, 24, ("brake-fluid",)),
    Rule("brake-pads", gettext_lazy("Brake pads check"), 30_000, None, ("brake-pads",)),
    Rule("coolant", gettext_lazy("Coolant"), 40_000, 24, ("coolant",)),
    Rule("spark-plugs", gettext_lazy("Spark plugs"), 40_000, None, ("spark-plugs",)),
)


@dataclass
class Suggestion:
    rule: Rule
    reason: str
    price_item: PriceItem | None  # what to add to the work order, when the price list has it

    @property
    def name(self) -> str:
        return str(self.rule.name)


def current_mileage(
    *, asset: Asset | None, order: WorkOrder | None = None, appointment: Appointment | None = None
) -> int | None:
    """The mileage last recorded: on the work order, at arrival, when booking, on the vehicle."""
    for value in (
        order.mileage_km if order else None,
        appointment.arrival_mileage_km if appointment else None,
        appointment.mileage_km if appointment else None,
        asset.mileage_km if asset else None,
    ):
        if value is not None:
            return value
    return None


def _months_between(earlier: date, later: date) -> int:
    return (
        (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)
    )


def suggestions_for(
    *,
    asset: Asset | None,
    mileage_km: int | None,
    exclude_order: WorkOrder | None = None,
    today: date | None = None,
) -> list[Suggestion]:
    """The rules due for this vehicle, each with its reason in words. Two queries."""
    if asset is None:
        return []
    today = today or timezone.localdate()
    codes = {code for rule in RULES for code in rule.price_codes}
    done: dict[str, tuple[int | None, date]] = {}  # price code → (mileage, day), latest first
    history = (
        WorkOrderItem.objects.filter(work_order__asset=asset, price_item__code__in=codes)
        .order_by("-work_order__created_at")
        .values_list("price_item__code", "work_order__mileage_km", "work_order__created_at")
    )
    if exclude_order is not None:
        history = history.exclude(work_order=exclude_order)
    for code, km, created in history:
        done.setdefault(code, (km, timezone.localtime(created).date()))
    prices = {p.code: p for p in PriceItem.objects.filter(code__in=codes, is_active=True)}
    found = []
    for rule in RULES:
        last = [done[c] for c in rule.price_codes if c in done]
        last_km, last_day = max(last, key=lambda x: x[1]) if last else (None, None)
        reasons = []
        if rule.every_km and mileage_km is not None:
            if not last:
                if mileage_km >= rule.every_km:
                    reasons.append(
                        _("%(km)s km and never done here (every %(every)s km)")
                        % {"km": f"{mileage_km:,}", "every": f"{rule.every_km:,}"}
                    )
            elif last_km is not None and mileage_km - last_km >= rule.every_km:
                reasons.append(
                    _("%(km)s km since it was last done (every %(every)s km)")
                    % {"km": f"{mileage_km - last_km:,}", "every": f"{rule.every_km:,}"}
                )
        baseline = last_day or (asset.last_service_on if rule.routine else None)
        baseline = baseline or asset.purchased_on
        if rule.every_months and baseline is not None:
            months = _months_between(baseline, today)
            if months >= rule.every_months:
                reasons.append(
                    _("%(months)s months since %(day)s (every %(every)s months)")
                    % {
                        "months": months,
                        "day": baseline.isoformat(),
                        "every": rule.every_months,
                    }
                )
        if reasons:
            price = next((prices[c] for c in rule.price_codes if c in prices), None)
            found.append(Suggestion(rule=rule, reason=_("; ").join(reasons), price_item=price))
    return found
