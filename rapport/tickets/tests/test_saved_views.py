"""Saved views of the queue: per person and shared per team; unknown names refused."""

import pytest
from django.core.exceptions import ValidationError

from rapport.core.errors import Forbidden
from rapport.tickets.models import SavedView
from rapport.tickets.services.saved_views import DEFAULT_COLUMNS, saved_view_delete, saved_view_save
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db


def test_a_personal_view_keeps_filters_sort_and_columns_in_table_order(agent):
    view = saved_view_save(
        by=agent,
        name="紧急的",
        filters={"queue": "team", "priority": "4", "sort": "due"},
        columns=["due", "subject"],
    )

    assert (view.owner, view.team) == (agent, None)
    assert view.filters == {"queue": "team", "priority": 4, "sort": "due"}
    assert view.columns == ["subject", "due"]


def test_the_same_name_replaces_the_view(agent):
    saved_view_save(by=agent, name="我的", filters={"sort": "newest"}, columns=[])
    view = saved_view_save(by=agent, name="我的", filters={"sort": "oldest"}, columns=[])

    assert SavedView.objects.filter(owner=agent).count() == 1
    assert view.filters == {"sort": "oldest"} and view.columns == DEFAULT_COLUMNS


@pytest.mark.parametrize(
    ("filters", "columns", "field", "words"),
    [
        ({"colour": "red"}, [], "filters", "colour"),
        ({"status": "exploded"}, [], "filters", "exploded"),
        ({"priority": "9"}, [], "filters", "priority"),
        ({"ticket_type": "999999"}, [], "filters", "ticket_type"),
        ({}, ["subject", "salary"], "columns", "salary"),
        ({}, "subject", "columns", ""),
    ],
)
def test_unknown_or_invalid_names_are_refused_with_a_clear_error(
    agent, filters, columns, field, words
):
    with pytest.raises(ValidationError) as exc:
        saved_view_save(by=agent, name="坏的", filters=filters, columns=columns)

    assert words in " ".join(exc.value.message_dict[field])
    assert not SavedView.objects.exists()


def test_a_view_is_shared_only_with_a_team_of_ones_own(agent, team, other_team, supervisor):
    shared = saved_view_save(
        by=agent, name="组内", filters={"queue": "team"}, columns=[], team=team
    )
    with pytest.raises(ValidationError) as exc:
        saved_view_save(by=agent, name="别组", filters={}, columns=[], team=other_team)

    assert "team" in exc.value.message_dict
    assert shared.owner is None and shared.team == team


def test_a_teammate_may_use_but_not_delete_a_shared_view(agent, team, supervisor, as_user):
    from rapport.staff.models import User
    from rapport.staff.tests.factories import StaffFactory

    mate = StaffFactory(username="mate", role=User.Role.REPRESENTATIVE, teams=[team])
    view = saved_view_save(by=agent, name="组内", filters={"queue": "team"}, columns=[], team=team)

    assert as_user(mate).get(f"/tickets/?view={view.pk}").status_code == 200
    with pytest.raises(Forbidden):
        saved_view_delete(view=view, by=mate)
    saved_view_delete(view=view, by=supervisor)  # a lead of the team
    assert not SavedView.objects.exists()


def test_the_queue_applies_the_view_and_shows_its_columns(agent, as_user):
    ticket = in_progress(agent, subject="导航黑屏")
    view = saved_view_save(
        by=agent, name="精简", filters={"queue": "mine", "q": "导航"}, columns=["subject"]
    )

    page = as_user(agent).get(f"/tickets/?view={view.pk}").content.decode()

    assert ticket.subject in page and "精简" in page
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert "解决时限" not in head and "标题" in head


def test_another_persons_view_is_404(agent, other_team_agent, as_user):
    view = saved_view_save(by=other_team_agent, name="私人", filters={}, columns=[])

    assert as_user(agent).get(f"/tickets/?view={view.pk}").status_code == 404


def test_save_from_the_queue_form_and_bad_columns_change_nothing(agent, as_user):
    client = as_user(agent)

    response = client.post(
        "/tickets/views/", {"name": "我的队列", "queue": "mine", "columns": ["subject", "status"]}
    )
    view = SavedView.objects.get()
    assert response["Location"] == f"/tickets/?view={view.pk}"
    client.post("/tickets/views/", {"name": "坏", "columns": ["salary"]})
    assert SavedView.objects.count() == 1


def test_api_saved_views(agent, api_client):
    client = api_client(agent)

    bad = client.post(
        "/api/v1/tickets/views",
        {"name": "x", "filters": {"colour": "red"}},
        content_type="application/json",
    )
    good = client.post(
        "/api/v1/tickets/views",
        {"name": "紧急", "filters": {"priority": 4}, "columns": ["subject"]},
        content_type="application/json",
    )

    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "filters"
    assert good.status_code == 201 and good.json()["filters"] == {"priority": 4}
    assert [v["name"] for v in client.get("/api/v1/tickets/views").json()] == ["紧急"]
    assert client.delete(f"/api/v1/tickets/views/{good.json()['id']}").status_code == 204
