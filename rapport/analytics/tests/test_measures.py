"""The team-lead figures: any period, and each figure opens exactly its records."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.analytics.measures import this_month
from rapport.interactions.tests.factories import InteractionFactory
from rapport.surveys.models import SurveyResponse
from rapport.surveys.tests.factories import SendFactory
from rapport.tickets import services
from rapport.tickets.models import Ticket
from rapport.tickets.tests.factories import open_ticket, resolved

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_of_work(team, agent, supervisor, specialist):
    now = timezone.now()
    InteractionFactory(staff=agent, duration_seconds=300, started_at=now - timedelta(minutes=5))
    InteractionFactory(staff=agent, duration_seconds=100, started_at=now - timedelta(minutes=9))
    InteractionFactory(staff=agent, duration_seconds=0, started_at=now - timedelta(minutes=7))
    first = resolved(agent)  # resolved by the person who took it
    handed = resolved(agent)
    Ticket.objects.filter(pk=handed.pk).update(assignee=supervisor)  # handed on: not first
    reopened = resolved(agent)
    Ticket.objects.filter(pk=reopened.pk).update(reopened_count=1)
    old = open_ticket(agent)
    Ticket.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=10))
    open_ticket(agent)
    for score in (5, 4, 2):
        SurveyResponse.objects.create(send=SendFactory(owner=agent, team=team), csat=score)
    return {"first": first}


def test_the_figures_of_this_month(as_user, supervisor, month_of_work):
    response = as_user(supervisor).get("/measures/team/")
    figures = response.context["figures"]

    assert response.context["period"] == this_month()
    assert figures["handling"]["n"] == 2 and figures["handling"]["average"] == 200
    assert (figures["fcr"]["first_contact"], figures["fcr"]["resolved"]) == (1, 3)
    assert figures["backlog"]["total"] == 5  # three resolved (not closed) and two open
    assert figures["backlog"]["7to30d"] == 1
    (agent_row,) = figures["csat_agents"]
    assert (agent_row["n"], agent_row["satisfied"]) == (3, 2)
    assert "period-said" in response.content.decode()


@pytest.mark.parametrize(
    ("figure", "query", "expected"),
    [
        ("handling", "", lambda f: f["handling"]["n"]),
        ("fcr", "", lambda f: f["fcr"]["first_contact"]),
        ("not_fcr", "", lambda f: f["fcr"]["not_first"]),
        ("backlog", "", lambda f: f["backlog"]["total"]),
        ("backlog", "&key=7to30d", lambda f: f["backlog"]["7to30d"]),
        ("backlog", "&key=lt1d", lambda f: f["backlog"]["lt1d"]),
        ("csat", "", lambda f: sum(a["n"] for a in f["csat_agents"])),
    ],
)
def test_each_figure_opens_exactly_its_records(
    as_user, supervisor, team, month_of_work, figure, query, expected
):
    client = as_user(supervisor)
    figures = client.get(f"/measures/team/?team={team.pk}").context["figures"]

    page = client.get(f"/measures/team/{figure}/?team={team.pk}{query}").context["page"]

    assert page.paginator.count == expected(figures)


def test_any_period_and_it_says_which(as_user, supervisor, month_of_work):
    last_year = timezone.localdate() - timedelta(days=400)
    client = as_user(supervisor)

    response = client.get(
        "/measures/team/", {"date_from": last_year, "date_to": last_year + timedelta(days=90)}
    )

    assert response.status_code == 200
    assert response.context["figures"]["handling"]["n"] == 0
    assert response.context["period"].days == 91
    assert response.context["figures"]["trend"][0]["monthly"] is True
    assert f"{last_year:%Y-%m-%d}" in response.content.decode()


def test_an_end_before_the_start_is_refused_by_field(as_user, supervisor):
    response = as_user(supervisor).get(
        "/measures/team/", {"date_from": "2026-05-10", "date_to": "2026-05-01"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["date_to"]


def test_representatives_may_not_see_it(as_user, agent):
    assert as_user(agent).get("/measures/team/").status_code == 403


def test_the_page_costs_a_fixed_number_of_queries(
    as_user, supervisor, month_of_work, agent, django_assert_max_num_queries
):
    client = as_user(supervisor)
    client.get("/measures/team/")
    for _ in range(3):
        services.ticket_create  # noqa: B018
        open_ticket(agent)
    with django_assert_max_num_queries(12):
        client.get("/measures/team/")
