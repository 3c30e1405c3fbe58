from datetime import date, timedelta

import pytest
from django.utils import timezone

from rapport.care import lunar
from rapport.care.engine import care_evaluate
from rapport.care.models import CareAction, Program
from rapport.care.triggers import _same_day_in_years, schedule_date
from rapport.customers.models import Asset
from rapport.customers.tests.factories import CustomerFactory


def test_a_lunar_30th_in_a_short_month_falls_on_the_29th():
    # Lunar 2025, month 2 has 29 days: a birthday on the 30th is kept on the 29th.
    assert lunar.lunar_to_solar(2025, 2, 30) == lunar.lunar_to_solar(2025, 2, 29)
    assert (2, 30) in lunar.lunar_birthdays_on(lunar.lunar_to_solar(2025, 2, 29))


def test_a_lunar_30th_in_a_long_month_is_its_own_day():
    # Lunar 2025, month 1 has 30 days.
    assert lunar.lunar_birthdays_on(lunar.lunar_to_solar(2025, 1, 30)) == [(1, 30)]
    assert lunar.lunar_birthdays_on(lunar.lunar_to_solar(2025, 1, 29)) == [(1, 29)]


def test_no_lunar_birthday_falls_inside_a_leap_month():
    # 2025 has a leap sixth month (闰六月): its days are in July/August 2025.
    assert lunar.lunar_birthdays_on(date(2025, 8, 3)) == []
    # The ordinary sixth month carries the birthday.
    assert lunar.lunar_to_solar(2025, 6, 10) == date(2025, 7, 4)


def test_lunar_holidays_resolve_each_year():
    assert lunar.spring_festival(2026) == date(2026, 2, 17)
    assert lunar.spring_festival(2027) == date(2027, 2, 6)
    assert lunar.mid_autumn(2026) == date(2026, 9, 25)


def test_a_29_february_birthday_is_kept_on_the_28th_in_other_years():
    days = _same_day_in_years(date(2026, 2, 28), range(2019, 2027))
    assert date(2020, 2, 29) in days and date(2024, 2, 29) in days
    assert _same_day_in_years(date(2026, 3, 1), range(2019, 2027)).count(date(2020, 2, 29)) == 0


def test_schedule_once_only_in_its_year():
    program = Program(trigger="once", schedule_on=date(2026, 5, 1))
    assert schedule_date(program, 2026) == date(2026, 5, 1)
    assert schedule_date(program, 2027) is None


@pytest.mark.django_db
def test_birthday_program_finds_solar_and_lunar_birthdays_due_today(everyone, team, supervisor):
    today = timezone.localdate()
    solar = CustomerFactory(birthday=today.replace(year=1980))
    pairs = lunar.lunar_birthdays_on(today)
    lunar_customer = None
    if pairs:
        month, day = pairs[0]
        lunar_customer = CustomerFactory(
            birthday=date(1975, 1, 1), lunar_birthday_month=month, lunar_birthday_day=day
        )
    # A customer who keeps a lunar birthday is not greeted on the solar date.
    keeps_lunar = CustomerFactory(
        birthday=today.replace(year=1990),
        lunar_birthday_month=((pairs[0][0] % 12) + 1) if pairs else 1,
        lunar_birthday_day=1,
    )
    Program.objects.create(
        name="生日",
        segment=everyone,
        team=team,
        trigger="birthday",
        action="call",
        script_text="生日快乐",
        holdout_percent=0,
        status="active",
        starts_on=today,
    )
    care_evaluate()
    reached = set(CareAction.objects.values_list("customer_id", flat=True))
    assert solar.pk in reached
    assert keeps_lunar.pk not in reached
    if lunar_customer:
        assert lunar_customer.pk in reached


@pytest.mark.django_db
def test_maintenance_due_by_time_since_last_service(team, supervisor):
    from rapport.care.models import Segment

    vehicles = Segment.objects.get(name="车主客户")
    today = timezone.localdate()
    due = CustomerFactory()
    Asset.objects.create(
        customer=due, kind="vehicle", name="帕萨特", last_service_on=today - timedelta(days=180)
    )
    not_due = CustomerFactory()
    Asset.objects.create(
        customer=not_due, kind="vehicle", name="朗逸", last_service_on=today - timedelta(days=179)
    )
    Program.objects.create(
        name="保养",
        segment=vehicles,
        team=team,
        trigger="maintenance_due",
        action="call",
        script_text="该保养了",
        holdout_percent=0,
        status="active",
        starts_on=today,
    )
    care_evaluate()
    assert list(CareAction.objects.values_list("customer_id", flat=True)) == [due.pk]


@pytest.mark.django_db
def test_a_late_evaluation_catches_up_missed_days_once(renewal_program):
    from .conftest import policy_customer

    today = timezone.localdate()
    yesterday_due = policy_customer(today + timedelta(days=29))
    Program.objects.filter(pk=renewal_program.pk).update(
        evaluated_through=today - timedelta(days=2), starts_on=today - timedelta(days=5)
    )
    care_evaluate()
    assert list(CareAction.objects.values_list("customer_id", "due_on")) == [
        (yesterday_due.pk, today - timedelta(days=1))
    ]
