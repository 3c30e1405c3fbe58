"""Bulk actions on tickets, merge and split: each ticket through its own service."""

import pytest
from django.core.exceptions import ValidationError

from rapport.core.bulk import MAX_BULK_ITEMS
from rapport.customers.tests.factories import CustomerFactory
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory
from rapport.tickets import services
from rapport.tickets.models import Ticket, TicketEvent
from rapport.tickets.services.bulk import tickets_bulk
from rapport.tickets.services.merge import ticket_merge, ticket_split
from rapport.tickets.tests.factories import in_progress, open_ticket, resolved

pytestmark = pytest.mark.django_db
E = TicketEvent.Kind


@pytest.fixture
def colleague(team):
    return StaffFactory(username="colleague", role=User.Role.REPRESENTATIVE, teams=[team])


def test_assign_many_goes_through_the_service_for_each(supervisor, colleague):
    tickets = [in_progress(supervisor) for _ in range(3)]

    result = tickets_bulk(
        staff=supervisor, action="assign", ids=[t.pk for t in tickets], to_staff_id=colleague.pk
    )

    assert result.done_count == 3 and result.refused_count == 0
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {colleague.pk}
    assert TicketEvent.objects.filter(kind=E.ASSIGNED, actor=supervisor).count() == 3


def test_tickets_one_may_not_see_or_already_with_the_person_are_refused_alone(
    agent, colleague, other_team_agent
):
    mine = in_progress(agent)
    already = in_progress(agent)
    services.ticket_assign(ticket=already, by=agent, to_staff=colleague)
    hidden = in_progress(other_team_agent)

    result = tickets_bulk(
        staff=agent,
        action="assign",
        ids=[mine.pk, already.pk, hidden.pk],
        to_staff_id=colleague.pk,
    )

    assert [o.ok for o in result.outcomes] == [True, False, False]
    assert str(colleague) in result.outcomes[1].reason
    assert result.outcomes[2].code == "not_found"
    assert result.outcomes[2].label == hidden.number
    hidden.refresh_from_db()
    assert hidden.assignee_id == other_team_agent.pk
    assert not TicketEvent.objects.filter(ticket=hidden, kind=E.ASSIGNED).exists()


def test_a_ticket_closed_meanwhile_is_refused_with_its_state(agent, colleague):
    closed = resolved(agent)
    services.ticket_transition(ticket=closed, by=agent, action="close", satisfaction="yes")
    open_one = in_progress(agent)

    result = tickets_bulk(staff=agent, action="note", ids=[closed.pk, open_one.pk], body="统一回访")

    assert [o.ok for o in result.outcomes] == [False, True]
    assert result.outcomes[0].code == "transition_not_allowed"
    assert not TicketEvent.objects.filter(ticket=closed, kind=E.NOTE).exists()


def test_a_role_that_may_not_prioritise_is_refused_per_ticket(agent):
    ticket = in_progress(agent)

    result = tickets_bulk(
        staff=agent, action="prioritise", ids=[ticket.pk], priority=4, reason="客户投诉升级"
    )

    assert result.refused_count == 1
    ticket.refresh_from_db()
    assert ticket.priority != 4


def test_prioritise_many(supervisor):
    tickets = [in_progress(supervisor) for _ in range(2)]

    result = tickets_bulk(
        staff=supervisor,
        action="prioritise",
        ids=[t.pk for t in tickets],
        priority="4",
        reason="群体投诉",
    )

    assert result.done_count == 2
    assert set(Ticket.objects.values_list("priority", flat=True)) == {4}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"action": "explode"}, "action"),
        ({"action": "note", "body": ""}, "body"),
        ({"action": "note", "body": "<script>x</script>"}, "body"),
        ({"action": "assign", "to_staff_id": "abc"}, "to_staff_id"),
        ({"action": "assign", "to_staff_id": 999999}, "to_staff_id"),
        ({"action": "prioritise", "priority": 9, "reason": "x"}, "priority"),
        ({"action": "prioritise", "priority": 3, "reason": ""}, "reason"),
        ({"action": "close_duplicate", "into_id": "T999999"}, "into_id"),
    ],
)
def test_bad_input_refuses_the_whole_request_naming_the_field(agent, fields, field):
    ticket = in_progress(agent)
    before = TicketEvent.objects.count()

    with pytest.raises(ValidationError) as exc:
        tickets_bulk(staff=agent, ids=[ticket.pk], **fields)

    assert field in exc.value.message_dict
    assert TicketEvent.objects.count() == before


def test_thousands_of_ids_are_refused_before_anything_is_done(agent):
    ticket = in_progress(agent)

    with pytest.raises(ValidationError) as exc:
        tickets_bulk(
            staff=agent, action="note", ids=[ticket.pk, *range(10**6, 10**6 + 5000)], body="x"
        )

    assert str(MAX_BULK_ITEMS) in exc.value.message_dict["ids"][0]
    assert not TicketEvent.objects.filter(kind=E.NOTE).exists()


def test_close_duplicates_into_a_ticket_of_the_same_customer(agent):
    customer = CustomerFactory()
    survivor = in_progress(agent, customer)
    dup1 = open_ticket(agent, customer, customer_words="空调又不凉了")
    dup2 = in_progress(agent, customer)
    stranger = in_progress(agent)

    result = tickets_bulk(
        staff=agent,
        action="close_duplicate",
        ids=[dup1.pk, dup2.pk, stranger.pk, survivor.pk],
        into_id=survivor.number,
    )

    assert [o.ok for o in result.outcomes] == [True, True, False, False]
    for dup in (dup1, dup2):
        dup.refresh_from_db()
        assert (dup.status, dup.is_open, dup.merged_into_id) == ("closed", False, survivor.pk)
    stranger.refresh_from_db()
    assert stranger.is_open and stranger.merged_into_id is None
    merged = TicketEvent.objects.filter(ticket=survivor, kind=E.MERGED).order_by("id")
    assert [e.data["duplicate"] for e in merged] == [dup1.pk, dup2.pk]
    assert merged[0].body == "空调又不凉了"


def test_merge_stops_the_duplicates_clocks_and_keeps_its_timeline(agent):
    from rapport.sla.models import ServiceClock

    customer = CustomerFactory()
    survivor = in_progress(agent, customer)
    dup = in_progress(agent, customer)
    services.ticket_note(ticket=dup, by=agent, body="第一次来电")
    events_before = dup.events.count()

    ticket_merge(ticket=dup, into=survivor, by=agent, reason="同一问题")

    assert dup.events.count() == events_before + 1
    assert not ServiceClock.objects.filter(ticket=dup).exclude(state="stopped").exists()
    last = dup.events.order_by("-id").first()
    assert last.action == "merge" and survivor.number in last.body


def test_merge_refuses_a_closed_survivor_and_itself(agent):
    customer = CustomerFactory()
    survivor = resolved(agent, customer)
    services.ticket_transition(ticket=survivor, by=agent, action="close", satisfaction="yes")
    dup = in_progress(agent, customer)

    with pytest.raises(services.TransitionNotAllowed):
        ticket_merge(ticket=dup, into=survivor, by=agent)
    with pytest.raises(ValidationError) as exc:
        ticket_merge(ticket=dup, into=dup, by=agent)
    assert "into" in exc.value.message_dict
    dup.refresh_from_db()
    assert dup.is_open


def _customer_message(ticket, text):
    return TicketEvent.objects.create(ticket=ticket, kind=E.CUSTOMER_MESSAGE, body=text)


def test_split_opens_a_linked_ticket_from_chosen_messages(agent):
    ticket = in_progress(agent)
    first = _customer_message(ticket, "另外,导航也坏了")
    _customer_message(ticket, "空调还是不凉")
    third = _customer_message(ticket, "导航屏幕黑屏")

    new = ticket_split(
        ticket=ticket, by=agent, message_ids=[third.pk, first.pk], subject="导航故障"
    )

    assert new.split_from_id == ticket.pk and new.customer_id == ticket.customer_id
    assert new.customer_words == "另外,导航也坏了\n\n导航屏幕黑屏"
    assert ticket.events.filter(kind=E.SPLIT, data__ticket=new.pk).exists()
    assert new.events.filter(kind=E.SPLIT, data__ticket=ticket.pk).exists()
    assert ticket.events.filter(kind=E.CUSTOMER_MESSAGE).count() == 3


@pytest.mark.parametrize(
    ("ids", "subject", "field"),
    [([], "导航", "message_ids"), (["other"], "导航", "message_ids"), (["mine"], " ", "subject")],
)
def test_split_bad_input_names_the_field_and_creates_nothing(agent, ids, subject, field):
    ticket = in_progress(agent)
    mine = _customer_message(ticket, "导航坏了")
    other = _customer_message(in_progress(agent), "别的")
    chosen = [{"mine": mine.pk, "other": other.pk}[i] for i in ids]
    count = Ticket.objects.count()

    with pytest.raises(ValidationError) as exc:
        ticket_split(ticket=ticket, by=agent, message_ids=chosen, subject=subject)

    assert field in exc.value.message_dict
    assert Ticket.objects.count() == count


def test_a_reopened_duplicate_stands_on_its_own_again(agent):
    customer = CustomerFactory()
    survivor = in_progress(agent, customer)
    dup = in_progress(agent, customer)
    ticket_merge(ticket=dup, into=survivor, by=agent)

    services.ticket_transition(ticket=dup, by=agent, action="reopen", reason="客户说是另一个问题")

    dup.refresh_from_db()
    assert (dup.status, dup.merged_into_id) == ("reopened", None)
    event = dup.events.order_by("-id").first()
    assert event.data["unmerged_from"] == str(survivor.pk)


def test_merge_is_not_a_plain_transition(agent):
    ticket = in_progress(agent)

    with pytest.raises(services.TransitionNotAllowed):
        services.ticket_transition(ticket=ticket, by=agent, action="merge")
