"""The queue read through prepared statements lists what the ORM queryset lists, page by page,
with the same bounded counts, for every queue, sort and filter."""

import itertools

import pytest

from rapport.core.http import FastPaginator
from rapport.tickets import selectors, services
from rapport.tickets.tests.factories import in_progress, open_ticket, ticket_type

pytestmark = pytest.mark.django_db

FILTERS = [
    {},
    {"status": "waiting"},
    {"kind": "complaint", "priority": 3},
    {"impact": "safety"},
    {"q": "T000002"},
    {"q": "T99999999999999999999999"},
    {"overdue": True},
]


@pytest.fixture
def tickets(agent, other_team_agent):
    made = [open_ticket(agent) for _ in range(4)]
    made += [in_progress(agent) for _ in range(3)]
    made.append(open_ticket(other_team_agent))
    services.ticket_transition(
        ticket=made[5], by=agent, action="wait", waiting_on="customer", reason="等回电"
    )
    return made


@pytest.mark.parametrize("role", ["agent", "supervisor", "kam"])
def test_prepared_pages_equal_the_queryset(request, tickets, role):
    staff = request.getfixturevalue(role)
    checked = 0
    for queue, sort, filters in itertools.product(selectors.QUEUES, list(selectors.SORTS), FILTERS):
        args = {"queue": queue, "sort": sort, **filters}
        expected = selectors.ticket_queue(staff=staff, **args)
        rows = selectors.ticket_queue_rows(staff=staff, **args)
        for number in (1, 2):
            want = FastPaginator(expected, 3, cap=4).get_page(number)
            got = FastPaginator(rows, 3, cap=4).get_page(number)
            assert [t.pk for t in got] == [t.pk for t in want], args
            assert got.paginator.count == want.paginator.count, args
            assert [t.resolution_due for t in got] == [t.resolution_due for t in want]
        checked += 1
    assert checked == len(selectors.QUEUES) * len(selectors.SORTS) * len(FILTERS)


def test_a_type_filter_matches_the_type_and_its_children(agent, tickets):
    parent = ticket_type()
    rows = selectors.ticket_queue_rows(staff=agent, queue="all", ticket_type=parent.pk)
    expected = selectors.ticket_queue(staff=agent, queue="all", ticket_type=parent.pk)
    assert [t.pk for t in rows[0:25]] == [t.pk for t in expected[:25]]
