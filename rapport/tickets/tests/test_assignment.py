"""New tickets routed to an agent, claiming (one winner), and unassigned tickets escalated."""

import os
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.core.errors import Conflict
from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions import routing
from rapport.interactions.models import TeamRouting
from rapport.interactions.services import agent_status_set
from rapport.notifications.models import Notification
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory
from rapport.tickets import services
from rapport.tickets.models import Ticket
from rapport.tickets.services.assignment import ticket_claim, tickets_escalate_unassigned
from rapport.tickets.tests.factories import intake, open_ticket

pytestmark = pytest.mark.django_db


def unassigned(team, **overrides) -> Ticket:
    """A ticket from the public form for `team`'s customer: nobody holds it."""
    customer = CustomerFactory(service_team=team)
    return services.ticket_create(
        by=None, customer=customer, source=Ticket.Source.PUBLIC_FORM, **intake(**overrides)
    )


@pytest.fixture
def colleague(team):
    return StaffFactory(username="colleague", role=User.Role.REPRESENTATIVE, teams=[team])


# -- Routing ------------------------------------------------------------------------------------


def test_a_new_ticket_goes_to_the_least_loaded_available_agent_who_is_told(team, agent, colleague):
    TeamRouting.objects.create(team=team, strategy="least_loaded")
    agent_status_set(staff=agent, status="available")
    agent_status_set(staff=colleague, status="in_contact")
    open_ticket(agent)  # agent holds one already

    ticket = unassigned(team)

    assert ticket.assignee == colleague
    assert Ticket.objects.get(pk=ticket.pk).assignee == colleague
    event = ticket.events.get(kind="assigned")
    assert (event.action, event.actor, event.data) == (
        "route",
        None,
        {"from": None, "to": colleague.pk},
    )
    assert list(
        Notification.objects.filter(kind="ticket_assigned").values_list("recipient", flat=True)
    ) == [colleague.pk]
    assert ticket.clocks.get(kind="resolution").assignee == colleague


def test_a_manual_team_leaves_new_tickets_unassigned(team, agent):
    TeamRouting.objects.create(team=team, strategy="manual")
    agent_status_set(staff=agent, status="available")
    assert unassigned(team).assignee is None


def test_nobody_available_leaves_the_ticket_unassigned(team, agent):
    TeamRouting.objects.create(team=team, strategy="least_loaded")
    agent_status_set(staff=agent, status="break")
    ticket = unassigned(team)
    assert ticket.assignee is None and not ticket.events.filter(kind="assigned").exists()


def test_a_ticket_opened_by_staff_stays_with_them(team, agent, colleague):
    TeamRouting.objects.create(team=team, strategy="round_robin")
    agent_status_set(staff=colleague, status="available")
    assert open_ticket(agent).assignee == agent


def test_the_registered_counter_counts_each_agents_open_tickets(team, agent, colleague):
    open_ticket(agent)
    open_ticket(agent)
    assert routing.agent_loads([agent.pk, colleague.pk]) == {agent.pk: 2, colleague.pk: 0}


# -- Claiming -----------------------------------------------------------------------------------


def test_claiming_makes_me_assignee_and_first_responder(team, agent):
    ticket = unassigned(team)

    claimed = ticket_claim(ticket=ticket, by=agent)

    assert (claimed.assignee, claimed.first_responder) == (agent, agent)
    assert ticket.events.filter(kind="assigned", action="claim", actor=agent).count() == 1
    assert not Notification.objects.filter(kind="ticket_assigned").exists()  # I did it myself
    assert ticket_claim(ticket=ticket, by=agent).assignee == agent  # again: a no-op
    assert ticket.events.filter(kind="assigned").count() == 1


def test_claiming_a_claimed_ticket_is_refused_naming_who_has_it(team, agent, colleague):
    ticket = unassigned(team)
    ticket_claim(ticket=ticket, by=colleague)

    with pytest.raises(Conflict) as refused:
        ticket_claim(ticket=ticket, by=agent)

    assert refused.value.code == "already_claimed"
    assert str(colleague) in refused.value.message
    assert Ticket.objects.get(pk=ticket.pk).assignee == colleague


def test_a_closed_ticket_cannot_be_claimed(team, agent):
    ticket = unassigned(team)
    Ticket.objects.filter(pk=ticket.pk).update(
        is_open=False, status="closed", closed_at=timezone.now(), resolved_at=timezone.now()
    )
    with pytest.raises(Conflict) as refused:
        ticket_claim(ticket=ticket, by=agent)
    assert refused.value.code == "ticket_closed"


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"),
    reason="threads need a shared database: runs on PostgreSQL (the test database of SQLite is "
    "in memory, where a shared-cache table lock fails at once instead of waiting)",
)
@pytest.mark.django_db(transaction=True)
def test_two_people_claiming_at_once_exactly_one_wins():
    from django.db import connections

    from rapport.staff.tests.factories import TeamFactory

    team = TeamFactory(name="抢单组")
    people = [
        StaffFactory(username=f"racer{n}", role=User.Role.REPRESENTATIVE, teams=[team])
        for n in range(4)
    ]
    ticket = unassigned(team)
    barrier = threading.Barrier(len(people), timeout=10)
    won, lost, errors = [], [], []

    def claim(person):
        try:
            barrier.wait()
            try:
                ticket_claim(ticket=ticket, by=person)
                won.append(person.pk)
            except Conflict as exc:
                lost.append(exc.code)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(won) == 1 and lost == ["already_claimed"] * (len(people) - 1)
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == won[0]
    assert ticket.events.filter(kind="assigned").count() == 1


# -- Pages and the API --------------------------------------------------------------------------


def test_the_queue_offers_claim_on_unassigned_rows_and_claiming_there_comes_back(
    team, agent, as_user
):
    ticket = unassigned(team)
    client = as_user(agent)
    page = client.get("/tickets/?queue=unassigned").content.decode()
    assert f"/tickets/{ticket.pk}/claim/" in page

    response = client.post(
        f"/tickets/{ticket.pk}/claim/", {"back": "/tickets/?queue=unassigned"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/tickets/?queue=unassigned"
    assert f"{ticket.number} 现在由您处理。" in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_the_unassigned_queue_with_claim_buttons_keeps_its_query_count(
    team, agent, as_user, django_assert_num_queries
):
    tickets = [unassigned(team) for _ in range(3)]
    client = as_user(agent)
    client.get("/tickets/?queue=unassigned")  # warm the session
    # as any queue with rows (test_views.QUEUE_QUERIES): the buttons cost no query
    with django_assert_num_queries(11):
        page = client.get("/tickets/?queue=unassigned").content.decode()
    assert all(f"/tickets/{t.pk}/claim/" in page for t in tickets)


def test_the_loser_of_a_claim_is_told_who_won_and_the_ticket_stays_theirs(
    team, agent, colleague, as_user
):
    ticket = unassigned(team)
    page = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-claim"' in page
    ticket_claim(ticket=ticket, by=colleague)

    response = as_user(agent).post(f"/tickets/{ticket.pk}/claim/", follow=True)

    assert response.status_code == 200
    assert str(colleague) in response.content.decode()
    assert 'id="ticket-claim"' not in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).assignee == colleague


def test_an_offsite_back_link_is_not_followed(team, agent, as_user):
    ticket = unassigned(team)
    response = as_user(agent).post(
        f"/tickets/{ticket.pk}/claim/", {"back": "https://evil.example/"}
    )
    assert response["Location"] == f"/tickets/{ticket.pk}/"


def test_claim_by_api_answers_409_when_already_claimed(team, agent, colleague, api_client):
    ticket = unassigned(team)
    first = api_client(colleague).post(f"/api/v1/tickets/{ticket.pk}/claim")
    second = api_client(agent).post(f"/api/v1/tickets/{ticket.pk}/claim")
    assert first.status_code == 200 and first.json()["id"] == ticket.pk
    assert second.status_code == 409 and second.json()["code"] == "already_claimed"


def test_claim_of_another_teams_ticket_is_404(team, other_team, other_team_agent, api_client):
    ticket = unassigned(team)
    response = api_client(other_team_agent).post(f"/api/v1/tickets/{ticket.pk}/claim")
    assert response.status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


# -- Escalation ---------------------------------------------------------------------------------


def test_an_unassigned_ticket_past_the_teams_time_goes_to_its_supervisors_once(
    team, agent, supervisor, manager
):
    TeamRouting.objects.create(team=team, strategy="manual", escalate_after_minutes=15)
    old = unassigned(team)
    fresh = unassigned(team)
    taken = unassigned(team)
    ticket_claim(ticket=taken, by=agent)
    now = timezone.now()
    Ticket.objects.filter(pk__in=[old.pk, taken.pk]).update(created_at=now - timedelta(minutes=20))

    assert tickets_escalate_unassigned(now=now) == 1
    assert tickets_escalate_unassigned(now=now + timedelta(minutes=1)) == 0

    told = Notification.objects.filter(kind="unassigned_escalated")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["manager", "supervisor"]
    assert {n.url for n in told} == {f"/tickets/{old.pk}/"}
    assert fresh.pk not in [int(n.url.split("/")[2]) for n in told]


def test_a_team_that_never_escalates_is_left_alone(team, supervisor):
    TeamRouting.objects.create(team=team, strategy="manual", escalate_after_minutes=0)
    ticket = unassigned(team)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert tickets_escalate_unassigned() == 0
