"""Business-time arithmetic on real 2026 dates. Pure snapshots: no database.

The office calendar below is the shipped "工作日 5×8": Monday to Friday 09:00–12:00 and
13:30–18:00 (450 minutes a day), Asia/Shanghai, with China's 2026 holidays and make-up working
days from chinesecalendar. In 2026 National Day runs Thu 10-01 to Wed 10-07 and the make-up
Saturday is 10-10 (the Sunday 09-20 is the other); Mid-Autumn is Fri 09-25 to Sun 09-27.
"""

import time as wallclock
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from django.utils import translation
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from rapport.core.calendar import (
    CalendarError,
    CalendarSnapshot,
    add_business_minutes,
    business_minutes_between,
    business_time_between,
    is_working_time,
    next_working_instant,
)
from rapport.core.calendar.chinese import official_days
from rapport.core.calendar.compute import parse_hours

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE_HOURS = ((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60))  # 09:00-12:00, 13:30-18:00
ISSUE_HOURS = ((9 * 60, 12 * 60), (13 * 60, 18 * 60))  # the issue's 9–12/13–18


def official_2026(hours):
    return {day: (() if kind == "holiday" else hours) for day, kind, _ in official_days([2026])}


def weekdays(hours, days=range(5)):
    return {d: hours for d in days}


OFFICE = CalendarSnapshot.build(
    name="office",
    time_zone="Asia/Shanghai",
    week=weekdays(OFFICE_HOURS),
    exceptions=official_2026(OFFICE_HOURS),
)
ISSUE = CalendarSnapshot.build(
    name="issue",
    time_zone="Asia/Shanghai",
    week=weekdays(ISSUE_HOURS),
    exceptions=official_2026(ISSUE_HOURS),
)
HOTLINE = CalendarSnapshot.build(
    name="hotline", time_zone="Asia/Shanghai", week=weekdays([(0, 1440)], range(7))
)
HALF_DAYS = CalendarSnapshot.build(
    name="half days",
    time_zone="Asia/Shanghai",
    week=weekdays(OFFICE_HOURS),
    exceptions={
        date(2026, 12, 31): ((9 * 60, 12 * 60),),  # 元旦前半天 (the morning)
        date(2027, 1, 1): (),  # 元旦
        date(2026, 12, 24): parse_hours("09:00-13:00"),  # custom half day
    },
)
NIGHTS = CalendarSnapshot.build(
    name="nights", time_zone="Asia/Shanghai", week=weekdays([(0, 360), (22 * 60, 1440)], range(7))
)
BERLIN_OFFICE = CalendarSnapshot.build(
    name="berlin", time_zone="Europe/Berlin", week=weekdays([(9 * 60, 17 * 60)])
)
BERLIN_HOTLINE = CalendarSnapshot.build(
    name="berlin 24", time_zone="Europe/Berlin", week=weekdays([(0, 1440)], range(7))
)
NO_WORK = CalendarSnapshot.build(name="never", time_zone="Asia/Shanghai", week={})


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched by their English msgids; test_calendar_admin checks the Chinese."""
    with translation.override("en"):
        yield


def sh(*args):
    return datetime(*args, tzinfo=SH)


def test_it_reads_the_2026_national_day_schedule_from_chinesecalendar():
    assert [d for d in chinese_calendar.holidays if date(2026, 9, 30) < d < date(2026, 10, 12)] == [
        date(2026, 10, d) for d in range(1, 8)
    ]
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # Saturday, 调休
    assert date(2026, 10, 10).weekday() == 5
    assert chinese_calendar.is_workday(date(2026, 9, 20))  # Sunday, 调休
    assert chinese_calendar.is_holiday(date(2026, 9, 25))  # Mid-Autumn, Friday


def test_it_computes_the_national_day_due_instant_from_the_issue():
    """Wed 2026-09-30 17:00 + 16 business hours (960 minutes) on 9–12/13:30–18.

    Sep 30 17:00–18:00 = 60 (900 left); Oct 1–7 National Day; Thu Oct 8 = 450 (450 left);
    Fri Oct 9 09:00–12:00 = 180 (270 left), 13:30 + 270 = 18:00 exactly. A due instant at the end
    of an interval stays there: Fri 2026-10-09 18:00, not the make-up Saturday's 09:00.
    """
    start = sh(2026, 9, 30, 17, 0)

    due = add_business_minutes(OFFICE, start, 960)

    assert due == sh(2026, 10, 9, 18, 0)
    assert business_minutes_between(OFFICE, start, due) == 960
    assert not is_working_time(OFFICE, due)
    # One minute more spills onto the make-up Saturday 2026-10-10.
    assert add_business_minutes(OFFICE, start, 961) == sh(2026, 10, 10, 9, 1)


def test_it_computes_the_national_day_example_on_the_issues_9_to_12_13_to_18_calendar():
    # 60 on Sep 30, 480 on Oct 8 (420 left), Oct 9: 180 by noon (240 left), 13:00 + 240 = 17:00.
    assert add_business_minutes(ISSUE, sh(2026, 9, 30, 17), 960) == sh(2026, 10, 9, 17, 0)
    # Three days' worth lands on the make-up Saturday: 60 + 480 + 480 = 1020, +480 → Sat 18:00.
    assert add_business_minutes(ISSUE, sh(2026, 9, 30, 17), 1500) == sh(2026, 10, 10, 18, 0)


OFFICE_CASES = [
    # (label, start, minutes, expected due)
    ("within a morning", sh(2026, 11, 23, 9, 0), 30, sh(2026, 11, 23, 9, 30)),
    ("across the lunch break", sh(2026, 11, 23, 11, 30), 60, sh(2026, 11, 23, 14, 0)),
    ("ends exactly at noon", sh(2026, 11, 23, 11, 0), 60, sh(2026, 11, 23, 12, 0)),
    ("starts inside the break", sh(2026, 11, 23, 12, 40), 30, sh(2026, 11, 23, 14, 0)),
    ("starts before opening", sh(2026, 11, 23, 7, 15), 10, sh(2026, 11, 23, 9, 10)),
    ("starts after closing", sh(2026, 11, 23, 19, 0), 10, sh(2026, 11, 24, 9, 10)),
    ("across midnight", sh(2026, 11, 23, 17, 50), 20, sh(2026, 11, 24, 9, 10)),
    ("over a weekend", sh(2026, 11, 27, 17, 30), 60, sh(2026, 11, 30, 9, 30)),
    ("starts on a Saturday", sh(2026, 11, 28, 10, 0), 1, sh(2026, 11, 30, 9, 1)),
    ("zero at a working instant", sh(2026, 11, 23, 10, 5), 0, sh(2026, 11, 23, 10, 5)),
    ("zero in the break", sh(2026, 11, 23, 12, 0), 0, sh(2026, 11, 23, 13, 30)),
    ("zero at closing", sh(2026, 11, 23, 18, 0), 0, sh(2026, 11, 24, 9, 0)),
    ("a full day", sh(2026, 11, 23, 9, 0), 450, sh(2026, 11, 23, 18, 0)),
    ("a week", sh(2026, 11, 23, 9, 0), 5 * 450, sh(2026, 11, 27, 18, 0)),
    ("over Mid-Autumn", sh(2026, 9, 24, 17, 0), 120, sh(2026, 9, 28, 10, 0)),
    ("onto the make-up Sunday", sh(2026, 9, 19, 12, 0), 30, sh(2026, 9, 20, 9, 30)),
    (
        "into Spring Festival's make-up Saturday",
        sh(2026, 2, 13, 17, 0),
        120,
        sh(2026, 2, 14, 10, 0),
    ),
    ("over Spring Festival", sh(2026, 2, 14, 17, 0), 120, sh(2026, 2, 24, 10, 0)),
    ("from inside National Day", sh(2026, 10, 3, 11, 0), 1, sh(2026, 10, 8, 9, 1)),
    ("seconds kept", sh(2026, 11, 23, 9, 0, 30), 1, sh(2026, 11, 23, 9, 1, 30)),
]


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [c[1:] for c in OFFICE_CASES],
    ids=[c[0] for c in OFFICE_CASES],
)
def test_it_adds_business_minutes_on_the_office_calendar(start, minutes, due):
    assert add_business_minutes(OFFICE, start, minutes) == due
    assert business_minutes_between(OFFICE, start, due) == minutes


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (sh(2026, 11, 23, 8, 0), sh(2026, 11, 23, 20, 0), 450),
        (sh(2026, 11, 23, 12, 10), sh(2026, 11, 23, 13, 20), 0),  # inside the break
        (sh(2026, 11, 23, 11, 50), sh(2026, 11, 23, 13, 40), 20),
        (sh(2026, 11, 28, 0, 0), sh(2026, 11, 30, 0, 0), 0),  # a weekend
        (sh(2026, 9, 30, 0, 0), sh(2026, 10, 12, 0, 0), 4 * 450),  # 9-30, 10-08, 10-09, 10-10
        (sh(2026, 10, 9, 18, 0), sh(2026, 9, 30, 17, 0), -960),  # signed
        (sh(2026, 11, 23, 9, 0, 59), sh(2026, 11, 23, 9, 2), 1),  # truncated
        (sh(2026, 1, 1, 0, 0), sh(2027, 1, 1, 0, 0), 248 * 450),  # the 2026 working year
    ],
)
def test_it_measures_business_minutes_on_the_office_calendar(start, end, minutes):
    assert business_minutes_between(OFFICE, start, end) == minutes


def test_the_2026_working_year_has_248_working_days():
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
    assert sum(1 for d in days if chinese_calendar.is_workday(d)) == 248


def test_it_tells_working_time_with_half_open_intervals():
    assert is_working_time(OFFICE, sh(2026, 11, 23, 9, 0))
    assert is_working_time(OFFICE, sh(2026, 11, 23, 11, 59, 59))
    assert not is_working_time(OFFICE, sh(2026, 11, 23, 12, 0))
    assert not is_working_time(OFFICE, sh(2026, 11, 23, 12, 40))
    assert not is_working_time(OFFICE, sh(2026, 10, 1, 10, 0))  # National Day
    assert is_working_time(OFFICE, sh(2026, 10, 10, 10, 0))  # make-up Saturday
    assert not is_working_time(OFFICE, sh(2026, 10, 11, 10, 0))  # the Sunday after


def test_it_finds_the_next_working_instant():
    assert next_working_instant(OFFICE, sh(2026, 11, 23, 10, 0)) == sh(2026, 11, 23, 10, 0)
    assert next_working_instant(OFFICE, sh(2026, 11, 23, 12, 40)) == sh(2026, 11, 23, 13, 30)
    assert next_working_instant(OFFICE, sh(2026, 9, 30, 18, 0)) == sh(2026, 10, 8, 9, 0)


def test_it_returns_the_due_instant_in_the_start_instants_zone():
    start = datetime(2026, 9, 30, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    due = add_business_minutes(OFFICE, start, 960)
    assert due.tzinfo is UTC
    assert due == sh(2026, 10, 9, 18, 0)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (sh(2026, 12, 31, 11, 0), 60, sh(2026, 12, 31, 12, 0)),  # half day ends at noon
        (sh(2026, 12, 31, 11, 0), 61, sh(2027, 1, 4, 9, 1)),  # then 元旦 and a weekend
        (sh(2026, 12, 31, 14, 0), 1, sh(2027, 1, 4, 9, 1)),  # afternoon off
        (sh(2026, 12, 24, 12, 30), 60, sh(2026, 12, 25, 9, 30)),  # custom 09:00-13:00
    ],
)
def test_it_counts_half_days(start, minutes, due):
    assert add_business_minutes(HALF_DAYS, start, minutes) == due


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (sh(2026, 10, 1, 0, 0), 3 * 1440, sh(2026, 10, 4, 0, 0)),  # holidays count on a hotline
        (sh(2026, 10, 3, 23, 30), 60, sh(2026, 10, 4, 0, 30)),  # across midnight
        (sh(2026, 11, 23, 14, 5), 0, sh(2026, 11, 23, 14, 5)),
        (sh(2026, 12, 31, 23, 59), 2, sh(2027, 1, 1, 0, 1)),
    ],
)
def test_it_counts_every_minute_on_a_7x24_calendar(start, minutes, due):
    assert add_business_minutes(HOTLINE, start, minutes) == due
    assert business_minutes_between(HOTLINE, start, due) == minutes
    assert is_working_time(HOTLINE, sh(2026, 10, 1, 0, 0))


def test_it_runs_a_night_shift_across_midnight():
    assert add_business_minutes(NIGHTS, sh(2026, 11, 23, 23, 0), 120) == sh(2026, 11, 24, 1, 0)
    assert add_business_minutes(NIGHTS, sh(2026, 11, 23, 5, 30), 60) == sh(2026, 11, 23, 22, 30)
    assert business_minutes_between(NIGHTS, sh(2026, 11, 23, 0), sh(2026, 11, 24, 0)) == 480


def test_it_keeps_wall_clock_hours_across_a_dst_change_in_another_zone():
    # Europe/Berlin moves to summer time on Sunday 2026-03-29; opening hours stay 09:00 local.
    start = datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN)  # Friday, UTC+1
    due = add_business_minutes(BERLIN_OFFICE, start, 120)
    assert due == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)  # Monday, UTC+2
    assert due.utcoffset() == timedelta(hours=2)
    assert business_minutes_between(BERLIN_OFFICE, start, due) == 120


def test_it_counts_real_minutes_through_a_dst_night_on_a_7x24_calendar():
    start = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN)
    assert business_minutes_between(BERLIN_HOTLINE, start, end) == 23 * 60
    assert add_business_minutes(BERLIN_HOTLINE, start, 23 * 60) == end


def test_a_calendar_without_working_time_raises_instead_of_looping():
    start = sh(2026, 11, 23, 9, 0)
    began = wallclock.monotonic()
    with pytest.raises(CalendarError) as excinfo:
        add_business_minutes(NO_WORK, start, 60)
    assert excinfo.value.code == "calendar_no_working_time"
    with pytest.raises(CalendarError):
        next_working_instant(NO_WORK, start)
    with pytest.raises(CalendarError):
        add_business_minutes(NO_WORK, start, 0)
    assert business_minutes_between(NO_WORK, start, start + timedelta(days=30)) == 0
    assert wallclock.monotonic() - began < 1


def test_holidays_that_cover_the_whole_horizon_raise():
    every_day = {date(2026, 1, 1) + timedelta(days=i): () for i in range(4 * 366)}
    all_holidays = CalendarSnapshot.build(
        name="closed", time_zone="Asia/Shanghai", week=weekdays(OFFICE_HOURS), exceptions=every_day
    )
    with pytest.raises(CalendarError):
        add_business_minutes(all_holidays, sh(2026, 1, 1), 1)


def test_a_calendar_with_only_exception_days_finds_them_by_date():
    one_day = CalendarSnapshot.build(
        name="one day",
        time_zone="Asia/Shanghai",
        week={},
        exceptions={date(2028, 6, 1): OFFICE_HOURS},
    )
    assert add_business_minutes(one_day, sh(2026, 1, 1), 1) == sh(2028, 6, 1, 9, 1)
    far = CalendarSnapshot.build(
        name="far", time_zone="Asia/Shanghai", week={}, exceptions={date(2031, 6, 1): OFFICE_HOURS}
    )
    with pytest.raises(CalendarError):
        add_business_minutes(far, sh(2026, 1, 1), 1)


def test_it_refuses_negative_minutes_and_naive_instants():
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(OFFICE, sh(2026, 11, 23, 9), -1)
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(OFFICE, datetime(2026, 11, 23, 9), 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        business_minutes_between(OFFICE, datetime(2026, 11, 23, 9), sh(2026, 11, 23, 10))  # noqa: DTZ001


def test_it_adds_years_of_minutes_without_walking_minutes():
    began = wallclock.monotonic()
    due = add_business_minutes(OFFICE, sh(2026, 1, 1), 248 * 450)
    assert due == sh(2026, 12, 31, 18, 0)
    assert wallclock.monotonic() - began < 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("18:00-09:00", "ends before it starts"),
        ("09:00-12:00, 11:00-13:00", "overlap"),
        ("9点到12点", "not a time range"),
        ("09:00-25:00", "not a valid time"),
        ("09:00-09:00", "ends before it starts"),
    ],
)
def test_it_refuses_bad_hours(text, message):
    with pytest.raises(CalendarError, match=message) as excinfo:
        parse_hours(text)
    assert excinfo.value.field == "hours"


def test_it_parses_hours_in_several_spellings():
    assert parse_hours("09:00-12:00, 13:30-18:00") == OFFICE_HOURS
    assert parse_hours("13:30～18:00、9:00－12:00".replace("－", "-")) == OFFICE_HOURS
    assert parse_hours("00:00-24:00") == ((0, 1440),)
    assert parse_hours("") == ()


# --- properties ---------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 12, 1),  # noqa: DTZ001 - hypothesis adds the zone
    max_value=datetime(2026, 12, 31),  # noqa: DTZ001
    timezones=st.just(SH),
    allow_imaginary=False,
).map(lambda t: t.replace(second=0, microsecond=0))
exact_instants = st.datetimes(
    min_value=datetime(2025, 12, 1),  # noqa: DTZ001
    max_value=datetime(2026, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from([SH, UTC, BERLIN]),
    # An instant, not a wall-clock reading: 02:30 on the day Berlin springs forward names none
    # (and aware times in one zone compare by their wall clocks, so 01:00 looked earlier).
    allow_imaginary=False,
)
minutes = st.integers(min_value=0, max_value=20_000)


@st.composite
def day_hours(draw):
    cuts = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    return tuple(zip(cuts[::2], cuts[1::2], strict=True))


@st.composite
def calendars(draw):
    week = {d: draw(day_hours()) for d in range(7)}
    assume(any(week.values()))
    exception_days = draw(
        st.dictionaries(
            st.dates(min_value=date(2025, 12, 1), max_value=date(2027, 6, 30)),
            day_hours(),
            max_size=40,
        )
    )
    zone = draw(st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"]))
    return CalendarSnapshot.build(
        name="random", time_zone=zone, week=week, exceptions=exception_days
    )


PROPERTY_CALENDARS = st.one_of(
    st.sampled_from([OFFICE, ISSUE, HOTLINE, HALF_DAYS, NIGHTS]), calendars()
)
property_settings = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@property_settings
@given(cal=PROPERTY_CALENDARS, start=instants, m=minutes)
def test_adding_then_measuring_returns_the_same_minutes(cal, start, m):
    due = add_business_minutes(cal, start, m)
    assert business_minutes_between(cal, start, due) == m
    assert business_time_between(cal, start, due) == timedelta(minutes=m)


@property_settings
@given(cal=PROPERTY_CALENDARS, start=exact_instants, m=minutes)
@example(cal=HOTLINE, start=datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN), m=0)  # just sprung forward
@example(cal=HOTLINE, start=datetime(2026, 3, 29, 1, 59, tzinfo=BERLIN), m=5)
def test_due_instants_never_fall_in_non_working_time_except_at_an_interval_end(cal, start, m):
    due = add_business_minutes(cal, start, m)
    assert due >= start
    if m == 0 or is_working_time(cal, due):
        assert is_working_time(cal, due)
    else:
        # Exactly at the end of a working interval: the instant just before is working time,
        # so no earlier instant reaches the target (the due instant is the earliest one).
        just_before = due - timedelta(microseconds=1)
        assert is_working_time(cal, just_before)
        assert business_time_between(cal, start, just_before) < timedelta(minutes=m)


@property_settings
@given(cal=PROPERTY_CALENDARS, a=exact_instants, b=exact_instants, c=exact_instants)
def test_measuring_is_additive_over_a_split_point(cal, a, b, c):
    whole = business_time_between(cal, a, c)
    assert whole == business_time_between(cal, a, b) + business_time_between(cal, b, c)
    assert business_time_between(cal, c, a) == -whole


@property_settings
@given(cal=PROPERTY_CALENDARS, start=instants, m=minutes, n=minutes)
def test_adding_in_two_steps_equals_adding_once(cal, start, m, n):
    assume(m > 0)
    once = add_business_minutes(cal, start, m + n)
    twice = add_business_minutes(cal, add_business_minutes(cal, start, m), n)
    if n > 0:
        assert twice == once
    else:
        assert business_minutes_between(cal, start, twice) == m


@settings(max_examples=100, deadline=2000)
@given(
    holidays=st.dictionaries(
        st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 1, 1)), st.just(()), max_size=30
    ),
    start=instants,
    m=minutes,
)
def test_calendars_without_working_time_raise_instead_of_looping(holidays, start, m):
    cal = CalendarSnapshot.build(
        name="none", time_zone="Asia/Shanghai", week={}, exceptions=holidays
    )
    with pytest.raises(CalendarError):
        add_business_minutes(cal, start, m)


def test_a_snapshot_is_frozen_hashable_and_picklable():
    import pickle

    assert pickle.loads(pickle.dumps(OFFICE)) == OFFICE
    assert hash(OFFICE) == hash(pickle.loads(pickle.dumps(OFFICE)))
    with pytest.raises(AttributeError):
        OFFICE.name = "other"  # type: ignore[misc]
