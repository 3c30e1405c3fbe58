import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rapport.core.http import FastPaginator
from rapport.core.models import PeriodicRun


@pytest.fixture
def rows(db):
    now = "2026-12-07T00:00:00Z"
    PeriodicRun.objects.bulk_create(
        [PeriodicRun(name=f"job-{n:04d}", next_run_at=now) for n in range(130)]
    )
    return PeriodicRun.objects.order_by("name")


def test_a_capped_count_stops_at_the_cap_on_the_first_page(rows):
    page = FastPaginator(rows, 10, cap=50).get_page(1)
    assert page.paginator.count == 50
    assert page.paginator.count_is_capped
    assert page.has_next()
    assert [r.name for r in page] == [f"job-{n:04d}" for n in range(10)]


def test_later_pages_stay_reachable_past_the_cap(rows):
    page = FastPaginator(rows, 10, cap=50).get_page(7)  # rows 61-70: past the first cap
    assert page.number == 7
    assert next(r.name for r in page) == "job-0060"
    assert page.paginator.count == 100  # counted to the next multiple of the cap past row 71
    assert page.paginator.count_is_capped and page.has_next()


def test_the_last_page_is_exact_when_the_rows_end_before_the_reach(rows):
    page = FastPaginator(rows, 10, cap=50).get_page(13)
    assert page.paginator.count == 130
    assert not page.paginator.count_is_capped
    assert page.number == 13 and not page.has_next()
    assert len(page) == 10


def test_a_page_past_the_end_gives_the_last_page(rows):
    page = FastPaginator(rows, 10, cap=50).get_page(99)
    assert page.number == 13


def test_the_count_limits_the_rows_it_reads(rows):
    with CaptureQueriesContext(connection) as ctx:
        count = FastPaginator(rows, 10, cap=50).get_page("not a number").paginator.count
    assert count == 50
    assert "LIMIT 50" in ctx.captured_queries[-1]["sql"]
