from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.care import services
from rapport.care.models import Program, Segment
from rapport.care.segments import segment_clean, segment_customers
from rapport.core.errors import Forbidden
from rapport.customers.models import Asset, Tag
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_unknown_segment_conditions_are_refused_by_name():
    with pytest.raises(ValidationError) as exc:
        segment_clean({"tier": ["vip"], "shoe_size": 42, "stage": ["sleepy"]})
    assert set(exc.value.message_dict) == {"shoe_size", "stage"}


def test_a_segment_matching_everyone_needs_confirmation(supervisor):
    with pytest.raises(ValidationError) as exc:
        services.segment_create(by=supervisor, name="所有人", definition={})
    assert "confirm_everyone" in exc.value.message_dict
    assert not Segment.objects.filter(name="所有人").exists()
    segment = services.segment_create(
        by=supervisor, name="所有人", definition={}, confirm_everyone=True
    )
    assert segment.everyone_confirmed


def test_a_representative_cannot_create_segments(agent):
    with pytest.raises(Forbidden):
        services.segment_create(by=agent, name="x", definition={"tier": ["vip"]})


def test_segment_conditions_combine(supervisor):
    tag = Tag.objects.create(name="车主俱乐部")
    match = CustomerFactory(tier="vip", city="北京")
    match.tags.add(tag)
    Asset.objects.create(customer=match, kind="vehicle", name="帕萨特", model="帕萨特 2024")
    CustomerFactory(tier="vip", city="上海")
    other = CustomerFactory(tier="regular", city="北京")
    other.tags.add(tag)
    definition = segment_clean(
        {
            "tier": ["vip"],
            "city": "北京",
            "tags": ["车主俱乐部"],
            "asset_model": "帕萨特",
            "open_tickets": False,
        }
    )
    assert list(segment_customers(definition)) == [match]


def _program(**overrides):
    fields = dict(
        name="续保",
        trigger="policy_expiry",
        offset_days=-30,
        action="call",
        script_text="您好{customer_name}",
        starts_on=timezone.localdate(),
    )
    fields.update(overrides)
    return fields


def test_activation_names_what_is_missing(supervisor, everyone):
    program = services.program_create(by=supervisor, **_program(segment=everyone))
    with pytest.raises(ValidationError) as exc:
        services.program_activate(program=program, by=supervisor)
    assert "team" in exc.value.message_dict
    program.refresh_from_db()
    assert program.status == "draft"


def test_a_template_with_unknown_variables_is_refused(supervisor, everyone, team):
    from rapport.channels.models import MessageTemplate

    MessageTemplate.objects.create(code="bad", name="坏", body_zh="{{ coupon_code }}", body_en="x")
    program = services.program_create(
        by=supervisor,
        **_program(segment=everyone, team=team, action="message", template_code="bad"),
    )
    with pytest.raises(ValidationError) as exc:
        services.program_activate(program=program, by=supervisor)
    assert "coupon_code" in exc.value.message_dict["template_code"][0]


def test_an_offset_before_the_program_starts_is_refused(supervisor, everyone, team):
    today = timezone.localdate()
    program = services.program_create(
        by=supervisor,
        **_program(
            segment=everyone,
            team=team,
            trigger="once",
            schedule_on=today + timedelta(days=3),
            offset_days=-10,
        ),
    )
    with pytest.raises(ValidationError) as exc:
        services.program_activate(program=program, by=supervisor)
    assert "offset_days" in exc.value.message_dict


def test_a_script_with_unknown_variables_is_refused(supervisor, everyone, team):
    program = services.program_create(
        by=supervisor, **_program(segment=everyone, team=team, script_text="{price}")
    )
    with pytest.raises(ValidationError) as exc:
        services.program_activate(program=program, by=supervisor)
    assert "script_text" in exc.value.message_dict


def test_editing_a_running_program_bumps_its_version_and_is_checked(supervisor, everyone, team):
    program = services.program_create(by=supervisor, **_program(segment=everyone, team=team))
    services.program_activate(program=program, by=supervisor)
    program = services.program_update(program=program, by=supervisor, holdout_percent=20)
    assert (program.version, program.holdout_percent) == (2, 20)
    with pytest.raises(ValidationError):
        services.program_update(program=program, by=supervisor, script_text="")
    program.refresh_from_db()
    assert program.script_text == "您好{customer_name}" and program.version == 2


def test_ready_made_programs_ship_as_drafts():
    names = set(Program.objects.filter(status="draft").values_list("name", flat=True))
    assert {
        "保险续保提醒",
        "保养到期提醒",
        "生日问候",
        "春节问候",
        "中秋问候",
        "服务后三天回访",
        "预约提醒（提前两天）",
        "流失风险客户回访",
    } <= names


def test_a_ready_made_draft_activates_once_a_team_is_chosen(supervisor, team):
    program = Program.objects.get(name="保险续保提醒")
    services.program_update(program=program, by=supervisor, team=team)
    assert services.program_activate(program=program, by=supervisor).status == "active"


def test_a_call_outcome_is_checked(renewal_program, agent):
    from rapport.care.engine import care_evaluate, care_execute_due
    from rapport.care.models import CareTask

    from .conftest import policy_customer

    policy_customer(timezone.localdate() + timedelta(days=30))
    care_evaluate()
    care_execute_due()
    task = CareTask.objects.get()
    with pytest.raises(ValidationError) as exc:
        services.task_record(task=task, by=agent, reached=False, booked=True)
    assert "reached" in exc.value.message_dict
    services.task_record(task=task, by=agent, reached=True, booked=True)
    task.refresh_from_db()
    assert task.state == "done" and task.booked
