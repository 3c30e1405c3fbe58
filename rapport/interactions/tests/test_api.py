import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    IdempotencyRecord,
    Interaction,
    InteractionRevision,
    Transfer,
)
from rapport.interactions.tests.factories import FollowUpTaskFactory, InteractionFactory
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
API = "/api/v1"


def post(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def _payload(customer, **overrides):
    data = {
        "customer_id": customer.pk,
        "channel": "phone",
        "direction": "inbound",
        "purpose": "complaint",
        "summary": "客户投诉等待时间过长",
        "duration_seconds": 240,
    }
    data.update(overrides)
    return data


def test_create_interaction(agent, api_client):
    customer = CustomerFactory()

    response = post(api_client(agent), f"{API}/interactions", _payload(customer))

    assert response.status_code == 201
    body = response.json()
    assert body["customer_id"] == customer.pk
    assert body["purpose"] == "complaint"
    assert body["first_responder_id"] == agent.pk == body["staff_id"]
    assert Interaction.objects.count() == 1


def test_create_with_follow_up_assigns_the_caller_by_default(agent, api_client):
    due = (timezone.now() + timedelta(days=1)).isoformat()

    response = post(
        api_client(agent),
        f"{API}/interactions",
        _payload(CustomerFactory(), follow_up={"title": "回电", "due_at": due}),
    )

    assert response.status_code == 201
    assert FollowUpTask.objects.get().assignee == agent


def test_retry_with_the_same_idempotency_key_returns_the_first_result(agent, api_client):
    client = api_client(agent)
    payload = _payload(CustomerFactory())

    first = post(client, f"{API}/interactions", payload, **{"Idempotency-Key": "call-42"})
    second = post(client, f"{API}/interactions", payload, **{"Idempotency-Key": "call-42"})

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Interaction.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_same_key_with_another_body_is_refused(agent, api_client):
    client = api_client(agent)
    customer = CustomerFactory()
    post(client, f"{API}/interactions", _payload(customer), **{"Idempotency-Key": "k1"})

    response = post(
        client,
        f"{API}/interactions",
        _payload(customer, summary="另一件事"),
        **{"Idempotency-Key": "k1"},
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Interaction.objects.count() == 1


def test_keys_are_per_user(agent, other_team_agent, api_client):
    payload = _payload(CustomerFactory())

    post(api_client(agent), f"{API}/interactions", payload, **{"Idempotency-Key": "same"})
    post(
        api_client(other_team_agent), f"{API}/interactions", payload, **{"Idempotency-Key": "same"}
    )

    assert Interaction.objects.count() == 2


def test_a_refused_request_can_be_retried_with_the_same_key(agent, api_client):
    client = api_client(agent)
    customer = CustomerFactory()
    bad = post(
        client,
        f"{API}/interactions",
        _payload(customer, duration_seconds=-1),
        **{"Idempotency-Key": "r"},
    )

    good = post(client, f"{API}/interactions", _payload(customer), **{"Idempotency-Key": "r2"})

    assert bad.status_code == 422
    assert good.status_code == 201
    assert not IdempotencyRecord.objects.filter(key="r").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer_id": 999999}, "customer_id"),
        ({"duration_seconds": -30}, "duration_seconds"),
        ({"started_at": "2099-01-01T00:00:00+08:00"}, "started_at"),
        ({"purpose": "gossip"}, "purpose"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_saves_nothing(agent, api_client, overrides, field):
    response = post(
        api_client(agent), f"{API}/interactions", _payload(CustomerFactory(), **overrides)
    )

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in [e["field"] for e in body["errors"]]
    assert not Interaction.objects.exists()


def test_follow_up_due_in_the_past_leaves_nothing(agent, api_client):
    past = (timezone.now() - timedelta(days=1)).isoformat()

    response = post(
        api_client(agent),
        f"{API}/interactions",
        _payload(CustomerFactory(), follow_up={"title": "回电", "due_at": past}),
    )

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["due_at"]
    assert not Interaction.objects.exists() and not FollowUpTask.objects.exists()


def test_list_filters_by_customer_channel_direction_staff_and_time(
    agent, other_team_agent, api_client, django_assert_num_queries
):
    customer = CustomerFactory()
    now = timezone.now()
    match = InteractionFactory(
        customer=customer,
        staff=agent,
        channel="wechat",
        direction="outbound",
        started_at=now - timedelta(days=1),
    )
    InteractionFactory(
        customer=customer, staff=agent, channel="phone", started_at=now - timedelta(days=1)
    )
    InteractionFactory(
        customer=customer, staff=other_team_agent, channel="wechat", direction="outbound"
    )
    InteractionFactory(
        customer=customer,
        staff=agent,
        channel="wechat",
        direction="outbound",
        started_at=now - timedelta(days=9),
    )
    client = api_client(agent)
    query = {
        "customer_id": customer.pk,
        "channel": "wechat",
        "direction": "outbound",
        "staff_id": agent.pk,
        "since": (now - timedelta(days=2)).isoformat(),
        "until": now.isoformat(),
    }

    # token, token touch, count, rows
    with django_assert_num_queries(4):
        response = client.get(f"{API}/interactions", query)

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [match.pk]
    assert response.json()["count"] == 1


def test_list_query_count_does_not_grow_with_rows(agent, api_client, django_assert_num_queries):
    for _ in range(30):
        InteractionFactory(staff=agent)
    client = api_client(agent)

    with django_assert_num_queries(4):
        response = client.get(f"{API}/interactions", {"limit": 30})

    assert len(response.json()["results"]) == 30


def test_read_and_correct_keep_a_revision(agent, api_client):
    interaction = InteractionFactory(staff=agent, summary="旧")
    client = api_client(agent)

    patched = client.patch(
        f"{API}/interactions/{interaction.pk}",
        json.dumps({"reason": "记录有误", "summary": "新", "purpose": "complaint"}),
        content_type="application/json",
    )
    read = client.get(f"{API}/interactions/{interaction.pk}")
    revisions = client.get(f"{API}/interactions/{interaction.pk}/revisions")

    assert patched.status_code == 200 and read.json()["summary"] == "新"
    assert read.json()["revision_count"] == 1
    assert revisions.json()[0]["before"]["summary"] == "旧"
    assert InteractionRevision.objects.count() == 1


def test_correcting_someone_elses_interaction_is_404(agent, other_team_agent, api_client):
    interaction = InteractionFactory(staff=other_team_agent)

    response = api_client(agent).patch(
        f"{API}/interactions/{interaction.pk}",
        json.dumps({"reason": "x", "summary": "y"}),
        content_type="application/json",
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_transfer_and_check_back_task(agent, specialist, api_client):
    interaction = InteractionFactory(staff=agent)
    client = api_client(agent)

    response = post(
        client,
        f"{API}/interactions/{interaction.pk}/transfers",
        {"to_staff_id": specialist.pk, "kind": "to_specialist", "reason": "需技师诊断"},
    )
    listed = client.get(f"{API}/interactions/{interaction.pk}/transfers")
    mine = client.get(f"{API}/tasks/mine")

    by_customer = client.get(
        f"{API}/interactions/transfers", {"customer_id": interaction.customer_id}
    )

    assert response.status_code == 201
    assert listed.json()[0]["to_staff_id"] == specialist.pk
    assert mine.json()["count"] == 1
    assert [t["id"] for t in by_customer.json()["results"]] == [response.json()["id"]]


@pytest.mark.parametrize("target", ["self", "inactive"])
def test_transfer_to_self_or_inactive_is_422_on_to_staff(agent, api_client, target):
    to = agent if target == "self" else StaffFactory(username="left", is_active=False)
    interaction = InteractionFactory(staff=agent)

    response = post(
        api_client(agent),
        f"{API}/interactions/{interaction.pk}/transfers",
        {"to_staff_id": to.pk, "kind": "to_specialist", "reason": "x"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "to_staff"
    assert not Transfer.objects.exists()


def test_tasks_create_complete_and_conflict(agent, api_client):
    customer = CustomerFactory()
    client = api_client(agent)
    due = (timezone.now() + timedelta(days=1)).isoformat()

    created = post(
        client, f"{API}/tasks", {"customer_id": customer.pk, "title": "回电", "due_at": due}
    )
    task_id = created.json()["id"]
    done = client.post(f"{API}/tasks/{task_id}/complete")
    again = client.post(f"{API}/tasks/{task_id}/complete")

    assert created.status_code == 201 and created.json()["assignee_id"] == agent.pk
    assert done.json()["status"] == "done" and done.json()["completed_by_id"] == agent.pk
    assert again.status_code == 409


def test_task_due_before_creation_is_422(agent, api_client):
    past = (timezone.now() - timedelta(minutes=5)).isoformat()

    response = post(
        api_client(agent),
        f"{API}/tasks",
        {"customer_id": CustomerFactory().pk, "title": "回电", "due_at": past},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "due_at"
    assert not FollowUpTask.objects.exists()


def test_someone_elses_task_is_404(agent, other_team_agent, api_client):
    task = FollowUpTaskFactory(assignee=other_team_agent)

    assert api_client(agent).get(f"{API}/tasks/{task.pk}").status_code == 404
    assert api_client(agent).post(f"{API}/tasks/{task.pk}/complete").status_code == 404


def test_agent_status_put_and_read(agent, api_client):
    client = api_client(agent)

    put = client.put(
        f"{API}/agent-status", json.dumps({"status": "break"}), content_type="application/json"
    )
    current = client.get(f"{API}/agent-status")
    history = client.get(f"{API}/agent-status/history")

    assert put.status_code == 200 and current.json()["status"] == "break"
    assert len(history.json()) == 1
    assert AgentStatusInterval.objects.get().staff == agent


def test_timeline_pages_with_a_cursor(agent, api_client, django_assert_num_queries):
    customer = CustomerFactory()
    for n in range(5):
        InteractionFactory(
            customer=customer, staff=agent, started_at=timezone.now() - timedelta(minutes=n + 1)
        )
    client = api_client(agent)
    url = f"{API}/interactions/customers/{customer.pk}/timeline"

    with django_assert_num_queries(6):  # token, token touch, customer, three kinds
        first = client.get(url, {"limit": 3}).json()
    second = client.get(url, {"limit": 3, "cursor": first["next_cursor"]}).json()

    assert [r["kind"] for r in first["results"]] == ["interaction"] * 3
    assert len(second["results"]) == 2 and second["next_cursor"] == ""


def test_measures_endpoint(supervisor, agent, api_client):
    InteractionFactory(
        staff=agent, started_at=timezone.now() - timedelta(minutes=1), escalated=True
    )
    InteractionFactory(staff=agent, started_at=timezone.now() - timedelta(minutes=2))

    body = api_client(supervisor).get(f"{API}/measures").json()
    empty = (
        api_client(supervisor)
        .get(f"{API}/measures", {"start": "2020-01-01", "end": "2020-02-01"})
        .json()
    )

    assert (body["interactions"], body["escalated"], body["empowerment"]) == (2, 1, 0.5)
    assert empty["empowerment"] is None and empty["interactions"] == 0


def test_measures_of_five_years_are_given_and_a_longer_period_is_refused_on_end(
    supervisor, api_client
):
    client = api_client(supervisor)

    five_years = client.get(f"{API}/measures", {"start": "2021-03-01", "end": "2026-03-01"})
    longer = client.get(f"{API}/measures", {"start": "2021-03-01", "end": "2026-03-02"})

    assert five_years.status_code == 200
    assert five_years.json()["start"].startswith("2021-03-01")
    assert longer.status_code == 422
    assert [(e["field"], e["message"]) for e in longer.json()["errors"]] == [
        ("end", "请选择不超过 5 年的期间。")
    ]


ALL_ROLES = ["agent", "specialist", "supervisor", "manager", "kam", "admin_user"]
LEADS = {"supervisor", "manager", "admin_user"}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(
    ("endpoint", "allowed", "refused"),
    [
        ("list", set(ALL_ROLES), 403),
        ("create", set(ALL_ROLES), 403),
        ("read", set(ALL_ROLES), 404),
        ("correct", LEADS, 404),
        ("timeline", set(ALL_ROLES), 403),
        ("tasks", set(ALL_ROLES), 403),
        ("status", set(ALL_ROLES), 403),
        ("measures", LEADS, 403),
    ],
)
def test_endpoint_permissions_for_every_role(
    request, api_client, role, endpoint, allowed, refused, other_team_agent
):
    user = request.getfixturevalue(role)
    interaction = InteractionFactory(staff=other_team_agent)
    client = api_client(user)
    calls = {
        "list": lambda: client.get(f"{API}/interactions"),
        "create": lambda: post(client, f"{API}/interactions", _payload(interaction.customer)),
        "read": lambda: client.get(f"{API}/interactions/{interaction.pk}"),
        "correct": lambda: client.patch(
            f"{API}/interactions/{interaction.pk}",
            json.dumps({"reason": "r", "summary": "s"}),
            content_type="application/json",
        ),
        "timeline": lambda: client.get(
            f"{API}/interactions/customers/{interaction.customer_id}/timeline"
        ),
        "tasks": lambda: client.get(f"{API}/tasks/mine"),
        "status": lambda: client.get(f"{API}/agent-status"),
        "measures": lambda: client.get(f"{API}/measures"),
    }

    response = calls[endpoint]()

    assert response.status_code in ({200, 201} if role in allowed else {refused})


def test_api_needs_a_token(client):
    assert client.get(f"{API}/interactions").status_code == 401


def test_transfer_of_another_teams_contact_is_404_and_changes_nothing(
    agent, other_team_agent, specialist, api_client
):
    interaction = InteractionFactory(staff=agent)

    response = post(
        api_client(other_team_agent),
        f"{API}/interactions/{interaction.pk}/transfers",
        {"to_staff_id": specialist.pk, "kind": "to_specialist", "reason": "抢单"},
    )

    assert response.status_code == 404
    interaction.refresh_from_db()
    assert interaction.handler == agent and not interaction.escalated
    assert not Transfer.objects.exists()


def test_transfer_kind_is_derived_or_checked_against_the_receiver(
    agent, other_team_agent, api_client
):
    interaction = InteractionFactory(staff=agent)
    client = api_client(agent)
    url = f"{API}/interactions/{interaction.pk}/transfers"

    mislabelled = post(
        client, url, {"to_staff_id": other_team_agent.pk, "kind": "to_senior", "reason": "x"}
    )
    derived = post(client, url, {"to_staff_id": other_team_agent.pk, "reason": "客户属于二组"})

    assert mislabelled.status_code == 422
    assert mislabelled.json()["errors"][0]["field"] == "kind"
    assert derived.status_code == 201 and derived.json()["kind"] == "to_representative"
    assert Transfer.objects.count() == 1
