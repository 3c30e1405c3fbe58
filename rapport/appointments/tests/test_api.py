import json
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from rapport.appointments import services
from rapport.appointments.models import Appointment, PriceItem, WorkOrder

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def api(api_client, agent):
    client = api_client(agent)

    def post(url, body=None):
        return client.post(url, json.dumps(body or {}), content_type="application/json")

    client.post_json = post
    return client


def test_proposals_come_with_reasons(api, maintenance, workshop):
    response = api.get(
        "/api/v1/appointments/proposals", {"service_type_id": maintenance.pk, "wish": "2027-02-03"}
    )

    assert response.status_code == 200
    body = response.json()
    assert len(body) == 3 and all(p["reasons"] and p["advisor"] == "顾问王" for p in body)


def test_booking_over_the_api_and_the_409_with_next_proposals(api, car, big_job, workshop):
    body = {
        "customer_id": car.customer_id,
        "asset_id": car.pk,
        "service_type_id": big_job.pk,
        "starts_at": at(date(2027, 2, 3), 9).isoformat(),
        "customer_words": "发动机抖动",
    }
    first = api.post_json("/api/v1/appointments", body)
    second = api.post_json("/api/v1/appointments", body)

    assert first.status_code == 201 and first.json()["state"] == "booked"
    assert second.status_code == 409
    assert second.json()["code"] == "slot_taken" and second.json()["proposals"]
    assert second.json()["errors"][0]["field"] == "starts_at"
    assert Appointment.objects.count() == 1


def test_bad_booking_input_is_a_named_4xx(api, car, maintenance, workshop):
    body = {
        "customer_id": car.customer_id,
        "service_type_id": maintenance.pk,
        "starts_at": "2027-02-10T09:00:00+08:00",
    }
    holiday = api.post_json("/api/v1/appointments", body)
    naive = api.post_json("/api/v1/appointments", {**body, "starts_at": "soon"})
    negative = api.post_json(
        "/api/v1/appointments", {**body, "starts_at": "2027-02-03T09:00:00+08:00", "mileage_km": -1}
    )

    assert holiday.status_code == 400 and holiday.json()["errors"][0]["field"] == "starts_at"
    assert naive.status_code == 422 and negative.status_code == 422
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    "starts_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1850-03-01T09:00:00Z"]
)
def test_an_arrival_time_outside_any_calendar_is_a_named_422_not_an_error(
    api, agent, car, maintenance, workshop, starts_at
):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
        now=NOW,
    )
    body = {"customer_id": car.customer_id, "service_type_id": maintenance.pk}

    booked = api.post_json("/api/v1/appointments", {**body, "starts_at": starts_at})
    moved = api.post_json(
        f"/api/v1/appointments/{appointment.pk}/reschedule",
        {"starts_at": starts_at, "reason": "出差"},
    )

    for refused in (booked, moved):
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "starts_at"
    appointment.refresh_from_db()
    assert appointment.state == "booked" and Appointment.objects.count() == 1


def test_cancel_and_reschedule_over_the_api(api, agent, car, maintenance, workshop):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
        now=NOW,
    )

    moved = api.post_json(
        f"/api/v1/appointments/{appointment.pk}/reschedule",
        {"starts_at": at(date(2027, 2, 4), 9).isoformat(), "reason": "出差"},
    )
    assert moved.status_code == 201
    cancelled = api.post_json(
        f"/api/v1/appointments/{moved.json()['id']}/cancel", {"reason": "车已卖"}
    )
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert (
        api.post_json(
            f"/api/v1/appointments/{moved.json()['id']}/cancel", {"reason": "x"}
        ).status_code
        == 409
    )


def test_arrival_over_the_api_records_the_walk_around_once(api, agent, car, maintenance, workshop):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
        now=NOW,
    )
    url = f"/api/v1/appointments/{appointment.pk}/arrival"
    walk_around = {"mileage_km": 30600, "fuel_level": "half", "damage_notes": "后保险杠擦痕"}

    backwards = api.post_json(url, {**walk_around, "mileage_km": 100})
    no_fuel = api.post_json(url, {**walk_around, "fuel_level": "brimming"})
    arrived = api.post_json(url, walk_around)
    again = api.post_json(url, walk_around)

    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "mileage_km"
    assert no_fuel.status_code == 422
    assert arrived.status_code == 200 and arrived.json()["state"] == "arrived"
    assert again.status_code == 409
    appointment.refresh_from_db()
    assert (appointment.arrival_mileage_km, appointment.damage_notes) == (30600, "后保险杠擦痕")


def test_a_work_order_through_authorisation_to_delivery(api, car):
    oil = PriceItem.objects.create(code="oil", name="更换机油", price=Decimal("380"))
    opened = api.post_json(
        "/api/v1/work-orders",
        {
            "customer_id": car.customer_id,
            "asset_id": car.pk,
            "customer_words": "该保养了",
            "payment_method": "cash",
            "items": [{"price_item_id": oil.pk}],
        },
    )
    assert opened.status_code == 201
    url = f"/api/v1/work-orders/{opened.json()['id']}"

    assert api.post_json(f"{url}/move", {"move": "start"}).status_code == 409
    assert (
        api.post_json(
            f"{url}/authorisations",
            {"scope": "repair", "method": "sms", "contact": "13911112222", "given_by": "李先生"},
        ).status_code
        == 422
    )
    assert (
        api.post_json(
            f"{url}/authorisations",
            {"scope": "repair", "method": "signature", "given_by": "李先生"},
        ).status_code
        == 201
    )
    assert api.post_json(f"{url}/move", {"move": "start"}).status_code == 200
    assert api.post_json(f"{url}/move", {"move": "finish"}).status_code == 200
    assert api.post_json(f"{url}/deliver").status_code == 409
    ticks = dict.fromkeys(
        [
            "explained_work",
            "explained_benefit",
            "explained_cost",
            "explained_duration",
            "explained_collection",
        ],
        True,
    )
    assert api.post_json(f"{url}/explanations", ticks).status_code == 200
    done = api.post_json(f"{url}/deliver")
    assert (
        done.status_code == 200
        and done.json()["state"] == "delivered"
        and done.json()["total"] == "380.00"
    )


def test_a_work_order_without_words_or_with_an_absurd_quote_is_refused(api, car):
    base = {"customer_id": car.customer_id, "asset_id": car.pk, "payment_method": "cash"}
    empty = api.post_json("/api/v1/work-orders", {**base, "customer_words": ""})
    absurd = api.post_json(
        "/api/v1/work-orders",
        {
            **base,
            "customer_words": "异响",
            "items": [{"description": "大修", "unit_price": "9999999"}],
        },
    )

    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "customer_words"
    assert absurd.status_code == 422 and absurd.json()["errors"][0]["field"] == "items[0]"
    assert not WorkOrder.objects.exists()
