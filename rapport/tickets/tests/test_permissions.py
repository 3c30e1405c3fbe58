"""One parametrised permission test per ticket page and endpoint, for every role."""

import json

import pytest
from django.core.files.base import ContentFile

from rapport.customers.tests.factories import CustomerFactory
from rapport.tickets import services
from rapport.tickets.models import TicketAttachment
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db
ROLES = ["agent", "other_team_agent", "specialist", "supervisor", "manager", "kam", "admin_user"]
ALL = dict.fromkeys(ROLES, 200)
# The ticket belongs to the agent's team; the key-account manager manages its customer.
SEES = {"agent", "supervisor", "manager", "kam", "admin_user"}


def seeing(ok=200, role_refused=None):
    """`ok` for roles that see the ticket, 404 for the rest; `role_refused` for seers who lack
    the capability."""
    out = {r: (ok if r in SEES else 404) for r in ROLES}
    if role_refused:
        out["kam"] = role_refused
    return out


LEADS = {"supervisor", "manager", "admin_user"}
APPROVERS = {r: (200 if r in LEADS else 403 if r in ("agent", "kam") else 404) for r in ROLES}

PAGES = [
    ("get", "/tickets/", ALL),
    ("get", "/tickets/?queue=all", ALL),
    ("get", "/tickets/new/?customer={customer}", ALL),
    ("get", "/tickets/{ticket}/", seeing()),
    ("post", "/tickets/{ticket}/act/note/", seeing(302, role_refused=200)),
    ("get", "/tickets/attachments/{attachment}/", seeing()),
    ("get", "/tickets/improvements/", ALL),
]

ENDPOINTS = [
    ("get", "/api/v1/tickets", ALL, None),
    ("get", "/api/v1/tickets/types", ALL, None),
    ("post", "/api/v1/tickets", dict.fromkeys(ROLES, 201), "create"),
    ("get", "/api/v1/tickets/{ticket}", seeing(), None),
    ("get", "/api/v1/tickets/{ticket}/events", seeing(), None),
    (
        "post",
        "/api/v1/tickets/{ticket}/transitions",
        seeing(role_refused=403),
        {"action": "note", "body": "已电话联系"},
    ),
    (
        "post",
        "/api/v1/tickets/remedies/{remedy}/approval",
        APPROVERS,
        {"decision": "approve"},
    ),
    ("get", "/api/v1/tickets/improvements", ALL, None),
]


@pytest.fixture
def world(agent, kam, team, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    customer = CustomerFactory(account_manager=kam, service_team=team)
    ticket = in_progress(agent, customer)
    remedy = services.remedy_offer(ticket=ticket, by=agent, kind="compensation", amount="900")
    attachment = TicketAttachment(
        ticket=ticket, name="a.pdf", content_type="application/pdf", size=9
    )
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return {
        "customer": customer.pk,
        "ticket": ticket.pk,
        "remedy": remedy.pk,
        "attachment": attachment.pk,
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "expected"), PAGES, ids=[p[1] for p in PAGES])
def test_page_permissions(request, role, method, url, expected, world, as_user):
    client = as_user(request.getfixturevalue(role))
    url = url.format(**world)
    if method == "post":
        response = client.post(url, {"note-body": "已电话联系"})
    else:
        response = client.get(url)
    assert response.status_code == expected[role]


@pytest.mark.parametrize("url", ["/tickets/", "/tickets/improvements/"])
def test_anonymous_is_sent_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_anonymous_may_use_only_the_public_pages(client, world):
    assert client.get("/support/new/").status_code == 200
    assert client.get(f"/tickets/{world['ticket']}/").status_code == 302
    assert client.get(f"/tickets/attachments/{world['attachment']}/").status_code == 302
    assert client.get(f"/api/v1/tickets/{world['ticket']}").status_code == 401


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "url", "expected", "body"), ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS]
)
def test_endpoint_permissions(request, role, method, url, expected, body, world, api_client):
    client = api_client(request.getfixturevalue(role))
    url = url.format(**world)
    if body == "create":
        body = {
            "customer_id": world["customer"],
            "description": "x",
            "customer_words": "x",
            "contact_name": "x",
            "contact_phone": "13800138000",
            "occurred_at": "2026-01-01T10:00:00+08:00",
            "occurred_where": "x",
        }
    if body is not None:
        response = getattr(client, method)(url, json.dumps(body), content_type="application/json")
    else:
        response = getattr(client, method)(url)
    assert response.status_code == expected[role], response.content


def test_ticket_page_lists_only_the_other_tickets_the_viewer_may_open(
    agent, other_team_agent, as_user
):
    from rapport.tickets.tests.factories import open_ticket

    customer = CustomerFactory()
    hidden = open_ticket(agent, customer, subject="一组的机密投诉")
    mine = open_ticket(other_team_agent, customer, subject="二组的工单")
    shared = open_ticket(other_team_agent, customer, subject="二组的另一张工单")

    body = as_user(other_team_agent).get(f"/tickets/{mine.pk}/").content.decode()

    assert "一组的机密投诉" not in body and hidden.number not in body
    assert "二组的另一张工单" in body and shared.number in body
