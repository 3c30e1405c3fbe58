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
        last = event - timedelta(days=program.maintenance_days)
        yield from _assets(
            Asset.objects.filter(kind=Asset.Kind.VEHICLE, last_service_on=last),
            f"maintenance:{last.isoformat()}",
            f"上次保养 {last.isoformat()}，应保养 {when}",
        )
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
