import json

import pytest

from rapport.core.models import AuditEntry
from rapport.customers.models import Customer
from rapport.customers.services import IdentityInput, customer_create


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def zhang(agent, team):
    return customer_create(
        by=agent, name="张伟", identities=[IdentityInput("phone", "13800138000")], service_team=team
    )


def test_without_token_is_401_json(client, db):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_bad_token_is_401(client, db):
    response = client.get("/api/v1/customers", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_list_search_and_paginate(agent, api_client, zhang, django_assert_max_num_queries):
    for n in range(5):
        customer_create(
            by=agent, name=f"王{n}", identities=[IdentityInput("phone", f"1390000000{n}")]
        )
    client = api_client(agent)
    # token, count, rows, tags, primary identities, all identities
    with django_assert_max_num_queries(7):
        page = client.get("/api/v1/customers", {"limit": 2, "offset": 0}).json()
    assert page["count"] == 6 and len(page["results"]) == 2
    found = client.get("/api/v1/customers", {"q": "8000"}).json()
    assert [c["name"] for c in found["results"]] == ["张伟"]
    assert found["results"][0]["identities"][0]["value"] == "138****8000"


def test_list_refuses_unknown_enum_with_422(agent, api_client):
    response = api_client(agent).get("/api/v1/customers", {"tier": "gold"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tier"


def test_create_and_read(agent, api_client):
    client = api_client(agent)
    response = post(
        client,
        "/api/v1/customers",
        {
            "name": "李娜",
            "tier": "vip",
            "identities": [{"kind": "phone", "value": "139 1234 5678"}],
            "tags": ["老客户"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["tier"] == "vip" and body["tags"] == ["老客户"]
    read = client.get(f"/api/v1/customers/{body['id']}").json()
    assert read["identities"][0]["value"] == "139****5678"


def test_create_duplicate_phone_is_409_naming_existing(agent, api_client, zhang):
    response = post(
        api_client(agent),
        "/api/v1/customers",
        {
            "name": "又一个张伟",
            "identities": [{"kind": "phone", "value": "+8613800138000"}],
        },
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "duplicate_identity"
    assert body["existing_customer"] == {"id": zhang.pk, "name": "张伟"}
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x" * 101}, "name"),
        ({"name": "x", "tier": "gold"}, "tier"),
        ({"name": "x", "lifetime_value": "-1"}, "lifetime_value"),
        ({"name": "x", "identities": [{"kind": "phone", "value": "123"}]}, "phone"),
        ({"name": "x", "identities": [{"kind": "fax", "value": "123"}]}, "identities.0.kind"),
        ({"name": "x", "lifecycle_stage": "lost"}, "churn_reason"),
        ({"name": "x", "service_team_id": 999}, "service_team_id"),
    ],
)
def test_create_validation_names_the_field_and_saves_nothing(agent, api_client, payload, field):
    response = post(api_client(agent), "/api/v1/customers", payload)
    assert response.status_code == 422, response.content
    fields = [e["field"] for e in response.json()["errors"]]
    assert field in fields or any(f.startswith(field) for f in fields)
    assert Customer.objects.count() == 0


def test_limit_is_in_the_message(agent, api_client):
    response = post(api_client(agent), "/api/v1/customers", {"name": "x" * 101})
    assert "100" in response.json()["errors"][0]["message"]


def test_update_and_404_for_unknown(agent, api_client, zhang):
    client = api_client(agent)
    response = patch(client, f"/api/v1/customers/{zhang.pk}", {"city": "深圳", "tier": "vip"})
    assert response.status_code == 200
    assert (response.json()["city"], response.json()["tier"]) == ("深圳", "vip")
    assert client.get("/api/v1/customers/999999").status_code == 404
    assert client.get("/api/v1/customers/999999").json()["code"] == "not_found"


def test_update_by_other_team_is_403_and_changes_nothing(other_team_agent, api_client, zhang):
    response = patch(api_client(other_team_agent), f"/api/v1/customers/{zhang.pk}", {"city": "x"})
    assert response.status_code == 403
    zhang.refresh_from_db()
    assert zhang.city == ""


def test_merge_endpoint(agent, supervisor, api_client, zhang):
    dup = customer_create(
        by=agent, name="张伟2", identities=[IdentityInput("phone", "13900001111")]
    )
    assert (
        post(
            api_client(agent), f"/api/v1/customers/{zhang.pk}/merge", {"duplicate_id": dup.pk}
        ).status_code
        == 403
    )
    response = post(
        api_client(supervisor), f"/api/v1/customers/{zhang.pk}/merge", {"duplicate_id": dup.pk}
    )
    assert response.status_code == 200
    assert response.json()["moved"]["customers.identity"] == 1
    # The merged id points to the survivor.
    assert api_client(supervisor).get(f"/api/v1/customers/{dup.pk}").status_code == 301


def test_a_merged_customer_points_to_the_survivor_through_a_chain(agent, supervisor, api_client):
    from rapport.customers.services import customer_merge

    first, second, third = (
        customer_create(by=agent, name=n, identities=[]) for n in ("甲", "乙", "丙")
    )
    customer_merge(survivor=second, duplicate=first, by=supervisor)
    customer_merge(survivor=third, duplicate=second, by=supervisor)
    client = api_client(agent)

    response = client.get(f"/api/v1/customers/{first.pk}")
    followed = client.get(response["Location"])

    assert response.status_code == 301
    assert response["Location"] == f"/api/v1/customers/{third.pk}"
    assert response.json()["code"] == "merged"
    assert response.json()["merged_into"] == third.pk
    assert followed.status_code == 200 and followed.json()["name"] == "丙"
    assert client.get("/api/v1/customers/999999").status_code == 404


def test_identities_and_assets(agent, api_client, zhang):
    client = api_client(agent)
    added = post(
        client, f"/api/v1/customers/{zhang.pk}/identities", {"kind": "email", "value": "A@B.cn"}
    )
    assert added.status_code == 201 and added.json()["value"] == "a@b.cn"
    dup = post(
        client, f"/api/v1/customers/{zhang.pk}/identities", {"kind": "email", "value": "a@b.cn"}
    )
    assert dup.status_code == 409
    assert client.delete(f"/api/v1/customers/identities/{added.json()['id']}").status_code == 204
    asset = post(
        client,
        f"/api/v1/customers/{zhang.pk}/assets",
        {
            "kind": "vehicle",
            "name": "丰田 凯美瑞",
            "identifier": "LVGBE40K8KG123456",
            "plate": "沪A12345",
        },
    )
    assert asset.status_code == 201, asset.content
    bad = post(
        client,
        f"/api/v1/customers/{zhang.pk}/assets",
        {"kind": "vehicle", "name": "x", "identifier": "SHORT"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "identifier"
    changed = patch(client, f"/api/v1/customers/assets/{asset.json()['id']}", {"mileage_km": 20000})
    assert changed.json()["mileage_km"] == 20000
    assert len(client.get(f"/api/v1/customers/{zhang.pk}/assets").json()) == 1


def test_lookup_by_identity(agent, api_client, zhang):
    client = api_client(agent)
    assert (
        client.get("/api/v1/customers/lookup", {"kind": "phone", "value": "138-0013-8000"}).json()[
            "id"
        ]
        == zhang.pk
    )
    assert (
        client.get(
            "/api/v1/customers/lookup", {"kind": "phone", "value": "13900000000"}
        ).status_code
        == 404
    )


def test_reveal_is_audited(supervisor, agent, api_client, zhang):
    assert (
        post(
            api_client(agent),
            f"/api/v1/customers/{zhang.pk}/reveal",
            {"what": "identities", "reason": "contact"},
        ).status_code
        == 403
    )
    response = post(
        api_client(supervisor),
        f"/api/v1/customers/{zhang.pk}/reveal",
        {"what": "identities", "reason": "contact"},
    )
    assert response.json()["identities"][0]["value"] == "+8613800138000"
    assert AuditEntry.objects.filter(action="reveal").count() == 1


def test_openapi_and_docs(client, db):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/customers" in spec.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200
