"""Answers to the reminder mapped back to the appointment, and the day-before call task."""

from datetime import date, timedelta

import pytest
import time_machine

from rapport.appointments import daybefore, services
from rapport.appointments.models import Appointment, CapacityBucket
from rapport.care.models import CareTask
from rapport.channels.models import ChannelAccount, InboundMessage, OutboxMessage
from rapport.channels.services import inbound_process
from rapport.channels.sms.providers import InboundSms
from rapport.channels.sms.services import sms_inbound_accept
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.customers.models import Identity
from rapport.interactions.models import Interaction
from rapport.notifications.models import Notification

from .conftest import NOW, at

pytestmark = pytest.mark.django_db
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sms_account(team):
    return ChannelAccountFactory(
        kind="sms",
        name="短信",
        address="10690000",
        default_team=team,
        provider=ChannelAccount.Provider.FAKE,
        is_default=True,
    )


@pytest.fixture
def reminded(agent, car, maintenance, workshop):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 3), 9),
    )
    Appointment.objects.filter(pk=appointment.pk).update(reminded_at=NOW)
    return appointment


def receive(account, text, ident, phone="13800138000"):
    (result,) = sms_inbound_accept(
        account=account, messages=[InboundSms(phone=phone, text=text, provider_id=f"fake:{ident}")]
    )
    inbound_process(inbound_id=result["inbound_id"])
    inbound = InboundMessage.objects.get(pk=result["inbound_id"])
    assert inbound.state == "processed", inbound.error
    return inbound


@pytest.mark.parametrize("text", ["1", "１", "确认", "好的。", "可以", "是"])
def test_it_confirms_on_a_confirming_answer_and_tells_the_advisor(
    sms_account, reminded, agent, text
):
    receive(sms_account, text, "a")

    reminded.refresh_from_db()
    assert reminded.state == "confirmed" and reminded.confirmed_at == NOW
    assert Interaction.objects.filter(summary__contains="已确认预约").count() == 1
    assert Notification.objects.filter(recipient=agent, kind="appointment_answer").count() == 1


def test_a_duplicate_delivery_confirms_once(sms_account, reminded, agent):
    receive(sms_account, "1", "a")
    receive(sms_account, "1", "a")  # the provider retried
    receive(sms_account, "好的", "b")  # and the customer said it again

    assert InboundMessage.objects.count() == 2
    assert Interaction.objects.filter(summary__contains="已确认预约").count() == 1
    assert Notification.objects.filter(kind="appointment_answer").count() == 1


def test_two_asks_for_a_new_time_and_sends_the_link_once(sms_account, reminded):
    receive(sms_account, "2", "a")
    receive(sms_account, "改期", "b")

    reminded.refresh_from_db()
    assert reminded.new_time_wanted_at == NOW and reminded.state == "booked"
    link = OutboxMessage.objects.get(source="appointment_reply")
    assert "/book/" in link.body and link.channel == "sms"
    assert Interaction.objects.filter(summary__contains="要求改期").count() == 1


def test_three_cancels_with_the_reason_and_gives_the_capacity_back(sms_account, reminded):
    receive(sms_account, "3", "a")

    reminded.refresh_from_db()
    assert (reminded.state, reminded.state_reason) == ("cancelled", "客户回复取消。")
    assert not CapacityBucket.objects.filter(booked_minutes__gt=0).exists()


def _wechat_answer(client, account, text, msgid):
    from rapport.channels.wechat.tests.conftest import signed_post, text_message

    response = signed_post(client, account, text_message(openid=OPENID, content=text, msgid=msgid))
    assert response.content == b"success"
    inbound = InboundMessage.objects.order_by("-pk").first()
    inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    assert inbound.state == "processed", inbound.error


def test_an_answer_on_wechat_maps_back_to_the_appointment_and_the_link_goes_by_wechat(
    client, team, reminded, agent
):
    from rapport.channels.wechat.tests.conftest import make_account

    wechat = make_account(team)
    Identity.objects.create(customer=reminded.customer, kind="wxopenid", value=OPENID)

    _wechat_answer(client, wechat, "2", 1)
    reminded.refresh_from_db()
    assert reminded.new_time_wanted_at == NOW and reminded.state == "booked"
    link = OutboxMessage.objects.get(source="appointment_reply")
    assert "/book/" in link.body and link.channel == "wechat"

    _wechat_answer(client, wechat, "确认", 2)
    reminded.refresh_from_db()
    assert reminded.state == "confirmed" and reminded.confirmed_at == NOW
    assert Interaction.objects.filter(
        customer=reminded.customer, channel="wechat", summary__contains="已确认预约"
    ).exists()
    assert Notification.objects.filter(recipient=agent, kind="appointment_answer").count() == 2


def test_other_text_and_unreminded_appointments_are_left_alone(
    sms_account, reminded, agent, car, maintenance
):
    later = services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 4), 9),
    )
    receive(sms_account, "请问可以带两个轮胎吗", "a")
    Appointment.objects.filter(pk=reminded.pk).update(reminded_at=None)
    receive(sms_account, "1", "b")

    assert set(Appointment.objects.values_list("state", flat=True)) == {"booked"}
    assert later.pk and not OutboxMessage.objects.filter(source="appointment_reply").exists()


def test_the_reminder_being_sent_marks_the_appointment_reminded(reminded, car):
    from rapport.appointments.reminders import on_outbox_change
    from rapport.care.engine import care_evaluate
    from rapport.care.models import CareAction, Program

    program = Program.objects.get(trigger="appointment", offset_days=-2)
    program.status = "active"
    program.holdout_percent = 0
    program.save()
    Appointment.objects.filter(pk=reminded.pk).update(reminded_at=None)
    care_evaluate(today=date(2027, 2, 1), now=NOW)
    action = CareAction.objects.get(occurrence_key=f"appointment:{reminded.pk}")
    outbox = OutboxMessage(
        source="care", idempotency_key=f"care:{action.pk}", state="sent", sent_at=NOW
    )

    on_outbox_change(outbox)

    reminded.refresh_from_db()
    assert reminded.reminded_at == NOW


# -- the day before --------------------------------------------------------------------------


@pytest.fixture
def tomorrow(agent, car, maintenance, workshop):
    return services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 2), 10),
    )


def test_it_makes_one_call_task_for_the_advisor_at_the_call_hour(tomorrow, agent, _frozen):
    assert daybefore.appointments_call_unconfirmed() == 0  # 10:00, before the hour
    _frozen.move_to(at(date(2027, 2, 1), 15, 5))

    assert daybefore.appointments_call_unconfirmed() == 1
    assert daybefore.appointments_call_unconfirmed() == 0

    task = CareTask.objects.get()
    assert (task.assignee, task.customer_id, task.due_on) == (
        agent,
        tomorrow.customer_id,
        date(2027, 2, 1),  # the call is made today, the day before
    )
    assert "2027-02-02 10:00" in task.script
    tomorrow.refresh_from_db()
    assert tomorrow.call_task_at is not None


def test_no_call_for_confirmed_or_cancelled_appointments(
    tomorrow, agent, car, maintenance, _frozen
):
    services.appointment_confirm(by=agent, appointment=tomorrow)
    other = services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 2), 14),
    )
    services.appointment_cancel(by=agent, appointment=other, reason="客户有事")
    _frozen.move_to(at(date(2027, 2, 1), 16))

    assert daybefore.appointments_call_unconfirmed() == 0
    assert not CareTask.objects.exists()


def test_the_sweep_calls_fridays_for_monday(agent, car, maintenance, workshop, _frozen):
    monday = services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 22), 9),
    )
    _frozen.move_to(at(date(2027, 2, 19), 16) - timedelta(days=0))  # Friday 19 February
    # Saturday 20 February is a make-up working day (调休): Friday calls Saturday, not Monday.
    assert daybefore.next_working_day(date(2027, 2, 19)) == date(2027, 2, 20)
    assert daybefore.appointments_call_unconfirmed() == 0
    _frozen.move_to(at(date(2027, 2, 20), 16))
    assert daybefore.appointments_call_unconfirmed() == 1
    assert CareTask.objects.get().customer_id == monday.customer_id
