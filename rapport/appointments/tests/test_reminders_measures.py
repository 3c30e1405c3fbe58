from datetime import date

import pytest

from rapport.appointments import measures, services
from rapport.care.models import Program
from rapport.care.triggers import occasions

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def _book(agent, car, service_type, when):
    return services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=service_type,
        starts_at=when,
        now=NOW,
    )


def test_the_ready_care_program_reminds_two_days_before(agent, car, maintenance, workshop):
    kept = _book(agent, car, maintenance, at(date(2027, 2, 5), 9, 30))
    cancelled = _book(agent, car, maintenance, at(date(2027, 2, 5), 14))
    services.appointment_cancel(by=agent, appointment=cancelled, reason="改期")
    program = Program.objects.get(trigger="appointment")
    assert program.offset_days == -2

    found = list(occasions(program, date(2027, 2, 3)))

    assert found == [
        (
            car.customer_id,
            f"appointment:{kept.pk}",
            f"您预约了2027-02-05 09:30到店常规保养（{car.plate}）",
        )
    ]
    assert list(occasions(program, date(2027, 2, 4))) == []


def test_the_care_program_can_be_activated_now_that_appointments_exist(db):
    from rapport.care.services import program_problems

    program = Program.objects.get(trigger="appointment")
    assert "trigger" not in program_problems(program)


def test_the_shipped_reminder_holds_nobody_out_and_ignores_other_programs_contacts(db):
    from rapport.care.engine import holdout

    program = Program.objects.get(trigger="appointment")

    assert (program.holdout_percent, program.quiet_days) == (0, 0)
    assert not any(
        holdout(program.pk, customer_id, program.holdout_percent) for customer_id in range(1, 500)
    )


def test_measures_show_utilisation_spread_no_shows_and_lead_time(agent, car, maintenance, workshop):
    first = _book(agent, car, maintenance, at(date(2027, 2, 3), 9))
    _book(agent, car, maintenance, at(date(2027, 2, 3), 10))
    _book(agent, car, maintenance, at(date(2027, 2, 4), 14))
    services.appointment_no_show(by=agent, appointment=first, now=at(date(2027, 2, 3), 12))

    result = measures.workshop_measures(first=date(2027, 2, 3), last=date(2027, 2, 4))

    bay_morning = next(
        r for r in result.per_resource_day if r["kind"] == "bay" and r["day"] == date(2027, 2, 3)
    )
    assert (
        bay_morning["booked"] == 60 and bay_morning["bookable"] == 180
    )  # the no-show gave its hour back
    assert result.spread is not None and result.spread > 0
    assert result.booked == 3 and result.no_shows == 1 and result.no_show_rate == 1.0
    assert result.lead_time_days is not None and result.lead_time_days > 0
