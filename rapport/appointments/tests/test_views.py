from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from rapport.appointments import services
from rapport.appointments import workorders as wo
from rapport.appointments.models import Appointment
from rapport.interactions.models import Interaction

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def _book_at_nine(agent, car, maintenance):
    """The customer's car booked for maintenance at 9:00 on Wednesday 3 February 2027."""
    return services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
        now=NOW,
    )


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def _need(maintenance, car, **extra):
    return {
        "service_type": maintenance.pk,
        "asset": car.pk,
        "customer_words": "早上冷车启动有异响",
        "mileage_km": 30500,
        "wish": "2027-02-03",
        "wish_time": "",
        **extra,
    }


def test_the_booking_page_shows_the_scripts_and_three_levelled_times(
    signed_in, car, maintenance, workshop
):
    url = reverse("appointments:book", args=[car.customer_id])
    response = signed_in.get(url, _need(maintenance, car))

    assert response.status_code == 200
    assert len(response.context["proposals"]) == 3
    page = response.content.decode()
    assert "顾问王" in page and "常规保养" in page
    assert page.count('name="starts_at"') == 3
    assert response.context["steps"][0].title.startswith("1.")


def test_choosing_a_time_books_it_and_goes_to_the_appointment(
    signed_in, car, maintenance, workshop
):
    url = reverse("appointments:book", args=[car.customer_id])
    response = signed_in.post(url, _need(maintenance, car, starts_at="2027-02-03 09:30"))

    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "appointments:detail", args=[appointment.pk]
    )
    assert appointment.customer_words == "早上冷车启动有异响" and appointment.mileage_km == 30500
    assert Interaction.objects.filter(customer=car.customer).count() == 1


def test_choosing_a_holiday_is_refused_on_the_field(signed_in, car, maintenance, workshop):
    url = reverse("appointments:book", args=[car.customer_id])
    response = signed_in.post(url, _need(maintenance, car, starts_at="2027-02-10 09:00"))

    assert response.status_code == 400
    assert "春节" in " ".join(response.context["form"].errors["starts_at"])
    assert not Appointment.objects.exists()


def test_a_taken_time_answers_409_with_the_next_times(signed_in, agent, car, big_job, workshop):
    services.appointment_book(
        by=agent,
        customer=car.customer,
        service_type=big_job,
        starts_at=at(date(2027, 2, 3), 9),
        now=NOW,
    )
    url = reverse("appointments:book", args=[car.customer_id])

    response = signed_in.post(url, _need(big_job, car, starts_at="2027-02-03 09:00"))

    assert response.status_code == 409
    assert response.context["proposals"]
    assert Appointment.objects.count() == 1


def test_booking_needs_the_capability(client, kam, car, maintenance, workshop):
    client.force_login(kam)
    response = client.get(reverse("appointments:book", args=[car.customer_id]))
    assert response.status_code == 403


def test_arrivals_board_lists_the_day_with_waiting_time(
    signed_in, agent, car, maintenance, workshop, django_assert_num_queries
):
    for hour in (9, 10, 14):
        services.appointment_book(
            by=agent,
            customer=car.customer,
            asset=car,
            service_type=maintenance,
            starts_at=at(date(2027, 2, 3), hour),
            now=NOW,
        )
    first = Appointment.objects.order_by("starts_at").first()
    with time_machine.travel(at(date(2027, 2, 3), 9, 5), tick=False):
        services.appointment_arrive(
            by=agent, appointment=first, mileage_km=30600, fuel_level="half"
        )
    with time_machine.travel(at(date(2027, 2, 3), 9, 17), tick=False):
        signed_in.get(reverse("appointments:board"), {"day": "2027-02-03"})  # warm the session
        with django_assert_num_queries(4):
            response = signed_in.get(reverse("appointments:board"), {"day": "2027-02-03"})

    rows = response.context["rows"]
    assert [r.appointment.state for r in rows] == ["arrived", "booked", "booked"]
    assert rows[0].waiting_minutes == 12


def test_arrival_form_refuses_a_missing_fuel_level_and_records_a_good_one(
    signed_in, agent, car, maintenance, workshop
):
    appointment = _book_at_nine(agent, car, maintenance)
    url = reverse("appointments:arrive", args=[appointment.pk])
    page = signed_in.get(reverse("appointments:detail", args=[appointment.pk])).content.decode()
    fuel = page[page.index('name="fuel_level"') :]
    assert fuel.index('<option value="" selected>请选择…') < fuel.index("</select>")  # none chosen

    refused = signed_in.post(url, {"mileage_km": "30600"})
    assert refused.status_code == 400 and "fuel_level" in refused.context["arrival_form"].errors

    done = signed_in.post(
        url,
        {
            "mileage_km": "30600",
            "fuel_level": "quarter",
            "damage_notes": "后保险杠擦痕",
            "covers_fitted": "on",
        },
    )
    appointment.refresh_from_db()
    assert (
        done.status_code == 302
        and appointment.state == "arrived"
        and appointment.damage_notes == "后保险杠擦痕"
    )


def test_cancel_from_the_page_needs_a_reason(signed_in, agent, car, maintenance, workshop):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
        now=NOW,
    )
    url = reverse("appointments:act", args=[appointment.pk, "cancel"])

    assert signed_in.post(url, {"reason": ""}).status_code == 400
    assert signed_in.post(url, {"reason": "车已卖"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.state == "cancelled"


def test_moving_a_booking_of_a_service_no_longer_offered_is_a_400_on_the_form(
    signed_in, agent, car, maintenance, workshop
):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
        now=NOW,
    )
    maintenance.is_active = False
    maintenance.save(update_fields=["is_active"])
    url = reverse("appointments:reschedule", args=[appointment.pk])

    response = signed_in.post(url, {"starts_at": "2027-02-04 09:00", "reason": "出差"})

    assert response.status_code == 400
    assert "该服务类型已停用" in " ".join(response.context["reschedule_form"].non_field_errors())
    appointment.refresh_from_db()
    assert appointment.state == "booked" and appointment.rescheduled_to is None
    assert Appointment.objects.count() == 1


def test_a_no_show_before_the_arrival_time_is_refused_and_recorded_after_it(
    signed_in, agent, car, maintenance, workshop
):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
        now=NOW,
    )
    url = reverse("appointments:act", args=[appointment.pk, "no_show"])

    early = signed_in.post(url)
    appointment.refresh_from_db()
    assert early.status_code == 400 and appointment.state == "booked"
    with time_machine.travel(at(date(2027, 2, 3), 10), tick=False):
        assert signed_in.post(url).status_code == 302
    appointment.refresh_from_db()
    assert (appointment.state, appointment.holds) == ("no_show", [])
    assert (
        Interaction.objects.filter(
            customer=car.customer, summary__contains=appointment.number
        ).count()
        == 2
    )


def test_the_360_page_carries_the_appointments_panel(signed_in, agent, car, maintenance, workshop):
    _book_at_nine(agent, car, maintenance)

    page = signed_in.get(reverse("customers:detail", args=[car.customer_id]))
    panel = signed_in.get(
        reverse("appointments:customer-panel", args=[car.customer_id]), HTTP_HX_REQUEST="true"
    )

    assert 'id="appointments-panel"' in page.content.decode()
    assert "常规保养" in panel.content.decode() and car.plate in panel.content.decode()


def test_reception_shows_the_warranty_and_the_vehicles_earlier_work_orders(
    signed_in, agent, car, maintenance, workshop
):
    car.warranty_ends_on = date(2027, 6, 30)
    car.save(update_fields=["warranty_ends_on"])
    earlier = wo.work_order_open(
        by=agent,
        customer=car.customer,
        asset=car,
        customer_words="刹车时有吱吱的响声",
        payment_method="cash",
        now=NOW - timedelta(days=40),
    )
    appointment = _book_at_nine(agent, car, maintenance)
    url = reverse("appointments:detail", args=[appointment.pk])

    page = signed_in.get(url).content.decode()
    history = page[page.index('id="vehicle-history"') :]
    assert "保修期内，至 2027-06-30" in history and earlier.number in history
    assert "刹车时有吱吱的响声" in history

    with time_machine.travel(at(date(2027, 2, 3), 9), tick=False):
        services.appointment_arrive(
            by=agent, appointment=appointment, mileage_km=30600, fuel_level="half"
        )
        this_visit = wo.work_order_open(
            by=agent,
            customer=car.customer,
            asset=car,
            appointment=appointment,
            customer_words="该保养了",
            payment_method="cash",
        )
        page = signed_in.get(url).content.decode()
    history = page[page.index('id="vehicle-history"') :]
    assert earlier.number in history and this_visit.number not in history.split("</section>")[0]


def test_reception_says_when_the_warranty_has_ended(signed_in, agent, car, maintenance, workshop):
    car.warranty_ends_on = date(2026, 12, 31)
    car.save(update_fields=["warranty_ends_on"])
    appointment = _book_at_nine(agent, car, maintenance)

    page = signed_in.get(reverse("appointments:detail", args=[appointment.pk])).content.decode()

    history = page[page.index('id="vehicle-history"') :].split("</section>")[0]
    assert "保修已于 2026-12-31 到期" in history
    assert "本店没有这辆车以前的维修工单。" in history


def test_the_board_gives_the_self_booking_link_for_the_wechat_menu(signed_in, settings):
    settings.SITE_URL = "https://service.example.cn/"

    page = signed_in.get(reverse("appointments:board")).content.decode()

    link = page[page.index('id="self-booking-link"') :].split("</p>")[0]
    assert 'href="https://service.example.cn/book/"' in link and "微信" in link


def test_the_greeting_repeats_the_reason_in_the_customers_own_words(
    signed_in, agent, car, maintenance, workshop
):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
        customer_words="早上冷车启动有异响",
        now=NOW,
    )

    with time_machine.travel(at(date(2027, 2, 3), 8, 55), tick=False):
        response = signed_in.get(reverse("appointments:detail", args=[appointment.pk]))

    greeting = response.context["greeting"]
    assert greeting[0] == "早上好，李先生。"
    assert "常规保养" in greeting[1]
    assert greeting[2] == "您预约时说：“早上冷车启动有异响”。现在还是这样吗？"


def test_moving_offers_the_levelled_times_and_moves_to_the_one_chosen(
    signed_in, agent, car, maintenance, workshop
):
    appointment = _book_at_nine(agent, car, maintenance)
    url = reverse("appointments:detail", args=[appointment.pk])

    page = signed_in.get(url, {"wish": "2027-02-04"})

    proposals = page.context["proposals"]
    assert len(proposals) == 3 and all(p.reasons for p in proposals)
    offered = page.content.decode().split('id="move-proposals"')[1].split("</fieldset>")[0]
    assert offered.count('type="radio" name="starts_at"') == 3
    chosen = timezone.localtime(proposals[0].starts_at)
    moved = signed_in.post(
        reverse("appointments:reschedule", args=[appointment.pk]),
        {"starts_at": chosen.strftime("%Y-%m-%d %H:%M"), "reason": "客户出差"},
    )
    appointment.refresh_from_db()
    assert moved.status_code == 302 and appointment.state == "rescheduled"
    assert appointment.rescheduled_to.starts_at == proposals[0].starts_at
    assert signed_in.get(url, {"wish": "not-a-day"}).context.get("proposals") is None
