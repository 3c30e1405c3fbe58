"""A vehicle's mileage estimate: readings with their day, the odometer at the last service and the
average km per day, from the asset form, the API and the readings other domains record."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.customers.mileage import asset_mileage_record
from rapport.customers.models import Asset
from rapport.customers.services import asset_create, asset_update
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _car(agent, **fields) -> Asset:
    customer = CustomerFactory(service_team=agent.teams.first())
    return asset_create(customer=customer, by=agent, kind="vehicle", name="大众 朗逸", **fields)


def test_one_reading_uses_the_fleet_default(agent, settings):
    settings.RAPPORT_DEFAULT_KM_PER_DAY = 40
    today = timezone.localdate()
    car = _car(agent, mileage_km=30_000, last_service_on=today, service_mileage_km=30_000)

    assert (car.mileage_read_on, car.mileage_base_km, car.mileage_base_on) == (
        today,
        30_000,
        today,
    )
    assert car.km_per_day == 40 and not car.km_per_day_estimated
    # 5,000 km at 40 km a day: 125 days.
    assert car.mileage_due_on(5_000) == today + timedelta(days=125)


def test_two_readings_give_the_vehicles_own_average(agent):
    today = timezone.localdate()
    car = _car(
        agent,
        mileage_km=40_000,
        mileage_read_on=today - timedelta(days=100),
        last_service_on=today - timedelta(days=100),
    )
    assert car.service_mileage_km == 40_000  # the reading of the service day

    car = asset_update(asset=car, by=agent, mileage_km=43_800, mileage_read_on=today)

    assert car.km_per_day == 38 and car.km_per_day_estimated
    # 1,200 km left at 38 km a day: 32 days (31.6 rounded up).
    assert car.mileage_due_on(5_000) == today + timedelta(days=32)
    stored = Asset.objects.get(pk=car.pk)
    assert (stored.km_per_day, stored.mileage_due_key) == (
        38,
        38 * today.toordinal() + 40_000 - 43_800,
    )


def test_readings_closer_than_two_weeks_keep_the_default(agent, settings):
    settings.RAPPORT_DEFAULT_KM_PER_DAY = 40
    today = timezone.localdate()
    car = _car(agent, mileage_km=10_000, mileage_read_on=today - timedelta(days=3))
    car = asset_update(asset=car, by=agent, mileage_km=12_000, mileage_read_on=today)
    assert car.km_per_day == 40 and not car.km_per_day_estimated


def test_a_new_figure_without_a_new_day_is_read_today(agent):
    today = timezone.localdate()
    car = _car(agent, mileage_km=10_000, mileage_read_on=today - timedelta(days=30))
    car = asset_update(
        asset=car, by=agent, mileage_km=11_200, mileage_read_on=today - timedelta(days=30)
    )
    assert car.mileage_read_on == today and car.km_per_day == 40


def test_a_backwards_reading_is_refused_and_nothing_changes(agent):
    today = timezone.localdate()
    car = _car(agent, mileage_km=50_000, mileage_read_on=today - timedelta(days=20))
    before = Asset.objects.filter(pk=car.pk).values().get()

    with pytest.raises(ValidationError) as refused:
        asset_update(asset=car, by=agent, mileage_km=49_000, name="改名")

    assert "mileage_km" in refused.value.message_dict
    assert "50,000" in refused.value.message_dict["mileage_km"][0]
    assert Asset.objects.filter(pk=car.pk).values().get() == before


def test_a_reading_in_the_future_or_before_the_last_is_refused(agent):
    today = timezone.localdate()
    car = _car(agent, mileage_km=50_000, mileage_read_on=today - timedelta(days=5))

    with pytest.raises(ValidationError) as future:
        asset_update(
            asset=car, by=agent, mileage_km=50_100, mileage_read_on=today + timedelta(days=1)
        )
    assert "mileage_read_on" in future.value.message_dict

    car.refresh_from_db()
    with pytest.raises(ValidationError) as older:
        asset_update(
            asset=car, by=agent, mileage_km=50_100, mileage_read_on=today - timedelta(days=9)
        )
    assert "mileage_read_on" in older.value.message_dict
    assert Asset.objects.get(pk=car.pk).mileage_km == 50_000


def test_service_mileage_above_the_odometer_or_without_a_day_is_refused(agent):
    with pytest.raises(ValidationError) as above:
        _car(agent, mileage_km=1_000, last_service_on=date(2026, 1, 5), service_mileage_km=2_000)
    assert "service_mileage_km" in above.value.message_dict
    with pytest.raises(ValidationError) as no_day:
        _car(agent, mileage_km=1_000, service_mileage_km=900)
    assert "last_service_on" in no_day.value.message_dict
    assert not Asset.objects.exists()


def test_a_service_recorded_by_another_domain_keeps_the_visits_reading(agent):
    today = timezone.localdate()
    car = _car(agent, mileage_km=20_000, mileage_read_on=today - timedelta(days=60))
    asset_mileage_record(asset_id=car.pk, km=22_400, read_on=today - timedelta(days=1))
    car = asset_mileage_record(asset_id=car.pk, km=None, read_on=today, service=True)

    assert (car.last_service_on, car.service_mileage_km) == (today, 22_400)
    assert car.km_per_day == 41  # 2,400 km in 59 days
    assert car.mileage_due_on(5_000) == today - timedelta(days=1) + timedelta(days=122)


def test_a_backwards_system_reading_is_left_out_or_refused(agent):
    today = timezone.localdate()
    car = _car(agent, mileage_km=20_000, mileage_read_on=today - timedelta(days=10))

    kept = asset_mileage_record(asset_id=car.pk, km=19_000, read_on=today, strict=False)
    assert (kept.mileage_km, kept.mileage_read_on) == (20_000, today - timedelta(days=10))
    with pytest.raises(ValidationError):
        asset_mileage_record(asset_id=car.pk, km=19_000, read_on=today)


def test_asset_form_shows_a_backwards_reading_as_a_field_error(agent, as_user):
    today = timezone.localdate()
    car = _car(agent, mileage_km=50_000, mileage_read_on=today - timedelta(days=20))
    response = as_user(agent).post(
        f"/customers/{car.customer_id}/assets/{car.pk}/",
        {"kind": "vehicle", "name": "大众 朗逸", "mileage_km": "49000"},
    )
    assert response.status_code == 200
    assert "50,000" in response.content.decode()
    assert Asset.objects.get(pk=car.pk).mileage_km == 50_000


def test_api_refuses_a_reading_in_the_future(agent, api_client):
    car = _car(agent, mileage_km=1_000)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = api_client(agent).patch(
        f"/api/v1/customers/assets/{car.pk}",
        {"mileage_km": 1_200, "mileage_read_on": tomorrow.isoformat()},
        content_type="application/json",
    )
    assert response.status_code in (400, 422)
    assert "mileage_read_on" in response.content.decode()
    assert Asset.objects.get(pk=car.pk).mileage_km == 1_000


def test_360_page_shows_the_estimated_next_service(agent, as_user):
    today = timezone.localdate()
    serviced = today - timedelta(days=100)
    car = _car(agent, mileage_km=40_000, mileage_read_on=serviced, last_service_on=serviced)
    asset_update(asset=car, by=agent, mileage_km=43_800, mileage_read_on=today)  # 38 km a day

    body = as_user(agent).get(f"/customers/{car.customer_id}/").content.decode()

    # The ready-made program's 5,000 km: 1,200 km to go at 38 km a day.
    line = body.split("data-next-service>")[1].split("</span>")[0]
    assert (today + timedelta(days=32)).isoformat() in line
    assert "45,000" in line and "38" in line


def test_an_edit_that_leaves_the_readings_alone_keeps_the_estimates_day(agent):
    today = timezone.localdate()
    car = _car(
        agent,
        mileage_km=40_000,
        mileage_read_on=today - timedelta(days=30),
        last_service_on=today - timedelta(days=30),
    )
    Asset.objects.filter(pk=car.pk).update(mileage_estimated_on=today - timedelta(days=30))
    car.refresh_from_db()

    car = asset_update(asset=car, by=agent, name="大众 朗逸 1.5L")

    assert Asset.objects.get(pk=car.pk).mileage_estimated_on == today - timedelta(days=30)
