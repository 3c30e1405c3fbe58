"""Complete or cancel many follow-up tasks at once."""

import pytest
from django.core.exceptions import ValidationError

from rapport.interactions.bulk import tasks_bulk
from rapport.interactions.models import FollowUpTask
from rapport.interactions.services import follow_up_task_complete
from rapport.interactions.tests.factories import FollowUpTaskFactory

pytestmark = pytest.mark.django_db


def test_complete_many_refusing_the_closed_and_the_others(agent, other_team_agent):
    mine = FollowUpTaskFactory.create_batch(2, assignee=agent)
    done = FollowUpTaskFactory(assignee=agent)
    follow_up_task_complete(task=done, by=agent)
    theirs = FollowUpTaskFactory(assignee=other_team_agent)

    result = tasks_bulk(staff=agent, action="complete", ids=[t.pk for t in [*mine, done, theirs]])

    assert [o.ok for o in result.outcomes] == [True, True, False, False]
    assert result.outcomes[2].code == "task_closed"
    assert result.outcomes[3].code == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == FollowUpTask.Status.OPEN
    assert FollowUpTask.objects.filter(completed_by=agent).count() == 3


@pytest.mark.parametrize(
    ("action", "ids", "field"), [("finish", [1], "action"), ("cancel", [], "ids")]
)
def test_bad_input_is_refused_naming_the_field(agent, action, ids, field):
    with pytest.raises(ValidationError) as exc:
        tasks_bulk(staff=agent, action=action, ids=ids)
    assert field in exc.value.message_dict


def test_the_tasks_page_bulk_form_and_api(agent, as_user, api_client):
    first, second, third = FollowUpTaskFactory.create_batch(3, assignee=agent)

    page = as_user(agent).get("/tasks/").content.decode()
    assert 'form="bulk-form"' in page
    response = as_user(agent).post("/tasks/bulk/", {"action": "cancel", "ids": [first.pk]})
    assert response.status_code == 302
    api = api_client(agent).post(
        "/api/v1/tasks/bulk",
        {"action": "complete", "ids": [second.pk, third.pk, first.pk]},
        content_type="application/json",
    )
    assert api.status_code == 200 and (api.json()["done"], api.json()["refused"]) == (2, 1)
    statuses = dict(FollowUpTask.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "cancelled", second.pk: "done", third.pk: "done"}
    bad = api_client(agent).post(
        "/api/v1/tasks/bulk", {"action": "done", "ids": [1]}, content_type="application/json"
    )
    assert bad.status_code == 422
