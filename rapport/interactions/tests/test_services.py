from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.core.errors import Conflict, Forbidden
from rapport.customers.models import Contact
from rapport.customers.tests.factories import AssetFactory, CustomerFactory
from rapport.interactions import services
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    Interaction,
    InteractionRevision,
    Transfer,
)
from rapport.interactions.tests.factories import FollowUpTaskFactory, InteractionFactory, purpose
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _log(by, customer, **overrides):
    fields = {
        "by": by,
        "customer": customer,
        "channel": "phone",
        "direction": "inbound",
        "purpose": purpose("information"),
        "summary": "客户咨询首保时间",
    }
    fields.update(overrides)
    return services.interaction_log(**fields)


def test_logging_makes_the_taker_first_responder_and_handler(agent):
    customer = CustomerFactory()

    interaction = _log(agent, customer, duration_seconds=90)

    assert interaction.staff == agent
    assert interaction.first_responder == agent
    assert interaction.handler == agent
    assert interaction.duration_seconds == 90
    assert abs(interaction.started_at - timezone.now()) < timedelta(seconds=5)


def test_logging_with_follow_up_creates_the_task(agent):
    customer = CustomerFactory()
    due = timezone.now() + timedelta(days=2)

    interaction = _log(
        agent,
        customer,
        follow_up=services.FollowUpInput(title="发送报价", due_at=due, assignee=agent),
    )

    task = FollowUpTask.objects.get()
    assert (task.interaction, task.customer, task.assignee, task.title) == (
        interaction,
        customer,
        agent,
        "发送报价",
    )
    assert task.status == "open" and task.created_by == agent


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"started_at": "future"}, "started_at"),
        ({"summary": ""}, "summary"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_interaction_is_refused_naming_the_field_and_nothing_is_saved(agent, overrides, field):
    customer = CustomerFactory()
    if overrides.get("started_at") == "future":
        overrides["started_at"] = timezone.now() + timedelta(minutes=6)

    with pytest.raises(ValidationError) as exc:
        _log(agent, customer, **overrides)

    assert field in exc.value.message_dict
    assert not Interaction.objects.exists()


def test_start_within_the_clock_skew_is_accepted(agent):
    interaction = _log(agent, CustomerFactory(), started_at=timezone.now() + timedelta(minutes=4))

    assert interaction.pk


def test_contact_or_asset_of_another_customer_is_refused(agent):
    customer, other = CustomerFactory(), CustomerFactory(kind="organisation")
    contact = Contact.objects.create(organisation=other, name="王经理")
    asset = AssetFactory(customer=other)

    with pytest.raises(ValidationError) as exc:
        _log(agent, customer, contact=contact, asset=asset)

    assert set(exc.value.message_dict) == {"contact", "asset"}
    assert not Interaction.objects.exists()


def test_merged_customer_is_refused(agent):
    survivor = CustomerFactory()
    merged = CustomerFactory(merged_into=survivor)

    with pytest.raises(ValidationError) as exc:
        _log(agent, merged)

    assert "customer" in exc.value.message_dict


def test_invalid_follow_up_leaves_no_interaction_behind(agent):
    past = timezone.now() - timedelta(hours=1)

    with pytest.raises(ValidationError) as exc:
        _log(
            agent,
            CustomerFactory(),
            follow_up=services.FollowUpInput(title="回访", due_at=past, assignee=agent),
        )

    assert "due_at" in exc.value.message_dict
    assert not Interaction.objects.exists()
    assert not FollowUpTask.objects.exists()


def test_task_due_before_creation_is_refused(agent):
    with pytest.raises(ValidationError) as exc:
        services.follow_up_task_create(
            by=agent,
            customer=CustomerFactory(),
            title="回访",
            due_at=timezone.now() - timedelta(minutes=1),
            assignee=agent,
        )

    assert "due_at" in exc.value.message_dict
    assert not FollowUpTask.objects.exists()


def test_task_without_anyone_to_do_it_is_refused(agent):
    with pytest.raises(ValidationError) as exc:
        services.follow_up_task_create(
            by=agent,
            customer=CustomerFactory(),
            title="回访",
            due_at=timezone.now() + timedelta(days=1),
        )

    assert "assignee" in exc.value.message_dict


def test_task_for_a_team_is_accepted(agent, team):
    task = services.follow_up_task_create(
        by=agent,
        customer=CustomerFactory(),
        title="回访",
        due_at=timezone.now() + timedelta(days=1),
        assignee_team=team,
    )

    assert task.assignee is None and task.assignee_team == team


def test_completing_a_task_records_who_and_when(agent):
    task = FollowUpTaskFactory(assignee=agent)

    services.follow_up_task_complete(task=task, by=agent)

    task.refresh_from_db()
    assert task.status == "done"
    assert task.completed_by == agent
    assert abs(task.completed_at - timezone.now()) < timedelta(seconds=5)


def test_completing_a_closed_task_is_a_conflict(agent):
    task = FollowUpTaskFactory(assignee=agent)
    services.follow_up_task_cancel(task=task, by=agent)

    with pytest.raises(Conflict):
        services.follow_up_task_complete(task=FollowUpTask.objects.get(pk=task.pk), by=agent)

    assert FollowUpTask.objects.get(pk=task.pk).status == "cancelled"


def test_completing_someone_elses_task_is_forbidden_but_a_lead_may(
    agent, other_team_agent, supervisor
):
    task = FollowUpTaskFactory(assignee=other_team_agent)

    with pytest.raises(Forbidden):
        services.follow_up_task_complete(task=task, by=agent)
    services.follow_up_task_complete(task=task, by=supervisor)

    assert FollowUpTask.objects.get(pk=task.pk).completed_by == supervisor


def test_transfer_keeps_the_owner_and_gives_them_a_check_back_task(agent, specialist):
    interaction = InteractionFactory(staff=agent)

    transfer = services.transfer_create(
        interaction=interaction,
        by=agent,
        to_staff=specialist,
        kind="to_specialist",
        reason="发动机故障",
    )

    interaction.refresh_from_db()
    assert (transfer.from_staff, transfer.to_staff, transfer.customer) == (
        agent,
        specialist,
        interaction.customer,
    )
    assert interaction.first_responder == agent
    assert interaction.handler == specialist
    assert interaction.escalated and not interaction.passed_on
    task = FollowUpTask.objects.get()
    assert task.assignee == agent and task.interaction == interaction
    assert task.due_at > timezone.now()


def test_a_second_hand_off_by_the_specialist_still_tasks_the_owner(agent, specialist, supervisor):
    interaction = InteractionFactory(staff=agent)
    services.transfer_create(
        interaction=interaction, by=agent, to_staff=specialist, kind="to_specialist", reason="a"
    )

    services.transfer_create(
        interaction=interaction, by=specialist, to_staff=supervisor, kind="to_senior", reason="b"
    )

    assert list(FollowUpTask.objects.values_list("assignee__username", flat=True)) == [
        "agent",
        "agent",
    ]
    assert Interaction.objects.get().first_responder == agent


def test_transfer_to_another_representative_marks_it_passed_on(agent, other_team_agent):
    interaction = InteractionFactory(staff=agent)

    services.transfer_create(
        interaction=interaction,
        by=agent,
        to_staff=other_team_agent,
        kind="to_representative",
        reason="客户属于二组",
    )

    interaction.refresh_from_db()
    assert interaction.passed_on and not interaction.escalated


def test_transfer_to_oneself_is_refused_and_nothing_changes(agent):
    interaction = InteractionFactory(staff=agent)

    with pytest.raises(ValidationError) as exc:
        services.transfer_create(
            interaction=interaction, by=agent, to_staff=agent, kind="to_specialist", reason="x"
        )

    assert "to_staff" in exc.value.message_dict
    assert not Transfer.objects.exists() and not FollowUpTask.objects.exists()
    assert not Interaction.objects.get().escalated


def test_transfer_to_an_inactive_user_is_refused(agent):
    gone = StaffFactory(username="gone", is_active=False, role=User.Role.SPECIALIST)
    interaction = InteractionFactory(staff=agent)

    with pytest.raises(ValidationError) as exc:
        services.transfer_create(
            interaction=interaction, by=agent, to_staff=gone, kind="to_specialist", reason="x"
        )

    assert "to_staff" in exc.value.message_dict
    assert not Transfer.objects.exists()


def test_transfer_without_reason_is_refused(agent, specialist):
    with pytest.raises(ValidationError) as exc:
        services.transfer_create(
            interaction=InteractionFactory(staff=agent),
            by=agent,
            to_staff=specialist,
            kind="to_specialist",
            reason=" ",
        )

    assert "reason" in exc.value.message_dict


def test_correction_keeps_the_old_values_as_a_revision(agent):
    interaction = InteractionFactory(staff=agent, summary="旧的记录", duration_seconds=60)

    services.interaction_correct(
        interaction=interaction,
        by=agent,
        reason="时长记错了",
        summary="新的记录",
        duration_seconds=300,
        channel="phone",
    )

    interaction.refresh_from_db()
    assert (interaction.summary, interaction.duration_seconds) == ("新的记录", 300)
    assert interaction.revision_count == 1
    revision = InteractionRevision.objects.get()
    assert revision.before == {"summary": "旧的记录", "duration_seconds": 60}
    assert revision.after == {"summary": "新的记录", "duration_seconds": 300}
    assert (revision.number, revision.changed_by, revision.reason) == (1, agent, "时长记错了")


def test_correction_that_changes_nothing_records_nothing(agent):
    interaction = InteractionFactory(staff=agent, summary="同样")

    services.interaction_correct(interaction=interaction, by=agent, reason="", summary="同样")

    assert not InteractionRevision.objects.exists()


def test_correction_needs_a_reason_and_valid_values(agent):
    interaction = InteractionFactory(staff=agent)

    with pytest.raises(ValidationError) as no_reason:
        services.interaction_correct(interaction=interaction, by=agent, reason="", summary="x")
    with pytest.raises(ValidationError) as negative:
        services.interaction_correct(
            interaction=interaction, by=agent, reason="r", duration_seconds=-5
        )

    assert "reason" in no_reason.value.message_dict
    assert "duration_seconds" in negative.value.message_dict
    assert not InteractionRevision.objects.exists()
    assert Interaction.objects.get().revision_count == 0


def test_only_the_recorder_or_a_lead_may_correct(agent, other_team_agent, supervisor):
    interaction = InteractionFactory(staff=agent)

    with pytest.raises(Forbidden):
        services.interaction_correct(
            interaction=interaction, by=other_team_agent, reason="r", summary="x"
        )
    services.interaction_correct(interaction=interaction, by=supervisor, reason="r", summary="y")

    assert Interaction.objects.get().summary == "y"


def test_agent_status_closes_the_previous_interval(agent):
    first = services.agent_status_set(staff=agent, status="available")

    second = services.agent_status_set(staff=agent, status="break")

    first.refresh_from_db()
    assert first.ended_at == second.started_at or first.ended_at <= second.started_at
    assert second.ended_at is None
    assert AgentStatusInterval.objects.filter(ended_at__isnull=True).count() == 1


def test_setting_the_same_status_again_changes_nothing(agent):
    first = services.agent_status_set(staff=agent, status="training")

    again = services.agent_status_set(staff=agent, status="training")

    assert again.pk == first.pk
    assert AgentStatusInterval.objects.count() == 1


def test_unknown_status_is_refused(agent):
    with pytest.raises(ValidationError):
        services.agent_status_set(staff=agent, status="napping")

    assert not AgentStatusInterval.objects.exists()


def test_a_contact_not_ours_nor_our_teams_cannot_be_handed_on(agent, other_team_agent, specialist):
    interaction = InteractionFactory(staff=agent)

    with pytest.raises(Forbidden):
        services.transfer_create(
            interaction=interaction, by=other_team_agent, to_staff=specialist, reason="抢单"
        )

    interaction.refresh_from_db()
    assert interaction.handler == agent and not interaction.escalated
    assert not Transfer.objects.exists() and not FollowUpTask.objects.exists()


def test_a_teammate_and_a_lead_may_hand_on_a_contact(agent, team, supervisor, specialist):
    teammate = StaffFactory(username="teammate", role=User.Role.REPRESENTATIVE, teams=[team])
    interaction = InteractionFactory(staff=agent)

    services.transfer_create(
        interaction=interaction, by=teammate, to_staff=specialist, reason="同组接手"
    )
    services.transfer_create(
        interaction=interaction, by=supervisor, to_staff=agent, reason="主管退回"
    )

    assert Transfer.objects.count() == 2


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        (User.Role.REPRESENTATIVE, "to_representative"),
        (User.Role.SPECIALIST, "to_specialist"),
        (User.Role.KEY_ACCOUNT_MANAGER, "to_specialist"),
        (User.Role.SUPERVISOR, "to_senior"),
        (User.Role.MANAGER, "to_senior"),
    ],
)
def test_the_kind_of_transfer_follows_the_receivers_role(agent, role, kind):
    receiver = StaffFactory(username="receiver", role=role)
    interaction = InteractionFactory(staff=agent)

    transfer = services.transfer_create(
        interaction=interaction, by=agent, to_staff=receiver, reason="转交"
    )

    interaction.refresh_from_db()
    assert transfer.kind == kind
    assert interaction.passed_on == (kind == "to_representative")
    assert interaction.escalated == (kind != "to_representative")


def test_a_kind_that_contradicts_the_receivers_role_is_refused(agent, other_team_agent):
    interaction = InteractionFactory(staff=agent)

    with pytest.raises(ValidationError) as exc:
        services.transfer_create(
            interaction=interaction,
            by=agent,
            to_staff=other_team_agent,
            kind="to_senior",
            reason="标成升级",
        )

    assert "kind" in exc.value.message_dict
    interaction.refresh_from_db()
    assert not interaction.escalated and not Transfer.objects.exists()
