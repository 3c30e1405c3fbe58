"""The team dashboard: each figure, and the list it links to holding exactly that many items."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.analytics import dashboard
from rapport.channels.models import Conversation
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import AgentStatusInterval, Interaction
from rapport.interactions.tests.factories import InteractionFactory, StatusIntervalFactory
from rapport.sla.models import ServiceClock
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory
from rapport.surveys.models import SurveyResponse
from rapport.surveys.tests.factories import SendFactory
from rapport.tickets import services
from rapport.tickets.tests.factories import in_progress, open_ticket

pytestmark = pytest.mark.django_db


def _breach(ticket, hours_ago: int) -> None:
    now = timezone.now()
    ServiceClock.objects.filter(ticket=ticket, kind=ServiceClock.Kind.RESOLUTION).update(
        state=ServiceClock.State.RUNNING,
        warn_at=now - timedelta(hours=hours_ago + 1),
        due_at=now - timedelta(hours=hours_ago),
        breached_at=now - timedelta(hours=hours_ago),
    )


def _at_risk(ticket) -> None:
    now = timezone.now()
    ServiceClock.objects.filter(ticket=ticket).update(
        state=ServiceClock.State.RUNNING,
        warn_at=now - timedelta(minutes=10),
        due_at=now + timedelta(hours=1),
        breached_at=None,
    )


@pytest.fixture
def floor(team, other_team, agent, supervisor, other_team_agent):
    """A team with work in every state, and another team's work the supervisor must not see."""
    colleague = StaffFactory(username="colleague", role=User.Role.REPRESENTATIVE, teams=[team])
    now = timezone.now()
    StatusIntervalFactory(
        staff=agent,
        status=AgentStatusInterval.Status.IN_CONTACT,
        started_at=now - timedelta(minutes=12),
        ended_at=None,
    )
    StatusIntervalFactory(
        staff=colleague,
        status=AgentStatusInterval.Status.BREAK,
        started_at=now - timedelta(minutes=5),
        ended_at=None,
    )
    mine = [in_progress(agent) for _ in range(3)]
    unassigned = open_ticket(agent)
    unassigned.assignee = None
    unassigned.save(update_fields=["assignee"])
    _breach(mine[0], hours_ago=5)
    _breach(mine[1], hours_ago=30)
    _at_risk(mine[2])
    # A remedy the customer chose, above the approval amount; another one not chosen.
    chosen = services.remedy_offer(ticket=mine[0], by=agent, kind="compensation", amount=5000)
    services.remedy_choose(remedy=chosen, by=agent)
    services.remedy_offer(ticket=mine[1], by=agent, kind="compensation", amount=6000)
    # The other team: breached and unassigned, nothing of it may show.
    theirs = open_ticket(other_team_agent)
    _breach(theirs, hours_ago=2)
    account = ChannelAccountFactory(default_team=team)
    customer = CustomerFactory()
    Conversation.objects.create(account=account, customer=customer, team=team, subject="问保养")
    Conversation.objects.create(
        account=account,
        customer=customer,
        team=team,
        subject="问价格",
        state=Conversation.State.CLAIMED,
        claimed_by=agent,
        claimed_at=now,
    )
    Conversation.objects.create(account=account, customer=customer, team=other_team)
    InteractionFactory(
        staff=agent, channel=Interaction.Channel.PHONE, started_at=now - timedelta(minutes=1)
    )
    InteractionFactory(
        staff=colleague, channel=Interaction.Channel.EMAIL, started_at=now - timedelta(minutes=2)
    )
    InteractionFactory(staff=agent, started_at=now - timedelta(days=2))  # not today
    InteractionFactory(staff=other_team_agent, started_at=now - timedelta(minutes=1))
    for score, owner_team in ((5, team), (4, team), (2, team), (1, other_team)):
        send = SendFactory(owner=agent, team=owner_team)
        SurveyResponse.objects.create(send=send, csat=score)
    return {"mine": mine, "unassigned": unassigned, "theirs": theirs}


def test_the_supervisor_sees_their_teams_figures(as_user, supervisor, floor):
    board = as_user(supervisor).get("/dashboard/").context["board"]

    assert board.tickets == {
        "open": 4,
        "unassigned": 1,
        "at_risk": 1,
        "at_risk_more": False,
        "breached": 2,
        "breached_more": False,
    }
    assert [t.pk for t in board.most_overdue] == [floor["mine"][1].pk, floor["mine"][0].pk]
    assert board.conversations == {"conversations": 2, "conversations_unassigned": 1}
    assert board.approvals == 1
    assert board.volume_total == 2
    assert {v: n for v, _label, n in board.volume} == {"phone": 1, "email": 1}
    assert board.csat["n"] == 3 and board.csat["satisfied"] == 2
    counts = {v: n for v, _label, n in board.status_counts}
    assert counts["in_contact"] == 1 and counts["break"] == 1
    assert counts["offline"] == 1  # the supervisor, who never set a status


@pytest.mark.parametrize(
    ("figure", "query", "expected"),
    [
        ("open", "", lambda b: b.tickets["open"]),
        ("unassigned", "", lambda b: b.tickets["unassigned"]),
        ("at_risk", "", lambda b: b.tickets["at_risk"]),
        ("breached", "", lambda b: b.tickets["breached"]),
        ("conversations", "", lambda b: b.conversations["conversations"]),
        ("conversations_unassigned", "", lambda b: b.conversations["conversations_unassigned"]),
        ("volume", "", lambda b: b.volume_total),
        ("volume", "?channel=phone", lambda b: dict((v, n) for v, _l, n in b.volume)["phone"]),
        ("csat", "", lambda b: b.csat["n"]),
        ("agents", "", lambda b: len(b.people)),
        ("agents", "?status=break", lambda b: 1),
    ],
)
def test_every_figure_links_to_exactly_that_many_items(
    as_user, supervisor, floor, figure, query, expected
):
    client = as_user(supervisor)
    board = client.get("/dashboard/").context["board"]

    response = client.get(f"/dashboard/{figure}/{query}")

    assert response.status_code == 200
    assert response.context["page"].paginator.count == expected(board)
    assert len(response.context["page"].object_list) == expected(board)


def test_the_approvals_figure_agrees_with_the_approvals_inbox(as_user, supervisor, floor):
    client = as_user(supervisor)
    board = client.get("/dashboard/").context["board"]

    inbox = client.get("/approvals/")

    assert inbox.context["page"].paginator.count == board.approvals == 1


def test_a_manager_chooses_one_team(as_user, manager, other_team, floor):
    client = as_user(manager)
    everything = client.get("/dashboard/").context["board"]
    theirs = client.get(f"/dashboard/?team={other_team.pk}").context["board"]

    assert everything.tickets["open"] == 5
    assert theirs.tickets | {"at_risk_more": False, "breached_more": False} == theirs.tickets
    assert {k: theirs.tickets[k] for k in ("open", "unassigned", "at_risk", "breached")} == {
        "open": 1,
        "unassigned": 0,
        "at_risk": 0,
        "breached": 1,
    }
    listed = client.get(f"/dashboard/breached/?team={other_team.pk}").context["page"]
    assert [t.pk for t in listed] == [floor["theirs"].pk]


def test_a_representative_may_not_open_it(as_user, agent):
    assert as_user(agent).get("/dashboard/").status_code == 403
    assert as_user(agent).get("/dashboard/open/").status_code == 403


def test_an_unknown_figure_is_404(as_user, supervisor):
    assert as_user(supervisor).get("/dashboard/nonsense/").status_code == 404


def test_the_poll_returns_only_the_figures(as_user, supervisor, floor):
    response = as_user(supervisor).get("/dashboard/", headers={"HX-Request": "true"})

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="board"')
    assert "<html" not in body


def test_the_board_costs_the_same_queries_whatever_the_data(
    as_user, supervisor, floor, agent, django_assert_num_queries
):
    client = as_user(supervisor)
    client.get("/dashboard/")
    for _ in range(3):
        _breach(in_progress(agent), hours_ago=1)
        InteractionFactory(staff=agent, started_at=timezone.now())

    # session, user, the lead's teams, people, open and unassigned tickets, breached, at risk,
    # most overdue (running and paused clocks, then tickets), conversations, volume, CSAT,
    # approvals (and the supervisor's teams)
    with django_assert_num_queries(16):
        response = client.get("/dashboard/", headers={"HX-Request": "true"})
    assert response.context["board"].tickets["breached"] == 5


def test_the_scope_helpers_keep_a_supervisor_to_their_teams(supervisor, team, other_team):
    scope = dashboard.scope_for(staff=supervisor, team_id=str(other_team.pk))

    assert scope.teams == [team]


def test_breached_and_at_risk_are_counted_up_to_the_cap(
    as_user, supervisor, floor, agent, monkeypatch
):
    monkeypatch.setattr(dashboard, "COUNT_CAP", 1)
    client = as_user(supervisor)

    response = client.get("/dashboard/")

    board = response.context["board"]
    assert (board.tickets["breached"], board.tickets["breached_more"]) == (1, True)
    assert (board.tickets["at_risk"], board.tickets["at_risk_more"]) == (1, False)
    assert '<span class="value">1+</span>' in response.content.decode()
    # the list behind the figure holds the capped number, the longest overdue first
    listed = client.get("/dashboard/breached/").context["page"]
    assert [t.pk for t in listed] == [floor["mine"][1].pk]
    assert listed[0].clock_moment < timezone.now() - timedelta(hours=29)
