"""Which customers a program's trigger reaches on a day, read through indexed date columns.

`occasions(program, day)` yields (customer_id, occurrence_key, occasion text) for the occasions
whose action falls due on `day` (= occasion date + the program's offset). Every date trigger is
an equality or IN lookup on an indexed column (migration 0002 adds the indexes), so the cost of a
day follows the customers due that day, not the customer table. Schedules (once, yearly, 春节,
中秋) reach the whole segment on their day.
"""

import calendar
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from rapport.care import lunar, registry
from rapport.care.models import Program
from rapport.customers.models import Asset, Customer
from rapport.tickets.models import Ticket

T = Program.Trigger
BIRTH_YEARS = 120  # birthdays are matched over this many years back
ANNIVERSARY_YEARS = 40


def _same_day_in_years(day: date, years: range) -> list[date]:
    """`day`'s month and day in each of `years`; 29 February is kept on the 28th in other years."""
    found = []
    for year in years:
        if day.month == 2 and day.day == 29 and not calendar.isleap(year):
            continue
        found.append(day.replace(year=year))
        if (
            day.month == 2
            and day.day == 28
            and not calendar.isleap(day.year)
            and calendar.isleap(year)
        ):
            found.append(date(year, 2, 29))
    return found


def schedule_date(program: Program, year: int) -> date | None:
    """The occasion of a schedule trigger in `year` (before the offset)."""
    if program.trigger == T.ONCE:
        return (
            program.schedule_on
            if program.schedule_on and program.schedule_on.year == year
            else None
        )
    if program.trigger == T.YEARLY and program.schedule_on:
        day = program.schedule_on
        if day.month == 2 and day.day == 29 and not calendar.isleap(year):
            return date(year, 2, 28)
        return day.replace(year=year)
    if program.trigger == T.SPRING_FESTIVAL:
        return lunar.spring_festival(year)
    if program.trigger == T.MID_AUTUMN:
        return lunar.mid_autumn(year)
    return None


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime.combine(day, time.min, zone), datetime.combine(
        day + timedelta(days=1), time.min, zone
    )


def _assets(qs, prefix: str, label: str) -> Iterator[tuple[int, str, str]]:
    for asset_id, customer_id, name, ident in qs.values_list(
        "id", "customer_id", "name", "identifier"
    ):
        yield customer_id, f"{prefix}:{asset_id}", f"{name} {ident} {label}".strip()


def occasions(program: Program, due: date) -> Iterator[tuple[int, str, str]]:
    """(customer_id, occurrence_key, occasion) due on `due`; schedules yield customer_id 0
    meaning "the whole segment" (the engine reads the segment then)."""
    event = due - timedelta(days=program.offset_days)
    when = event.isoformat()
    trig = program.trigger
    if trig == T.POLICY_EXPIRY:
        yield from _assets(
            Asset.objects.filter(kind=Asset.Kind.POLICY, expires_on=event),
            f"policy:{when}",
            f"保险到期 {when}",
        )
    elif trig == T.CONTRACT_EXPIRY:
        yield from _assets(
            Asset.objects.filter(kind=Asset.Kind.CONTRACT, expires_on=event),
            f"contract:{when}",
            f"合同到期 {when}",
        )
    elif trig == T.WARRANTY_EXPIRY:
        yield from _assets(
            Asset.objects.filter(warranty_ends_on=event), f"warranty:{when}", f"保修到期 {when}"
        )
    elif trig == T.PURCHASE_ANNIVERSARY:
        days = _same_day_in_years(event, range(event.year - ANNIVERSARY_YEARS, event.year))
        yield from _assets(
            Asset.objects.filter(purchased_on__in=days), f"anniversary:{when}", f"购买周年 {when}"
        )
    elif trig == T.MAINTENANCE_DUE:
        yield from _maintenance(program, event)
    elif trig == T.BIRTHDAY:
        yield from _birthdays(event)
    elif trig == T.TICKET_CLOSED:
        start, end = _day_bounds(event)
        for ticket_id, customer_id in Ticket.objects.filter(
            closed_at__gte=start, closed_at__lt=end
        ).values_list("id", "customer_id"):
            number = Ticket(pk=ticket_id).number
            yield customer_id, f"ticket:{ticket_id}", f"工单 {number} 关闭于 {when}"
    elif trig == T.BECAME_AT_RISK:
        start, end = _day_bounds(event)
        for customer_id in Customer.objects.filter(
            lifecycle_stage=Customer.Stage.AT_RISK, updated_at__gte=start, updated_at__lt=end
        ).values_list("id", flat=True):
            yield customer_id, f"at_risk:{when}", f"{when} 成为流失风险客户"
    elif trig in Program.SCHEDULE_TRIGGERS:
        if schedule_date(program, event.year) == event:
            yield 0, f"{trig}:{when}", f"{program.get_trigger_display()} {when}"
    else:
        source = registry.occasion_source(trig)
        if source is not None:
            yield from source(event)


RATES_PER_QUERY = 200  # OR terms per query (SQLite parses an OR chain to that depth)


def driving_rates() -> list[int]:
    """The distinct average km per day of the vehicles, read by skipping through the index
    (a loose index scan: one probe per value, not one row per vehicle)."""
    table = connection.ops.quote_name(Asset._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH RECURSIVE rates(r) AS (
                SELECT MIN(km_per_day) FROM {table} WHERE km_per_day > 0
                UNION ALL
                SELECT (SELECT MIN(km_per_day) FROM {table} WHERE km_per_day > rates.r)
                FROM rates WHERE rates.r IS NOT NULL
            ) SELECT r FROM rates WHERE r IS NOT NULL"""
        )
        return [row[0] for row in cursor.fetchall()]


def _maintenance(program: Program, event: date) -> Iterator[tuple[int, str, str]]:
    """Vehicles due for service on `event`: by time (the last service + maintenance_days) or by
    mileage (Asset.mileage_due_on: the day the estimate reaches the last service's odometer +
    maintenance_km), whichever comes first. One occurrence per service, keyed by the last
    service's day, so the later of the two dates finds it planned. Every term is an index seek:
    last_service_on; the day the estimate changed (a vehicle found past its mileage is due the
    day after); and, per driving rate r, the range of mileage_due_key that puts the day reached
    at `event` (see Asset.mileage_due_key) — the cost follows the vehicles due, not the fleet."""
    km, days = program.maintenance_km, program.maintenance_days
    n = event.toordinal()
    by_time = Q(last_service_on=event - timedelta(days=days))
    # Reached by the estimate made yesterday: due today, even if the mileage passed before.
    known_yesterday = Q(
        mileage_estimated_on=event - timedelta(days=1),
        km_per_day__gt=0,
        mileage_due_key__lte=F("km_per_day") * n - km,
    )
    rates = driving_rates()
    chunks = [rates[i : i + RATES_PER_QUERY] for i in range(0, len(rates), RATES_PER_QUERY)]
    seen: set[int] = set()
    for i, chunk in enumerate(chunks or [[]]):
        by_mileage = Q(pk__in=[])
        for r in chunk:
            by_mileage |= Q(
                km_per_day=r, mileage_due_key__gt=r * (n - 1) - km, mileage_due_key__lte=r * n - km
            )
        where = by_mileage if i else (by_time | known_yesterday | by_mileage)
        # One flat OR of index seeks, so both databases combine the indexes rather than scan
        # the vehicles: the kind, and a linear day that the estimate's own day postpones
        # (Asset.mileage_due_on), are checked on the rows found.
        rows = Asset.objects.filter(where).order_by().only(*MAINTENANCE_FIELDS)
        for asset in rows:
            if asset.pk in seen or asset.kind != Asset.Kind.VEHICLE:
                continue
            seen.add(asset.pk)
            occasion = maintenance_occasion(asset, program, event)
            if occasion is not None:
                yield asset.customer_id, f"maintenance:{asset.last_service_on}:{asset.pk}", occasion


MAINTENANCE_FIELDS = (
    "id",
    "kind",
    "customer_id",
    "name",
    "plate",
    "identifier",
    "mileage_km",
    "mileage_read_on",
    "mileage_base_on",
    "service_mileage_km",
    "last_service_on",
    "km_per_day",
    "mileage_due_key",
    "mileage_estimated_on",
)


def maintenance_occasion(asset: Asset, program: Program, event: date) -> str | None:
    """What the customer is told the occasion is: the mileage reached (and the average it was
    estimated with) when that came first, else the time since the last service."""
    if asset.last_service_on is None:
        return None
    label = f"{asset.name} {asset.plate or asset.identifier}".strip()
    by_time = asset.last_service_on + timedelta(days=program.maintenance_days)
    by_mileage = asset.mileage_due_on(program.maintenance_km)
    if by_mileage is not None and by_mileage <= by_time and by_mileage == event:
        target = asset.service_mileage_km + program.maintenance_km
        how = (
            f"按日均 {asset.km_per_day} 公里估算"
            if asset.km_per_day_estimated
            else f"按默认日均 {asset.km_per_day} 公里估算"
        )
        since = f"距上次保养（{asset.last_service_on}）"
        if asset.mileage_km >= target:
            return (
                f"{label} 已行驶至 {asset.mileage_km:,} 公里，"
                f"{since}已超过 {program.maintenance_km:,} 公里"
            )
        return f"{label} 预计行驶至 {target:,} 公里（{how}），{since}已满 {program.maintenance_km:,} 公里"
    if by_time == event:
        return f"{label} 上次保养 {asset.last_service_on} 已满 {program.maintenance_days} 天"
    return None


def _birthdays(event: date) -> Iterator[tuple[int, str, str]]:
    when = event.isoformat()
    solar_days = _same_day_in_years(event, range(event.year - BIRTH_YEARS, event.year + 1))
    for customer_id in Customer.objects.filter(
        birthday__in=solar_days, lunar_birthday_month__isnull=True
    ).values_list("id", flat=True):
        yield customer_id, f"birthday:{when}", f"生日 {when}"
    label = lunar.solar_label(event)
    for month, day in lunar.lunar_birthdays_on(event):
        for customer_id in Customer.objects.filter(
            lunar_birthday_month=month, lunar_birthday_day=day
        ).values_list("id", flat=True):
            yield customer_id, f"birthday:{when}", f"农历生日（{label}）{when}"
