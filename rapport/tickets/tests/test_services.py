from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.core.errors import Conflict, Forbidden
from rapport.customers.models import Customer
from rapport.customers.tests.factories import AssetFactory, CustomerFactory
from rapport.interactions.models import FollowUpTask, Interaction
from rapport.tickets import services
from rapport.tickets.models import (
    ImprovementAction,
    Priority,
    Remedy,
    Ticket,
    TicketEvent,
    TicketSettings,
)
from rapport.tickets.services import TransitionNotAllowed
from rapport.tickets.tests.factories import (
    in_progress,
    intake,
    open_ticket,
    resolved,
    ticket_type,
)

pytestmark = pytest.mark.django_db


def test_it_opens_a_ticket_with_the_receiver_as_first_responder(agent, team):
    customer = CustomerFactory()

    ticket = open_ticket(agent, customer)

    assert (ticket.status, ticket.first_responder, ticket.assignee, ticket.team) == (
        "new",
        agent,
        agent,
        team,
    )
    assert ticket.customer_words == "我的车空调一点都不凉,上周刚修过!  你们怎么修的?"  # verbatim
    assert ticket.first_responded_at is not None
    assert list(ticket.events.values_list("kind", flat=True)) == ["created"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_words", ""),
        ("customer_words", "   "),
        ("description", ""),
        ("contact_name", ""),
        ("occurred_where", ""),
        ("occurred_at", None),
    ],
)
def test_intake_without_a_required_part_names_the_field_and_saves_nothing(agent, field, value):
    with pytest.raises(ValidationError) as exc:
        open_ticket(agent, **{field: value})

    assert field in exc.value.message_dict
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_intake_needs_a_phone_or_an_email(agent):
    with pytest.raises(ValidationError) as exc:
        open_ticket(agent, contact_phone="", contact_email="")
    assert "contact_phone" in exc.value.message_dict


def test_script_tags_are_refused_naming_the_field(agent):
    with pytest.raises(ValidationError) as exc:
        open_ticket(agent, customer_words="<script>alert(1)</script>")
    assert "customer_words" in exc.value.message_dict
    assert not Ticket.objects.exists()


def test_an_asset_of_another_customer_is_refused(agent):
    with pytest.raises(ValidationError) as exc:
        open_ticket(agent, asset=AssetFactory())
    assert "asset" in exc.value.message_dict


def test_classify_sets_priority_from_the_matrix(agent):
    vip = CustomerFactory(tier=Customer.Tier.VIP)
    ticket = open_ticket(agent, vip)

    services.ticket_transition(
        ticket=ticket,
        by=agent,
        action="classify",
        ticket_type=ticket_type("billing"),
        impact="normal",
    )
    safety = services.ticket_transition(
        ticket=open_ticket(agent),
        by=agent,
        action="classify",
        ticket_type=ticket_type("pq_powertrain"),
        impact="safety",
    )

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == ("classified", Priority.HIGH)
    assert safety.priority == Priority.URGENT


def test_a_subtype_inherits_its_parents_rule(agent):
    # product quality × normal × regular is high; its child "electrical" has no rule of its own
    assert (
        services.priority_for(
            ticket_type=ticket_type("pq_electrical"), impact="normal", tier="regular"
        )
        == Priority.HIGH
    )
    assert services.priority_for(ticket_type=None, impact="normal", tier="") == Priority.NORMAL


def test_same_problem_within_the_window_is_a_repeat_raised_one_level(agent):
    customer = CustomerFactory()
    asset = AssetFactory(customer=customer)
    first = open_ticket(agent, customer, asset=asset)
    services.ticket_transition(
        ticket=first,
        by=agent,
        action="classify",
        ticket_type=ticket_type("billing"),
        impact="normal",
    )
    second = open_ticket(agent, customer, asset=asset)

    second = services.ticket_transition(
        ticket=second,
        by=agent,
        action="classify",
        ticket_type=ticket_type("billing"),
        impact="normal",
    )

    assert second.is_repeat and second.repeat_of == first
    assert second.priority == Priority.HIGH  # normal + 1
    assert second.events.filter(kind="repeat").exists()


def test_another_asset_or_an_old_ticket_is_not_a_repeat(agent):
    customer = CustomerFactory()
    old = open_ticket(agent, customer)
    services.ticket_transition(
        ticket=old, by=agent, action="classify", ticket_type=ticket_type("billing"), impact="normal"
    )
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    other_asset = open_ticket(agent, customer, asset=AssetFactory(customer=customer))
    services.ticket_transition(
        ticket=other_asset,
        by=agent,
        action="classify",
        ticket_type=ticket_type("billing"),
        impact="normal",
    )
    other_asset.refresh_from_db()
    assert not other_asset.is_repeat


def test_unknown_and_disallowed_transitions_are_refused_with_a_code(agent, kam):
    ticket = open_ticket(agent)

    with pytest.raises(TransitionNotAllowed) as unknown:
        services.ticket_transition(ticket=ticket, by=agent, action="teleport")
    with pytest.raises(TransitionNotAllowed) as wrong_state:
        services.ticket_transition(ticket=ticket, by=agent, action="resolve", resolution="x")
    with pytest.raises(TransitionNotAllowed) as wrong_role:
        services.ticket_transition(
            ticket=ticket, by=kam, action="classify", ticket_type=ticket_type(), impact="normal"
        )

    assert {unknown.value.code, wrong_state.value.code, wrong_role.value.code} == {
        "transition_not_allowed"
    }
    assert wrong_role.value.status == 403 and wrong_state.value.status == 409
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.events.count() == 1


def test_waiting_needs_whom_and_why_and_resume_clears_it(agent):
    ticket = in_progress(agent)
    with pytest.raises(ValidationError) as exc:
        services.ticket_transition(ticket=ticket, by=agent, action="wait", waiting_on="", reason="")
    assert {"waiting_on", "reason"} <= set(exc.value.message_dict)

    ticket = services.ticket_transition(
        ticket=ticket, by=agent, action="wait", waiting_on="third_party", reason="等厂家配件"
    )
    assert (ticket.status, ticket.waiting_on) == ("waiting", "third_party")
    assert ticket.waiting_since is not None
    ticket = services.ticket_transition(ticket=ticket, by=agent, action="resume")
    assert (ticket.status, ticket.waiting_on, ticket.waiting_since) == ("in_progress", "", None)


def test_a_complaint_cannot_resolve_without_a_chosen_remedy(agent):
    ticket = in_progress(agent)
    with pytest.raises(ValidationError) as exc:
        services.ticket_transition(ticket=ticket, by=agent, action="resolve", resolution="已处理")
    assert "remedy" in exc.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_a_supervisor_decides_only_for_their_own_teams(agent, supervisor, other_team, manager):
    from rapport.staff.models import User
    from rapport.staff.tests.factories import StaffFactory

    elsewhere = StaffFactory(username="sup2", role=User.Role.SUPERVISOR, teams=[other_team])
    ticket = in_progress(agent)
    remedy = services.remedy_offer(ticket=ticket, by=agent, kind="compensation", amount="800")
    services.remedy_choose(remedy=remedy, by=agent)
    with pytest.raises(Forbidden):
        services.remedy_decide(remedy=remedy, by=elsewhere, approve=True)
    assert Remedy.objects.get(pk=remedy.pk).approval == Remedy.Approval.PENDING
    services.remedy_decide(remedy=remedy, by=manager, approve=True, comment="同意")  # any team
    assert Remedy.objects.get(pk=remedy.pk).approval == Remedy.Approval.APPROVED


def test_a_large_compensation_needs_approval_before_resolving(agent, supervisor):
    ticket = in_progress(agent)
    remedy = services.remedy_offer(ticket=ticket, by=agent, kind="compensation", amount="800")
    services.remedy_choose(remedy=remedy, by=agent)
    assert remedy.approval == Remedy.Approval.PENDING

    with pytest.raises(ValidationError):
        services.ticket_transition(ticket=ticket, by=agent, action="resolve", resolution="赔偿")
    with pytest.raises(TransitionNotAllowed):
        services.remedy_decide(remedy=remedy, by=agent, approve=True)
    services.remedy_decide(remedy=remedy, by=supervisor, approve=True, comment="同意")
    ticket = services.ticket_transition(
        ticket=ticket, by=agent, action="resolve", resolution="赔偿"
    )

    assert ticket.status == "resolved"
    assert ticket.events.filter(kind="approval", actor=supervisor).exists()


def test_a_small_remedy_needs_no_approval_unless_it_needs_resources(agent):
    ticket = in_progress(agent)
    small = services.remedy_offer(ticket=ticket, by=agent, kind="refund", amount="200")
    resources = services.remedy_offer(ticket=ticket, by=agent, kind="upgrade", needs_resources=True)
    assert small.approval == "not_needed" and resources.approval == "pending"


@pytest.mark.parametrize("amount", ["-1", "1000000.01", "1e9", "abc", "0.001"])
def test_negative_or_absurd_compensation_is_refused(agent, amount):
    ticket = in_progress(agent)
    with pytest.raises(ValidationError) as exc:
        services.remedy_offer(ticket=ticket, by=agent, kind="compensation", amount=amount)
    assert "amount" in exc.value.message_dict
    assert not Remedy.objects.exists()


def test_rejection_needs_a_comment_and_unchooses(agent, supervisor):
    ticket = in_progress(agent)
    remedy = services.remedy_offer(ticket=ticket, by=agent, kind="compensation", amount="5000")
    services.remedy_choose(remedy=remedy, by=agent)
    with pytest.raises(ValidationError):
        services.remedy_decide(remedy=remedy, by=supervisor, approve=False, comment="")
    remedy = services.remedy_decide(remedy=remedy, by=supervisor, approve=False, comment="金额过高")
    assert (remedy.approval, remedy.is_chosen) == ("rejected", False)
    with pytest.raises(Conflict):
        services.remedy_decide(remedy=remedy, by=supervisor, approve=True)


def test_close_asks_for_satisfaction_and_creates_a_revisit_task(agent):
    ticket = resolved(agent)
    with pytest.raises(ValidationError):
        services.ticket_transition(ticket=ticket, by=agent, action="close")

    ticket = services.ticket_transition(ticket=ticket, by=agent, action="close", satisfaction="yes")

    assert (ticket.status, ticket.is_open, ticket.satisfaction) == ("closed", False, "yes")
    task = FollowUpTask.objects.get(title__contains=ticket.number)
    assert task.assignee == agent
    assert task.due_at > timezone.now() + timedelta(days=2)


def test_reopen_brings_a_closed_ticket_back(agent):
    ticket = resolved(agent)
    ticket = services.ticket_transition(ticket=ticket, by=agent, action="close", satisfaction="no")
    with pytest.raises(ValidationError):
        services.ticket_transition(ticket=ticket, by=agent, action="reopen", reason="")
    ticket = services.ticket_transition(ticket=ticket, by=agent, action="reopen", reason="又坏了")
    ticket = services.ticket_transition(ticket=ticket, by=agent, action="start")
    assert (ticket.status, ticket.reopened_count, ticket.closed_at) == ("in_progress", 1, None)


def test_a_closed_ticket_refuses_everything_but_reopen_and_archive(agent):
    ticket = services.ticket_transition(
        ticket=resolved(agent), by=agent, action="close", satisfaction="yes"
    )
    for call in (
        lambda: services.ticket_note(ticket=ticket, by=agent, body="x"),
        lambda: services.ticket_flag_upset(ticket=ticket, by=agent),
        lambda: services.ticket_update(ticket=ticket, by=agent, subject="改"),
    ):
        with pytest.raises(TransitionNotAllowed):
            call()
    services.ticket_archive(
        ticket=ticket, by=agent, problem="空调", cause="冷媒泄漏", remedy="更换"
    )
    assert ticket.lesson.cause == "冷媒泄漏"


def test_auto_close_claims_each_row_once(agent):
    ticket = resolved(agent)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=8))
    fresh = resolved(agent)

    first = services.tickets_auto_close_due()
    second = services.tickets_auto_close_due()

    ticket.refresh_from_db()
    fresh.refresh_from_db()
    assert (first, second) == (1, 0)
    assert (ticket.status, ticket.satisfaction) == ("closed", "no_answer")
    assert fresh.status == "resolved"
    assert ticket.events.filter(action="auto_close", actor__isnull=True).count() == 1
    assert FollowUpTask.objects.filter(title__contains=ticket.number).count() == 1


def test_the_periodic_job_is_registered():
    from rapport.core.periodic import registered_jobs
    from rapport.tickets import periodic  # noqa: F401

    assert "tickets.auto_close" in registered_jobs()


def test_assigning_keeps_the_first_responder_and_gives_them_a_check_back(agent, specialist):
    ticket = in_progress(agent)

    services.ticket_assign(ticket=ticket, by=agent, to_staff=specialist, reason="需要技术判断")

    ticket.refresh_from_db()
    assert (ticket.first_responder, ticket.assignee) == (agent, specialist)
    assert FollowUpTask.objects.filter(assignee=agent, title__contains=ticket.number).exists()


def test_escalate_hands_to_a_supervisor_of_the_team(agent, supervisor):
    ticket = in_progress(agent)
    services.ticket_flag_upset(ticket=ticket, by=agent)
    ticket = services.ticket_escalate(ticket=ticket, by=agent, reason="客户情绪激动")
    assert ticket.assignee == supervisor and ticket.customer_upset
    assert ticket.first_responder == agent


def test_reply_is_recorded_as_an_outbound_interaction(agent):
    ticket = open_ticket(agent)
    event = services.ticket_reply(
        ticket=ticket, by=agent, body="感谢您的反馈,我很抱歉……", channel="phone"
    )
    interaction = Interaction.objects.get(pk=event.data["interaction_id"])
    assert (interaction.direction, interaction.customer_id, event.is_public) == (
        "outbound",
        ticket.customer_id,
        True,
    )


def test_priority_override_needs_a_reason_and_the_right(agent, supervisor):
    ticket = open_ticket(agent)
    with pytest.raises(TransitionNotAllowed):
        services.ticket_prioritise(ticket=ticket, by=agent, priority=4, reason="安全")
    with pytest.raises(ValidationError):
        services.ticket_prioritise(ticket=ticket, by=supervisor, priority=4, reason="")
    ticket = services.ticket_prioritise(ticket=ticket, by=supervisor, priority=4, reason="涉及刹车")
    assert (ticket.priority, ticket.priority_overridden) == (4, True)
    assert ticket.events.filter(kind="priority", body="涉及刹车").exists()


def test_partner_and_cannot_meet_are_recorded(agent):
    ticket = in_progress(agent)
    services.ticket_partner(
        ticket=ticket, by=agent, partner_name="安达物流", partner_contact="400-800-1234"
    )
    services.ticket_cannot_meet(ticket=ticket, by=agent, reason="resources", note="需额外工时")
    remedy = services.remedy_offer(ticket=ticket, by=agent, kind="upgrade")
    ticket.refresh_from_db()
    assert ticket.partner_contact == "400-800-1234" and ticket.cannot_meet == "resources"
    assert remedy.approval == "pending"


def test_investigation_and_improvement(agent, manager, team):
    ticket = in_progress(agent)
    investigation = services.investigation_request(
        ticket=ticket,
        by=agent,
        team=team,
        question="查维修记录",
        due_at=timezone.now() + timedelta(days=1),
    )
    services.investigation_answer(investigation=investigation, by=agent, finding="上次未更换滤芯")
    with pytest.raises(Conflict):
        services.investigation_answer(investigation=investigation, by=agent, finding="again")
    improvement = services.improvement_add(
        ticket=ticket,
        by=agent,
        kind="training",
        description="技师复训空调检修流程",
        owner=manager,
        due_on=timezone.localdate() + timedelta(days=14),
    )
    with pytest.raises(Forbidden):
        services.improvement_complete(improvement=improvement, by=agent)
    services.improvement_complete(improvement=improvement, by=manager)
    assert ImprovementAction.objects.get().status == "done"


def test_the_customer_words_are_never_edited(agent):
    ticket = open_ticket(agent)
    with pytest.raises(ValidationError):
        services.ticket_update(ticket=ticket, by=agent, customer_words="改写")
    ticket = services.ticket_update(ticket=ticket, by=agent, occurred_where="上海店")
    assert ticket.events.filter(kind="edited").exists()


def test_public_submission_matches_by_phone_and_a_replay_creates_nothing(db):
    customer = CustomerFactory(phone="13800138000")
    data = intake()
    kwargs = {
        "name": "张先生",
        "phone": "138 0013 8000",
        "email": "",
        "description": data["description"],
        "customer_words": data["customer_words"],
        "occurred_at": data["occurred_at"],
        "occurred_where": data["occurred_where"],
    }

    ticket, created = services.ticket_create_public(submission_key="k1", **kwargs)
    again, created_again = services.ticket_create_public(submission_key="k1", **kwargs)

    assert (created, created_again, again.pk) == (True, False, ticket.pk)
    assert ticket.customer == customer and ticket.first_responder is None
    assert Ticket.objects.count() == 1


def test_public_submission_from_a_stranger_creates_a_potential_customer(db):
    ticket, _ = services.ticket_create_public(
        submission_key="k2",
        name="新客户",
        phone="",
        email="new@example.cn",
        description="x",
        customer_words="x",
        occurred_at=timezone.now(),
        occurred_where="网上",
    )
    assert ticket.customer.tier == "potential" and ticket.customer.lifecycle_stage == "potential"


def test_a_refused_public_submission_leaves_no_customer(db):
    with pytest.raises(ValidationError):
        services.ticket_create_public(
            submission_key="k3",
            name="新客户",
            phone="12",
            email="",
            description="x",
            customer_words="x",
            occurred_at=timezone.now(),
            occurred_where="网上",
        )
    assert not Customer.objects.exists()


def test_the_first_staff_action_on_a_public_ticket_makes_them_first_responder(agent, specialist):
    ticket, _ = services.ticket_create_public(
        submission_key="k4",
        name="王女士",
        phone="13900001111",
        email="",
        description="x",
        customer_words="x",
        occurred_at=timezone.now(),
        occurred_where="网上",
    )
    services.ticket_note(ticket=ticket, by=agent, body="已致电客户")
    services.ticket_note(ticket=ticket, by=specialist, body="技术意见")
    ticket.refresh_from_db()
    assert ticket.first_responder == agent and ticket.assignee == agent


def test_settings_default_threshold_is_500():
    assert TicketSettings.current().approval_threshold == Decimal("500")
