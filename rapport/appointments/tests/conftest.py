from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from rapport.appointments.models import Resource, ServiceType, WorkshopSettings
from rapport.core.calendar.selectors import calendar_get_default
from rapport.core.calendar.services import calendar_exception_add
from rapport.customers.tests.factories import AssetFactory, CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 1 February 2027; 春节 (as set up below) keeps the workshop closed 6–14 February and
# Saturday 20 February is a make-up working day (调休).
NOW = datetime(2027, 2, 1, 10, 0, tzinfo=SHANGHAI)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def calendar(db):
    default = calendar_get_default()
    for day in range(8, 13):
        calendar_exception_add(
            calendar=default, date=date(2027, 2, day), kind="holiday", name="春节"
        )
    calendar_exception_add(
        calendar=default,
        date=date(2027, 2, 20),
        kind="workday",
        name="春节调休",
        works_as_weekday=0,
    )
    default.refresh_from_db()
    return default


@pytest.fixture
def rules(db):
    found = WorkshopSettings.current()
    found.slot_minutes = 30
    found.min_notice_minutes = 60
    found.save()
    return found


@pytest.fixture
def advisor(calendar, agent):
    return Resource.objects.create(
        kind="advisor", name="顾问王", staff=agent, walk_in_reserve_percent=0
    )


@pytest.fixture
def bay(calendar):
    return Resource.objects.create(kind="bay", name="1号工位", walk_in_reserve_percent=0)


@pytest.fixture
def maintenance(db):
    return ServiceType.objects.create(
        code="maintenance",
        name="常规保养",
        kind="maintenance",
        duration_minutes=60,
        estimate=Decimal("480"),
    )


@pytest.fixture
def big_job(db):
    """Takes a whole morning of the bay: one booking fills it."""
    return ServiceType.objects.create(
        code="overhaul",
        name="发动机检修",
        kind="repair",
        duration_minutes=180,
        estimate=Decimal("2800"),
    )


@pytest.fixture
def workshop(rules, advisor, bay):
    return {"advisor": advisor, "bay": bay}


@pytest.fixture
def car(db):
    customer = CustomerFactory(name="李先生", phone="13800138000")
    return AssetFactory(customer=customer, mileage_km=30000)
