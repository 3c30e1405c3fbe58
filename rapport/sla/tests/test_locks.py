"""A clock's row lock takes the clock, not its policy and calendar (see
rapport/surveys/tests/test_locks.py for why a joined lock deadlocks on PostgreSQL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.sla.services import clock_pause
from rapport.testing.locks import joined_locks
from rapport.tickets.tests.factories import open_ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL"),
]


def test_pausing_a_clock_locks_only_the_clock(agent):
    ticket = open_ticket(agent)
    clock = ticket.clocks.filter(state="running").first()
    assert clock is not None
    with CaptureQueriesContext(connection) as queries:
        clock_pause(clock=clock, at=timezone.now(), reason="等客户提供行驶证")
    assert any("FOR UPDATE OF" in q["sql"] for q in queries.captured_queries)
    assert joined_locks(queries.captured_queries) == []
