from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from rapport.appointments import services
from rapport.appointments.models import Appointment, CapacityBucket, Resource
from rapport.core.calendar.services import calendar_create
from rapport.core.errors import Conflict, DomainError
from rapport.interactions.models import Interaction

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def _book(agent, car, service_type, when, **kwargs):
    return services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=service_type,
        starts_at=when,
        now=NOW,
        **kwargs,
    )


def test_booking_takes_the_advisor_and_bay_minutes_and_lands_on_the_timeline(
    agent, car, maintenance, workshop
):
    appointment = _book(
        agent,
        car,
        maintenance,
        at(date(2027, 2, 3), 9, 30),
        customer_words="刹车有异响",
        mileage_km=30500,
    )

    assert appointment.state == Appointment.State.BOOKED
    assert appointment.advisor == workshop["advisor"] and appointment.bay == workshop["bay"]
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=60)
    booked = dict(CapacityBucket.objects.values_list("resource__kind", "booked_minutes"))
    assert booked == {"advisor": 30, "bay": 60}
    entry = Interaction.objects.get(customer=car.customer)
    assert entry.purpose.code == "appointment"
    assert "2027-02-03 09:30" in entry.summary and appointment.number in entry.summary


@pytest.mark.parametrize(
    ("when", "code"),
    [
        (at(date(2027, 1, 29), 9), "past"),
        (at(date(2027, 2, 1), 10, 30), "too_soon"),
        (at(date(2027, 2, 10), 9), "holiday"),
        (at(date(2027, 2, 7), 9), "closed"),  # a Sunday next to the holiday
        (at(date(2027, 2, 27), 9), "closed"),  # a plain Saturday
        (at(date(2027, 2, 3), 7), "outside_hours"),
        (at(date(2027, 2, 3), 12, 30), "outside_hours"),
        (at(date(2027, 2, 3), 9, 10), "off_grid"),
        (at(date(2027, 2, 3), 17, 30), "outside_hours"),  # the job would run past 18:00
        (at(date(2027, 6, 1), 9), "beyond_horizon"),
    ],
)
def test_a_slot_that_cannot_be_booked_is_refused_by_field_and_nothing_is_saved(
    agent, car, maintenance, workshop, when, code
):
    with pytest.raises(DomainError) as refused:
        _book(agent, car, maintenance, when)

    assert refused.value.field == "starts_at"
    assert refused.value.code == code
    assert str(refused.value.message)
    assert not Appointment.objects.exists()
    assert not CapacityBucket.objects.filter(booked_minutes__gt=0).exists()
    assert not Interaction.objects.exists()


@pytest.fixture
def mornings(db):
    return calendar_create(name="上午班", intervals={d: "09:00-12:00" for d in range(6)})


@pytest.mark.parametrize("who", ["advisor", "bay"])
def test_a_time_outside_a_resources_own_hours_is_refused_and_its_hours_are_bookable(
    agent, car, maintenance, workshop, mornings, who
):
    workshop[who].calendar = mornings
    workshop[who].save(update_fields=["calendar"])

    with pytest.raises(DomainError) as refused:
        _book(agent, car, maintenance, at(date(2027, 2, 3), 14))

    assert (refused.value.field, refused.value.code) == ("starts_at", "outside_hours")
    assert ("顾问" if who == "advisor" else "工位") in str(refused.value.message)
    assert not Appointment.objects.exists() and not Interaction.objects.exists()
    assert _book(agent, car, maintenance, at(date(2027, 2, 3), 10)).state == "booked"


def test_a_skilled_job_outside_the_skilled_technicians_hours_is_refused_by_name(
    agent, car, maintenance, workshop, mornings
):
    Resource.objects.create(kind="technician", name="技师张", skills="电路", calendar=mornings)
    maintenance.technician_skill = "电路"
    maintenance.save(update_fields=["technician_skill"])

    with pytest.raises(DomainError) as refused:
        _book(agent, car, maintenance, at(date(2027, 2, 3), 14))

    assert refused.value.code == "outside_hours" and "电路" in str(refused.value.message)
    assert not Appointment.objects.exists()
    assert _book(agent, car, maintenance, at(date(2027, 2, 3), 10)).technician.name == "技师张"


def test_the_holiday_refusal_names_the_holiday(agent, car, maintenance, workshop):
    with pytest.raises(DomainError, match="春节"):
        _book(agent, car, maintenance, at(date(2027, 2, 10), 9))


def test_a_make_up_working_day_is_bookable(agent, car, maintenance, workshop):
    appointment = _book(agent, car, maintenance, at(date(2027, 2, 20), 9))

    assert appointment.day == date(2027, 2, 20)


def test_bad_fields_are_named_and_nothing_is_saved(agent, car, maintenance, workshop):
    other = type(car).objects.create(
        customer=type(car.customer).objects.create(name="别人"), kind="vehicle", name="别人的车"
    )
    with pytest.raises(ValidationError) as refused:
        _book(
            agent,
            car.customer and car,
            maintenance,
            at(date(2027, 2, 3), 9),
            mileage_km=-5,
            channel="pigeon",
        )
    assert set(refused.value.message_dict) == {"mileage_km", "channel"}
    with pytest.raises(ValidationError) as refused:
        services.appointment_book(
            by=agent,
            customer=car.customer,
            asset=other,
            service_type=maintenance,
            starts_at=at(date(2027, 2, 3), 9),
            now=NOW,
        )
    assert set(refused.value.message_dict) == {"asset"}
    assert not Appointment.objects.exists()


def test_over_capacity_is_refused_with_the_nearest_free_times(agent, car, big_job, workshop):
    _book(agent, car, big_job, at(date(2027, 2, 3), 9))

    with pytest.raises(services.SlotTaken) as refused:
        _book(agent, car, big_job, at(date(2027, 2, 3), 9))

    assert refused.value.field == "starts_at" and refused.value.status == 409
    assert refused.value.proposals
    assert all(p.starts_at != at(date(2027, 2, 3), 9) for p in refused.value.proposals)
    assert Appointment.objects.count() == 1


def test_two_bookings_of_the_last_slot_one_wins_the_other_gets_the_next_proposal(
    agent, car, big_job, workshop, monkeypatch
):
    """Both advisors saw the slot free; the second reservation finds the minutes gone."""
    when = at(date(2027, 2, 3), 9)
    stale = services.slot_check(service_type=big_job, starts_at=when, now=NOW)
    first = _book(agent, car, big_job, when)
    monkeypatch.setattr(services, "slot_check", lambda **kwargs: stale)

    with pytest.raises(services.SlotTaken) as second:
        _book(agent, car, big_job, when, customer_words="第二位顾问")

    assert Appointment.objects.get() == first
    bay = CapacityBucket.objects.get(resource=workshop["bay"], day=date(2027, 2, 3), part=0)
    assert bay.booked_minutes == 180
    advisor = CapacityBucket.objects.get(resource=workshop["advisor"], day=date(2027, 2, 3), part=0)
    assert advisor.booked_minutes == 30  # the loser's advisor minutes were rolled back
    assert second.value.proposals and second.value.proposals[0].starts_at != when
    assert Interaction.objects.count() == 1


def test_walk_in_reserve_is_not_bookable(agent, car, big_job, workshop):
    workshop["bay"].walk_in_reserve_percent = 10
    workshop["bay"].save()

    with pytest.raises(services.SlotTaken):
        _book(agent, car, big_job, at(date(2027, 2, 3), 9))
    assert not Appointment.objects.exists()


def test_cancel_gives_the_capacity_back_and_needs_a_reason(agent, car, big_job, workshop):
    appointment = _book(agent, car, big_job, at(date(2027, 2, 3), 9))
    with pytest.raises(ValidationError) as refused:
        services.appointment_cancel(by=agent, appointment=appointment, reason=" ")
    assert "reason" in refused.value.message_dict

    services.appointment_cancel(by=agent, appointment=appointment, reason="临时出差")

    appointment.refresh_from_db()
    assert appointment.state == "cancelled" and appointment.state_reason == "临时出差"
    assert set(CapacityBucket.objects.values_list("booked_minutes", flat=True)) == {0}
    again = _book(agent, car, big_job, at(date(2027, 2, 3), 9))
    assert again.state == "booked"


def test_reschedule_moves_the_booking_and_keeps_the_old_with_its_reason(
    agent, car, maintenance, workshop
):
    old = _book(agent, car, maintenance, at(date(2027, 2, 3), 9))

    new = services.appointment_reschedule(
        by=agent, appointment=old, starts_at=at(date(2027, 2, 4), 14), reason="客户改期", now=NOW
    )

    old.refresh_from_db()
    assert (
        old.state == "rescheduled" and old.rescheduled_to == new and old.state_reason == "客户改期"
    )
    assert new.day == date(2027, 2, 4)
    assert (
        CapacityBucket.objects.get(
            resource=workshop["bay"], day=date(2027, 2, 3), part=0
        ).booked_minutes
        == 0
    )


def test_a_refused_reschedule_leaves_the_old_appointment_booked(agent, car, maintenance, workshop):
    old = _book(agent, car, maintenance, at(date(2027, 2, 3), 9))

    with pytest.raises(DomainError):
        services.appointment_reschedule(
            by=agent, appointment=old, starts_at=at(date(2027, 2, 10), 9), reason="改期", now=NOW
        )

    old.refresh_from_db()
    assert old.state == "booked" and old.holds
    assert (
        CapacityBucket.objects.get(
            resource=workshop["bay"], day=date(2027, 2, 3), part=0
        ).booked_minutes
        == 60
    )


def test_no_show_only_after_the_arrival_time(agent, car, maintenance, workshop):
    appointment = _book(agent, car, maintenance, at(date(2027, 2, 3), 9))
    with pytest.raises(DomainError):
        services.appointment_no_show(by=agent, appointment=appointment, now=NOW)

    services.appointment_no_show(by=agent, appointment=appointment, now=at(date(2027, 2, 3), 11))

    appointment.refresh_from_db()
    assert appointment.state == "no_show"


def test_confirm_is_idempotent_and_arrival_records_the_walk_around(
    agent, car, maintenance, workshop
):
    appointment = _book(agent, car, maintenance, at(date(2027, 2, 3), 9))
    services.appointment_confirm(by=agent, appointment=appointment)
    services.appointment_confirm(by=agent, appointment=appointment)
    with pytest.raises(ValidationError) as refused:
        services.appointment_arrive(
            by=agent, appointment=appointment, mileage_km=100, fuel_level="tank"
        )
    assert set(refused.value.message_dict) == {"mileage_km", "fuel_level"}

    services.appointment_arrive(
        by=agent,
        appointment=appointment,
        mileage_km=31000,
        fuel_level="half",
        damage_notes="左前门划痕",
        covers_fitted=True,
    )

    appointment.refresh_from_db()
    car.refresh_from_db()
    assert appointment.state == "arrived" and appointment.confirmed_at and appointment.covers_fitted
    assert car.mileage_km == 31000
    with pytest.raises(Conflict):
        services.appointment_cancel(by=agent, appointment=appointment, reason="x")


def test_booking_needs_the_capability(car, maintenance, workshop, kam):
    from rapport.core.errors import Forbidden

    with pytest.raises(Forbidden):
        _book(kam, car, maintenance, at(date(2027, 2, 3), 9))
