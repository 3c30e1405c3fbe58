"""Maintenance due by mileage or time, whichever comes first, once per service."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from rapport.care import triggers
from rapport.care.engine import care_evaluate
from rapport.care.forms import ProgramForm
from rapport.care.models import CareAction, Program, Segment
from rapport.customers.mileage import mileage_estimate
from rapport.customers.models import Asset
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


def _car(
    *,
    serviced_on: date,
    service_km: int,
    read_on: date,
    km: int,
    base_on: date | None = None,
    base_km: int | None = None,
    estimated_on: date | None = None,
) -> Asset:
    """A vehicle whose readings were recorded on `estimated_on` (the day of the reading when not
    given); its average comes from (base_on, base_km) → (read_on, km)."""
    car = Asset(
        customer=CustomerFactory(),
        kind="vehicle",
        name="大众 朗逸",
        plate="粤B12345",
        last_service_on=serviced_on,
        service_mileage_km=service_km,
        mileage_km=km,
        mileage_read_on=read_on,
        mileage_base_km=base_km if base_km is not None else km,
        mileage_base_on=base_on or read_on,
    )
    mileage_estimate(car, today=estimated_on or read_on)
    car.save()
    return car


@pytest.fixture
def maintenance(team, supervisor) -> Program:
    return Program.objects.create(
        name="保养",
        segment=Segment.objects.get(name="车主客户"),
        team=team,
        trigger="maintenance_due",
        maintenance_days=180,
        maintenance_km=5_000,
        action="call",
        script_text="{occasion}",
        holdout_percent=0,
        status="active",
        starts_on=TODAY - timedelta(days=400),
        evaluated_through=TODAY - timedelta(days=1),
    )


def _evaluate(program: Program, day: date) -> list[tuple[int, str, str, date]]:
    Program.objects.filter(pk=program.pk).update(evaluated_through=day - timedelta(days=1))
    care_evaluate(today=day)
    return list(
        CareAction.objects.order_by("id").values_list(
            "customer_id", "occurrence_key", "occasion", "due_on"
        )
    )


def test_mileage_first_fires_on_the_estimated_day_with_the_estimate_in_the_reason(maintenance):
    # Serviced at 40,000 km 100 days ago; 70 days later it read 43,500: 50 km a day, so it
    # reaches 45,000 km 30 days after that reading — today — long before the 180 days.
    serviced = TODAY - timedelta(days=100)
    car = _car(
        serviced_on=serviced,
        service_km=40_000,
        base_on=serviced,
        base_km=40_000,
        read_on=TODAY - timedelta(days=30),
        km=43_500,
    )
    assert car.km_per_day == 50

    assert _evaluate(maintenance, TODAY - timedelta(days=1)) == []
    ((customer_id, key, occasion, due_on),) = _evaluate(maintenance, TODAY)

    assert (customer_id, key, due_on) == (
        car.customer_id,
        f"maintenance:{serviced}:{car.pk}",
        TODAY,
    )
    assert occasion == (
        f"大众 朗逸 粤B12345 预计行驶至 45,000 公里（按日均 50 公里估算），"
        f"距上次保养（{serviced}）已满 5,000 公里"
    )


def test_time_first_fires_after_the_interval_in_days(maintenance):
    serviced = TODAY - timedelta(days=180)
    car = _car(  # 10 km a day: 5,000 km would take 500 days
        serviced_on=serviced,
        service_km=40_000,
        base_on=serviced,
        base_km=40_000,
        read_on=TODAY - timedelta(days=80),
        km=41_000,
    )
    ((customer_id, key, occasion, _due),) = _evaluate(maintenance, TODAY)
    assert (customer_id, key) == (car.customer_id, f"maintenance:{serviced}:{car.pk}")
    assert occasion == f"大众 朗逸 粤B12345 上次保养 {serviced} 已满 180 天"


def test_one_reading_estimates_with_the_fleet_default(maintenance, settings):
    settings.RAPPORT_DEFAULT_KM_PER_DAY = 40
    # One reading, at the service 125 days ago: 5,000 km at 40 km a day is today.
    serviced = TODAY - timedelta(days=125)
    car = _car(serviced_on=serviced, service_km=12_000, read_on=serviced, km=12_000)
    ((_c, _k, occasion, _d),) = _evaluate(maintenance, TODAY)
    assert car.km_per_day == 40 and not car.km_per_day_estimated
    assert "预计行驶至 17,000 公里（按默认日均 40 公里估算）" in occasion


def test_each_service_is_reached_once_though_both_dates_come(maintenance):
    serviced = TODAY - timedelta(days=100)
    car = _car(
        serviced_on=serviced,
        service_km=40_000,
        base_on=serviced,
        base_km=40_000,
        read_on=TODAY - timedelta(days=30),
        km=43_500,
    )
    assert len(_evaluate(maintenance, TODAY)) == 1
    # The 180 days come 80 days later: the same service, already planned.
    time_due = serviced + timedelta(days=180)
    assert len(_evaluate(maintenance, time_due)) == 1
    # Evaluating the mileage day again (another worker, a restart) plans nothing more.
    assert len(_evaluate(maintenance, TODAY)) == 1
    # The next service is a new occurrence.
    Asset.objects.filter(pk=car.pk).update(last_service_on=time_due, service_mileage_km=47_000)
    assert len(_evaluate(maintenance, time_due + timedelta(days=180))) == 2


def test_a_reading_already_past_the_mileage_makes_it_due_the_next_day(maintenance):
    serviced = TODAY - timedelta(days=60)
    car = _car(
        serviced_on=serviced,
        service_km=40_000,
        base_on=serviced,
        base_km=40_000,
        read_on=TODAY,
        km=46_000,  # 100 km a day: the 45,000 km was passed ten days ago, unseen
    )
    assert car.mileage_due_on(5_000) == TODAY + timedelta(days=1)
    assert _evaluate(maintenance, TODAY) == []
    ((_c, _k, occasion, due_on),) = _evaluate(maintenance, TODAY + timedelta(days=1))
    assert due_on == TODAY + timedelta(days=1)
    assert occasion == (
        f"大众 朗逸 粤B12345 已行驶至 46,000 公里，距上次保养（{serviced}）已超过 5,000 公里"
    )


def test_a_vehicle_without_its_service_odometer_goes_by_time_only(maintenance):
    serviced = TODAY - timedelta(days=100)
    car = _car(serviced_on=serviced, service_km=40_000, read_on=serviced, km=40_000)
    Asset.objects.filter(pk=car.pk).update(service_mileage_km=None, mileage_due_key=None)
    assert _evaluate(maintenance, TODAY + timedelta(days=25)) == []
    assert len(_evaluate(maintenance, serviced + timedelta(days=180))) == 1


def test_the_day_costs_a_fixed_number_of_queries(maintenance, django_assert_num_queries):
    serviced = TODAY - timedelta(days=100)
    for rate in (20, 35, 50, 80):  # due today at different rates, and more not due
        for days_left in (0, 3):
            km = 45_000 - (days_left + 30) * rate
            car = _car(
                serviced_on=serviced,
                service_km=40_000,
                base_on=TODAY - timedelta(days=130),
                base_km=km - 100 * rate,
                read_on=TODAY - timedelta(days=30),
                km=km,
            )
            assert car.km_per_day == rate
    with django_assert_num_queries(2):  # the driving rates, the vehicles due
        found = list(triggers.occasions(maintenance, TODAY))
    assert len(found) == 4


def test_program_form_refuses_a_mileage_interval_out_of_range(maintenance):
    for km in (50, 100_001):
        form = ProgramForm(
            data={
                "name": "保养",
                "purpose": "service",
                "trigger": "maintenance_due",
                "offset_days": 0,
                "maintenance_days": 180,
                "maintenance_km": km,
                "action": "call",
                "script_text": "x",
                "followup_days": 3,
                "quiet_days": 30,
                "holdout_percent": 10,
                "starts_on": timezone.localdate().isoformat(),
            }
        )
        assert not form.is_valid()
        assert "maintenance_km" in form.errors
