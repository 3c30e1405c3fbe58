"""From 30 days before 1 January, a calendar that keeps holidays but lacks next year's warns
administrators: on their home page, in the calendar admin and by one notification."""

from datetime import date

import pytest
import time_machine

from rapport.core.calendar.selectors import calendar_year_gaps
from rapport.core.models import BusinessCalendar, CalendarException
from rapport.notifications.models import Notification
from rapport.sla.calendar_gaps import calendar_gaps_notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def workdays():
    calendar = BusinessCalendar.objects.get(name="工作日 5×8")
    CalendarException.objects.filter(calendar=calendar, date__year__gte=2027).delete()
    CalendarException.objects.get_or_create(
        calendar=calendar, date=date(2026, 10, 1), defaults={"kind": "holiday", "name": "国庆节"}
    )
    return calendar


def _gaps(today):
    return [(c.name, y) for c, y in calendar_year_gaps(today=today)]


def test_the_warning_starts_thirty_days_before_the_new_year(workdays):
    assert ("工作日 5×8", 2027) not in _gaps(date(2026, 12, 1))
    assert ("工作日 5×8", 2027) in _gaps(date(2026, 12, 2))
    CalendarException.objects.create(
        calendar=workdays, date=date(2027, 2, 6), kind="holiday", name="春节"
    )
    assert ("工作日 5×8", 2027) not in _gaps(date(2026, 12, 2))


def test_a_calendar_without_any_holiday_is_left_alone(workdays):
    plain = BusinessCalendar.objects.create(name="全年无休")
    assert all(name != plain.name for name, _y in _gaps(date(2026, 12, 20)))


def test_administrators_are_told_once(workdays, admin_user, agent):
    assert calendar_gaps_notify(today=date(2026, 12, 10)) >= 1
    assert calendar_gaps_notify(today=date(2026, 12, 11)) == 0  # the next sweep adds none
    mine = Notification.objects.filter(recipient=admin_user, kind="calendar_gap")
    assert mine.count() == len(_gaps(date(2026, 12, 10)))
    assert not Notification.objects.filter(recipient=agent).exists()


def test_the_home_page_and_the_admin_show_it(workdays, admin_user, agent, as_user):
    with time_machine.travel("2026-12-06 10:00 +0800", tick=False):
        body = as_user(admin_user).get("/").content.decode()
        assert 'id="calendar-gaps"' in body and "2027" in body and "工作日 5×8" in body
        assert 'id="calendar-gaps"' not in as_user(agent).get("/").content.decode()
        admin = as_user(admin_user).get("/admin/core/businesscalendar/").content.decode()
        assert "2027" in admin
