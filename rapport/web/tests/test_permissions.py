"""One parametrised permission test per page and endpoint, covering every role."""

import json

import pytest

from rapport.customers.services import IdentityInput, customer_create

ROLES = ["agent", "specialist", "supervisor", "manager", "kam", "admin_user"]
ALL = dict.fromkeys(ROLES, 200)


def only(*roles, ok=200, refused=403):
    return {r: (ok if r in roles else refused) for r in ROLES}


PAGES = [
    ("get", "/", ALL),
    ("get", "/customers/", ALL),
    ("get", "/customers/new/", ALL),
    ("get", "/customers/{id}/", ALL),
    ("get", "/customers/{id}/edit/", only("agent", "supervisor", "manager", "admin_user")),
    ("get", "/customers/{id}/merge/", only("supervisor", "manager", "admin_user")),
    ("get", "/customers/export.xlsx", only("manager", "admin_user")),
    ("post", "/customers/{id}/reveal/", only("supervisor", "manager", "kam", "admin_user")),
    ("get", "/audit/", only("admin_user")),
    ("get", "/admin/", only("admin_user", refused=302)),
    ("get", "/inbox/", only("agent", "specialist", "supervisor", "manager", "admin_user")),
    ("get", "/inbox/quarantine/", only("admin_user")),
    ("get", "/inbox/simulate/", only("admin_user")),
]
SERVICE = ("agent", "specialist", "supervisor", "manager", "admin_user")

ENDPOINTS = [
    ("get", "/api/v1/customers", ALL, None),
    ("get", "/api/v1/customers/{id}", ALL, None),
    ("post", "/api/v1/customers", dict.fromkeys(ROLES, 201), {"name": "新客户"}),
    (
        "patch",
        "/api/v1/customers/{id}",
        only("agent", "supervisor", "manager", "admin_user"),
        {"city": "北京"},
    ),
    (
        "post",
        "/api/v1/customers/{id}/merge",
        only("supervisor", "manager", "admin_user"),
        {"duplicate_id": "{dup}"},
    ),
    (
        "post",
        "/api/v1/customers/{id}/reveal",
        only("supervisor", "manager", "kam", "admin_user"),
        {"what": "identities", "reason": "verify"},
    ),
    ("get", "/api/v1/customers/{id}/identities", ALL, None),
    ("get", "/api/v1/customers/{id}/assets", ALL, None),
    ("get", "/api/v1/conversations", only(*SERVICE), None),
    ("get", "/api/v1/outbox", only(*SERVICE), None),
    ("get", "/api/v1/message-templates", only(*SERVICE), None),
    ("get", "/api/v1/channel-accounts", only("admin_user"), None),
]


@pytest.fixture
def customers(agent, team):
    customer = customer_create(
        by=agent, name="张伟", identities=[IdentityInput("phone", "13800138000")], service_team=team
    )
    dup = customer_create(
        by=agent, name="张伟2", identities=[IdentityInput("phone", "13900001111")]
    )
    return customer, dup


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "expected"), PAGES, ids=[p[1] for p in PAGES])
def test_page_permissions(request, role, method, url, expected, customers, as_user):
    user = request.getfixturevalue(role)
    client = as_user(user)
    url = url.format(id=customers[0].pk)
    data = {"what": "identities", "reason": "verify"} if method == "post" else None
    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
    assert response.status_code == expected[role]


@pytest.mark.parametrize("url", ["/", "/customers/", "/audit/"])
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "url", "expected", "body"), ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS]
)
def test_endpoint_permissions(request, role, method, url, expected, body, customers, api_client):
    user = request.getfixturevalue(role)
    client = api_client(user)
    customer, dup = customers
    url = url.format(id=customer.pk)
    if body is not None:
        payload = json.dumps(body).replace('"{dup}"', str(dup.pk))
        response = getattr(client, method)(url, payload, content_type="application/json")
    else:
        response = getattr(client, method)(url)
    assert response.status_code == expected[role], response.content
