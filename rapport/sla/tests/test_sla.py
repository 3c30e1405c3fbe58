"""Service-level policies, clocks, the sweep's exactly-once announcements and escalation."""

import os
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connections
from django.utils.timezone import now as timezone_now

from rapport.core.models import BusinessCalendar
from rapport.sla.models import ClockPause, SlaAlert, SlaPolicy
from rapport.sla.services import (
    alert_acknowledge,
    clock_pause,
    clock_resume,
    clock_retarget,
    clock_start,
    clock_stop,
    policy_for,
)
from rapport.sla.sweep import sla_sweep
from rapport.tickets.tests.factories import TicketFactory

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _without_shipped_policies(db, request):
    """Each test states its own policies; the shipped defaults are tested on their own."""
    if "shipped" not in request.node.name:
        SlaPolicy.objects.all().delete()


def t(month, day, hour, minute=0, second=0):
    return datetime(2026, month, day, hour, minute, second, tzinfo=SH)


@pytest.fixture
def office(db):
    return BusinessCalendar.objects.get(is_default=True)  # 9–12, 13:30–18, 2026 holidays


@pytest.fixture
def hotline(db):
    return BusinessCalendar.objects.exclude(is_default=True).get()  # 7×24


@pytest.fixture
def complaints(office):
    return SlaPolicy.objects.create(
        name="投诉 48 小时",
        calendar=office,
        ticket_kind="complaint",
        first_response_seconds=4 * 3600,
        resolution_seconds=16 * 3600,
    )


@pytest.fixture
def ticket(db):
    return TicketFactory()


def test_the_shipped_policies_express_the_texts_examples(db):
    chat = policy_for(ticket_kind="inquiry", priority=2, channel="chat", customer_tier="regular")
    complaint = policy_for(
        ticket_kind="complaint", priority=2, channel="phone", customer_tier="regular"
    )
    other = policy_for(ticket_kind="inquiry", priority=2, channel="phone", customer_tier="regular")
    assert (chat.first_response_seconds, chat.calendar.name) == (30, "7×24 热线")
    assert (complaint.resolution_seconds, complaint.calendar.name) == (48 * 3600, "7×24 热线")
    assert other.name == "默认"


def test_the_most_specific_policy_wins(office, hotline, complaints):
    SlaPolicy.objects.create(name="默认", calendar=office, resolution_seconds=40 * 3600)
    chat = SlaPolicy.objects.create(
        name="在线客服 30 秒", calendar=hotline, channel="chat", first_response_seconds=30
    )
    vip = SlaPolicy.objects.create(
        name="VIP 投诉",
        calendar=office,
        ticket_kind="complaint",
        customer_tier="vip",
        resolution_seconds=8 * 3600,
    )
    assert (
        policy_for(ticket_kind="complaint", priority=2, channel="phone", customer_tier="vip") == vip
    )
    assert (
        policy_for(ticket_kind="complaint", priority=2, channel="phone", customer_tier="regular")
        == complaints
    )
    assert (
        policy_for(ticket_kind="inquiry", priority=2, channel="chat", customer_tier="regular")
        == chat
    )
    assert (
        policy_for(ticket_kind="inquiry", priority=2, channel="phone", customer_tier="").name
        == "默认"
    )


def test_a_complaint_received_before_national_day(ticket, complaints):
    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(9, 30, 17)
    )
    assert clock.due_at == t(10, 9, 18)
    assert clock.warn_at == t(10, 9, 14, 48)  # 80% of 960 = 768 minutes
    assert clock.next_check_at == clock.warn_at


def test_chat_answered_within_30_seconds_on_the_hotline(ticket, hotline):
    chat = SlaPolicy.objects.create(name="chat", calendar=hotline, first_response_seconds=30)
    clock = clock_start(
        ticket_id=ticket.pk, kind="first_response", policy=chat, started_at=t(10, 1, 3)
    )
    assert clock.due_at == t(10, 1, 3, 0, 30)  # a holiday night: the hotline works 7×24


def test_waiting_pauses_and_resuming_moves_the_due_instant(ticket, complaints):
    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(9, 30, 17)
    )
    clock_pause(clock=clock, at=t(10, 8, 10), reason="等客户提供行驶证")
    clock.refresh_from_db()
    assert (clock.state, clock.due_at, clock.next_check_at) == ("paused", None, None)
    clock_resume(clock=clock, at=t(10, 9, 10))
    clock.refresh_from_db()
    assert clock.due_at == t(10, 10, 18)  # on the make-up Saturday


def test_a_pause_right_after_a_customer_message_is_flagged(ticket, complaints):
    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    pause = clock_pause(
        clock=clock, at=t(10, 8, 10, 5), reason="等客户", last_customer_message_at=t(10, 8, 10)
    )
    assert pause.flagged
    clock_resume(clock=clock, at=t(10, 8, 11))
    honest = clock_pause(
        clock=clock, at=t(10, 8, 15), reason="等配件", last_customer_message_at=t(10, 8, 10)
    )
    assert not honest.flagged


def test_pausing_needs_a_reason_and_a_running_clock(ticket, complaints):
    from rapport.core.errors import DomainError

    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    with pytest.raises(DomainError):
        clock_pause(clock=clock, at=t(10, 8, 10), reason="  ")
    clock_pause(clock=clock, at=t(10, 8, 10), reason="等客户")
    with pytest.raises(DomainError):
        clock_pause(clock=clock, at=t(10, 8, 11), reason="again")
    assert ClockPause.objects.count() == 1


def test_reopening_resumes_without_counting_the_closed_time(ticket, complaints):
    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    clock_stop(clock=clock, at=t(10, 8, 11))  # resolved after 120 minutes
    clock_resume(clock=clock, at=t(10, 12, 9))  # reopened the next Monday
    clock.refresh_from_db()
    # 840 minutes remain from Monday 09:00: 450 on Monday, 390 on Tuesday until 16:00... 13:30+210.
    assert clock.due_at == t(10, 13, 17)


def test_a_policy_change_applies_from_the_moment_of_change(ticket, office, complaints):
    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    stricter = SlaPolicy.objects.create(name="升级", calendar=office, resolution_seconds=8 * 3600)
    clock_retarget(clock=clock, policy=stricter)
    clock.refresh_from_db()
    assert (clock.target_seconds, clock.due_at) == (8 * 3600, t(10, 9, 9, 30))


def test_sweep_warns_then_breaches_each_once_and_escalates(
    ticket, complaints, agent, supervisor, manager
):
    clock = clock_start(
        ticket_id=ticket.pk,
        kind="resolution",
        policy=complaints,
        started_at=t(9, 30, 17),
        assignee=agent,
        team=agent.teams.first(),
    )
    assert sla_sweep(now=t(10, 9, 14)).warned == []
    first = sla_sweep(now=t(10, 9, 14, 48, 30))
    again = sla_sweep(now=t(10, 9, 14, 49))
    assert (first.warned, again.warned) == ([clock.pk], [])
    alert_acknowledge(alert=SlaAlert.objects.get(clock=clock, kind="at_risk"), by=agent)
    breach = sla_sweep(now=t(10, 9, 18, 0, 20))
    assert breach.breached == [clock.pk]
    assert sla_sweep(now=t(10, 9, 18, 1)).breached == []
    alerts = SlaAlert.objects.filter(clock=clock, level=0)
    assert sorted(alerts.values_list("kind", "recipient")) == [
        ("at_risk", agent.pk),
        ("breached", agent.pk),
    ]
    # Nobody acknowledges the breach: 30 minutes later the supervisor, an hour after that the manager.
    sla_sweep(now=t(10, 9, 18, 31))
    sla_sweep(now=t(10, 9, 19, 32))
    chain = SlaAlert.objects.filter(clock=clock, kind="breached").order_by("level")
    assert [(a.level, a.recipient) for a in chain] == [(0, agent), (1, supervisor), (2, manager)]
    assert not SlaAlert.objects.filter(clock=clock, kind="at_risk", level__gt=0).exists()


def test_a_late_stop_before_the_sweep_still_counts_as_breached(ticket, complaints):
    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    clock_stop(clock=clock, at=t(10, 12, 10))
    clock.refresh_from_db()
    assert clock.breached_at == clock.due_at == t(10, 10, 10)  # the make-up Saturday


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"),
    reason="threads need a shared database: runs on PostgreSQL (the test database of SQLite is in memory)",
)
@pytest.mark.django_db(transaction=True)
def test_several_workers_announce_each_breach_once(complaints):
    clocks = [
        clock_start(
            ticket_id=TicketFactory().pk,
            kind="resolution",
            policy=complaints,
            started_at=t(10, 8, 9),
        )
        for _ in range(20)
    ]
    results, errors = [], []

    def worker():
        try:
            results.append(sla_sweep(now=t(10, 20, 9)))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    announced = sorted(c for r in results for c in r.breached)
    assert announced == sorted(c.pk for c in clocks)
    assert SlaAlert.objects.filter(kind="breached").count() == 20


def test_compliance_counts_met_and_breached_clocks_of_the_period(complaints, agent, team):
    from rapport.sla.selectors import compliance_breaches, sla_compliance

    def ticket_for():
        return TicketFactory(team=team, assignee=agent)

    on_time = clock_start(
        ticket_id=ticket_for().pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    clock_stop(clock=on_time, at=t(10, 8, 11))
    late = clock_start(
        ticket_id=ticket_for().pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    clock_stop(clock=late, at=t(10, 12, 10))
    running_late = clock_start(
        ticket_id=ticket_for().pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    sla_sweep(now=t(10, 12, 12))
    clock_start(
        ticket_id=ticket_for().pk, kind="resolution", policy=complaints, started_at=t(10, 12, 9)
    )  # not yet judged

    (overall,) = sla_compliance(kind="resolution", start=t(10, 1, 0), end=t(11, 1, 0))
    assert (overall.total, overall.met, overall.breached) == (3, 1, 2)
    assert (overall.stopped, overall.stopped_late, overall.carried) == (2, 1, 1)
    assert overall.rate == pytest.approx(1 / 3)
    (by_team,) = sla_compliance(kind="resolution", start=t(10, 1, 0), end=t(11, 1, 0), by="team")
    assert (by_team.label, by_team.total, by_team.met) == (team.name, 3, 1)
    assert {
        c.pk for c in compliance_breaches(kind="resolution", start=t(10, 1, 0), end=t(11, 1, 0))
    } == {late.pk, running_late.pk}
    (empty,) = sla_compliance(kind="first_response", start=t(10, 1, 0), end=t(11, 1, 0))
    assert (empty.total, empty.rate) == (0, None)


def _resolution_clock_of_an_agent_with_email(ticket, complaints, agent):
    """The ticket's resolution clock, started on 8 October at 09:00, held by an agent with an
    e-mail address (the alerts the sweep raises go to them)."""
    agent.email = "agent@rapport.example"
    agent.save(update_fields=["email"])
    clock_start(
        ticket_id=ticket.pk,
        kind="resolution",
        policy=complaints,
        started_at=t(10, 8, 9),
        assignee=agent,
    )


def test_each_alert_is_emailed_once_to_its_recipient(
    ticket, complaints, agent, mailoutbox, django_capture_on_commit_callbacks
):
    from rapport.sla.tasks import sla_alert_notify

    _resolution_clock_of_an_agent_with_email(ticket, complaints, agent)
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=t(10, 12, 9))
    assert [m.to for m in mailoutbox] == [["agent@rapport.example"], ["agent@rapport.example"]]
    assert ticket.number in mailoutbox[-1].subject and "#" not in mailoutbox[-1].subject
    assert ticket.number in mailoutbox[-1].body and "#" not in mailoutbox[-1].body
    alert = SlaAlert.objects.filter(kind="breached").get()
    sla_alert_notify.call(alert.pk)  # a retried task
    assert len(mailoutbox) == 2


def test_an_alert_mail_and_its_bell_row_are_one_message_each(
    ticket, complaints, agent, mailoutbox, django_capture_on_commit_callbacks
):
    from rapport.notifications.models import Notification

    _resolution_clock_of_an_agent_with_email(ticket, complaints, agent)
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=t(10, 12, 9))
    assert Notification.objects.filter(recipient=agent).count() == 2
    assert not Notification.objects.filter(email_wanted=True).exists()
    assert len(mailoutbox) == 2  # the alert's own mail, not a second one from the bell row


def test_a_deactivated_recipient_is_not_mailed(
    ticket, complaints, agent, mailoutbox, django_capture_on_commit_callbacks
):
    from rapport.staff.models import User

    _resolution_clock_of_an_agent_with_email(ticket, complaints, agent)
    User.objects.filter(pk=agent.pk).update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=t(10, 12, 9))
    assert mailoutbox == []
    assert not SlaAlert.objects.filter(emailed_at__isnull=True).exists()  # done, not retried


def test_the_recipients_choice_turns_the_breach_mail_off_and_leaves_the_warning(
    ticket, complaints, agent, mailoutbox, django_capture_on_commit_callbacks
):
    from rapport.notifications.services import notification_preferences_save

    agent.email = "agent@rapport.example"
    agent.save(update_fields=["email"])
    notification_preferences_save(
        user=agent,
        choices={"sla_breach": {"app": True}, "sla_warning": {"app": True, "email": True}},
    )
    clock_start(
        ticket_id=ticket.pk,
        kind="resolution",
        policy=complaints,
        started_at=t(10, 8, 9),
        assignee=agent,
    )
    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep(now=t(10, 12, 9))
    assert len(mailoutbox) == 1
    assert SlaAlert.objects.get(kind="at_risk").emailed_at is not None
    assert SlaAlert.objects.get(kind="breached").emailed_at is not None  # decided: none


def _breach_alert(ticket, policy, agent):
    agent.email = "agent@rapport.example"
    agent.save(update_fields=["email"])
    clock_start(
        ticket_id=ticket.pk,
        kind="resolution",
        policy=policy,
        started_at=t(10, 8, 9),
        assignee=agent,
    )
    sla_sweep(now=t(10, 12, 9))  # on_commit callbacks not run: no e-mail task yet
    return SlaAlert.objects.filter(kind="breached").get()


def test_an_alert_email_cut_off_mid_send_is_sent_after_its_lease(
    ticket, complaints, agent, mailoutbox, monkeypatch
):
    """Issue 15 #3: a worker killed while sending leaves a claim that expires; the retried task
    sends the e-mail, once."""
    import time_machine

    from rapport.sla import tasks

    alert = _breach_alert(ticket, complaints, agent)
    with monkeypatch.context() as patched:
        patched.setattr(tasks, "send_mail", lambda *a, **k: (_ for _ in ()).throw(SystemExit()))
        with pytest.raises(SystemExit):
            tasks.sla_alert_notify.call(alert.pk)
    assert mailoutbox == []
    assert tasks.sla_alert_notify.call(alert.pk) is False  # the claim holds while it may run
    assert mailoutbox == []
    with time_machine.travel(timezone_now() + tasks.send_lease() + timedelta(seconds=1)):
        assert tasks.sla_alert_notify.call(alert.pk) is True
        assert tasks.sla_alert_notify.call(alert.pk) is False
    assert len(mailoutbox) == 1 and ticket.number in mailoutbox[0].subject
    assert mailoutbox[0].extra_headers["Message-ID"] == tasks.alert_message_id(alert)
    alert.refresh_from_db()
    assert alert.emailed_at is not None


def test_an_alert_whose_email_task_was_never_queued_is_sent_by_the_resend_sweep(
    ticket, complaints, agent, mailoutbox
):
    """The worker died between committing the alert and queueing its e-mail."""
    import time_machine

    from rapport.sla.sweep import sla_alerts_resend_unsent

    alert = _breach_alert(ticket, complaints, agent)
    assert sla_alerts_resend_unsent(now=alert.created_at) == 0  # too fresh: its task may be queued
    later = alert.created_at + timedelta(minutes=10)
    with time_machine.travel(later):
        assert sla_alerts_resend_unsent(now=later) == 2  # the warning and the breach
        assert sla_alerts_resend_unsent(now=later) == 0
    assert len(mailoutbox) == 2


def test_a_warning_on_a_clock_stopped_in_time_goes_no_higher(ticket, complaints, agent, supervisor):
    """Issue 15 #19: resolved in time, the warning no longer goes up to the supervisor."""
    clock = clock_start(
        ticket_id=ticket.pk,
        kind="resolution",
        policy=complaints,
        started_at=t(9, 30, 17),
        assignee=agent,
        team=agent.teams.first(),
    )
    assert sla_sweep(now=t(10, 9, 14, 48, 30)).warned == [clock.pk]
    clock_stop(clock=clock, at=t(10, 9, 15))
    assert sla_sweep(now=t(10, 9, 15, 30)).escalated == []
    assert sla_sweep(now=t(10, 9, 17, 0)).escalated == []
    assert list(SlaAlert.objects.values_list("level", flat=True)) == [0]


def test_a_warning_waits_while_its_clock_is_paused_and_goes_up_when_it_runs_again(
    ticket, complaints, agent, supervisor
):
    clock = clock_start(
        ticket_id=ticket.pk,
        kind="resolution",
        policy=complaints,
        started_at=t(9, 30, 17),
        assignee=agent,
        team=agent.teams.first(),
    )
    sla_sweep(now=t(10, 9, 14, 48, 30))
    clock_pause(clock=clock, at=t(10, 9, 15), reason="等客户回电")
    assert sla_sweep(now=t(10, 9, 15, 30)).escalated == []
    clock_resume(clock=clock, at=t(10, 9, 16))
    assert sla_sweep(now=t(10, 9, 16, 20)).escalated == []  # a fresh delay from the resume
    assert len(sla_sweep(now=t(10, 9, 16, 31)).escalated) == 1
    assert SlaAlert.objects.get(level=1).recipient == supervisor


def test_the_due_instant_itself_is_in_time_for_the_sweep_as_for_a_stop(ticket, complaints):
    """Issue 15 #21: at the due instant the clock is not breached, whether the sweep looks at it
    or the ticket is resolved then; a second later it is."""
    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    due = t(10, 10, 10)
    assert clock.due_at == due
    assert sla_sweep(now=due).breached == []
    clock.refresh_from_db()
    assert clock.breached_at is None and clock.next_check_at == due
    assert sla_sweep(now=due + timedelta(seconds=1)).breached == [clock.pk]

    other = TicketFactory()
    on_time = clock_start(
        ticket_id=other.pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    sla_sweep(now=due)
    clock_stop(clock=on_time, at=due)
    on_time.refresh_from_db()
    assert on_time.breached_at is None
    assert not SlaAlert.objects.filter(clock=on_time, kind="breached").exists()


def test_a_breached_clock_counts_in_every_month_it_stays_open(complaints, agent, team):
    from rapport.sla.selectors import compliance_breaches, compliance_trend, sla_compliance

    late = clock_start(
        ticket_id=TicketFactory(team=team).pk,
        kind="resolution",
        policy=complaints,
        started_at=t(9, 8, 9),
    )
    sla_sweep(now=t(9, 20, 12))  # breached in September, still open
    on_time = clock_start(
        ticket_id=TicketFactory(team=team).pk,
        kind="resolution",
        policy=complaints,
        started_at=t(10, 8, 9),
    )
    clock_stop(clock=on_time, at=t(10, 8, 11))

    def month(m):
        (row,) = sla_compliance(kind="resolution", start=t(m, 1, 0), end=t(m + 1, 1, 0))
        return row.total, row.met, row.carried

    assert month(9) == (1, 0, 1)
    assert month(10) == (2, 1, 1)  # still open and breached: counted again, not hidden
    clock_stop(clock=late, at=t(11, 3, 10))
    assert month(11) == (1, 0, 0)  # stopped late in November: judged there as breached
    (row,) = sla_compliance(kind="resolution", start=t(11, 1, 0), end=t(12, 1, 0))
    assert row.stopped_late == 1
    assert month(10) == (2, 1, 1)  # October keeps it: it was open and breached at its end
    trend = compliance_trend(kind="resolution", last=t(11, 1, 0).date(), months=3)
    assert [(r.label[-2:], r.total, r.met) for r in trend] == [
        ("09", 1, 0),
        ("10", 2, 1),
        ("11", 1, 0),
    ]
    drilled = compliance_breaches(kind="resolution", start=t(10, 1, 0), end=t(11, 1, 0))
    assert [(c.pk, c.carried) for c in drilled] == [(late.pk, True)]


def test_a_warning_and_a_breach_ring_the_bell_of_each_alerts_recipient_once(
    ticket, complaints, agent, supervisor, manager
):
    from django.utils import translation

    from rapport.notifications.models import Notification

    clock_start(
        ticket_id=ticket.pk,
        kind="resolution",
        policy=complaints,
        started_at=t(9, 30, 17),
        assignee=agent,
        team=agent.teams.first(),
    )
    sla_sweep(now=t(10, 9, 14, 48, 30))
    sla_sweep(now=t(10, 9, 14, 49))
    sla_sweep(now=t(10, 9, 18, 0, 20))
    sla_sweep(now=t(10, 9, 18, 31))  # both go up to the supervisor, unacknowledged
    sla_sweep(now=t(10, 9, 18, 32))

    rows = Notification.objects.order_by("id")
    with translation.override("en"):
        assert [(n.recipient.username, n.kind, n.title) for n in rows] == [
            ("agent", "sla_warning", f"Ticket {ticket.number}: Resolution at risk"),
            ("agent", "sla_breach", f"Ticket {ticket.number}: Resolution breached"),
            ("supervisor", "sla_warning", f"Ticket {ticket.number}: Resolution at risk"),
            ("supervisor", "sla_breach", f"Ticket {ticket.number}: Resolution breached"),
        ]
    assert rows[0].url == f"/tickets/{ticket.pk}/"


def test_a_clock_and_its_pause_are_named_by_ticket_number_and_site_time(ticket, complaints):
    clock = clock_start(
        ticket_id=ticket.pk, kind="resolution", policy=complaints, started_at=t(10, 8, 9)
    )
    clock_pause(clock=clock, at=t(10, 8, 9, 30), reason="等客户回电")
    pause = ClockPause.objects.get(clock=clock)

    assert ticket.number in str(clock) and "#" not in str(clock)
    assert str(pause).endswith("2026-10-08 09:30")  # Shanghai, not UTC (01:30)
