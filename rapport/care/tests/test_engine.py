from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.engine import (
    action_perform,
    care_escalate_due,
    care_evaluate,
    care_execute_due,
    holdout,
)
from rapport.care.models import CareAction, CareRun, CareSettings, CareTask, Program
from rapport.channels.models import OutboxMessage
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory
from rapport.tickets.tests.factories import open_ticket

from .conftest import policy_customer

pytestmark = pytest.mark.django_db
R = CareAction.Reason


def _due_in_30():
    return timezone.localdate() + timedelta(days=30)


def test_it_plans_one_call_per_customer_due_today_and_none_for_other_days(renewal_program):
    due = policy_customer(_due_in_30())
    policy_customer(_due_in_30() + timedelta(days=1))  # due tomorrow
    result = care_evaluate()
    assert result.planned == 1
    action = CareAction.objects.get()
    assert action.customer == due and action.state == "planned" and action.kind == "call"
    assert action.occurrence_key.startswith("policy:")


def test_evaluating_twice_or_by_two_workers_plans_each_occurrence_once(renewal_program):
    policy_customer(_due_in_30())
    care_evaluate()
    Program.objects.filter(pk=renewal_program.pk).update(evaluated_through=None)
    care_evaluate()  # a second worker that did not see the first one's cursor
    assert CareAction.objects.count() == 1
    assert CareRun.objects.count() == 1


def test_executing_creates_the_call_task_with_the_script_once(renewal_program, agent):
    customer = policy_customer(_due_in_30())
    care_evaluate()
    assert care_execute_due() == 1
    assert care_execute_due() == 0
    task = CareTask.objects.get()
    assert task.assignee == agent
    assert task.script.startswith(f"{customer.name}您好，我是{agent.name}")
    assert CareAction.objects.get().state == "done"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"is_deceased": True}, R.DECEASED),
        ({"do_not_contact": True}, R.DO_NOT_CONTACT),
    ],
)
def test_guard_skips_with_the_reason_at_the_moment_of_action(renewal_program, fields, reason):
    customer = policy_customer(_due_in_30())
    care_evaluate()
    # Planned while still fine; the change happens between planning and action.
    type(customer).objects.filter(pk=customer.pk).update(**fields)
    care_execute_due()
    action = CareAction.objects.get()
    assert (action.state, action.reason) == ("skipped", reason)
    assert not CareTask.objects.exists()


def test_marketing_program_skips_an_opted_out_customer(renewal_program):
    Program.objects.filter(pk=renewal_program.pk).update(purpose="marketing")
    policy_customer(_due_in_30(), marketing_opt_out=True)
    care_evaluate()
    care_execute_due()
    assert CareAction.objects.get().reason == R.NO_CONSENT


def test_a_call_for_a_customer_with_an_urgent_complaint_goes_to_the_ticket_owner(
    renewal_program, agent, supervisor
):
    customer = policy_customer(_due_in_30())
    owner = StaffFactory(username="owner", role=User.Role.REPRESENTATIVE)
    ticket = open_ticket(supervisor, customer, kind="complaint")
    type(ticket).objects.filter(pk=ticket.pk).update(priority=4, assignee=owner)
    care_evaluate()
    care_execute_due()
    action = CareAction.objects.get()
    assert action.reason == R.TO_TICKET_OWNER and action.state == "done"
    assert CareTask.objects.get().assignee == owner


def test_a_service_message_pauses_while_an_urgent_complaint_is_open(
    renewal_program, care_template, email_account, no_quiet_hours, supervisor
):
    Program.objects.filter(pk=renewal_program.pk).update(
        action="message", template_code="care-renewal"
    )
    customer = policy_customer(_due_in_30(), email="wang@example.com")
    ticket = open_ticket(supervisor, customer, kind="complaint")
    type(ticket).objects.filter(pk=ticket.pk).update(priority=4)
    care_evaluate()
    care_execute_due()
    action = CareAction.objects.get()
    assert (action.state, action.reason) == ("planned", R.COMPLAINT)
    assert action.execute_after > timezone.now()
    assert not OutboxMessage.objects.exists()


def test_a_customer_contacted_within_the_quiet_period_is_skipped(renewal_program, everyone, team):
    customer = policy_customer(_due_in_30())
    care_evaluate()
    care_execute_due()
    other = Program.objects.create(
        name="另一计划",
        segment=everyone,
        team=team,
        trigger="policy_expiry",
        offset_days=-29,
        action="call",
        script_text="生日快乐",
        holdout_percent=0,
        status="active",
        starts_on=timezone.localdate(),
    )
    type(customer.assets.get()).objects.filter(customer=customer).update(
        expires_on=timezone.localdate() + timedelta(days=29)
    )
    care_evaluate()
    care_execute_due()
    skipped = CareAction.objects.get(program=other)
    assert (skipped.state, skipped.reason) == ("skipped", R.RECENTLY_CONTACTED)


def test_a_message_goes_through_the_outbox_once_and_quiet_hours_defer_it(
    renewal_program, care_template, email_account
):
    from rapport.channels.models import MessagingSettings

    MessagingSettings.objects.update_or_create(pk=1, defaults={"service_in_quiet_hours": False})
    Program.objects.filter(pk=renewal_program.pk).update(
        action="message", template_code="care-renewal"
    )
    policy_customer(_due_in_30(), email="li@example.com")
    care_evaluate()
    local = timezone.localtime().replace(hour=23, minute=0)
    care_execute_due(now=local)
    action = CareAction.objects.get()
    assert action.reason == R.QUIET_HOURS and action.state == "planned"
    assert not OutboxMessage.objects.exists()
    later = local + timedelta(hours=10)
    care_execute_due(now=later)
    action.refresh_from_db()
    assert action.state == "done"
    outbox = OutboxMessage.objects.get()
    assert outbox.idempotency_key == f"care:{action.pk}" and outbox.source == "care"
    assert "交强险" in outbox.body


def test_unreachable_customer_is_skipped_for_a_message(
    renewal_program, care_template, email_account, no_quiet_hours
):
    Program.objects.filter(pk=renewal_program.pk).update(
        action="message", template_code="care-renewal"
    )
    policy_customer(_due_in_30())  # no address at all
    care_evaluate()
    care_execute_due()
    assert CareAction.objects.get().reason == R.UNREACHABLE


def test_holdout_is_deterministic_and_near_its_share():
    picks = [holdout(7, c, 10) for c in range(1, 5001)]
    assert picks == [holdout(7, c, 10) for c in range(1, 5001)]
    assert 400 < sum(picks) < 600
    assert not any(holdout(7, c, 0) for c in range(1, 100))


def test_held_out_customers_are_recorded_and_never_contacted(renewal_program):
    Program.objects.filter(pk=renewal_program.pk).update(holdout_percent=50)
    customers = [policy_customer(_due_in_30()) for _ in range(12)]
    care_evaluate()
    care_execute_due()
    held = {c.pk for c in customers if holdout(renewal_program.pk, c.pk, 50)}
    assert (
        set(CareAction.objects.filter(state="holdout").values_list("customer_id", flat=True))
        == held
    )
    assert not CareTask.objects.filter(customer_id__in=held).exists()


def test_a_run_above_the_threshold_waits_for_a_supervisor(renewal_program, supervisor):
    from rapport.care.services import run_confirm

    CareSettings.objects.update_or_create(pk=1, defaults={"confirm_above": 2})
    for _ in range(3):
        policy_customer(_due_in_30())
    care_evaluate()
    run = CareRun.objects.get()
    assert run.status == "awaiting" and run.planned == 3
    assert care_execute_due() == 0
    run_confirm(run=run, by=supervisor)
    assert care_execute_due() == 3


def test_calls_are_spread_under_the_daily_number(renewal_program, team):
    second = StaffFactory(username="agent2", role=User.Role.REPRESENTATIVE, teams=[team])
    CareSettings.objects.update_or_create(pk=1, defaults={"calls_per_agent_per_day": 2})
    for _ in range(7):
        policy_customer(_due_in_30())
    care_evaluate()
    per_day = {}
    for assignee, day in CareAction.objects.values_list("assignee_id", "call_on"):
        per_day[(assignee, day)] = per_day.get((assignee, day), 0) + 1
    assert max(per_day.values()) <= 2
    assert {a for a, _d in per_day} == {
        renewal_program.team.members.get(username="agent").pk,
        second.pk,
    }
    assert len({d for _a, d in per_day}) == 2  # 7 calls, 4 a day → two working days


def test_an_unacknowledged_task_climbs_to_supervisor_then_manager(
    renewal_program, supervisor, manager
):
    policy_customer(_due_in_30())
    care_evaluate()
    care_execute_due()
    task = CareTask.objects.get()
    later = task.escalate_at + timedelta(minutes=1)
    assert care_escalate_due(now=later) == [task.pk]
    task.refresh_from_db()
    assert (task.escalation_level, task.escalated_to) == (1, supervisor)
    assert care_escalate_due(now=later) == []  # not yet due again
    assert care_escalate_due(now=task.escalate_at + timedelta(minutes=1)) == [task.pk]
    task.refresh_from_db()
    assert (task.escalation_level, task.escalated_to, task.escalate_at) == (2, manager, None)


def test_an_acknowledged_task_does_not_climb(renewal_program, agent):
    from rapport.care.services import task_acknowledge

    policy_customer(_due_in_30())
    care_evaluate()
    care_execute_due()
    task = CareTask.objects.get()
    task_acknowledge(task=task, by=agent)
    assert care_escalate_due(now=timezone.now() + timedelta(days=3)) == []


def test_a_paused_program_holds_its_actions_and_an_archived_one_skips_them(
    renewal_program, supervisor
):
    from rapport.care.services import program_archive, program_pause

    policy_customer(_due_in_30())
    care_evaluate()
    program_pause(program=renewal_program, by=supervisor)
    assert care_execute_due() == 0
    program_archive(program=renewal_program, by=supervisor)
    assert CareAction.objects.get().reason == R.PROGRAM_ENDED


def test_a_claimed_action_is_not_performed_by_a_second_worker(renewal_program):
    policy_customer(_due_in_30())
    care_evaluate()
    action = CareAction.objects.get()
    CareAction.objects.filter(pk=action.pk).update(
        lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert action_perform(action_id=action.pk) is None
    # The lease of a killed worker runs out: the next one performs it, once.
    later = timezone.now() + timedelta(minutes=3)
    assert action_perform(action_id=action.pk, now=later) is not None
    assert action_perform(action_id=action.pk, now=later) is None
    assert CareTask.objects.count() == 1


def test_the_daily_evaluation_query_count_does_not_follow_the_customer_table(renewal_program):
    """The evaluation seeks the customers due through indexed dates: more customers in the
    table, and more customers due, leave its number of queries as it was."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rapport.customers.tests.factories import CustomerFactory

    def evaluate() -> int:
        CareAction.objects.all().delete()
        CareRun.objects.all().delete()
        Program.objects.filter(pk=renewal_program.pk).update(evaluated_through=None)
        with CaptureQueriesContext(connection) as queries:
            care_evaluate()
        return len(queries)

    for _ in range(3):
        policy_customer(_due_in_30())
    evaluate()  # warm: the settings row and the business calendar's cached snapshot
    small = evaluate()
    CustomerFactory.create_batch(40)
    for _ in range(3):
        policy_customer(_due_in_30() + timedelta(days=3))  # in the table, not due
    bigger_table = evaluate()
    for _ in range(20):
        policy_customer(_due_in_30())
    more_due = evaluate()
    assert small == bigger_table == more_due
    assert CareAction.objects.count() == 23
