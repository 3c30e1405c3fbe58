"""The key job in fewer steps (issue 11 #8): log a call and open a complaint from it in one
click, with the contact filled in and the customer's open tickets shown before a second one."""

import pytest

from rapport.customers.services import IdentityInput, customer_create
from rapport.interactions.models import Interaction
from rapport.interactions.tests.factories import purpose
from rapport.tickets.tests.factories import open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(agent, team):
    return customer_create(
        by=agent,
        name="王磊",
        identities=[
            IdentityInput("phone", "13800138000"),
            IdentityInput("email", "wanglei@example.cn"),
        ],
        service_team=team,
    )


def _log(**extra):
    return {
        "channel": "phone",
        "direction": "inbound",
        "purpose": purpose("after_sales").pk,
        "summary": "客户来电：保养后发动机异响，要求投诉",
        **extra,
    }


def test_log_and_open_a_complaint_in_one_click(agent, as_user, wang):
    client = as_user(agent)
    response = client.post(f"/interactions/customers/{wang.pk}/log/", _log(then="ticket"))
    call = Interaction.objects.get(customer=wang)
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/new/?interaction={call.pk}"
    form = client.get(response["Location"]).content.decode()
    assert "保养后发动机异响" in form  # the call's summary is the description
    assert 'value="13800138000"' in form and 'value="wanglei@example.cn"' in form


def test_with_htmx_the_browser_is_sent_to_the_form(agent, as_user, wang):
    response = as_user(agent).post(
        f"/interactions/customers/{wang.pk}/log/",
        _log(then="ticket"),
        headers={"HX-Request": "true"},
    )
    call = Interaction.objects.get(customer=wang)
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/tickets/new/?interaction={call.pk}"


def test_a_refused_log_opens_nothing(agent, as_user, wang):
    response = as_user(agent).post(
        f"/interactions/customers/{wang.pk}/log/", _log(then="ticket", summary="")
    )
    assert response.status_code == 200 and not Interaction.objects.exists()


def test_the_customers_open_tickets_are_shown_before_a_second_one(agent, as_user, wang):
    first = open_ticket(agent, wang, subject="发动机异响")
    body = as_user(agent).get(f"/tickets/new/?customer={wang.pk}").content.decode()
    assert "already-open" in body and first.number in body and "发动机异响" in body
    closed_only = customer_create(by=agent, name="李娜", identities=[])
    assert (
        "already-open"
        not in as_user(agent).get(f"/tickets/new/?customer={closed_only.pk}").content.decode()
    )


def test_start_is_one_click_the_reply_box_large_and_the_finding_a_text_area(agent, as_user, wang):
    from rapport.tickets import services
    from rapport.tickets.models import Ticket
    from rapport.tickets.tests.factories import ticket_type

    ticket = open_ticket(agent, wang)
    services.ticket_transition(
        ticket=ticket, by=agent, action="classify", ticket_type=ticket_type(), impact="normal"
    )
    client = as_user(agent)
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "tk-one-click" in body and f"/tickets/{ticket.pk}/act/start/" in body
    response = client.post(f"/tickets/{ticket.pk}/act/start/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'rows="8"' in body  # the reply box
