"""The queue's action bar, its summary, the bulk API, and merge and split from the ticket page."""

import pytest

from rapport.customers.tests.factories import CustomerFactory
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory
from rapport.tickets.models import Ticket, TicketEvent
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(team):
    return StaffFactory(username="colleague", role=User.Role.REPRESENTATIVE, teams=[team])


def test_queue_offers_checkboxes_and_the_action_bar(agent, as_user):
    ticket = in_progress(agent)

    page = as_user(agent).get("/tickets/?queue=mine").content.decode()

    assert 'id="bulk-form"' in page
    assert f'name="ids" value="{ticket.pk}" form="bulk-form"' in page
    assert "data-select-all" in page


def test_reassign_fifty_tickets_in_one_action(supervisor, colleague, as_user):
    tickets = [in_progress(supervisor) for _ in range(50)]
    ids = [t.pk for t in tickets]

    response = as_user(supervisor).post(
        "/tickets/bulk/",
        {"action": "assign", "ids": ids, "to_staff_id": colleague.pk},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "tickets-changed"
    assert Ticket.objects.filter(pk__in=ids, assignee=colleague).count() == 50
    assert "50" in response.content.decode()


def test_the_summary_says_what_was_refused_and_why(agent, colleague, other_team_agent, as_user):
    mine = in_progress(agent)
    hidden = in_progress(other_team_agent)

    response = as_user(agent).post(
        "/tickets/bulk/", {"action": "note", "ids": [mine.pk, hidden.pk], "body": "已电话回访"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert (hidden.number in page and "无权" in page) or "not one you may" in page
    assert TicketEvent.objects.filter(ticket=mine, kind="note").count() == 1
    assert not TicketEvent.objects.filter(ticket=hidden, kind="note").exists()


def test_bad_input_is_a_400_naming_the_field_and_does_nothing(agent, as_user):
    ticket = in_progress(agent)

    response = as_user(agent).post(
        "/tickets/bulk/", {"action": "assign", "ids": [ticket.pk]}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400
    assert 'data-field="to_staff_id"' in response.content.decode()
    assert "HX-Trigger" not in response
    assert not TicketEvent.objects.filter(ticket=ticket, kind="assigned").exists()


def test_a_role_without_ticket_work_may_not_post(kam, as_user):
    assert as_user(kam).post("/tickets/bulk/", {"action": "note"}).status_code == 403


def test_api_bulk_lists_each_item(agent, api_client):
    ticket = in_progress(agent)

    response = api_client(agent).post(
        "/api/v1/tickets/bulk",
        {"action": "note", "ids": [ticket.pk, 999999], "body": "批量备注"},
        content_type="application/json",
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["done"], data["refused"]) == (1, 1)
    assert data["items"][1] == {
        "id": 999999,
        "label": "T999999",
        "ok": False,
        "code": "not_found",
        "reason": data["items"][1]["reason"],
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"action": "note", "ids": [], "body": "x"}, "ids"),
        ({"action": "note", "ids": list(range(1, 600)), "body": "x"}, "ids"),
        ({"action": "note", "ids": ["a"], "body": "x"}, "ids"),
        ({"action": "nope", "ids": [1]}, "action"),
        ({"action": "prioritise", "ids": [1], "priority": 7, "reason": "x"}, "priority"),
    ],
)
def test_api_bulk_bad_input_is_422_naming_the_field(agent, api_client, payload, field):
    response = api_client(agent).post(
        "/api/v1/tickets/bulk", payload, content_type="application/json"
    )

    assert response.status_code == 422
    assert any(e["field"].split(".")[0] == field for e in response.json()["errors"])


def test_merge_and_split_from_the_ticket_page_show_the_links(agent, as_user):
    customer = CustomerFactory()
    survivor = in_progress(agent, customer)
    dup = in_progress(agent, customer)
    client = as_user(agent)

    client.post(f"/tickets/{dup.pk}/merge/", {"into": survivor.number, "reason": "同一问题"})

    dup.refresh_from_db()
    assert dup.merged_into_id == survivor.pk
    assert dup.number in client.get(f"/tickets/{survivor.pk}/").content.decode()
    assert survivor.number in client.get(f"/tickets/{dup.pk}/").content.decode()

    message = TicketEvent.objects.create(
        ticket=survivor, kind="customer_message", body="导航也坏了"
    )
    response = client.post(
        f"/tickets/{survivor.pk}/split/", {"message_ids": [message.pk], "subject": "导航故障"}
    )
    new = Ticket.objects.get(split_from=survivor)
    assert response.status_code == 302 and response["Location"] == f"/tickets/{new.pk}/"
    assert survivor.number in client.get(f"/tickets/{new.pk}/").content.decode()


def test_merge_into_an_unknown_number_changes_nothing(agent, as_user):
    dup = in_progress(agent)

    as_user(agent).post(f"/tickets/{dup.pk}/merge/", {"into": "T999999"})

    dup.refresh_from_db()
    assert dup.is_open and dup.merged_into_id is None


def test_the_systems_words_on_the_timeline_are_in_each_readers_language(agent, team, as_user):
    english = StaffFactory(username="en_agent", language="en", teams=[team])
    customer = CustomerFactory()
    survivor = in_progress(agent, customer)
    dup = in_progress(agent, customer)

    as_user(agent).post(
        f"/tickets/{dup.pk}/merge/", {"into": survivor.number, "reason": "同一问题"}
    )

    in_chinese = as_user(agent).get(f"/tickets/{dup.pk}/").content.decode()
    in_english = as_user(english).get(f"/tickets/{dup.pk}/").content.decode()
    assert f"已作为 {survivor.number} 的重复工单关闭。 同一问题" in in_chinese
    assert f"Closed as a duplicate of {survivor.number}. 同一问题" in in_english
    assert "的重复工单关闭" not in in_english
    stored = dup.events.get(action="merge")
    assert (
        stored.body == f"已作为 {survivor.number} 的重复工单关闭。 同一问题"
    )  # searched as before


def test_the_bars_staff_list_shows_a_renamed_or_new_colleague_at_once(agent, as_user):
    client = as_user(agent)
    assert "王小明" not in client.get("/tickets/").content.decode()
    colleague = StaffFactory(username="wxm", display_name="王小明")
    assert f'<option value="{colleague.pk}">' in client.get("/tickets/").content.decode()
    colleague.display_name = "王晓明"
    colleague.save()
    page = client.get("/tickets/").content.decode()
    assert "王晓明" in page and "王小明" not in page
    colleague.is_active = False
    colleague.save()
    assert "王晓明" not in client.get("/tickets/").content.decode()
