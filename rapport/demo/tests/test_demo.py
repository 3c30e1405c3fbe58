"""`make demo` must work: the whole demo builds through the services on an empty database."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.channels.models import Call, Conversation, InboundMessage, Message
from rapport.customers.models import Consent, Customer, Identity
from rapport.interactions.models import Interaction
from rapport.sla.models import ServiceClock, SlaAlert
from rapport.staff.models import User
from rapport.surveys.models import SurveyResponse
from rapport.tickets.models import Ticket, TicketEvent


@pytest.mark.django_db
def test_the_demo_builds_and_prints_the_logins(capsys, django_capture_on_commit_callbacks):
    call_command("loaddemo")
    out = capsys.readouterr().out
    assert "rapport-demo" in out and "wangjl" in out
    assert User.objects.filter(is_active=True).count() >= 9
    # 200 customer files, the stranger whose e-mail made a potential customer, and a WeChat
    # follower and a WeCom customer who are new (the follower who gave a known phone number
    # is bound to that customer's file).
    assert Customer.objects.count() == 203
    assert Message.objects.filter(channel="wechat", attachments__isnull=False).exists()
    assert Identity.objects.filter(kind="wxopenid").count() == 2
    assert Interaction.objects.count() >= 2000
    assert Ticket.objects.count() >= 300
    assert set(Ticket.objects.values_list("status", flat=True)) >= {
        "new",
        "classified",
        "in_progress",
        "waiting",
        "resolved",
        "closed",
        "reopened",
    }
    assert ServiceClock.objects.filter(breached_at__isnull=False).exists()
    # Relative to today: most open work within its service level, a few breached.
    running = ServiceClock.objects.filter(ticket__is_open=True, stopped_at__isnull=True)
    breached = running.filter(breached_at__isnull=False).count()
    assert 0 < breached < 0.4 * running.count(), (breached, running.count())
    assert SlaAlert.objects.filter(level=2).exists()  # escalated up to the service manager
    assert SurveyResponse.objects.count() > 100
    # what the builders after the surveys wrote (bookings and work orders: returns) kept every
    # figure of the satisfaction analysis read from its rollup equal to the live one
    from rapport.surveys.analysis import rollup_figures_check

    assert rollup_figures_check() == []
    # The mailbox: new mails in the inbox, a reply threaded into a ticket, an out-of-office
    # recorded, a broken message in quarantine.
    assert Conversation.objects.filter(state="unassigned").count() >= 4
    assert TicketEvent.objects.filter(kind="customer_message", is_public=True).exists()
    assert Message.objects.exclude(auto="").exists()
    assert InboundMessage.objects.filter(state="quarantined").count() == 1
    # The phone line: an answered call on a timeline, a missed call with its call-back task.
    assert Call.objects.filter(state="ended", interaction__isnull=False).exists()
    assert Call.objects.filter(state="missed", callback_task__isnull=False).exists()
    assert User.objects.get(username="chenxm").phone_extension == "8001"
    # SMS: a fake account, a reply on a customer's timeline, a "TD" that withdrew marketing, and
    # (when tomorrow or the day after is a working day) a "1" that confirmed an appointment.
    from rapport.appointments.models import Appointment
    from rapport.demo.appointments import CONFIRM_PROVIDER_ID

    answered = InboundMessage.objects.filter(provider_id=CONFIRM_PROVIDER_ID).count()
    assert Message.objects.filter(channel="sms", direction="inbound").count() == 2 + answered
    assert Appointment.objects.filter(confirmed_at__isnull=False).count() == answered
    assert Consent.objects.filter(source="sms_reply", granted=False).count() == 1
    assert Customer.objects.filter(marketing_opt_out=True, consents__source="sms_reply").exists()
    call_command("loaddemo")  # a second run changes nothing
    assert Customer.objects.count() == 203
    # Routing: 客服一组 hands new work to its least-loaded representative, so a new mail to
    # the demo mailbox reaches chenxm or liuyang by itself and rings their bell.
    from rapport.channels.models import ChannelAccount
    from rapport.channels.services import inbound_receive
    from rapport.demo.messaging import DEMO_ADDRESS, _mail
    from rapport.interactions.models import TeamRouting
    from rapport.notifications.models import Notification

    assert TeamRouting.objects.get(team__name="客服一组").strategy == "least_loaded"
    assert not Notification.objects.filter(kind="ticket_assigned", read_at__isnull=True).exists()
    _id, raw = _mail(
        name="吴女士", address="wu.nv@example.net", subject="刹车异响", body="刹车时有异响。"
    )
    with django_capture_on_commit_callbacks(execute=True):  # the worker's processing task
        inbound = inbound_receive(
            account=ChannelAccount.objects.get(address=DEMO_ADDRESS), provider_id="t-1", raw=raw
        )
    inbound.refresh_from_db()
    conversation = Conversation.objects.get(pk=inbound.conversation_id)
    assert conversation.claimed_by.username in {"chenxm", "liuyang"}
    assert Notification.objects.filter(
        kind="conversation_assigned", recipient=conversation.claimed_by, read_at__isnull=True
    ).exists()
    # Care: the maintenance reminder reached cars due by mileage (estimated from their
    # readings) and by time, a week ago and in today's run, each saying which.
    from rapport.care.engine import care_evaluate
    from rapport.care.models import CareAction

    today = timezone.localdate()
    care_evaluate()
    maintenance = CareAction.objects.filter(program__name="保养到期提醒")
    for due_on in (today - timedelta(days=7), today):
        occasions = list(maintenance.filter(due_on=due_on).values_list("occasion", flat=True))
        assert any("预计行驶至" in o and "按日均" in o for o in occasions), occasions
        assert any("已满 180 天" in o for o in occasions), occasions
