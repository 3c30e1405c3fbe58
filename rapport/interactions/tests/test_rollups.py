"""The measures' rollups: the measures read them for the whole past days they hold current and
give exactly what a computation from the rows gives, before, during and after the worker's
rebuilds, for everyone, a team and a person, over a day, a month, a quarter and periods that
start or end within a day."""

import random
from datetime import datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions import measures as m
from rapport.interactions import rollups
from rapport.interactions.models import (
    AgentStatusInterval,
    AgentStatusRollup,
    Interaction,
    InteractionRollup,
    InteractionRollupDay,
    InteractionRollupMonth,
)
from rapport.interactions.services import (
    agent_status_set,
    interaction_correct,
    interaction_log,
    transfer_create,
)
from rapport.interactions.tests.factories import InteractionFactory, StatusIntervalFactory, purpose
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

DAYS = 100
STATUSES = AgentStatusInterval.Status.values
CHANNELS = Interaction.Channel.values


def local(day, hour=0, minute=0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def history(team, other_team, agent, other_team_agent, supervisor):
    """A hundred days of contacts and status for five people (one in no team), written around
    the services as a bulk import would: nothing is rolled up until a rebuild."""
    rng = random.Random(16)
    loner = StaffFactory(username="loner", role=User.Role.REPRESENTATIVE)
    people = [agent, other_team_agent, supervisor, loner]
    customers = [CustomerFactory() for _ in range(3)]
    info = purpose()
    now = timezone.now()
    rows = []
    for _n in range(600):
        staff = rng.choice(people)
        started = now - timedelta(minutes=rng.randrange(1, DAYS * 24 * 60))
        roll = rng.random()
        rows.append(
            Interaction(
                customer=rng.choice(customers),
                channel=rng.choice(CHANNELS),
                direction=rng.choice(["inbound", "outbound"]),
                staff=staff,
                first_responder=staff,
                handler=staff,
                started_at=started,
                purpose=info,
                summary="导入的历史记录",
                escalated=roll < 0.1,
                passed_on=0.1 <= roll < 0.2,
                created_at=started,
            )
        )
    Interaction.objects.bulk_create(rows)
    intervals = []
    for staff in people:
        at = now - timedelta(days=DAYS, minutes=rng.randrange(0, 600))
        while True:
            # Lengths up to 15 hours, in microseconds: many cross midnight, none on the second.
            end = at + timedelta(microseconds=rng.randrange(60_000_000, 15 * 3600_000_000))
            status = rng.choice(STATUSES)
            if end >= now:
                intervals.append(AgentStatusInterval(staff=staff, status=status, started_at=at))
                break
            seconds = int((end - at).total_seconds())
            intervals.append(
                AgentStatusInterval(
                    staff=staff, status=status, started_at=at, ended_at=end, seconds=seconds
                )
            )
            at = end
    AgentStatusInterval.objects.bulk_create(intervals)
    return {"people": people, "now": now, "rng": rng}


def _days(first, last) -> list:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _periods(today) -> dict[str, tuple[datetime, datetime]]:
    month = m.month_bounds(today.replace(day=1) - timedelta(days=1))
    return {
        "a day": (local(today - timedelta(days=1)), local(today)),
        "a month": month,
        "this month": m.month_bounds(today),
        "a quarter to today": (local(today - timedelta(days=91)), local(today + timedelta(days=1))),
        "mid-history, cut within days": (
            local(today - timedelta(days=47), 13, 30),
            local(today - timedelta(days=3), 9, 15),
        ),
        "the whole history": (
            local(today - timedelta(days=DAYS + 2)),
            local(today + timedelta(days=1)),
        ),
    }


def _scopes(team, other_team, history) -> dict[str, m.Scope]:
    agent, _other_team_agent, _supervisor, loner = history["people"]
    return {
        "everyone": m.Scope(),
        "a team": m.Scope(team=team),
        "another team": m.Scope(team=other_team),
        "a person": m.Scope(person=agent),
        "a person in no team": m.Scope(person=loner),
    }


def _figures(result: m.Measures) -> tuple:
    return (
        result.interactions,
        result.escalated,
        result.passed_on,
        result.status_seconds,
        [(row.channel, row.inbound, row.outbound) for row in result.channels],
        result.left,
        result.average_headcount,
    )


def _assert_equal_to_live(scopes, periods, now) -> None:
    for scope_name, scope in scopes.items():
        for period_name, (start, end) in periods.items():
            read = m.measures_for(start=start, end=end, scope=scope, now=now)
            live = m.measures_for(start=start, end=end, scope=scope, now=now, live=True)
            assert _figures(read) == _figures(live), (scope_name, period_name)


def test_it_gives_the_live_figures_from_the_rollups_for_every_scope_and_period(
    history, team, other_team
):
    now = timezone.now()
    today = timezone.localdate(now)
    scopes, periods = _scopes(team, other_team, history), _periods(today)
    live = {
        (s, p): _figures(m.measures_for(start=a, end=b, scope=scope, now=now, live=True))
        for s, scope in scopes.items()
        for p, (a, b) in periods.items()
    }

    built = rollups.rollup_rebuild(now=now)

    first = timezone.localdate(AgentStatusInterval.objects.order_by("started_at")[0].started_at)
    assert built == (today - first).days >= DAYS  # from the first interval's day to yesterday
    assert InteractionRollup.objects.exists() and AgentStatusRollup.objects.exists()
    month = periods["a month"]
    plan = rollups.plan_for(start=month[0], end=month[1], now=now)
    assert (plan.months, plan.days, plan.live) == ([month[0].date()], [], [])
    quarter = periods["a quarter to today"]
    plan = rollups.plan_for(start=quarter[0], end=quarter[1], now=now)
    first, yesterday = quarter[0].date(), today - timedelta(days=1)
    whole = [
        day
        for day in _days(first, yesterday)
        if day.day == 1 and m.month_bounds(day)[1].date() <= today
    ]
    assert plan.months == whole and len(whole) >= 2  # whole months, by their rows
    covered = {day for a, b in plan.days for day in _days(a, b)}
    covered |= {day for month in whole for day in rollups._month_days(month)}
    assert covered == set(_days(first, yesterday))
    assert plan.live == [(local(today), quarter[1])]
    for s, scope in scopes.items():
        for p, (a, b) in periods.items():
            assert _figures(m.measures_for(start=a, end=b, scope=scope, now=now)) == live[s, p]
    assert live["everyone", "the whole history"][0] == 600


def test_the_figures_are_the_live_ones_before_any_build(history, team, other_team):
    # Days never built (bulk rows, no rebuild yet) are computed live.
    now = timezone.now()
    periods = _periods(timezone.localdate(now))

    plan = rollups.plan_for(start=periods["a month"][0], end=periods["a month"][1], now=now)

    assert (plan.months, plan.days, plan.live) == ([], [], [periods["a month"]])
    _assert_equal_to_live(_scopes(team, other_team, history), periods, now)


def test_a_write_after_a_build_leaves_its_day_live_until_the_worker_rebuilds_it(
    history, team, other_team, agent, specialist
):
    rollups.rollup_rebuild()
    today = timezone.localdate()
    three_days_ago, ten_days_ago = today - timedelta(days=3), today - timedelta(days=10)
    customer = CustomerFactory()
    # A contact logged afterwards for three days ago, one moved from ten days ago to twenty, and
    # one of ten days ago escalated.
    moved = InteractionFactory(staff=agent, customer=customer, started_at=local(ten_days_ago, 9))
    escalated = InteractionFactory(
        staff=agent, customer=customer, started_at=local(ten_days_ago, 10)
    )
    rollups.rollup_touch(days=[ten_days_ago])  # the two rows above came in around the services
    rollups.rollup_sweep()
    interaction_log(
        by=agent,
        customer=customer,
        channel="fax",
        direction="inbound",
        purpose=purpose(),
        summary="补录的传真",
        started_at=local(three_days_ago, 11),
    )
    interaction_correct(
        interaction=moved,
        by=agent,
        reason="日期记错了",
        started_at=local(today - timedelta(days=20), 9),
    )
    transfer_create(interaction=escalated, by=agent, to_staff=specialist, reason="需要专家")

    changed = set(
        InteractionRollupDay.objects.exclude(built_version=F("version")).values_list(
            "day", flat=True
        )
    )
    assert changed == {three_days_ago, ten_days_ago, today - timedelta(days=20)}
    now = timezone.now()
    scopes, periods = _scopes(team, other_team, history), _periods(today)
    plan = rollups.plan_for(
        start=periods["a quarter to today"][0], end=periods["a quarter to today"][1], now=now
    )
    assert (local(three_days_ago), local(three_days_ago + timedelta(days=1))) in plan.live
    _assert_equal_to_live(scopes, periods, now)
    that_day = (local(three_days_ago), local(three_days_ago + timedelta(days=1)))
    faxes = Interaction.objects.filter(
        channel="fax", direction="inbound", started_at__range=that_day
    ).count()
    result = m.measures_for(start=that_day[0], end=that_day[1], now=now)
    assert [row.inbound for row in result.channels if row.channel == "fax"] == [faxes]
    assert faxes >= 1

    assert rollups.rollup_sweep() == 3

    assert (
        not InteractionRollupDay.objects.exclude(built_version=F("version"))
        .filter(day__lt=today)
        .exists()
    )
    now = timezone.now()
    _assert_equal_to_live(scopes, periods, now)
    assert rollups.rollup_check_days() == []


def test_a_write_on_a_day_of_a_built_month_reads_the_month_by_days_until_it_is_built_again(
    history, team, other_team, agent
):
    today = timezone.localdate()
    month = m.month_bounds(today.replace(day=1) - timedelta(days=1))
    rollups.rollup_rebuild()
    tenth = month[0].date() + timedelta(days=9)

    interaction_log(
        by=agent,
        customer=CustomerFactory(),
        channel="letter",
        direction="inbound",
        purpose=purpose(),
        summary="客户来信",
        started_at=local(tenth, 16),
    )

    now = timezone.now()
    plan = rollups.plan_for(start=month[0], end=month[1], now=now)
    assert plan.months == [] and plan.live == [(local(tenth), local(tenth + timedelta(days=1)))]
    assert len(plan.days) == 2  # the days before and after the tenth
    scopes, periods = _scopes(team, other_team, history), _periods(today)
    _assert_equal_to_live(scopes, periods, now)

    assert rollups.rollup_sweep() == 1  # the tenth, then its month again

    now = timezone.now()
    plan = rollups.plan_for(start=month[0], end=month[1], now=now)
    assert (plan.months, plan.days, plan.live) == ([month[0].date()], [], [])
    _assert_equal_to_live(scopes, periods, now)
    assert rollups.rollup_check_days() == []


def test_every_write_through_the_services_marks_its_day_changed(agent, specialist):
    customer = CustomerFactory()
    yesterday = timezone.localdate() - timedelta(days=1)
    interaction = InteractionFactory(staff=agent, customer=customer, started_at=local(yesterday, 9))
    rollups.rollup_build_day(yesterday)

    def version() -> int:
        return InteractionRollupDay.objects.get(day=yesterday).version

    before = version()
    interaction_log(
        by=agent,
        customer=customer,
        channel="phone",
        direction="outbound",
        purpose=purpose(),
        summary="回访",
        started_at=local(yesterday, 15),
    )
    after_log = version()
    interaction_correct(interaction=interaction, by=agent, reason="改正", summary="只改摘要")
    after_summary = version()
    interaction_correct(interaction=interaction, by=agent, reason="改正", channel="wechat")
    after_channel = version()
    transfer_create(interaction=interaction, by=agent, to_staff=specialist, reason="需要专家")
    after_transfer = version()

    assert (after_log, after_summary, after_channel, after_transfer) == (
        before + 1,
        before + 1,  # the summary is not counted: the day stays current
        before + 2,
        before + 3,
    )
    today = timezone.localdate()
    agent_status_set(staff=agent, status="training")
    agent_status_set(staff=agent, status="break")
    assert InteractionRollupDay.objects.get(day=today).version == 2


def test_an_interval_across_midnight_is_split_between_its_days(agent, team):
    today = timezone.localdate()
    two_days_ago, yesterday = today - timedelta(days=2), today - timedelta(days=1)
    StatusIntervalFactory(
        staff=agent,
        status="training",
        started_at=local(two_days_ago, 22),
        ended_at=local(yesterday, 2, 30),
    )

    rollups.rollup_rebuild()

    rows = AgentStatusRollup.objects.order_by("day").values_list("day", "status", "microseconds")
    assert list(rows) == [
        (two_days_ago, "training", 2 * 3600 * 10**6),
        (yesterday, "training", int(2.5 * 3600) * 10**6),
    ]
    for first, last, seconds in (
        (two_days_ago, two_days_ago, 7200),
        (yesterday, yesterday, 9000),
        (two_days_ago, yesterday, 16_200),
    ):
        result = m.measures_for(
            start=local(first), end=local(last + timedelta(days=1)), scope=m.Scope(team=team)
        )
        assert result.status_seconds == {"training": seconds}
        assert result.non_contact_seconds == seconds


def test_an_open_interval_counts_to_midnight_on_past_days_and_to_now_today(agent):
    today = timezone.localdate()
    StatusIntervalFactory(
        staff=agent, status="break", started_at=local(today - timedelta(days=2), 20), ended_at=None
    )
    rollups.rollup_rebuild()
    start, end = local(today - timedelta(days=2)), local(today + timedelta(days=1))
    now = timezone.now()

    read = m.measures_for(start=start, end=end, now=now)

    expected = (now - local(today - timedelta(days=2), 20)) // timedelta(seconds=1)
    assert read.status_seconds == {"break": expected}
    assert _figures(read) == _figures(m.measures_for(start=start, end=end, now=now, live=True))
    # Closing it now changes no past day: they stay current.
    agent_status_set(staff=agent, status="available")
    assert (
        not InteractionRollupDay.objects.exclude(built_version=F("version"))
        .filter(day__lt=today)
        .exists()
    )
    assert rollups.rollup_check_days() == []
    now = timezone.now()
    assert _figures(m.measures_for(start=start, end=end, now=now)) == _figures(
        m.measures_for(start=start, end=end, now=now, live=True)
    )


def test_a_team_reads_its_current_members_without_a_rebuild(history, team, other_team):
    rollups.rollup_rebuild()
    mover = history["people"][1]  # other_team_agent
    mover.teams.set([team])
    now = timezone.now()

    _assert_equal_to_live(
        {"a team": m.Scope(team=team), "another team": m.Scope(team=other_team)},
        _periods(timezone.localdate(now)),
        now,
    )


def test_a_staff_member_deleted_takes_their_rolled_up_time_with_them(agent):
    leaver = StaffFactory(username="temp")
    yesterday = timezone.localdate() - timedelta(days=1)
    StatusIntervalFactory(
        staff=leaver,
        status="training",
        started_at=local(yesterday, 9),
        ended_at=local(yesterday, 10),
    )
    rollups.rollup_rebuild()

    leaver.delete()

    assert not AgentStatusRollup.objects.exists()
    assert m.measures_for(start=local(yesterday), end=local(yesterday, 23)).status_seconds == {}


def test_the_worker_marks_quiet_days_so_a_period_reads_in_one_run(agent):
    today = timezone.localdate()
    InteractionFactory(staff=agent, started_at=local(today - timedelta(days=6), 10))
    rollups.rollup_touch(days=[today - timedelta(days=6)])

    assert rollups.rollup_sweep() == 6  # six days ago, and the five quiet days after it

    plan = rollups.plan_for(
        start=local(today - timedelta(days=6)), end=local(today), now=timezone.now()
    )
    assert plan.days == [(today - timedelta(days=6), today - timedelta(days=1))]
    assert plan.live == []


def test_the_worker_catches_up_on_history_written_before_the_rollups(history, team, other_team):
    # Rows older than the rollups (or bulk-imported): the worker marks their days, builds them
    # oldest first a batch at a time, then their months.
    first = timezone.localdate(AgentStatusInterval.objects.order_by("started_at")[0].started_at)
    days = (timezone.localdate() - first).days

    assert rollups.rollup_sweep(limit=60) == 60
    assert rollups.rollup_sweep(limit=60) == days - 60
    assert rollups.rollup_sweep() == 0

    assert InteractionRollupDay.objects.filter(built_version=F("version")).count() == days
    assert InteractionRollupMonth.objects.count() >= 2
    now = timezone.now()
    _assert_equal_to_live(
        _scopes(team, other_team, history), _periods(timezone.localdate(now)), now
    )
    assert rollups.rollup_check_days() == []


def test_a_write_during_a_rebuild_leaves_the_day_to_rebuild_again(agent, monkeypatch):
    day = timezone.localdate() - timedelta(days=3)
    original = rollups.day_rows

    def rows_then_a_write(d, **kwargs):
        rows = original(d, **kwargs)
        rollups.rollup_touch(days=[d])
        return rows

    monkeypatch.setattr(rollups, "day_rows", rows_then_a_write)

    assert rollups.rollup_build_day(day) is False
    marker = InteractionRollupDay.objects.get(day=day)
    assert marker.built_version != marker.version


def test_today_is_never_built():
    assert rollups.rollup_build_day(timezone.localdate()) is False
    assert not InteractionRollupDay.objects.filter(built_version__isnull=False).exists()


def test_the_rebuild_command_equals_a_full_recomputation_and_check_finds_a_tampered_row(
    history, capsys
):
    call_command("interaction_rollups", "--rebuild", "--check")
    assert "equal a full recomputation" in capsys.readouterr().out
    row = InteractionRollup.objects.order_by("day").first()
    row.interactions += 1
    row.save()

    with pytest.raises(Exception, match="differences"):
        call_command("interaction_rollups", "--check")
    out = capsys.readouterr().out
    assert str(row.day) in out and "everyone" in out


def test_reading_the_rollups_takes_a_fixed_number_of_queries(
    history, team, django_assert_num_queries
):
    rollups.rollup_rebuild()
    today = timezone.localdate()
    past_month = m.month_bounds(today.replace(day=1) - timedelta(days=1))
    year = (local(today - timedelta(days=365)), local(today + timedelta(days=1)))

    # the current days, the current months, the rolled-up contacts and status time, turnover
    with django_assert_num_queries(5):
        m.measures_for(start=past_month[0], end=past_month[1], scope=m.Scope(team=team))
    # … and today live: its contacts, the intervals inside it and those crossing its edges
    with django_assert_num_queries(8):
        m.measures_for(start=year[0], end=year[1])
    # a person: no turnover
    with django_assert_num_queries(7):
        m.measures_for(start=year[0], end=year[1], scope=m.Scope(person=history["people"][0]))
    # within today: no whole past day, nothing to look up
    with django_assert_num_queries(4):
        m.measures_for(start=local(today), end=local(today + timedelta(days=1)))
