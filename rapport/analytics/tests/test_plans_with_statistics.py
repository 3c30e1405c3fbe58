"""The queue plans stay on their intended indexes with planner statistics present (issue 16).

SQLite plans from `sqlite_stat1` when it has rows. The statistics of dataset M (200k tickets,
400k clocks: planner_stats_M.json, gathered by rapport.core.dbstats) are loaded into the test
database, so the planner decides as it would on a real site whatever rows the test holds."""

import json
from pathlib import Path

import pytest
from django.db import connection

from rapport.analytics import dashboard
from rapport.tickets import selectors

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL plans from its own autovacuum statistics"
)

STATS = Path(__file__).with_name("planner_stats_M.json")


@pytest.fixture
def statistics(db):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sqlite_master")  # makes sqlite_stat1 exist
        cursor.execute("DELETE FROM sqlite_stat1")
        cursor.executemany(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)",
            json.loads(STATS.read_text()),
        )
        cursor.execute("ANALYZE sqlite_master")  # the planner reloads the statistics
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
        cursor.execute("ANALYZE sqlite_master")


def _plan(qs) -> str:
    return qs.explain()


def test_the_team_queue_by_time_left_walks_the_clocks_due_index(statistics, manager):
    plan = _plan(selectors.ticket_queue(staff=manager, queue="team", sort="due")[:25])
    assert "sla_clock_due" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_a_single_teams_queue_by_time_left_walks_the_clocks_due_index(statistics, agent):
    plan = _plan(selectors.ticket_queue(staff=agent, queue="team", sort="due")[:25])
    assert "sla_clock_due" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_the_team_queue_walks_its_partial_index_in_page_order(statistics, agent):
    plan = _plan(selectors.ticket_queue(staff=agent, queue="team")[:25])
    assert "ticket_q_team" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_the_dashboards_at_risk_clocks_come_from_the_state_team_index(statistics, manager):
    scope = dashboard.scope_for(staff=manager)
    clocks = dashboard._running_clocks(scope).filter(dashboard._at_risk(scope.now))
    plan = _plan(clocks)
    assert "sla_clock_state_team" in plan, plan
