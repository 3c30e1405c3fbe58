from datetime import date, time

import pytest

from rapport.appointments import capacity, services
from rapport.appointments.models import Resource

from .conftest import NOW, at

pytestmark = pytest.mark.django_db


def test_three_proposals_on_different_days_each_with_reasons(maintenance, workshop):
    proposals = capacity.slot_proposals(service_type=maintenance, wish=date(2027, 2, 3), now=NOW)

    assert len(proposals) == 3
    assert len({p.day for p in proposals}) == 3
    assert all("%" in p.reason for p in proposals)
    assert date(2027, 2, 3) in {p.day for p in proposals}


def test_proposals_level_the_load_away_from_a_busy_day(agent, car, maintenance, workshop):
    for hour, minute in ((9, 0), (10, 0), (13, 30), (14, 30), (15, 30)):
        services.appointment_book(
            by=agent,
            customer=car.customer,
            asset=car,
            service_type=maintenance,
            starts_at=at(date(2027, 2, 3), hour, minute),
            now=NOW,
        )
    # A second bay keeps the day bookable, but it is the busiest day of the week.
    Resource.objects.create(kind="bay", name="2号工位", walk_in_reserve_percent=0)

    proposals = capacity.slot_proposals(service_type=maintenance, wish=date(2027, 2, 3), now=NOW)

    assert date(2027, 2, 3) not in {p.day for p in proposals}
    assert all(p.bay_load == 0 for p in proposals)


def test_the_first_working_day_after_spring_festival_is_avoided_and_said_why(maintenance, workshop):
    proposals = capacity.slot_proposals(service_type=maintenance, wish=date(2027, 2, 15), now=NOW)

    assert date(2027, 2, 15) not in {p.day for p in proposals}
    assert any("春节" in p.reason for p in proposals)
    assert all(p.day not in {date(2027, 2, d) for d in range(6, 15)} for p in proposals)


def test_a_wished_time_is_preferred(maintenance, workshop):
    proposals = capacity.slot_proposals(
        service_type=maintenance, wish=date(2027, 2, 3), wish_time=time(14, 0), now=NOW
    )

    wished = [p for p in proposals if p.day == date(2027, 2, 3)]
    assert wished and wished[0].starts_at == at(date(2027, 2, 3), 14)


def test_no_proposals_without_advisors(maintenance, rules, calendar):
    assert capacity.slot_proposals(service_type=maintenance, wish=date(2027, 2, 3), now=NOW) == []


def test_a_technician_skill_is_required_when_the_service_names_one(maintenance, workshop):
    maintenance.technician_skill = "电路"
    maintenance.save()
    assert capacity.slot_proposals(service_type=maintenance, wish=date(2027, 2, 3), now=NOW) == []

    Resource.objects.create(kind="technician", name="技师赵", skills="发动机, 电路")
    proposals = capacity.slot_proposals(service_type=maintenance, wish=date(2027, 2, 3), now=NOW)
    assert proposals and all(p.technician and p.technician.name == "技师赵" for p in proposals)
