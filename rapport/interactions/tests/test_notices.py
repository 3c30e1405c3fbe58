"""Follow-up tasks falling due ring their assignee's bell once."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from rapport.interactions.models import FollowUpTask
from rapport.interactions.notices import follow_up_tasks_announce_due
from rapport.interactions.tests.factories import FollowUpTaskFactory
from rapport.notifications.models import Notification
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_task_falling_due_tells_its_assignee_once(agent, supervisor):
    now = timezone.now()
    task = FollowUpTaskFactory(assignee=agent, title="回访张先生", due_at=now + timedelta(hours=1))
    FollowUpTaskFactory(assignee=supervisor, due_at=now + timedelta(hours=3))

    assert follow_up_tasks_announce_due(now=now) == 0
    assert follow_up_tasks_announce_due(now=now + timedelta(hours=1, minutes=1)) == 1
    assert follow_up_tasks_announce_due(now=now + timedelta(hours=1, minutes=2)) == 0

    n = Notification.objects.get()
    with translation.override("en"):
        assert (n.recipient, n.kind, n.title) == (
            agent,
            "task_due",
            "Follow-up task due: 回访张先生",
        )
    assert n.url == "/tasks/"
    task.refresh_from_db()
    assert task.due_announced_at == now + timedelta(hours=1, minutes=1)


def test_a_teams_task_tells_its_active_members_and_a_done_task_nobody(agent, supervisor, team):
    StaffFactory(username="left", is_active=False, teams=[team])
    now = timezone.now()
    FollowUpTaskFactory(
        assignee=None, assignee_team=team, created_by=agent, due_at=now + timedelta(minutes=5)
    )
    done = FollowUpTaskFactory(assignee=agent, due_at=now + timedelta(minutes=5))
    FollowUpTask.objects.filter(pk=done.pk).update(status="done", completed_at=now)

    assert follow_up_tasks_announce_due(now=now + timedelta(minutes=6)) == 1

    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "agent",
        "supervisor",
    ]


def test_a_task_overdue_for_days_when_first_seen_is_not_announced(agent):
    now = timezone.now()
    FollowUpTaskFactory(assignee=agent, due_at=now + timedelta(minutes=5))
    assert follow_up_tasks_announce_due(now=now + timedelta(days=3)) == 0
    assert not Notification.objects.exists()
