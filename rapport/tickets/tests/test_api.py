import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.tickets.models import Remedy, Ticket
from rapport.tickets.tests.factories import in_progress, open_ticket, ticket_type

pytestmark = pytest.mark.django_db


def _post(client, url, body, **headers):
    return client.post(
        url, json.dumps(body, default=str), content_type="application/json", headers=headers
    )


def _payload(customer, **overrides):
    data = {
        "customer_id": customer.pk,
        "description": "客户投诉发票抬头错误",
        "customer_words": "发票开错了,公司报销不了!",
        "contact_name": "赵经理",
        "contact_email": "zhao@example.cn",
        "occurred_at": (timezone.now() - timedelta(days=2)).isoformat(),
        "occurred_where": "财务窗口",
    }
    data.update(overrides)
    return data


def test_create_with_an_idempotency_key_creates_once(agent, api_client):
    client = api_client(agent)
    body = _payload(CustomerFactory())

    first = _post(client, "/api/v1/tickets", body, **{"Idempotency-Key": "abc"})
    again = _post(client, "/api/v1/tickets", body, **{"Idempotency-Key": "abc"})
    other = _post(
        client, "/api/v1/tickets", {**body, "subject": "别的"}, **{"Idempotency-Key": "abc"}
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1
    assert first.json()["allowed_actions"][0] == "classify"


def test_create_without_the_customer_words_names_the_field(agent, api_client):
    response = _post(
        api_client(agent), "/api/v1/tickets", _payload(CustomerFactory(), customer_words="")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_words"
    assert not Ticket.objects.exists()


def test_transitions_through_the_whole_process(agent, supervisor, api_client):
    client = api_client(agent)
    ticket = open_ticket(agent)
    url = f"/api/v1/tickets/{ticket.pk}/transitions"

    steps = [
        {"action": "classify", "ticket_type_id": ticket_type("billing").pk, "impact": "normal"},
        {"action": "start"},
        {"action": "wait", "waiting_on": "customer", "reason": "等客户提供发票原件"},
        {"action": "resume"},
    ]
    for step in steps:
        response = _post(client, url, step)
        assert response.status_code == 200, response.content
    remedy = _post(
        client, f"/api/v1/tickets/{ticket.pk}/remedies", {"kind": "compensation", "amount": "600"}
    )
    assert remedy.status_code == 201 and remedy.json()["approval"] == "pending"
    rid = remedy.json()["id"]
    assert _post(client, f"/api/v1/tickets/remedies/{rid}/choose", {}).status_code == 200
    refused = _post(client, f"/api/v1/tickets/remedies/{rid}/approval", {"decision": "approve"})
    assert refused.status_code == 403 and refused.json()["code"] == "transition_not_allowed"
    approved = _post(
        api_client(supervisor), f"/api/v1/tickets/remedies/{rid}/approval", {"decision": "approve"}
    )
    assert approved.json()["approval"] == "approved"
    assert (
        _post(client, url, {"action": "resolve", "resolution": "重开发票并补偿"}).status_code == 200
    )
    closed = _post(client, url, {"action": "close", "satisfaction": "yes"})
    assert closed.json()["status"] == "closed" and closed.json()["allowed_actions"] == [
        "reopen",
        "archive",
    ]
    events = client.get(f"/api/v1/tickets/{ticket.pk}/events").json()
    assert [e["action"] for e in events if e["kind"] == "transition"] == [
        "classify",
        "start",
        "wait",
        "resume",
        "resolve",
        "close",
    ]


@pytest.mark.parametrize("action", ["teleport", "close", "decide_remedy"])
def test_unknown_or_disallowed_transition_is_refused(agent, api_client, action):
    ticket = open_ticket(agent)
    response = _post(
        api_client(agent), f"/api/v1/tickets/{ticket.pk}/transitions", {"action": action}
    )
    assert response.status_code in (403, 409)
    assert response.json()["code"] == "transition_not_allowed"
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.events.count() == 1


@pytest.mark.parametrize("amount", ["-10", "1000001", "99999999999"])
def test_absurd_compensation_is_refused(agent, api_client, amount):
    ticket = in_progress(agent)
    response = _post(
        api_client(agent),
        f"/api/v1/tickets/{ticket.pk}/remedies",
        {"kind": "compensation", "amount": amount},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "amount"
    assert not Remedy.objects.exists()


def test_list_filters_and_patch(agent, api_client):
    client = api_client(agent)
    a = open_ticket(agent, kind="inquiry")
    open_ticket(agent)
    listed = client.get("/api/v1/tickets?queue=mine&kind=inquiry").json()
    assert [r["id"] for r in listed["results"]] == [a.pk] and listed["count"] == 1
    patched = client.patch(
        f"/api/v1/tickets/{a.pk}",
        json.dumps({"occurred_where": "4S店前台"}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["occurred_where"] == "4S店前台"
    refused = client.patch(
        f"/api/v1/tickets/{a.pk}",
        json.dumps({"customer_words": "改"}),
        content_type="application/json",
    )
    assert refused.status_code == 422


def test_another_teams_ticket_is_404(agent, other_team_agent, api_client):
    ticket = open_ticket(agent)
    assert api_client(other_team_agent).get(f"/api/v1/tickets/{ticket.pk}").status_code == 404


def test_improvements_over_the_api(agent, manager, api_client):
    ticket = in_progress(agent)
    created = _post(
        api_client(agent),
        f"/api/v1/tickets/{ticket.pk}/improvements",
        {
            "kind": "training",
            "description": "服务礼仪培训",
            "owner_id": manager.pk,
            "due_on": str(timezone.localdate() + timedelta(days=10)),
        },
    )
    assert created.status_code == 201
    listed = api_client(manager).get("/api/v1/tickets/improvements").json()
    assert listed["count"] == 1
    done = _post(
        api_client(manager), f"/api/v1/tickets/improvements/{created.json()['id']}/complete", {}
    )
    assert done.json()["status"] == "done"
