"""New conversations routed to an agent; unclaimed ones escalated to the supervisors once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.models import Conversation
from rapport.channels.services.assignment import conversations_escalate_unassigned
from rapport.channels.tests.helpers import mail, receive
from rapport.interactions.models import AgentRouting, TeamRouting
from rapport.interactions.services import agent_status_set
from rapport.notifications.models import Notification
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_new_conversation_goes_to_an_available_agent_with_the_channel_skill(
    account, customer, agent, team
):
    wechat_only = StaffFactory(username="wechat_only", teams=[team])
    AgentRouting.objects.create(user=wechat_only, skills=["wechat"])
    TeamRouting.objects.create(team=team, strategy="least_loaded")
    agent_status_set(staff=agent, status="available")
    agent_status_set(staff=wechat_only, status="available")

    inbound = receive(account, mail())

    conversation = Conversation.objects.get(pk=inbound.conversation_id)
    assert (conversation.state, conversation.claimed_by) == ("claimed", agent)
    n = Notification.objects.get(kind="conversation_assigned")
    assert n.recipient == agent and n.url == f"/inbox/{conversation.pk}/"


def test_a_manual_team_leaves_the_conversation_in_the_inbox(account, customer, agent, team):
    TeamRouting.objects.create(team=team, strategy="manual")
    agent_status_set(staff=agent, status="available")
    inbound = receive(account, mail())
    assert Conversation.objects.get(pk=inbound.conversation_id).state == "unassigned"
    assert not Notification.objects.exists()


def test_an_unclaimed_conversation_past_the_teams_time_is_escalated_once(
    account, customer, agent, supervisor, team
):
    TeamRouting.objects.create(team=team, strategy="manual", escalate_after_minutes=10)
    inbound = receive(account, mail())
    now = timezone.now() + timedelta(minutes=11)

    assert conversations_escalate_unassigned(now=now - timedelta(minutes=2)) == 0
    assert conversations_escalate_unassigned(now=now) == 1
    assert conversations_escalate_unassigned(now=now) == 0

    n = Notification.objects.get(kind="unassigned_escalated")
    assert n.recipient == supervisor and n.url == f"/inbox/{inbound.conversation_id}/"
