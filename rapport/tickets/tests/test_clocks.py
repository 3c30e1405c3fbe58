"""Tickets drive their service-level clocks (rapport.sla) through every step of the process."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from rapport.core.models import BusinessCalendar
from rapport.interactions.models import Interaction, Purpose
from rapport.sla.models import ServiceClock, SlaPolicy
from rapport.tickets import services
from rapport.tickets.models import Ticket
from rapport.tickets.tests.factories import in_progress, open_ticket, resolved, ticket_type

pytestmark = pytest.mark.django_db


def clock(ticket, kind="resolution") -> ServiceClock:
    return ServiceClock.objects.select_related("policy").get(ticket=ticket, kind=kind)


def test_intake_starts_both_clocks_under_the_complaints_policy(agent):
    ticket = open_ticket(agent)
    resolution, first = clock(ticket), clock(ticket, "first_response")
    assert resolution.policy.name == "投诉 48 小时办结"
    assert resolution.due_at == ticket.created_at + timedelta(hours=48)  # 7×24 calendar
    assert resolution.state == "running" and resolution.assignee == agent
    # Taken by staff on the phone: the first response happened at intake.
    assert (first.state, first.stopped_at) == ("stopped", ticket.first_responded_at)


def test_a_public_ticket_waits_for_its_first_reply(agent):
    ticket, _created = services.ticket_create_public(
        submission_key="k-1",
        name="王先生",
        phone="13900001111",
        email="",
        description="保养后发动机异响",
        customer_words="怎么越保养越响?",
        occurred_at=timezone.now() - timedelta(hours=2),
        occurred_where="4S店",
    )
    first = clock(ticket, "first_response")
    assert first.state == "running"
    services.ticket_reply(ticket=ticket, by=agent, body="您好,感谢您的反馈,我们马上安排检查。")
    first.refresh_from_db()
    assert first.state == "stopped"


def test_waiting_pauses_resuming_runs_resolving_stops_reopening_resumes(agent):
    ticket = in_progress(agent)
    services.ticket_transition(
        ticket=ticket, by=agent, action="wait", waiting_on="customer", reason="等客户提供照片"
    )
    assert (clock(ticket).state, clock(ticket).due_at) == ("paused", None)
    services.ticket_transition(ticket=ticket, by=agent, action="resume")
    assert clock(ticket).state == "running" and clock(ticket).due_at is not None
    ticket = resolved(agent)
    assert clock(ticket).state == "stopped"
    services.ticket_transition(ticket=ticket, by=agent, action="close", satisfaction="no")
    services.ticket_transition(
        ticket=ticket, by=agent, action="reopen", reason="客户说问题又出现了"
    )
    reopened = clock(ticket)
    assert reopened.state == "running"
    assert reopened.pauses.filter(reason__isnull=False).count() == 1  # the closed stretch


def test_a_pause_right_after_the_customer_wrote_is_flagged(agent):
    ticket = in_progress(agent)
    Interaction.objects.create(
        customer=ticket.customer,
        channel="wechat",
        direction="inbound",
        staff=agent,
        first_responder=agent,
        handler=agent,
        started_at=timezone.now() - timedelta(minutes=3),
        purpose=Purpose.objects.first(),
        summary="客户发来照片",
    )
    services.ticket_transition(
        ticket=ticket, by=agent, action="wait", waiting_on="customer", reason="等客户"
    )
    assert clock(ticket).pauses.get().flagged


def test_a_new_priority_applies_a_stricter_policy_from_now(agent, supervisor):
    office = BusinessCalendar.objects.get(is_default=True)
    urgent = SlaPolicy.objects.create(
        name="紧急投诉",
        calendar=office,
        ticket_kind="complaint",
        priority=4,
        resolution_seconds=4 * 3600,
        precedence=1,
    )
    ticket = in_progress(agent)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        services.ticket_prioritise(ticket=ticket, by=supervisor, priority=4, reason="涉及行车安全")
    assert clock(ticket).policy == urgent
    assert clock(ticket).target_seconds == 4 * 3600


def test_a_hand_off_makes_the_new_assignee_the_one_warned(agent, supervisor):
    ticket = in_progress(agent)
    services.ticket_escalate(ticket=ticket, by=agent, reason="客户情绪激动", supervisor=supervisor)
    assert clock(ticket).assignee == supervisor


def test_a_refused_transition_changes_no_clock(agent):
    from rapport.core.errors import DomainError

    ticket = open_ticket(agent)
    before = clock(ticket).due_at
    with pytest.raises(DomainError):
        services.ticket_transition(ticket=ticket, by=agent, action="resolve", resolution="x")
    assert clock(ticket).due_at == before and clock(ticket).state == "running"


def test_types_exist():
    assert ticket_type()


def test_the_api_shows_a_tickets_clocks_and_hides_other_peoples_tickets(
    agent, other_team_agent, api_client
):
    ticket = in_progress(agent)
    services.ticket_transition(
        ticket=ticket, by=agent, action="wait", waiting_on="customer", reason="等客户"
    )
    body = api_client(agent).get(f"/api/v1/tickets/{ticket.pk}/clocks").json()
    resolution = next(c for c in body if c["kind"] == "resolution")
    assert resolution["policy"] == "投诉 48 小时办结" and resolution["state"] == "paused"
    assert resolution["pauses"][0]["reason"] == "等客户"
    assert (
        api_client(other_team_agent).get(f"/api/v1/tickets/{ticket.pk}/clocks").status_code == 404
    )


def test_a_worker_killed_mid_sweep_loses_and_duplicates_nothing(agent, monkeypatch):
    from rapport.sla import sweep
    from rapport.sla.models import SlaAlert

    ticket = open_ticket(agent)
    later = timezone.now() + timedelta(days=5)

    def crash(*args, **kwargs):
        raise SystemExit("worker killed")

    with monkeypatch.context() as patched:
        patched.setattr(sweep, "_raise", crash)
        with pytest.raises(SystemExit):
            sweep.sla_sweep(now=later)
    assert not SlaAlert.objects.exists()
    assert clock(ticket).warned_at is None and clock(ticket).breached_at is None  # rolled back
    sweep.sla_sweep(now=later)
    sweep.sla_sweep(now=later)
    assert sorted(SlaAlert.objects.values_list("kind", flat=True)) == ["at_risk", "breached"]


def test_the_team_queue_sorts_by_time_left(agent, supervisor):
    from rapport.tickets.selectors import ticket_queue

    first, second = open_ticket(agent), open_ticket(agent)
    # A waiting ticket has no due instant: it sorts last; the earlier-received one first.
    services.ticket_transition(
        ticket=in_progress(agent), by=agent, action="wait", waiting_on="customer", reason="等"
    )
    ordered = list(ticket_queue(staff=supervisor, queue="team", sort="due"))
    assert ordered[:2] == [first, second]
    assert ordered[-1].resolution_state == "paused"
    assert ordered[0].resolution_due is not None and ordered[0].resolution_state == "running"


def _office_policy():
    return SlaPolicy.objects.create(
        name="投诉 16 工时",
        calendar=BusinessCalendar.objects.get(is_default=True),
        ticket_kind="complaint",
        resolution_seconds=16 * 3600,
        precedence=1,
    )


def test_a_holiday_added_on_the_due_day_moves_the_running_clock_and_says_so(agent):
    """Issue 15 #16: clocks already running follow the calendar's new holiday, in the
    background, once, with the change on the ticket's timeline."""
    from rapport.core.calendar.services import calendar_exception_add
    from rapport.sla.recompute import sla_recompute_for_calendars
    from rapport.sla.sweep import sla_sweep
    from rapport.tickets.models import TicketEvent

    policy = _office_policy()
    ticket = in_progress(agent)
    before = clock(ticket).due_at
    calendar_exception_add(
        calendar=policy.calendar,
        date=timezone.localtime(before).date(),
        kind="holiday",
        name="新增假日",
    )
    assert clock(ticket).due_at == before  # nothing moves in the request itself

    assert sla_recompute_for_calendars() == 1
    after = clock(ticket).due_at
    assert after > before + timedelta(hours=12)
    assert clock(ticket).next_check_at <= after
    event = TicketEvent.objects.get(ticket=ticket, action="due_moved")
    assert event.kind == "flag" and not event.is_public
    assert timezone.localtime(after).strftime("%Y-%m-%d %H:%M") in event.body
    assert policy.calendar.name in event.body
    # Idempotent: nothing left to do, no second entry.
    assert sla_recompute_for_calendars() == 0
    assert TicketEvent.objects.filter(ticket=ticket, action="due_moved").count() == 1
    # No breach on the holiday.
    assert sla_sweep(now=before + timedelta(minutes=1)).breached == []


def test_changed_hours_move_running_clocks_and_leave_stopped_ones(agent):
    from rapport.core.calendar.services import calendar_set_week
    from rapport.sla.recompute import sla_recompute_for_calendars

    policy = _office_policy()
    running = in_progress(agent)
    done = resolved(agent)
    before_running, before_done = clock(running).due_at, clock(done).due_at
    calendar_set_week(calendar=policy.calendar, intervals={d: "09:00-12:00" for d in range(5)})
    assert sla_recompute_for_calendars() == 1
    assert clock(running).due_at > before_running
    assert clock(done).due_at == before_done


def test_a_change_of_team_assignee_type_priority_or_channel_regroups_its_compliance_figures(
    agent, supervisor, other_team, manager
):
    """The compliance figures group a ticket's clocks by its current values: every change
    made through the services marks the days the clocks count in, so the figures stay those
    of the live count until the worker rebuilds them."""
    from django.db.models import F

    from rapport.interactions.services import interaction_correct
    from rapport.interactions.tests.factories import InteractionFactory
    from rapport.sla import rollups
    from rapport.sla.models import ComplianceRollupDay
    from rapport.sla.sweep import sla_sweep
    from rapport.sla.tests.test_rollups import live, shown

    then = timezone.now() - timedelta(days=40)
    with time_machine.travel(then, tick=False):
        contact = InteractionFactory(channel="phone", staff=agent)
        ticket = open_ticket(agent, customer=contact.customer, interaction=contact)
        public, _created = services.ticket_create_public(
            submission_key="k-regroup",
            name="王先生",
            phone="13900001111",
            email="",
            description="保养后发动机异响",
            customer_words="怎么越保养越响?",
            occurred_at=then - timedelta(hours=2),
            occurred_where="4S店",
        )
        sla_sweep(now=then + timedelta(days=3))  # breached 37 days ago, still open
    assert clock(ticket).breached_at is not None
    assert clock(public, "first_response").breached_at is not None
    assert public.team_id is None and public.assignee_id is None
    rollups.rollup_rebuild()
    changed = ComplianceRollupDay.objects.exclude(built_version=F("version"))
    start, end = then - timedelta(days=1), timezone.now() + timedelta(days=1)

    def figures_are_live(by):
        for kind in ("first_response", "resolution"):
            assert shown(kind, start, end, by) == live(kind, start, end, by)

    from rapport.tickets.services.assignment import ticket_claim

    steps = [
        ("team", lambda t: ticket_claim(ticket=Ticket.objects.get(pk=public.pk), by=agent)),
        ("person", lambda t: services.ticket_assign(ticket=t, by=agent, to_staff=supervisor)),
        (
            "priority",
            lambda t: services.ticket_prioritise(
                ticket=t, by=supervisor, priority=4, reason="安全"
            ),
        ),
        (
            "type",
            lambda t: services.ticket_transition(
                ticket=t,
                by=supervisor,
                action="classify",
                ticket_type=ticket_type("billing"),
                impact="normal",
            ),
        ),
        (
            "channel",
            lambda t: interaction_correct(
                interaction=contact, by=manager, reason="记错了渠道", channel="wechat"
            ),
        ),
    ]
    for by, step in steps:
        step(Ticket.objects.get(pk=ticket.pk))
        assert changed.filter(day__lt=timezone.localdate()).exists(), by
        figures_are_live(by)
        rollups.rollup_sweep()
        assert not changed.filter(day__lt=timezone.localdate()).exists()
        figures_are_live(by)
    assert rollups.rollup_check() == []
