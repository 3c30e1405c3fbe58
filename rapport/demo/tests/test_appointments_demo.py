"""The appointments demo: a levelled workshop, today's board, a diagnosis extended by a second
authorisation, the reminder program active."""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from rapport.appointments.models import Appointment, Authorisation, Resource, WorkOrder
from rapport.care.models import Program
from rapport.demo.appointments import build_appointments
from rapport.demo.build import build_customers, build_staff


@pytest.mark.django_db
def test_the_appointments_demo_builds_on_a_working_morning():
    # Wednesday 9 December 2026, 11:00: this morning's arrivals are due.
    with time_machine.travel(
        datetime(2026, 12, 9, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        rng = random.Random(1)
        users = build_staff(rng)
        customers = build_customers(rng, users, count=60)
        build_appointments(rng=rng, users=users, customers=customers)

        assert Resource.objects.filter(kind="bay").count() == 6
        assert Appointment.objects.filter(day="2026-12-09").count() >= 3
        assert Appointment.objects.filter(day__gt="2026-12-09").count() >= 10
        order = WorkOrder.objects.get()
        assert order.state == "in_progress" and order.appointment.state == "arrived"
        assert (
            list(order.authorisations.values_list("scope", flat=True))
            == [Authorisation.Scope.DIAGNOSIS] * 2
        )
        assert Program.objects.get(trigger="appointment").status == "active"
