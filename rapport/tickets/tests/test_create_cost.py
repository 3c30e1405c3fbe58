"""What opening a ticket costs (issue 16 #5): the ticket, its "received" event and both
service-level clocks in a handful of statements, with every rule of intake still checked."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.customers.tests.factories import AssetFactory, CustomerFactory
from rapport.sla.models import ServiceClock
from rapport.tickets.tests.factories import open_ticket

pytestmark = pytest.mark.django_db


def test_a_ticket_taken_by_a_representative_costs_six_statements(agent):
    open_ticket(agent, CustomerFactory())  # the shipped rows and the per-process memos
    customer = CustomerFactory()
    with CaptureQueriesContext(connection) as captured:
        ticket = open_ticket(agent, customer)
    work = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "SELECT 1 AS"))
    ]
    # The agent's team, the ticket, its event, the policy, both clocks in one INSERT, and the
    # day marked changed for the compliance rollup (the first response is already stopped).
    assert len(work) == 6, "\n".join(work)
    clocks = {c.kind: c for c in ServiceClock.objects.filter(ticket=ticket)}
    first = clocks[ServiceClock.Kind.FIRST_RESPONSE]
    resolution = clocks[ServiceClock.Kind.RESOLUTION]
    # Taken on the phone: the first response is the intake itself.
    assert first.state == "stopped" and first.stopped_at == ticket.first_responded_at
    assert first.breached_at is None and first.next_check_at is None
    assert resolution.state == "running" and resolution.next_check_at == resolution.warn_at
    assert resolution.warn_at < resolution.due_at


def test_the_rules_left_to_the_model_still_refuse(agent):
    customer = CustomerFactory()
    with pytest.raises(ValidationError) as refused:
        open_ticket(
            agent,
            customer,
            contact_phone="",
            contact_email="",
            occurred_at=timezone.now() + timedelta(days=1),
            asset=AssetFactory(),  # another customer's
        )
    assert {"contact_phone", "occurred_at", "asset"} <= set(refused.value.message_dict)
    with pytest.raises(ValidationError) as too_long:
        open_ticket(agent, customer, subject="长" * 500)
    assert "subject" in too_long.value.message_dict
