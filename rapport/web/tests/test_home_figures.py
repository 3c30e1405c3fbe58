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


def test_it_links_my_overdue_count_to_exactly_those_tickets(as_user, api_client, agent):
    now = timezone.now()
    late, response_late, soon = in_progress(agent), in_progress(agent), in_progress(agent)
    ServiceClock.objects.filter(ticket=late, kind="resolution").update(
        due_at=now - timedelta(hours=1), breached_at=now - timedelta(hours=1)
    )
    # Only its first-response clock is past due (still running, not yet marked breached).
    ServiceClock.objects.filter(ticket=response_late).update(
        state="running", due_at=now + timedelta(hours=8), breached_at=None
    )
    ServiceClock.objects.filter(ticket=response_late, kind="first_response").update(
        due_at=now - timedelta(minutes=5)
    )
    ServiceClock.objects.filter(ticket=soon).update(
        state="running", due_at=now + timedelta(hours=3), breached_at=None
    )
    client = as_user(agent)

    body = client.get("/").content.decode()
    href = body.split('id="my-overdue"')[0].rsplit('href="', 1)[1].split('"')[0]
    listed = client.get(href.replace("&amp;", "&")).context["page"]

    assert {t.pk for t in listed} == {late.pk, response_late.pk}
    api = api_client(agent).get("/api/v1/tickets?queue=mine&overdue=true").json()
    assert {t["id"] for t in api["results"]} == {late.pk, response_late.pk}
