import pytest
from django.db import connection

from rapport.core import periodic
from rapport.core.dbstats import has_statistics, refresh_statistics
from rapport.core.models import PeriodicRun


@pytest.mark.django_db
def test_the_worker_keeps_planner_statistics_present():
    PeriodicRun.objects.bulk_create(
        [PeriodicRun(name=f"job-{n}", next_run_at="2026-12-07T00:00:00Z") for n in range(3)]
    )
    if connection.vendor != "sqlite":
        assert refresh_statistics() is False  # autovacuum's job on PostgreSQL
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    assert not has_statistics()

    assert periodic.registered_jobs()["core.db_statistics"].func() is True

    assert has_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'core_periodicrun'")
        rows = cursor.fetchall()
    assert rows and rows[0][0].split()[0] == "3"  # the table's row count, from the sample
