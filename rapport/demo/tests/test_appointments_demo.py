"""The appointments demo: a levelled workshop, today's board, a diagnosis extended by a second
authorisation, the reminder program active."""

import random
from datetime import date, datetime
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
        order = WorkOrder.objects.get(appointment__isnull=False)
        assert order.state == "in_progress" and order.appointment.state == "arrived"
        assert (
            list(order.authorisations.values_list("scope", flat=True))
            == [Authorisation.Scope.DIAGNOSIS] * 2
        )
        assert Program.objects.get(trigger="appointment").status == "active"
        # Handed back three days ago with the five explanations; the revisit call is waiting.
        from rapport.care.models import CareTask

        delivered = WorkOrder.objects.get(state="delivered")
        assert all(getattr(delivered, name) for name in WorkOrder.EXPLANATIONS)
        revisit = CareTask.objects.get(action__program__trigger="service_delivered")
        assert revisit.action.customer_id == delivered.customer_id
        assert delivered.number in revisit.action.occasion


@pytest.mark.django_db(transaction=True)
def test_the_demo_reminds_and_a_customer_confirms_by_sms_and_the_live_loop_answers_one(settings):
    from rapport.care.models import CareTask
    from rapport.channels.models import InboundMessage, OutboxMessage
    from rapport.channels.services import inbound_process
    from rapport.channels.tests.factories import ChannelAccountFactory
    from rapport.demo.appointments import CONFIRM_PROVIDER_ID, self_booking_hint
    from rapport.demo.live import SCRIPT, live_mail_deliver
    from rapport.demo.messaging import DEMO_ADDRESS
    from rapport.demo.sms import build_sms
    from rapport.interactions.models import Interaction

    # As in `rapport demo`: every write commits (the outbox tells its listeners after the
    # commit, which marks the appointment reminded) and no worker runs tasks while it builds.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    # Wednesday 9 December 2026, 16:00: past the day-before call hour (15:00). The program ran
    # yesterday for Thursday's appointments and this morning for Friday's.
    with time_machine.travel(
        datetime(2026, 12, 9, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        rng = random.Random(1)
        users = build_staff(rng)
        customers = build_customers(rng, users, count=60)
        build_sms(rng=rng, users=users, customers=customers)
        build_appointments(rng=rng, users=users, customers=customers)

        reminded = Appointment.objects.filter(reminded_at__isnull=False)
        assert set(reminded.values_list("day", flat=True)) == {
            date(2026, 12, 10),
            date(2026, 12, 11),
        }
        # The reminder went out by SMS through the outbox, with the answers to give, and it is on
        # the customer's timeline.
        first = reminded.order_by("starts_at", "pk").first()
        sent = OutboxMessage.objects.filter(source="care", customer=first.customer).get()
        assert sent.state == "sent" and sent.channel == "sms"
        assert "回复1确认，回复2改期，回复3取消" in sent.body
        assert Interaction.objects.filter(
            customer=first.customer,
            channel="sms",
            direction="outbound",
            summary__contains="预约提醒（提前两天）",
        ).exists()

        # One customer answered "1" by SMS through the inbound pipeline: confirmed.
        confirmed = Appointment.objects.get(state="confirmed")
        assert confirmed.reminded_at and confirmed.confirmed_at
        answer = InboundMessage.objects.get(provider_id=CONFIRM_PROVIDER_ID)
        assert (answer.state, answer.message.customer_id) == ("processed", confirmed.customer_id)
        assert Interaction.objects.filter(
            customer=confirmed.customer, channel="sms", direction="inbound", summary="1"
        ).exists()

        # Thursday's reminded appointments nobody confirmed became the advisor's call; not the
        # confirmed one.
        unconfirmed = reminded.filter(day="2026-12-10", state="booked")
        assert unconfirmed.exists()
        assert all(a.call_task_at for a in unconfirmed)
        assert confirmed.call_task_at is None
        assert CareTask.objects.filter(customer__in=[a.customer for a in unconfirmed]).exists()

        # The evaluator is told where to book for themselves.
        hint = "\n".join(self_booking_hint())
        assert "/book/" in hint and "mobile 1" in hint and "source=selfbook_code" in hint

    # Minutes later, while the demo serves: the live loop reaches its appointment step and the
    # customer of Friday's reminded appointment answers "2" by SMS.
    with time_machine.travel(
        datetime(2026, 12, 9, 16, 5, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False
    ):
        ChannelAccountFactory(name="客服邮箱", address=DEMO_ADDRESS)
        target = reminded.filter(state="booked").order_by("-starts_at", "-pk").first()
        steps = [kind for kind, _subject, _body in SCRIPT]
        for _ in range(steps.index("appointment") + 1):
            last = live_mail_deliver()
            inbound_process(inbound_id=last.pk)  # the worker's processing task
        last.refresh_from_db()
        assert last.state == "processed", last.error
        assert (last.message.channel, last.message.customer_id) == ("sms", target.customer_id)
        target.refresh_from_db()
        assert target.new_time_wanted_at is not None and target.state == "booked"
        link = OutboxMessage.objects.get(source="appointment_reply", customer=target.customer)
        assert "/book/" in link.body and link.channel == "sms"
