"""Conversations over HTTP: list, read, claim (one wins), reply, convert."""

import json

import pytest

from rapport.channels.models import ChannelAccount, Conversation, OutboxMessage
from rapport.customers.services import IdentityInput, customer_create
from rapport.tickets.models import Ticket
from rapport.tickets.tests.test_messaging import receive

EMAIL = "zhang.wei@example.cn"


@pytest.fixture
def account(team):
    return ChannelAccount.objects.create(
        kind="email",
        name="客服邮箱",
        address="service@ruitai.example.cn",
        default_team=team,
        provider=ChannelAccount.Provider.FAKE,
        is_default=True,
    )


@pytest.fixture
def conversation(agent, team, account):
    customer_create(
        by=agent, name="张伟", identities=[IdentityInput("email", EMAIL)], service_team=team
    )
    return Conversation.objects.get(
        pk=receive(account, subject="咨询", body="几点营业?").conversation_id
    )


def test_list_and_read(api_client, agent, conversation):
    client = api_client(agent)
    listed = client.get("/api/v1/conversations").json()
    assert [c["id"] for c in listed["results"]] == [conversation.pk]
    read = client.get(f"/api/v1/conversations/{conversation.pk}").json()
    assert read["messages"][0]["reply_text"].startswith("几点营业")


def test_claim_twice_the_second_is_told(api_client, agent, supervisor, conversation):
    first = api_client(agent).post(f"/api/v1/conversations/{conversation.pk}/claim")
    second = api_client(supervisor).post(f"/api/v1/conversations/{conversation.pk}/claim")
    assert first.status_code == 200 and first.json()["claimed_by_id"] == agent.pk
    assert second.status_code == 409 and second.json()["code"]


def test_reply_and_convert(api_client, agent, conversation):
    client = api_client(agent)
    reply = client.post(
        f"/api/v1/conversations/{conversation.pk}/reply",
        json.dumps({"body": "九点开门。"}),
        content_type="application/json",
    )
    assert reply.status_code == 201
    assert OutboxMessage.objects.get(pk=reply.json()["outbox_id"]).body == "九点开门。"
    converted = client.post(
        f"/api/v1/conversations/{conversation.pk}/convert",
        json.dumps({"kind": "inquiry"}),
        content_type="application/json",
    )
    assert converted.status_code == 201
    ticket = Ticket.objects.get(pk=converted.json()["ticket_id"])
    assert ticket.kind == "inquiry" and ticket.customer_words.startswith("几点营业")


def test_other_team_gets_404(api_client, other_team_agent, conversation):
    response = api_client(other_team_agent).get(f"/api/v1/conversations/{conversation.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_key_account_managers_have_no_inbox(api_client, kam, conversation):
    assert api_client(kam).get("/api/v1/conversations").status_code == 403
