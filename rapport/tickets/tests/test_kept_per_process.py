"""What pages read on every request and is the same for everyone is kept per process; a change
made here is seen at once (the other workers see it within the memo's ttl)."""

from decimal import Decimal

import pytest

from rapport.tickets import selectors
from rapport.tickets.models import TicketSettings, TicketType
from rapport.tickets.tests.factories import ensure_seed_data, ticket_type

pytestmark = pytest.mark.django_db


def test_the_type_tree_is_read_once_and_forgotten_when_a_type_changes(
    django_assert_num_queries,
):
    ensure_seed_data()
    first = selectors.ticket_type_choices()
    with django_assert_num_queries(0):
        assert [t.pk for t in selectors.ticket_type_choices()] == [t.pk for t in first]

    root = ticket_type()
    TicketType.objects.create(parent=root, code="pq_new_part", name_zh="新零件", name_en="New part")
    added = selectors.ticket_type_choices()
    assert "pq_new_part" in [t.code for t in added]
    # Still a tree: the new child follows its root.
    codes = [t.code for t in added]
    assert codes.index("pq_new_part") > codes.index(root.code)

    retired = TicketType.objects.get(code="pq_new_part")
    retired.is_active = False
    retired.save()
    assert "pq_new_part" not in [t.code for t in selectors.ticket_type_choices()]

    retired.delete()
    assert "pq_new_part" not in [t.code for t in selectors.ticket_type_choices()]


def test_the_settings_pages_show_follow_a_save(django_assert_num_queries):
    row = TicketSettings.current()
    row.save()
    shown = TicketSettings.cached()
    with django_assert_num_queries(0):
        TicketSettings.cached()

    row.approval_threshold = shown.approval_threshold + Decimal("100")
    row.save()
    assert TicketSettings.cached().approval_threshold == row.approval_threshold
