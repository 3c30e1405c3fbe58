"""pick_agent: status, cap, skills and the team's strategy (rapport.interactions.routing)."""

import pytest
from django.core.exceptions import ValidationError

from rapport.interactions import routing
from rapport.interactions.models import AgentRouting, TeamRouting
from rapport.interactions.services import agent_status_set
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def loads(monkeypatch):
    """Open items per agent as the test sets them, instead of the registered counters."""
    table: dict[int, int] = {}
    monkeypatch.setattr(routing, "_counters", [lambda ids: {i: table.get(i, 0) for i in ids}])
    return table


@pytest.fixture
def agents(team):
    people = [
        StaffFactory(username=f"rep{n}", role=User.Role.REPRESENTATIVE, teams=[team])
        for n in range(3)
    ]
    for person in people:
        agent_status_set(staff=person, status="available")
    return people


def routed(team, strategy, cap=10) -> TeamRouting:
    return TeamRouting.objects.create(team=team, strategy=strategy, cap=cap)


def test_a_manual_team_or_one_without_routing_picks_nobody(team, agents, loads):
    assert routing.pick_agent(team=team) is None
    routed(team, "manual")
    assert routing.pick_agent(team=team) is None
    assert routing.pick_agent(team=None) is None


def test_a_manual_team_costs_no_query_and_a_switch_in_this_process_is_seen_at_once(
    team, agents, loads, django_assert_num_queries
):
    setting = routed(team, "manual")
    assert routing.pick_agent(team=team) is None  # reads which teams route their work
    with django_assert_num_queries(0):
        assert routing.pick_agent(team=team) is None
    setting.strategy = "least_loaded"
    setting.save()  # forgets the teams kept per process
    assert routing.pick_agent(team=team) == agents[0]
    setting.delete()
    assert routing.pick_agent(team=team) is None


def test_least_loaded_picks_the_agent_with_fewest_open_items(team, agents, loads):
    routed(team, "least_loaded")
    loads.update({agents[0].pk: 3, agents[1].pk: 1, agents[2].pk: 2})
    assert routing.pick_agent(team=team) == agents[1]
    loads[agents[1].pk] = 5
    assert routing.pick_agent(team=team) == agents[2]


def test_only_available_or_in_contact_agents_receive_work(team, agents, loads):
    routed(team, "least_loaded")
    agent_status_set(staff=agents[0], status="break")
    agent_status_set(staff=agents[1], status="in_contact")
    agent_status_set(staff=agents[2], status="offline")
    assert routing.pick_agent(team=team) == agents[1]
    agent_status_set(staff=agents[1], status="after_contact_work")
    assert routing.pick_agent(team=team) is None


def test_an_agent_without_any_status_or_deactivated_or_a_supervisor_gets_nothing(
    team, supervisor, loads
):
    routed(team, "least_loaded")
    StaffFactory(username="never_signed_in", teams=[team])
    gone = StaffFactory(username="gone", teams=[team], is_active=False)
    agent_status_set(staff=gone, status="available")
    agent_status_set(staff=supervisor, status="available")
    assert routing.pick_agent(team=team) is None


def test_the_cap_of_the_team_and_the_agents_own_cap_are_respected(team, agents, loads):
    routed(team, "least_loaded", cap=2)
    loads.update({agents[0].pk: 2, agents[1].pk: 2, agents[2].pk: 1})
    AgentRouting.objects.create(user=agents[2], cap=1)
    assert routing.pick_agent(team=team) is None
    AgentRouting.objects.filter(user=agents[2]).update(cap=5)
    assert routing.pick_agent(team=team) == agents[2]


def test_skills_keep_work_with_those_who_handle_it(team, agents, loads):
    routed(team, "least_loaded")
    loads.update({agents[0].pk: 0, agents[1].pk: 1, agents[2].pk: 2})
    AgentRouting.objects.create(user=agents[0], skills=["wechat"])
    AgentRouting.objects.create(user=agents[1], skills=["email", "billing"])
    assert routing.pick_agent(team=team, skill="email") == agents[1]
    assert routing.pick_agent(team=team, skill="sms") == agents[2]  # no skills: everything
    assert routing.pick_agent(team=team, skill="") == agents[0]  # no skill asked: anyone


def test_round_robin_takes_turns_and_skips_who_cannot_take_work(team, agents, loads):
    routed(team, "round_robin")
    picked = [routing.pick_agent(team=team) for _ in range(4)]
    assert picked == [agents[0], agents[1], agents[2], agents[0]]
    agent_status_set(staff=agents[1], status="break")
    assert routing.pick_agent(team=team) == agents[2]


def test_excluded_agents_are_passed_over(team, agents, loads):
    routed(team, "least_loaded")
    assert routing.pick_agent(team=team, exclude_ids=[agents[0].pk]) == agents[1]


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"cap": 0}, "__all__"), ({"escalate_after_minutes": 20000}, "__all__")],
)
def test_a_bad_team_setting_is_refused(team, fields, field):
    setting = TeamRouting(team=team, **fields)
    with pytest.raises(ValidationError) as refused:
        setting.full_clean()
    assert field in refused.value.message_dict
    assert not TeamRouting.objects.exists()


def test_the_admin_refuses_a_cap_below_one_and_saves_nothing(team, admin_user, as_user):
    client = as_user(admin_user)
    response = client.post(
        "/admin/interactions/teamrouting/add/",
        {"team": team.pk, "strategy": "least_loaded", "cap": "0", "escalate_after_minutes": "0"},
    )
    assert response.status_code == 200
    assert not TeamRouting.objects.exists()
    assert "errornote" in response.content.decode()


def test_the_admin_offers_ticket_types_and_channels_as_skills(agent, admin_user, as_user):
    client = as_user(admin_user)
    page = client.get("/admin/interactions/agentrouting/add/").content.decode()
    assert 'value="product_quality"' in page and 'value="wechat"' in page

    response = client.post(
        "/admin/interactions/agentrouting/add/",
        {"user": agent.pk, "cap": "3", "skills": ["wechat", "email"]},
    )

    assert response.status_code == 302
    assert AgentRouting.objects.get(user=agent).skills == ["email", "wechat"]


def test_the_admin_refuses_an_unknown_skill(agent, admin_user, as_user):
    response = as_user(admin_user).post(
        "/admin/interactions/agentrouting/add/", {"user": agent.pk, "skills": ["flying"]}
    )
    assert response.status_code == 200 and not AgentRouting.objects.exists()
