"""Business-time questions over long spans are refused quickly, not computed for seconds
(issue 15, finding 23)."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from rapport.core.calendar.compute import (
    CalendarError,
    CalendarSnapshot,
    add_business_minutes,
    business_minutes_between,
)
from rapport.core.models import BusinessCalendar

pytestmark = pytest.mark.django_db
API = "/api/v1/calendars"
NINE_TO_SIX = {d: [(9 * 60, 18 * 60)] for d in range(5)}


def _calendar_id() -> int:
    return BusinessCalendar.objects.order_by("pk").first().pk


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("1901-01-01T00:00:00+08:00", "2199-12-31T00:00:00+08:00"),
        ("2000-01-01T00:00:00+08:00", "2100-12-31T23:59:59-12:00"),
        ("2032-01-02T00:00:00+08:00", "2026-01-01T00:00:00+08:00"),
    ],
)
def test_between_over_more_than_five_years_is_a_400_naming_end(agent, api_client, start, end):
    response = api_client(agent).get(
        f"{API}/{_calendar_id()}/between", {"start": start, "end": end}
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "span_too_long"
    assert [e["field"] for e in body["errors"]] == ["end"]


def test_between_over_five_years_is_answered(agent, api_client):
    response = api_client(agent).get(
        f"{API}/{_calendar_id()}/between",
        {"start": "2026-01-01T00:00:00+08:00", "end": "2030-12-31T00:00:00+08:00"},
    )

    assert response.status_code == 200
    assert response.json()["minutes"] > 0


def test_due_further_than_five_years_ahead_is_a_400_naming_minutes(agent, api_client):
    response = api_client(agent).get(
        f"{API}/{_calendar_id()}/due",
        {"start": "2026-01-05T09:00:00+08:00", "minutes": 10_000_000},
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["minutes"]


def test_five_years_on_a_round_the_clock_calendar_take_well_under_a_second():
    cal = CalendarSnapshot.build(
        name="7x24", time_zone="Asia/Shanghai", week={d: [(0, 24 * 60)] for d in range(7)}
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    began = time.perf_counter()

    minutes = business_minutes_between(cal, start, start + timedelta(days=5 * 366))
    due = add_business_minutes(cal, start, minutes, within=timedelta(days=5 * 366))

    assert time.perf_counter() - began < 0.5
    assert due == start + timedelta(days=5 * 366)


def test_between_skips_days_without_work_and_stays_exact():
    cal = CalendarSnapshot.build(name="t", time_zone="Asia/Shanghai", week=NINE_TO_SIX)
    start = datetime(2026, 1, 5, 1, tzinfo=UTC)  # Monday 09:00 in Shanghai

    minutes = business_minutes_between(cal, start, start + timedelta(days=14))

    assert minutes == 10 * 9 * 60
    assert add_business_minutes(cal, start, minutes) == start + timedelta(days=11, hours=9)


def test_compute_refuses_spans_beyond_within():
    cal = CalendarSnapshot.build(name="t", time_zone="Asia/Shanghai", week=NINE_TO_SIX)
    start = datetime(2026, 1, 5, 1, tzinfo=UTC)

    with pytest.raises(CalendarError):
        business_minutes_between(cal, start, start + timedelta(days=20), within=timedelta(days=7))
    with pytest.raises(CalendarError):
        add_business_minutes(cal, start, 60 * 9 * 10, within=timedelta(days=7))
