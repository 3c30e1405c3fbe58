from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions import selectors
from rapport.interactions.tests.factories import (
    FollowUpTaskFactory,
    InteractionFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db


def _keys(page):
    return [(e.kind, e.obj.pk) for e in page.entries]


def test_timeline_merges_interactions_transfers_and_tasks_newest_first(agent, specialist):
    customer = CustomerFactory()
    now = timezone.now()
    old = InteractionFactory(customer=customer, staff=agent, started_at=now - timedelta(days=3))
    transfer = TransferFactory(interaction=old, to_staff=specialist, at=now - timedelta(days=2))
    task = FollowUpTaskFactory(
        customer=customer, interaction=old, created_at=now - timedelta(days=1)
    )
    new = InteractionFactory(customer=customer, staff=agent, started_at=now - timedelta(hours=1))
    InteractionFactory(staff=agent)  # another customer's

    page = selectors.customer_timeline(customer=customer)

    assert _keys(page) == [
        ("interaction", new.pk),
        ("task", task.pk),
        ("transfer", transfer.pk),
        ("interaction", old.pk),
    ]
    assert page.next_cursor == ""


def test_cursor_walks_every_entry_once_even_with_equal_times(agent):
    customer = CustomerFactory()
    same = timezone.now() - timedelta(hours=2)
    interactions = [
        InteractionFactory(customer=customer, staff=agent, started_at=same) for _ in range(5)
    ]
    for i in interactions[:3]:
        TransferFactory(interaction=i, at=same)
        FollowUpTaskFactory(customer=customer, interaction=i, created_at=same)
    for n in range(4):
        InteractionFactory(
            customer=customer, staff=agent, started_at=same - timedelta(minutes=n + 1)
        )

    seen, cursor, pages = [], "", 0
    while True:
        page = selectors.customer_timeline(customer=customer, cursor=cursor, limit=4)
        seen.extend(_keys(page))
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break

    assert len(seen) == 5 + 3 + 3 + 4
    assert len(set(seen)) == len(seen)
    assert pages == 4
    times = [k for k in seen]
    assert times[0][0] == "task"  # at equal times: task, then transfer, then interaction


def test_transfers_and_tasks_older_than_a_full_page_of_interactions_still_come_in_order(agent):
    # The first page of interactions bounds what the transfers and tasks read; walking every
    # page must still give every entry once, newest first, ties in kind order.
    customer = CustomerFactory()
    start = timezone.now() - timedelta(days=1)
    interactions = [
        InteractionFactory(customer=customer, staff=agent, started_at=start + timedelta(minutes=n))
        for n in range(9)
    ]
    expected = [(i.started_at, 0, "interaction", i.pk) for i in interactions]
    for n, i in enumerate(interactions[::2]):
        at = i.started_at if n % 2 else i.started_at + timedelta(seconds=30)
        transfer = TransferFactory(interaction=i, at=at)
        task = FollowUpTaskFactory(customer=customer, interaction=i, created_at=at)
        expected += [(at, 1, "transfer", transfer.pk), (at, 2, "task", task.pk)]
    expected.sort(key=lambda e: (e[0], e[1], e[3]), reverse=True)

    seen, cursor = [], ""
    while True:
        page = selectors.customer_timeline(customer=customer, cursor=cursor, limit=3)
        seen.extend(_keys(page))
        cursor = page.next_cursor
        if not cursor:
            break

    assert seen == [(kind, pk) for _at, _rank, kind, pk in expected]


def test_timeline_filters_by_channel_and_direction(agent):
    customer = CustomerFactory()
    phone = InteractionFactory(customer=customer, staff=agent, channel="phone")
    wechat = InteractionFactory(
        customer=customer, staff=agent, channel="wechat", direction="outbound"
    )
    FollowUpTaskFactory(customer=customer, interaction=phone)
    wechat_task = FollowUpTaskFactory(customer=customer, interaction=wechat)

    by_channel = selectors.customer_timeline(customer=customer, channel="wechat")
    by_direction = selectors.customer_timeline(customer=customer, direction="inbound")

    assert set(_keys(by_channel)) == {("interaction", wechat.pk), ("task", wechat_task.pk)}
    assert ("interaction", phone.pk) in _keys(by_direction)
    assert ("interaction", wechat.pk) not in _keys(by_direction)


def test_garbled_cursor_starts_from_the_top(agent):
    customer = CustomerFactory()
    InteractionFactory(customer=customer, staff=agent)

    page = selectors.customer_timeline(customer=customer, cursor="not-a-cursor!")

    assert len(page.entries) == 1


def test_timeline_page_costs_three_queries_however_long_the_history(
    agent, django_assert_num_queries
):
    customer = CustomerFactory()
    for _ in range(30):
        i = InteractionFactory(customer=customer, staff=agent)
        TransferFactory(interaction=i)
        FollowUpTaskFactory(customer=customer, interaction=i)

    with django_assert_num_queries(3):
        page = selectors.customer_timeline(customer=customer)
        for e in page.entries:  # everything the template touches is loaded
            str(getattr(e.obj, "staff", None) or getattr(e.obj, "to_staff", None) or e.obj.assignee)

    assert len(page.entries) == selectors.TIMELINE_PAGE


def test_my_tasks_put_overdue_first_and_include_my_teams(agent, team, other_team_agent):
    now = timezone.now()
    later = FollowUpTaskFactory(assignee=agent, due_at=now + timedelta(days=3))
    overdue = FollowUpTaskFactory(assignee=agent, due_at=now - timedelta(days=1))
    soon = FollowUpTaskFactory(
        assignee=None,
        assignee_team=team,
        created_by=other_team_agent,
        due_at=now + timedelta(hours=2),
    )
    FollowUpTaskFactory(assignee=other_team_agent)
    FollowUpTaskFactory(assignee=agent, status="done", completed_at=now, completed_by=agent)

    tasks = list(selectors.task_list_for_staff(staff=agent))

    assert tasks == [overdue, soon, later]
    assert tasks[0].is_overdue and not tasks[1].is_overdue


def test_home_panel_counts_open_and_overdue(agent, django_assert_num_queries):
    now = timezone.now()
    FollowUpTaskFactory(assignee=agent, due_at=now - timedelta(hours=1))
    FollowUpTaskFactory(assignee=agent, due_at=now + timedelta(hours=1))

    with django_assert_num_queries(3):
        panel = selectors.home_panel_for_staff(staff=agent)

    assert (panel["my_tasks_open"], panel["my_tasks_overdue"], len(panel["my_tasks"])) == (2, 1, 2)


def test_interaction_list_filters(agent, other_team_agent):
    customer = CustomerFactory()
    now = timezone.now()
    mine = InteractionFactory(customer=customer, staff=agent, started_at=now - timedelta(days=1))
    InteractionFactory(
        customer=customer, staff=other_team_agent, started_at=now - timedelta(days=1)
    )
    InteractionFactory(customer=customer, staff=agent, started_at=now - timedelta(days=10))

    rows = selectors.interaction_list(
        staff=agent,
        customer_id=customer.pk,
        staff_id=agent.pk,
        since=now - timedelta(days=2),
        until=now,
    )

    assert list(rows) == [mine]
