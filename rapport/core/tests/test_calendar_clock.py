"""The pausable service-level clock on the 2026 office calendar (9–12, 13:30–18, National Day)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.core.calendar.clock import (
    Pause,
    clock_elapsed,
    clock_instant_reaching,
    clock_read,
    running_segments,
)
from rapport.core.calendar.compute import CalendarSnapshot, business_time_between

SH = ZoneInfo("Asia/Shanghai")
DAY = ((9 * 60, 12 * 60), (13 * 60 + 30, 18 * 60))
OFFICE = CalendarSnapshot.build(
    name="office",
    time_zone="Asia/Shanghai",
    week={d: DAY for d in range(5)},
    exceptions={
        **{date(2026, 10, d): () for d in range(1, 8)},  # National Day holiday
        date(2026, 10, 10): DAY,  # make-up Saturday (调休)
    },
)


def t(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def test_a_running_clock_is_due_across_the_holiday():
    reading = clock_read(
        OFFICE, started_at=t(9, 30, 17), target=timedelta(minutes=960), at=t(9, 30, 17)
    )
    assert reading.due_at == t(10, 9, 18)
    assert reading.warn_at == t(10, 9, 13, 30) + timedelta(minutes=270 - 192)  # 80% = 768 min
    assert not reading.paused and not reading.breached


def test_waiting_on_the_customer_pauses_the_clock_and_moves_the_due_instant():
    pauses = [Pause(t(10, 8, 10), t(10, 9, 10))]
    reading = clock_read(
        OFFICE,
        started_at=t(9, 30, 17),
        target=timedelta(minutes=960),
        at=t(10, 9, 11),
        pauses=pauses,
    )
    # 120 minutes ran before the pause; 840 remain from Fri 10:00: 390 on Friday, 450 on the
    # make-up Saturday.
    assert reading.due_at == t(10, 10, 18)
    assert reading.elapsed == timedelta(minutes=120 + 60)


def test_while_paused_time_does_not_run_and_no_due_instant_is_promised():
    pauses = [Pause(t(10, 8, 10))]
    at_pause = clock_read(
        OFFICE,
        started_at=t(9, 30, 17),
        target=timedelta(minutes=960),
        at=t(10, 8, 10),
        pauses=pauses,
    )
    later = clock_read(
        OFFICE,
        started_at=t(9, 30, 17),
        target=timedelta(minutes=960),
        at=t(10, 20, 10),
        pauses=pauses,
    )
    assert later.elapsed == at_pause.elapsed == timedelta(minutes=120)
    assert later.paused and later.due_at is None and not later.breached


def test_a_stopped_clock_keeps_its_elapsed_time_and_verdict():
    met = clock_read(
        OFFICE,
        started_at=t(9, 30, 17),
        target=timedelta(minutes=30),
        at=t(10, 20, 9),
        stopped_at=t(9, 30, 17, 30),
    )
    late = clock_read(
        OFFICE,
        started_at=t(9, 30, 17),
        target=timedelta(minutes=30),
        at=t(10, 20, 9),
        stopped_at=t(10, 8, 9, 1),
    )
    assert (met.elapsed, met.breached, met.stopped) == (timedelta(minutes=30), False, True)
    assert late.elapsed == timedelta(minutes=61) and late.breached


def test_a_new_target_keeps_the_time_run_and_moves_only_the_due_instant():
    before = clock_read(
        OFFICE, started_at=t(9, 30, 17), target=timedelta(minutes=960), at=t(10, 8, 12)
    )
    after = clock_read(
        OFFICE, started_at=t(9, 30, 17), target=timedelta(minutes=480), at=t(10, 8, 12)
    )
    assert before.elapsed == after.elapsed == timedelta(minutes=240)
    assert after.due_at == t(10, 8, 17, 30)  # 240 more minutes after the lunch break


def test_the_breach_is_at_the_due_instant_not_before():
    started = t(9, 30, 17)
    due = clock_instant_reaching(OFFICE, started_at=started, amount=timedelta(minutes=960))
    just_before = clock_read(
        OFFICE, started_at=started, target=timedelta(minutes=960), at=due - timedelta(seconds=1)
    )
    at_due = clock_read(OFFICE, started_at=started, target=timedelta(minutes=960), at=due)
    after = clock_read(
        OFFICE, started_at=started, target=timedelta(minutes=960), at=due + timedelta(minutes=1)
    )
    assert just_before.at_risk and not just_before.breached
    assert not at_due.breached
    assert after.breached


@pytest.mark.parametrize(
    "pauses",
    [
        [Pause(t(10, 9, 10), t(10, 8, 10))],  # ends before it starts
        [Pause(t(9, 29, 10), t(10, 8, 10))],  # before the start
        [Pause(t(10, 8, 10)), Pause(t(10, 9, 10), t(10, 9, 11))],  # open pause then another
        [Pause(t(10, 9, 10), t(10, 9, 11)), Pause(t(10, 8, 10), t(10, 8, 11))],  # out of order
    ],
)
def test_impossible_pauses_are_refused(pauses):
    with pytest.raises(ValueError):
        running_segments(started_at=t(9, 30, 17), pauses=pauses)


def test_a_target_must_be_positive():
    with pytest.raises(ValueError):
        clock_read(OFFICE, started_at=t(9, 30, 17), target=timedelta(minutes=0), at=t(9, 30, 17))


instants = st.integers(min_value=0, max_value=60 * 24 * 30).map(
    lambda m: t(9, 25, 0) + timedelta(minutes=m)
)


@settings(max_examples=200, deadline=None)
@given(
    start=instants,
    cuts=st.lists(st.integers(min_value=1, max_value=60 * 24 * 5), min_size=0, max_size=6),
    target=st.integers(min_value=1, max_value=60 * 40),
)
def test_properties_of_pausable_clocks(start, cuts, target):
    # Build closed pauses from alternating run/pause lengths after the start.
    pauses, cursor = [], start
    for i in range(0, len(cuts) - 1, 2):
        begin = cursor + timedelta(minutes=cuts[i])
        end = begin + timedelta(minutes=cuts[i + 1])
        pauses.append(Pause(begin, end))
        cursor = end
    amount = timedelta(minutes=target)
    due = clock_instant_reaching(OFFICE, started_at=start, amount=amount, pauses=pauses)
    assert due is not None
    # The clock has run exactly the target at its due instant ...
    assert clock_elapsed(OFFICE, started_at=start, at=due, pauses=pauses) == amount
    # ... and paused time never counts.
    unpaused = clock_elapsed(OFFICE, started_at=start, at=due)
    paused_work = sum(
        (business_time_between(OFFICE, p.start, min(p.end, due)) for p in pauses if p.start < due),
        timedelta(0),
    )
    assert unpaused - paused_work == amount
