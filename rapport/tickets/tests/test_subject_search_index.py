"""The trigram index search everywhere reads ticket subjects from stays in step with the table."""

import importlib

import pytest
from django.db import connection

from rapport.tickets.models import Ticket
from rapport.tickets.tests.factories import TicketFactory

TRIGGERS = importlib.import_module("rapport.tickets.migrations.0008_ticket_subject_search").TRIGGERS

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS table is SQLite's")
def test_subject_search_triggers_exist():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
    missing = [name for name in TRIGGERS if name not in present]
    assert not missing, f"dropped by a later migration that rebuilt tickets_ticket: {missing}"


def test_a_changed_subject_is_found_and_the_old_one_is_not():
    from rapport.core.search import substring_q

    ticket = TicketFactory(subject="仪表盘报警灯常亮")
    Ticket.objects.filter(pk=ticket.pk).update(subject="天窗漏水严重")

    def found(term):
        q = substring_q(column="subject", fts_table="tickets_ticket_fts", term=term)
        return list(Ticket.objects.filter(q).values_list("pk", flat=True))

    assert found("天窗漏") == [ticket.pk]
    assert found("报警灯") == []
