"""Planner statistics as upkeep (issue 16): the query plans must stay fast with them present.

SQLite chooses indexes from `sqlite_stat1` when it exists and from built-in guesses when it does
not; a database that grew without statistics and is then analysed once (by hand, or by a tool)
would change plans under the site's feet. So the worker keeps statistics present and current
(`core.db_statistics`, every six hours), the pages are measured with them (`make bench`
refreshes them after seeding), and the queries whose plan statistics would spoil spell the
conditions that must not drive them as `Unindexed` (rapport.core.queries).

Not `PRAGMA optimize` alone: on the SQLite of Debian 12 (3.40) it analyses only the tables the
calling connection itself has queried, so run from the worker it skips most of what the pages
read. Not `analysis_limit` either: it samples the first rows of each index, and on an index
ordered by team those are all one team's, so the estimates mislead the planner. The job runs a
full ANALYZE one index at a time (a short write each: about 0.35 s for the largest table at
dataset S, a few seconds at M, so writers wait at most that long), then `PRAGMA optimize`. On
PostgreSQL autovacuum keeps the statistics; nothing to do.
"""

from django.db import connections


def refresh_statistics(using: str = "default") -> bool:
    """Bring the planner statistics up to date; True if this database needed it done here."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.name, i.name FROM sqlite_master m LEFT JOIN sqlite_master i"
            " ON i.type = 'index' AND i.tbl_name = m.name"
            " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
            " AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY m.name, i.name"
        )
        targets = sorted({index or table for table, index in cursor.fetchall()})
        for name in targets:
            quoted = name.replace('"', '""')
            cursor.execute(f'ANALYZE "{quoted}"')
        cursor.execute("PRAGMA optimize")
    return True


def has_statistics(using: str = "default") -> bool:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("SELECT 1 FROM sqlite_stat1 LIMIT 1")
        return cursor.fetchone() is not None
