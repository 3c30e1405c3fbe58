"""Acknowledge many service-level alerts at once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.core.models import BusinessCalendar
from rapport.sla.bulk import alerts_acknowledge_bulk
from rapport.sla.models import SlaAlert, SlaPolicy
from rapport.sla.services import alert_acknowledge, clock_start
from rapport.tickets.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _alerts(recipient, n):
    office = BusinessCalendar.objects.get(is_default=True)
    policy = SlaPolicy.objects.create(name=f"投诉{n}", calendar=office, resolution_seconds=3600)
    clock = clock_start(
        ticket_id=TicketFactory().pk,
        kind="resolution",
        policy=policy,
        started_at=timezone.now() - timedelta(days=2),
        assignee=recipient,
    )
    return [
        SlaAlert.objects.create(
            clock=clock,
            kind="breached",
            level=level,
            recipient=recipient,
            created_at=timezone.now(),
        )
        for level in range(1, n + 1)
    ]


def test_acknowledge_many_refusing_others_and_already_acknowledged(agent, supervisor):
    first, second, third = _alerts(agent, 3)
    alert_acknowledge(alert=third, by=agent)
    (theirs,) = _alerts(supervisor, 1)

    result = alerts_acknowledge_bulk(staff=agent, ids=[first.pk, second.pk, theirs.pk])

    assert [o.ok for o in result.outcomes] == [True, True, False]
    assert result.outcomes[2].code == "not_found"
    theirs.refresh_from_db()
    assert theirs.acknowledged_at is None
    assert SlaAlert.objects.filter(acknowledged_by=agent).count() == 3


def test_thousands_of_ids_are_refused(agent):
    with pytest.raises(ValidationError) as exc:
        alerts_acknowledge_bulk(staff=agent, ids=range(1, 3000))
    assert "ids" in exc.value.message_dict


def test_alerts_page_bulk_form_and_api(agent, as_user, api_client):
    first, second = _alerts(agent, 2)

    assert 'form="bulk-form"' in as_user(agent).get("/alerts/").content.decode()
    assert as_user(agent).post("/alerts/bulk/", {"ids": [first.pk]}).status_code == 302
    api = api_client(agent).post(
        "/api/v1/sla/alerts/acknowledge", {"ids": [second.pk]}, content_type="application/json"
    )
    assert api.status_code == 200 and api.json()["done"] == 1
    assert not SlaAlert.objects.filter(acknowledged_at__isnull=True).exists()
