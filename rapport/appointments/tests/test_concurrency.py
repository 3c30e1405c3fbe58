"""Two advisors booking the last slot at the same moment, on real connections (PostgreSQL)."""

import os
import threading
from datetime import date

import pytest
from django.db import connections

from rapport.appointments import services
from rapport.appointments.models import Appointment, CapacityBucket

from .conftest import NOW, at


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="threads need a shared database: runs on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_two_advisors_book_the_last_slot_at_once_one_wins(agent, car, big_job, workshop):
    when = at(date(2027, 2, 3), 9)
    barrier = threading.Barrier(2, timeout=10)
    booked, taken, errors = [], [], []

    def book():
        try:
            barrier.wait()
            booked.append(
                services.appointment_book(
                    by=agent,
                    customer=car.customer,
                    asset=car,
                    service_type=big_job,
                    starts_at=when,
                    now=NOW,
                )
            )
        except services.SlotTaken as exc:
            taken.append(exc)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(booked) == 1 and len(taken) == 1
    assert taken[0].proposals and taken[0].proposals[0].starts_at != when
    assert Appointment.objects.count() == 1
    assert (
        CapacityBucket.objects.get(
            resource=workshop["bay"], day=date(2027, 2, 3), part=0
        ).booked_minutes
        == 180
    )


@pytest.mark.django_db
def test_the_booking_that_read_the_last_slot_second_is_refused_on_any_engine(
    agent, car, big_job, workshop, monkeypatch
):
    """The same race, made to happen in one order on SQLite too: advisor A has checked the slot
    (read the free capacity) when advisor B books it; A's conditional UPDATE then finds no room,
    and A gets the next proposals with nothing saved."""
    when = at(date(2027, 2, 3), 9)
    check = services.slot_check
    others, started = [], []

    def check_then_another_books(**kwargs):
        found = check(**kwargs)
        if not started:
            started.append(True)
            others.append(
                services.appointment_book(
                    by=agent, customer=car.customer, asset=car, service_type=big_job,
                    starts_at=when, now=NOW,
                )
            )  # fmt: skip
        return found

    monkeypatch.setattr(services, "slot_check", check_then_another_books)

    with pytest.raises(services.SlotTaken) as taken:
        services.appointment_book(
            by=agent, customer=car.customer, asset=car, service_type=big_job, starts_at=when,
            now=NOW,
        )  # fmt: skip

    assert taken.value.proposals and taken.value.proposals[0].starts_at != when
    assert list(Appointment.objects.values_list("pk", flat=True)) == [others[0].pk]
    bucket = CapacityBucket.objects.get(resource=workshop["bay"], day=date(2027, 2, 3), part=0)
    assert bucket.booked_minutes == 180
