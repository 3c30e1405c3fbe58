"""Calendar rows, their validation, seeding, import, the shipped calendars and the command."""

from datetime import date, datetime, time
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.utils import translation
from openpyxl import Workbook

from rapport.core.calendar import CalendarError, add_business_minutes, business_minutes_between
from rapport.core.calendar.chinese import official_days
from rapport.core.calendar.selectors import (
    calendar_get_default,
    calendar_snapshot,
    calendar_snapshot_build,
)
from rapport.core.calendar.services import (
    calendar_create,
    calendar_exception_add,
    calendar_exception_remove,
    calendar_import_exceptions,
    calendar_make_default,
    calendar_seed_official_days,
    calendar_set_week,
    read_exception_file,
)
from rapport.core.models import BusinessCalendar, CalendarException, WorkingInterval

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
OFFICE_WEEK = dict.fromkeys(range(5), "09:00-12:00, 13:30-18:00")


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched by their English msgids; test_calendar_admin checks the Chinese."""
    with translation.override("en"):
        yield


def sh(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def office():
    return calendar_create(name="售后 5×8", intervals=OFFICE_WEEK)


# --- the shipped calendars ----------------------------------------------------------------------


def test_the_migration_ships_an_office_calendar_with_2025_and_2026_holidays():
    office = BusinessCalendar.objects.get(name="工作日 5×8")

    assert office.is_default
    assert office.time_zone == "Asia/Shanghai"
    assert office.intervals.count() == 10
    assert office.exceptions.count() == len(official_days([2025, 2026]))
    national_day = office.exceptions.get(date=date(2026, 10, 1))
    assert (national_day.kind, national_day.name) == ("holiday", "国庆节")
    make_up = office.exceptions.get(date=date(2026, 10, 10))
    assert (make_up.kind, make_up.name) == ("workday", "国庆节调休")
    assert calendar_get_default() == office


def test_the_shipped_office_calendar_computes_the_national_day_example():
    snapshot = calendar_snapshot(calendar=BusinessCalendar.objects.get(name="工作日 5×8"))

    due = add_business_minutes(snapshot, sh(2026, 9, 30, 17, 0), 960)

    assert due == sh(2026, 10, 9, 18, 0)
    assert add_business_minutes(snapshot, sh(2026, 9, 30, 17, 0), 961) == sh(2026, 10, 10, 9, 1)


def test_the_migration_ships_a_7x24_hotline():
    hotline = BusinessCalendar.objects.get(name="7×24 热线")
    snapshot = calendar_snapshot_build(calendar=hotline)

    assert snapshot.week == (((0, 1440),),) * 7
    assert not hotline.exceptions.exists()
    assert add_business_minutes(snapshot, sh(2026, 10, 1, 23, 0), 120) == sh(2026, 10, 2, 1, 0)


# --- creating and validating ---------------------------------------------------------------------


def test_it_creates_a_calendar_with_its_week(office):
    snapshot = calendar_snapshot_build(calendar=office)
    assert snapshot.week[0] == ((540, 720), (810, 1080))
    assert snapshot.week[5] == ()
    assert WorkingInterval.objects.filter(calendar=office).count() == 10


def test_it_accepts_time_pairs_and_midnight_as_the_end():
    calendar = calendar_create(
        name="夜班", intervals={0: [(time(22), time(0))], 1: [(time(0), time(6))]}
    )
    assert calendar_snapshot_build(calendar=calendar).week[:2] == (((1320, 1440),), ((0, 360),))


@pytest.mark.parametrize(
    ("intervals", "message"),
    [
        ({0: "09:00-12:00, 11:30-13:00"}, "overlap"),
        ({0: [(time(9), time(12)), (time(11), time(14))]}, "overlap"),
        ({0: "18:00-09:00"}, "ends before it starts"),
        ({0: [(time(18), time(9))]}, "ends before it starts"),
        ({0: [(time(9, 0, 30), time(12))]}, "whole minute"),
        ({}, "needs working time"),
        ({0: "", 6: ""}, "needs working time"),
        ({7: "09:00-12:00"}, "Monday to Sunday"),
    ],
)
def test_it_refuses_bad_weeks_and_writes_nothing(intervals, message):
    calendars_before = BusinessCalendar.objects.count()

    with pytest.raises(CalendarError, match=message) as excinfo:
        calendar_create(name="坏日历", intervals=intervals)

    assert excinfo.value.field == "intervals"
    assert BusinessCalendar.objects.count() == calendars_before
    assert not BusinessCalendar.objects.filter(name="坏日历").exists()


def test_setting_a_bad_week_keeps_the_old_one(office):
    with pytest.raises(CalendarError, match="needs working time"):
        calendar_set_week(calendar=office, intervals={})
    with pytest.raises(CalendarError, match="overlap"):
        calendar_set_week(calendar=office, intervals={2: "09:00-12:00, 10:00-11:00"})

    assert office.intervals.count() == 10


def test_setting_the_week_replaces_it_and_refreshes_the_cached_snapshot(office):
    before = calendar_snapshot(calendar=office)

    calendar_set_week(calendar=office, intervals=dict.fromkeys(range(7), "08:00-20:00"))

    office.refresh_from_db()
    after = calendar_snapshot(calendar=office)
    assert before.week[0] == ((540, 720), (810, 1080))
    assert after.week == (((480, 1200),),) * 7


def test_it_refuses_an_unknown_time_zone():
    with pytest.raises(CalendarError, match="not a known time zone") as excinfo:
        calendar_create(name="火星", intervals=OFFICE_WEEK, time_zone="Mars/Olympus")
    assert excinfo.value.field == "time_zone"
    assert not BusinessCalendar.objects.filter(name="火星").exists()


def test_it_refuses_a_duplicate_name(office):
    with pytest.raises(CalendarError) as excinfo:
        calendar_create(name="售后 5×8", intervals=OFFICE_WEEK)
    assert excinfo.value.field == "name"


def test_a_new_default_calendar_replaces_the_old_default():
    new = calendar_create(name="新默认", intervals=OFFICE_WEEK, is_default=True)
    assert list(BusinessCalendar.objects.filter(is_default=True)) == [new]

    office = BusinessCalendar.objects.get(name="工作日 5×8")
    calendar_make_default(calendar=office)
    assert list(BusinessCalendar.objects.filter(is_default=True)) == [office]


def test_the_database_allows_one_default_calendar_only():
    with pytest.raises(IntegrityError), transaction.atomic():
        BusinessCalendar.objects.create(name="第二个默认", is_default=True)


def test_the_database_refuses_an_inverted_interval(office):
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingInterval.objects.create(calendar=office, weekday=0, start=time(18), end=time(9))


def test_the_model_names_the_field_of_an_inverted_interval(office):
    interval = WorkingInterval(calendar=office, weekday=0, start=time(18), end=time(9))
    with pytest.raises(ValidationError) as excinfo:
        interval.full_clean()
    assert "end" in excinfo.value.message_dict


# --- exceptions ----------------------------------------------------------------------------------


def test_it_adds_a_holiday_and_the_snapshot_sees_it(office):
    calendar_exception_add(calendar=office, date=date(2026, 11, 23), kind="holiday", name="公司日")

    office.refresh_from_db()
    snapshot = calendar_snapshot(calendar=office)
    assert add_business_minutes(snapshot, sh(2026, 11, 23, 9), 10) == sh(2026, 11, 24, 9, 10)


def test_it_refuses_an_exception_date_listed_twice(office):
    calendar_exception_add(calendar=office, date=date(2027, 10, 1), kind="holiday", name="国庆节")

    with pytest.raises(CalendarError, match="2027-10-01 is already listed") as excinfo:
        calendar_exception_add(calendar=office, date=date(2027, 10, 1), kind="workday")

    assert excinfo.value.field == "date"
    assert excinfo.value.code == "calendar_duplicate_date"
    assert office.exceptions.get().kind == "holiday"


def test_the_database_refuses_an_exception_date_listed_twice(office):
    CalendarException.objects.create(calendar=office, date=date(2027, 1, 1), kind="holiday")
    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarException.objects.create(calendar=office, date=date(2027, 1, 1), kind="holiday")


@pytest.mark.parametrize(
    ("kind", "hours", "message"),
    [
        ("holiday", "09:00-12:00", "A holiday has no working hours"),
        ("custom", "", "Custom hours need working hours"),
        ("half_day", "12:00-09:00", "ends before it starts"),
        ("custom", "09:00-12:00, 11:00-13:00", "overlap"),
    ],
)
def test_it_refuses_bad_exception_hours(office, kind, hours, message):
    with pytest.raises(CalendarError, match=message) as excinfo:
        calendar_exception_add(calendar=office, date=date(2027, 5, 1), kind=kind, hours=hours)
    assert excinfo.value.field == "hours"
    assert not office.exceptions.exists()


def test_a_make_up_day_works_the_hours_of_the_weekday_it_stands_for():
    calendar = calendar_create(name="周五短", intervals={0: "09:00-18:00", 4: "09:00-15:00"})
    calendar_exception_add(
        calendar=calendar, date=date(2027, 10, 9), kind="workday", works_as_weekday=4
    )
    calendar_exception_add(
        calendar=calendar, date=date(2027, 10, 10), kind="workday", hours="10:00-11:00"
    )
    snapshot = calendar_snapshot_build(calendar=calendar)
    assert snapshot.intervals_on(date(2027, 10, 9)) == ((540, 900),)
    assert snapshot.intervals_on(date(2027, 10, 10)) == ((600, 660),)


@pytest.mark.parametrize(("kind", "weekday"), [("workday", 5), ("half_day", 6)])
def test_it_refuses_a_working_day_that_borrows_hours_from_a_day_off(office, kind, weekday):
    with pytest.raises(CalendarError, match="has no working hours on this calendar") as excinfo:
        calendar_exception_add(
            calendar=office, date=date(2027, 10, 9), kind=kind, works_as_weekday=weekday
        )
    assert excinfo.value.field == "hours"
    with pytest.raises(CalendarError, match="Row 1: Saturday has no working hours"):
        calendar_import_exceptions(
            calendar=office,
            rows=[{"date": "2027-10-09", "kind": "调休", "works_as_weekday": "周六"}],
        )
    assert not office.exceptions.exists()


def test_a_half_day_without_hours_works_the_morning(office):
    calendar_exception_add(calendar=office, date=date(2026, 12, 31), kind="half_day")
    snapshot = calendar_snapshot_build(calendar=office)
    assert snapshot.intervals_on(date(2026, 12, 31)) == ((540, 720),)
    start = sh(2026, 12, 31, 11, 0)
    assert add_business_minutes(snapshot, start, 60) == sh(2026, 12, 31, 12, 0)
    assert business_minutes_between(snapshot, start, sh(2026, 12, 31, 18)) == 60


def test_removing_an_exception_restores_the_weekday(office):
    exception = calendar_exception_add(calendar=office, date=date(2026, 11, 23), kind="holiday")
    calendar_exception_remove(exception=exception)
    assert calendar_snapshot_build(calendar=office).intervals_on(date(2026, 11, 23))


# --- seeding from chinesecalendar --------------------------------------------------------------


def test_it_seeds_official_days_once(office):
    first = calendar_seed_official_days(calendar=office, years=[2026])
    second = calendar_seed_official_days(calendar=office, years=[2026])

    assert first.created == len(official_days([2026])) == 39
    assert (second.created, second.kept) == (0, 39)
    assert office.exceptions.get(date=date(2026, 9, 25)).name == "中秋节"
    assert office.exceptions.get(date=date(2026, 9, 20)).kind == "workday"


def test_seeding_keeps_what_an_administrator_changed(office):
    calendar_exception_add(calendar=office, date=date(2026, 10, 10), kind="holiday", name="公司假")

    result = calendar_seed_official_days(calendar=office, years=[2026])

    assert result.kept == 1
    assert office.exceptions.get(date=date(2026, 10, 10)).name == "公司假"


def test_seeding_a_year_without_data_is_refused_and_writes_nothing(office):
    with pytest.raises(CalendarError, match="no holidays for 2027") as excinfo:
        calendar_seed_official_days(calendar=office, years=[2026, 2027])
    assert excinfo.value.field == "years"
    assert not office.exceptions.exists()


# --- importing -----------------------------------------------------------------------------------

ROWS_2027 = [
    {"date": "2027-10-01", "kind": "节假日", "name": "国庆节"},
    {"date": "2027-10-09", "kind": "调休", "name": "国庆节调休", "works_as_weekday": "周五"},
    {"date": date(2027, 12, 31), "kind": "half_day", "name": "元旦前"},
    {"date": "2027/12/24", "kind": "custom", "hours": "09:00-13:00"},
]


def test_it_imports_rows_for_later_years(office):
    result = calendar_import_exceptions(calendar=office, rows=ROWS_2027)

    assert (result.created, result.updated) == (4, 0)
    snapshot = calendar_snapshot_build(calendar=office)
    assert snapshot.intervals_on(date(2027, 10, 1)) == ()
    assert snapshot.intervals_on(date(2027, 10, 9)) == ((540, 720), (810, 1080))
    assert snapshot.intervals_on(date(2027, 12, 31)) == ((540, 720),)
    assert snapshot.intervals_on(date(2027, 12, 24)) == ((540, 780),)


@pytest.mark.parametrize(
    ("rows", "message", "field"),
    [
        (
            [*ROWS_2027, {"date": "2027-10-01", "kind": "holiday"}],
            "Row 5: 2027-10-01 is listed twice",
            "date",
        ),
        ([{"date": "2027-13-01", "kind": "holiday"}], "Row 1: “2027-13-01” is not a date", "date"),
        ([{"date": "2027-10-01", "kind": "vacation"}], "is not a kind", "kind"),
        (
            [{"date": "2027-10-01", "kind": "holiday", "hours": "09:00-10:00"}],
            "no working",
            "hours",
        ),
        (
            [{"date": "2027-10-01", "kind": "workday", "works_as_weekday": "Frei"}],
            "weekday",
            "works_as_weekday",
        ),
    ],
)
def test_it_refuses_a_bad_import_whole(office, rows, message, field):
    with pytest.raises(CalendarError, match=message) as excinfo:
        calendar_import_exceptions(calendar=office, rows=rows)
    assert excinfo.value.field == field
    assert not office.exceptions.exists()


def test_it_refuses_dates_already_listed_unless_replacing(office):
    calendar_import_exceptions(calendar=office, rows=ROWS_2027)

    with pytest.raises(CalendarError, match="Row 1: 2027-10-01 is already listed"):
        calendar_import_exceptions(
            calendar=office, rows=[{"date": "2027-10-01", "kind": "workday"}, ROWS_2027[1]]
        )
    result = calendar_import_exceptions(
        calendar=office, rows=[{"date": "2027-10-01", "kind": "workday"}], replace=True
    )

    assert (result.created, result.updated) == (0, 1)
    assert office.exceptions.get(date=date(2027, 10, 1)).kind == "workday"
    assert office.exceptions.count() == 4


def test_it_reads_csv_and_xlsx_files(tmp_path):
    csv_file = tmp_path / "2027.csv"
    csv_file.write_text(
        "日期,类型,名称,工作时段\n2027-10-01,节假日,国庆节,\n2027-12-24,自定义,,09:00-13:00\n\n",
        encoding="utf-8-sig",
    )
    workbook = Workbook()
    workbook.active.append(["date", "kind", "name", "hours", "works_as_weekday"])
    workbook.active.append([date(2027, 10, 1), "holiday", "国庆节", None, None])
    workbook.active.append([date(2027, 10, 9), "workday", "国庆节调休", None, 4])
    xlsx_file = tmp_path / "2027.xlsx"
    workbook.save(xlsx_file)

    csv_rows = read_exception_file(csv_file)
    xlsx_rows = read_exception_file(xlsx_file)

    assert csv_rows == [
        {"date": "2027-10-01", "kind": "节假日", "name": "国庆节", "hours": ""},
        {"date": "2027-12-24", "kind": "自定义", "name": "", "hours": "09:00-13:00"},
    ]
    assert [r["kind"] for r in xlsx_rows] == ["holiday", "workday"]
    with pytest.raises(CalendarError, match=r"\.csv or \.xlsx"):
        read_exception_file(tmp_path / "2027.txt")


# --- the command ---------------------------------------------------------------------------------


def test_the_command_seeds_and_imports(office, tmp_path):
    out = StringIO()
    call_command("calendar", "seed", "--calendar", office.name, "--years", "2026", stdout=out)
    path = tmp_path / "2027.csv"
    path.write_text("date,kind,name\n2027-10-01,holiday,国庆节\n", encoding="utf-8")
    call_command("calendar", "import", str(path), "--calendar", office.name, stdout=out)
    call_command(
        "calendar", "due", "2026-09-30T17:00", "960", "--calendar", office.name, stdout=out
    )

    assert "39 days added" in out.getvalue()
    assert "1 added" in out.getvalue()
    assert "2026-10-09T18:00:00+08:00" in out.getvalue()
    assert office.exceptions.count() == 40


def test_the_command_reports_refusals_as_errors(office):
    with pytest.raises(CommandError, match="no holidays for 2030"):
        call_command("calendar", "seed", "--calendar", office.name, "--years", "2030")
    with pytest.raises(CommandError, match="No calendar named"):
        call_command("calendar", "seed", "--calendar", "不存在")


def test_refusals_speak_chinese_in_the_house_language():
    with translation.override("zh-hans"), pytest.raises(CalendarError) as excinfo:
        calendar_create(name="坏日历", intervals={0: "09:00-12:00, 11:30-13:00"})
    assert excinfo.value.message == "工作时段 09:00-12:00 与 11:30-13:00 重叠。"
