"""The outbox, templates and channel accounts over HTTP."""

import json

import pytest

from rapport.channels.models import ChannelAccount, OutboxMessage
from rapport.customers.services import IdentityInput, customer_create


@pytest.fixture
def customer(agent, team):
    return customer_create(
        by=agent,
        name="王芳",
        identities=[IdentityInput("email", "wang.fang@example.cn")],
        service_team=team,
    )


def post(client, payload, key="k-1"):
    return client.post(
        "/api/v1/outbox",
        json.dumps(payload),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_create_is_idempotent_per_key_and_refuses_a_reused_key(api_client, agent, customer):
    client = api_client(agent)
    payload = {"customer_id": customer.pk, "subject": "保养提醒", "body": "您的车该保养了。"}

    first, replay = post(client, payload), post(client, payload)
    other = post(client, {**payload, "body": "另一条"})

    assert (first.status_code, replay.status_code) == (201, 200)
    assert first.json()["id"] == replay.json()["id"]
    assert first.json()["state"] == "queued"
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert OutboxMessage.objects.count() == 1


def test_create_needs_the_idempotency_key(api_client, agent, customer):
    response = api_client(agent).post(
        "/api/v1/outbox",
        json.dumps({"customer_id": customer.pk, "body": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 422 and not OutboxMessage.objects.exists()


def test_an_unknown_customer_is_a_field_error(api_client, agent):
    response = post(api_client(agent), {"customer_id": 999999, "body": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_id"


def test_marketing_needs_a_lead(api_client, agent, supervisor, customer):
    payload = {"customer_id": customer.pk, "purpose": "marketing", "body": "新车到店"}
    assert post(api_client(agent), payload).status_code == 403
    assert post(api_client(supervisor), payload, key="k-2").status_code == 201


def test_read_shows_the_state_and_hides_others_messages(
    api_client, agent, other_team_agent, customer
):
    created = post(api_client(agent), {"customer_id": customer.pk, "body": "您好"}).json()
    mine = api_client(agent).get(f"/api/v1/outbox/{created['id']}")
    theirs = api_client(other_team_agent).get(f"/api/v1/outbox/{created['id']}")
    assert mine.status_code == 200 and mine.json()["state"] == "queued"
    assert theirs.status_code == 404


def test_channel_accounts_never_return_secrets(api_client, admin_user, team):
    account = ChannelAccount(
        kind="email", name="客服邮箱", address="service@example.cn", default_team=team
    )
    account.set_secrets({"imap_password": "授权码-abc123"})
    account.save()
    response = api_client(admin_user).get(f"/api/v1/channel-accounts/{account.pk}")
    assert response.status_code == 200
    assert response.json()["has_secrets"] is True
    assert "abc123" not in response.content.decode()
    assert "secrets" not in response.json()


def test_templates_are_listed(api_client, agent):
    response = api_client(agent).get("/api/v1/message-templates")
    assert response.status_code == 200 and "results" in response.json()


def test_every_status_code_is_documented(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/outbox", "/api/v1/conversations/{conversation_id}/claim"):
        for operation in schema["paths"][path].values():
            assert {"401", "403", "422"} <= set(operation["responses"])
