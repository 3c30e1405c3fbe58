"""The workshop measures on a small dataset made by hand; every number below was worked out on
paper from the rows (see the comments)."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from rapport.appointments import measures
from rapport.appointments import workorders as wo
from rapport.appointments.models import Appointment, CapacityBucket, Resource, WorkOrder

from .conftest import NOW, at

pytestmark = pytest.mark.django_db
D1, D2 = date(2027, 2, 3), date(2027, 2, 4)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _bucket(resource, day, part, capacity, booked, reserve=0):
    CapacityBucket.objects.create(
        resource=resource,
        day=day,
        part=part,
        capacity_minutes=capacity,
        reserve_minutes=reserve,
        booked_minutes=booked,
    )


def _appointment(car, maintenance, advisor, starts_at, state, booked_days_before):
    appointment = Appointment.objects.create(
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        day=starts_at.date(),
        part=0,
        advisor=advisor,
        state=state,
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=starts_at - timedelta(days=booked_days_before)
    )
    return appointment


def _order(agent, car, when, words, appointment=None):
    with time_machine.travel(when, tick=False):
        return wo.work_order_open(
            by=agent,
            customer=car.customer,
            asset=car,
            customer_words=words,
            payment_method="cash",
            appointment=appointment,
            items=[wo.ItemIn(description="检查", unit_price="100")],
            now=when,
        )


def _authorise(agent, order, when):
    wo.work_order_authorise(
        by=agent,
        work_order=order,
        scope="repair",
        method="signature",
        given_by="李先生",
        now=when,
    )


@pytest.fixture
def dataset(agent, car, maintenance, calendar):
    advisor = Resource.objects.create(kind="advisor", name="A 顾问", walk_in_reserve_percent=0)
    bay = Resource.objects.create(kind="bay", name="B 工位", walk_in_reserve_percent=0)
    # advisor: D1 morning 105/210 = 50 %, D1 afternoon 72/240 = 30 %, D2 morning 0/210 = 0 %
    _bucket(advisor, D1, 0, 210, 105)
    _bucket(advisor, D1, 1, 240, 72)
    _bucket(advisor, D2, 0, 210, 0)
    # bay: D1 morning 210/210 = 100 %, D1 afternoon 0/240, D2 morning 84/(210 − 42) = 50 %
    _bucket(bay, D1, 0, 210, 210)
    _bucket(bay, D1, 1, 240, 0)
    _bucket(bay, D2, 0, 210, 84, reserve=42)

    # Booked 2, 1 and 3 days ahead; two came, one did not.
    a1 = _appointment(car, maintenance, advisor, at(D1, 9), "arrived", 2)
    a2 = _appointment(car, maintenance, advisor, at(D2, 9, 30), "arrived", 1)
    _appointment(car, maintenance, advisor, at(D2, 13, 30), "no_show", 3)

    # W1: authorised after 10 min, started 20 min after the arrival time, delivered by the
    # promised time.
    w1 = _order(agent, car, at(D1, 9), "刹车时有吱吱的响声", appointment=a1)
    _authorise(agent, w1, at(D1, 9, 10))
    WorkOrder.objects.filter(pk=w1.pk).update(
        started_at=at(D1, 9, 20), promised_at=at(D1, 12), delivered_at=at(D1, 11, 50)
    )
    # W2, a repeat of W1: authorised after 30 min, started 45 min after the arrival time; extra
    # work found at 11:00 authorised at 11:20 (20 min); more time authorised with no new work
    # (not a wait); delivered half an hour after the promised time.
    w2 = _order(agent, car, at(D2, 10), "刹车时又有吱吱的响声", appointment=a2)
    _authorise(agent, w2, at(D2, 10, 30))
    wo.work_order_add_item(
        by=agent,
        work_order=w2,
        item=wo.ItemIn(description="更换刹车片", unit_price="650"),
        now=at(D2, 11),
    )
    _authorise(agent, w2, at(D2, 11, 20))
    _authorise(agent, w2, at(D2, 12))
    WorkOrder.objects.filter(pk=w2.pk).update(
        started_at=at(D2, 10, 15), promised_at=at(D2, 15), delivered_at=at(D2, 15, 30)
    )
    # W3: no appointment, nothing authorised yet. Outside the period: an order on D2 + 1.
    _order(agent, car, at(D2, 14), "空调不太凉")
    _order(agent, car, at(D2 + timedelta(days=1), 9), "方向盘有点跑偏")
    return {"w2": w2}


def test_it_computes_the_measures_of_the_hand_made_dataset(dataset):
    m = measures.workshop_measures(first=D1, last=D2)

    assert dataset["w2"].repeat_of is not None
    # D1: (105 + 72 + 210 + 0) / (210 + 240 + 210 + 240) = 387 / 900 = 43 %; morning
    # (105 + 210) / 420 = 75 %, afternoon 72 / 480 = 15 %. D2: 84 / 378 = 22 %, one day-part.
    assert m.per_day == [
        {"day": D1, "percent": 43, "busiest": 75, "quietest": 15, "spread": 60},
        {"day": D2, "percent": 22, "busiest": 22, "quietest": 22, "spread": 0},
    ]
    assert (m.busiest_part, m.quietest_part, m.spread) == (75, 15, 60)
    # advisor 177 / 660 = 27 % over day-parts of 50, 30 and 0 %; bay 294 / 618 = 48 % over
    # 100, 0 and 50 %.
    assert m.per_resource == [
        {
            "kind": "advisor",
            "resource": "A 顾问",
            "booked": 177,
            "bookable": 660,
            "percent": 27,
            "busiest": 50,
            "quietest": 0,
            "spread": 50,
        },
        {
            "kind": "bay",
            "resource": "B 工位",
            "booked": 294,
            "bookable": 618,
            "percent": 48,
            "busiest": 100,
            "quietest": 0,
            "spread": 100,
        },
    ]
    assert (m.booked, m.arrived, m.no_shows, m.no_show_rate) == (3, 2, 1, 0.333)
    assert m.lead_time_days == 2.0  # (2 + 1 + 3) / 3
    assert (m.work_orders, m.repeats, m.repeat_rate) == (3, 1, 0.333)
    assert (m.starts_booked, m.starts_on_time, m.on_time_start_rate) == (2, 1, 0.5)
    assert (m.deliveries_promised, m.deliveries_on_time, m.on_time_delivery_rate) == (2, 1, 0.5)
    assert (m.authorisations, m.authorisation_wait_minutes) == (3, 20.0)  # (10 + 30 + 20) / 3


def test_the_measures_page_shows_them_to_a_lead_with_a_pinned_query_count(
    client, supervisor, dataset, django_assert_num_queries
):
    client.force_login(supervisor)
    url = reverse("appointments:measures")

    with django_assert_num_queries(8):
        response = client.get(url, {"first": "2027-02-03", "last": "2027-02-04"})

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["m"].spread == 60
    assert "A 顾问" in page and "B 工位" in page and "20.0" in page
    assert "2027-02-03" in page and "43%" in page


def test_the_measures_page_defaults_to_the_last_30_days_and_bounds_the_period(client, supervisor):
    client.force_login(supervisor)
    url = reverse("appointments:measures")

    default = client.get(url)
    too_long = client.get(url, {"first": "2026-01-01", "last": "2027-01-31"})
    backwards = client.get(url, {"first": "2027-01-31", "last": "2027-01-01"})

    assert default.status_code == 200
    assert (default.context["first"], default.context["last"]) == (
        date(2027, 1, 3),
        date(2027, 2, 1),
    )
    assert too_long.status_code == 400 and too_long.context["form"].non_field_errors()
    assert too_long.context["first"] == date(2027, 1, 3)  # shown for the default period
    assert backwards.status_code == 400


def test_the_measures_page_is_for_leads(client, agent):
    client.force_login(agent)
    assert client.get(reverse("appointments:measures")).status_code == 403


def test_the_api_gives_every_measure_of_the_page(dataset, api_client, supervisor):
    response = api_client(supervisor).get(
        "/api/v1/appointments/measures", {"first": D1.isoformat(), "last": D2.isoformat()}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["busiest_part"], body["quietest_part"], body["spread"]) == (75, 15, 60)
    assert [(r["resource"], r["percent"], r["spread"]) for r in body["per_resource"]] == [
        ("A 顾问", 27, 50),
        ("B 工位", 48, 100),
    ]
    assert (body["no_show_rate"], body["lead_time_days"]) == (0.333, 2.0)
    assert (body["work_orders"], body["repeats"], body["repeat_rate"]) == (3, 1, 0.333)
    assert (body["on_time_start_rate"], body["on_time_delivery_rate"]) == (0.5, 0.5)
    assert (body["authorisations"], body["authorisation_wait_minutes"]) == (3, 20.0)


def test_the_api_refuses_a_period_that_ends_before_it_starts(api_client, supervisor):
    response = api_client(supervisor).get(
        "/api/v1/appointments/measures", {"first": D2.isoformat(), "last": D1.isoformat()}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "last"
