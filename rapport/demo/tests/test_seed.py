"""`rapport seed` leaves a database the application can go on writing to (issue 15 #4)."""

import pytest

from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.demo.seed import seed
from rapport.interactions.models import Interaction
from rapport.tickets.models import Ticket
from rapport.tickets.tests.factories import open_ticket

pytestmark = pytest.mark.django_db


def test_after_a_seed_new_customers_interactions_and_tickets_get_fresh_ids(agent):
    seed(size="XS", seed=3, log=lambda *args: None)
    highest = {
        m: m.objects.order_by("-id").values_list("id", flat=True).first()
        for m in (Customer, Interaction, Ticket)
    }
    assert all(highest.values())

    customer = CustomerFactory()  # on PostgreSQL this took id 1 and failed before the fix
    ticket = open_ticket(agent, customer)

    assert customer.pk > highest[Customer]
    assert ticket.pk > highest[Ticket]
    assert ticket.interaction_id is None or ticket.interaction_id > highest[Interaction]
