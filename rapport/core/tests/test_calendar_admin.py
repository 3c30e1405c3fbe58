"""Administrators edit calendars in the admin; the calendar's rules show as form errors (in
Chinese, the house language)."""

from datetime import date

import pytest
from django.urls import reverse

from rapport.core.calendar.selectors import calendar_snapshot
from rapport.core.models import BusinessCalendar, CalendarException

pytestmark = pytest.mark.django_db


def calendar_form(name: str, intervals: list[tuple[int, str, str]], exceptions=()) -> dict:
    data = {
        "name": name,
        "time_zone": "Asia/Shanghai",
        "description": "",
        "intervals-TOTAL_FORMS": str(len(intervals)),
        "intervals-INITIAL_FORMS": "0",
        "intervals-MIN_NUM_FORMS": "1",
        "intervals-MAX_NUM_FORMS": "1000",
        "exceptions-TOTAL_FORMS": str(len(exceptions)),
        "exceptions-INITIAL_FORMS": "0",
        "exceptions-MIN_NUM_FORMS": "0",
        "exceptions-MAX_NUM_FORMS": "1000",
    }
    for i, (weekday, start, end) in enumerate(intervals):
        data |= {
            f"intervals-{i}-weekday": str(weekday),
            f"intervals-{i}-start": start,
            f"intervals-{i}-end": end,
        }
    for i, (day, kind, hours) in enumerate(exceptions):
        data |= {
            f"exceptions-{i}-date": day,
            f"exceptions-{i}-kind": kind,
            f"exceptions-{i}-name": "",
            f"exceptions-{i}-hours": hours,
            f"exceptions-{i}-works_as_weekday": "0",
        }
    return data


@pytest.fixture
def admin_client(as_user, admin_user):
    return as_user(admin_user)


def test_an_administrator_sees_calendars_and_their_rows(admin_client):
    office = BusinessCalendar.objects.get(name="工作日 5×8")

    listing = admin_client.get(reverse("admin:core_businesscalendar_changelist"))
    page = admin_client.get(reverse("admin:core_businesscalendar_change", args=[office.pk]))
    exceptions = admin_client.get(reverse("admin:core_calendarexception_changelist"))

    assert listing.status_code == page.status_code == exceptions.status_code == 200
    assert "工作日 5×8" in listing.content.decode()
    assert "国庆节" in page.content.decode()


def test_an_administrator_creates_a_calendar(admin_client):
    response = admin_client.post(
        reverse("admin:core_businesscalendar_add"),
        calendar_form(
            "前台",
            [(0, "09:00", "12:00"), (0, "13:30", "18:00")],
            [("2027-10-01", "holiday", "")],
        ),
    )

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="前台")
    assert calendar.intervals.count() == 2
    assert calendar.exceptions.get().kind == CalendarException.Kind.HOLIDAY


@pytest.mark.parametrize(
    ("intervals", "exceptions", "message"),
    [
        ([(0, "09:00", "12:00"), (0, "11:00", "13:00")], [], "重叠"),
        ([(0, "18:00", "09:00")], [], "工作时段的结束时间必须晚于开始时间。"),
        ([], [], "工作日历至少需要在一个工作日设置工作时段。"),
        (
            [(0, "09:00", "12:00")],
            [("2027-10-01", "holiday", ""), ("2027-10-01", "workday", "")],
            "重复数据",
        ),
        (
            [(0, "09:00", "12:00")],
            [("2027-10-01", "holiday", "09:00-10:00")],
            "节假日不能设置工作时段。",
        ),
    ],
)
def test_the_admin_shows_the_calendar_rules_and_saves_nothing(
    admin_client, intervals, exceptions, message
):
    form = calendar_form("坏日历", intervals, exceptions)
    if not intervals:
        form["intervals-MIN_NUM_FORMS"] = "0"

    response = admin_client.post(reverse("admin:core_businesscalendar_add"), form)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BusinessCalendar.objects.filter(name="坏日历").exists()


def test_ticking_default_moves_the_default_to_that_calendar(admin_client):
    form = calendar_form("新默认", [(0, "09:00", "18:00")])
    form["is_default"] = "on"

    response = admin_client.post(reverse("admin:core_businesscalendar_add"), form)

    assert response.status_code == 302
    assert list(
        BusinessCalendar.objects.filter(is_default=True).values_list("name", flat=True)
    ) == ["新默认"]


def test_editing_an_exception_refreshes_the_calendar_snapshot(admin_client):
    office = BusinessCalendar.objects.get(name="工作日 5×8")
    before = office.updated_at
    exception = office.exceptions.get(date="2026-10-10")

    response = admin_client.post(
        reverse("admin:core_calendarexception_change", args=[exception.pk]),
        {
            "calendar": office.pk,
            "date": "2026-10-10",
            "kind": "holiday",
            "name": "国庆节",
            "hours": "",
            "works_as_weekday": "0",
        },
    )

    assert response.status_code == 302
    office.refresh_from_db()
    assert office.updated_at > before
    snapshot = calendar_snapshot(calendar=office)
    assert snapshot.intervals_on(date(2026, 10, 10)) == ()


def test_the_admin_refuses_a_make_up_day_that_borrows_hours_from_a_day_off(admin_client):
    office = BusinessCalendar.objects.get(name="工作日 5×8")

    response = admin_client.post(
        reverse("admin:core_calendarexception_add"),
        {
            "calendar": office.pk,
            "date": "2027-10-09",
            "kind": "workday",
            "name": "国庆节调休",
            "hours": "",
            "works_as_weekday": "5",
        },
    )

    assert response.status_code == 200
    assert "没有工作时段，请为这一天填写工作时段" in response.content.decode()
    assert not office.exceptions.filter(date="2027-10-09").exists()
