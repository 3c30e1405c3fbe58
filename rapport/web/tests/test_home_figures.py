"""My home: time left on my tickets and how many of mine are overdue, agreeing with the queue."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.sla.models import ServiceClock
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db


def test_my_home_shows_time_left_and_my_overdue_count(as_user, agent):
    now = timezone.now()
    late, soon = in_progress(agent), in_progress(agent)
    ServiceClock.objects.filter(ticket=late, kind="resolution").update(
        due_at=now - timedelta(hours=5), breached_at=now - timedelta(hours=5)
    )
    ServiceClock.objects.filter(ticket=soon, kind="resolution").update(
        due_at=now + timedelta(hours=2, minutes=30)
    )
    client = as_user(agent)

    response = client.get("/")

    panels = response.context["panels"]
    body = response.content.decode()
    assert panels["my_tickets_overdue"] == 1
    assert 'id="my-overdue"' in body
    assert "已超时 5 小时" in body and "剩余 2 小时 29 分" in body
    queue = client.get("/tickets/?queue=mine&sort=due").context["page"]
    overdue_first = [t.pk for t in queue][: panels["my_tickets_overdue"]]
    assert overdue_first == [late.pk]
