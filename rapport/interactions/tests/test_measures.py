"""Every measure against values worked out by hand, including periods with nothing in them."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from rapport.interactions import measures as m
from rapport.interactions.tests.factories import InteractionFactory, StatusIntervalFactory
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory, TeamFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
MARCH = (datetime(2026, 3, 1, tzinfo=TZ), datetime(2026, 4, 1, tzinfo=TZ))
EMPTY = (datetime(2025, 1, 1, tzinfo=TZ), datetime(2025, 2, 1, tzinfo=TZ))


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def march_interactions(agent, other_team_agent):
    """agent: 4 in March (1 escalated, 1 passed on) + 1 escalated in February;
    other_team_agent: 2 in March, one of them outbound WeChat."""
    InteractionFactory(staff=agent, started_at=at(2), escalated=True)
    InteractionFactory(staff=agent, started_at=at(3), passed_on=True)
    InteractionFactory(staff=agent, started_at=at(4))
    InteractionFactory(staff=agent, started_at=at(31, 23, 59))
    InteractionFactory(staff=agent, started_at=at(28, month=2), escalated=True)
    InteractionFactory(staff=other_team_agent, started_at=at(1, 0, 0))
    InteractionFactory(
        staff=other_team_agent, started_at=at(5), channel="wechat", direction="outbound"
    )
    # Starts exactly at the end of the period: April's, not March's.
    InteractionFactory(staff=agent, started_at=at(1, 0, 0, month=4), escalated=True)


def test_empowerment_and_generalist_degree_for_everyone(march_interactions):
    result = m.measures_for(start=MARCH[0], end=MARCH[1])

    assert (result.interactions, result.escalated, result.passed_on) == (6, 1, 1)
    assert result.empowerment == pytest.approx(5 / 6)
    assert result.generalist_degree == pytest.approx(5 / 6)


def test_empowerment_for_a_team(march_interactions, team):
    result = m.measures_for(start=MARCH[0], end=MARCH[1], scope=m.Scope(team=team))

    assert result.interactions == 4
    assert result.empowerment == pytest.approx(3 / 4)
    assert result.generalist_degree == pytest.approx(3 / 4)


def test_empowerment_for_a_person_without_transfers_is_one(march_interactions, other_team_agent):
    result = m.measures_for(start=MARCH[0], end=MARCH[1], scope=m.Scope(person=other_team_agent))

    assert result.interactions == 2
    assert result.empowerment == 1.0
    assert result.generalist_degree == 1.0


def test_contacts_by_channel_and_direction(march_interactions):
    result = m.measures_for(start=MARCH[0], end=MARCH[1])

    by_channel = {row.channel: (row.inbound, row.outbound) for row in result.channels}
    assert by_channel["phone"] == (5, 0)
    assert by_channel["wechat"] == (0, 1)
    assert by_channel["fax"] == (0, 0)
    assert len(result.channels) == 10
    assert (result.inbound, result.outbound) == (5, 1)


def test_empty_period_has_no_ratios_rather_than_a_division_by_zero(march_interactions):
    result = m.measures_for(start=EMPTY[0], end=EMPTY[1])

    assert result.interactions == 0
    assert result.empowerment is None
    assert result.generalist_degree is None
    assert result.non_contact_share is None
    assert result.non_contact_seconds == 0
    assert all(row.total == 0 for row in result.channels)


def test_non_contact_time_clips_intervals_to_the_period_and_leaves_out_offline(agent):
    def interval(status, start, end):
        StatusIntervalFactory(staff=agent, status=status, started_at=start, ended_at=end)

    interval("available", at(28, 23, month=2), at(1, 1))  # 1 h inside March
    interval("in_contact", at(1, 1), at(1, 2))  # 1 h
    interval("after_contact_work", at(1, 2), at(1, 2, 30))  # 30 min
    interval("training", at(1, 2, 30), at(1, 4, 30))  # 2 h
    interval("break", at(1, 4, 30), at(1, 5))  # 30 min
    interval("offline", at(1, 5), at(31, 23, 30))  # never counted
    interval("after_contact_work", at(31, 23, 30), at(1, 0, 30, month=4))  # 30 min inside

    result = m.measures_for(start=MARCH[0], end=MARCH[1])

    # non-contact = 0.5 + 2 + 0.5 + 0.5 h = 3.5 h; logged in = 1 + 1 + 3.5 = 5.5 h
    assert result.non_contact_seconds == 12_600
    assert result.logged_in_seconds == 19_800
    assert result.non_contact_share == pytest.approx(12_600 / 19_800)
    assert result.status_seconds["offline"] > 0


def test_intervals_without_a_stored_length_are_still_counted(agent):
    StatusIntervalFactory(
        staff=agent, status="training", started_at=at(2, 9), ended_at=at(2, 10), seconds=None
    )
    StatusIntervalFactory(staff=agent, status="training", started_at=at(3, 9), ended_at=at(3, 10))

    result = m.measures_for(start=MARCH[0], end=MARCH[1])

    assert result.status_seconds == {"training": 7200}


def test_current_status_counts_until_the_end_of_a_past_period(agent):
    StatusIntervalFactory(staff=agent, status="break", started_at=at(31, 23), ended_at=None)

    result = m.measures_for(start=MARCH[0], end=MARCH[1])

    assert result.non_contact_seconds == 3600


def test_non_contact_time_of_another_team_is_not_counted(agent, other_team_agent, team):
    StatusIntervalFactory(
        staff=other_team_agent, status="training", started_at=at(2, 9), ended_at=at(2, 10)
    )

    result = m.measures_for(start=MARCH[0], end=MARCH[1], scope=m.Scope(team=team))

    assert result.non_contact_seconds == 0
    assert result.non_contact_share is None


@pytest.fixture
def csr_history():
    """Representatives employed in 2025, month starts counted by hand:
    A all 12, B from 1 July (6), C until 15 April (Jan–Apr: 4), D all 12 and leaves in March
    2026. A specialist leaving in March 2026 is not a representative."""
    service = TeamFactory(name="服务组")
    CSR = User.Role.REPRESENTATIVE
    StaffFactory(username="a", role=CSR, hired_on=date(2020, 1, 1), teams=[service])
    StaffFactory(username="b", role=CSR, hired_on=date(2025, 7, 1))
    StaffFactory(username="c", role=CSR, hired_on=date(2019, 1, 1), left_on=date(2025, 4, 15))
    StaffFactory(
        username="d",
        role=CSR,
        hired_on=date(2018, 1, 1),
        left_on=date(2026, 3, 10),
        teams=[service],
    )
    StaffFactory(
        username="s",
        role=User.Role.SPECIALIST,
        hired_on=date(2018, 1, 1),
        left_on=date(2026, 3, 12),
    )
    return service


def test_turnover_is_leavers_over_last_years_average_headcount(csr_history):
    result = m.measures_for(start=MARCH[0], end=MARCH[1])

    # average headcount = (12 + 6 + 4 + 12) / 12 = 34 / 12
    assert result.left == 1
    assert result.average_headcount == pytest.approx(34 / 12)
    assert result.turnover == pytest.approx(1 / (34 / 12))


def test_turnover_for_a_team(csr_history):
    result = m.measures_for(start=MARCH[0], end=MARCH[1], scope=m.Scope(team=csr_history))

    # A and D, both employed all of 2025
    assert result.average_headcount == pytest.approx(2.0)
    assert result.turnover == pytest.approx(0.5)


def test_turnover_in_a_month_nobody_left_is_zero(csr_history):
    result = m.measures_for(start=at(1, 0, 0, month=5), end=at(1, 0, 0, month=6))

    assert result.left == 0
    assert result.turnover == 0.0


def test_turnover_without_any_representatives_is_undefined():
    result = m.measures_for(start=MARCH[0], end=MARCH[1])

    assert result.average_headcount == 0
    assert result.turnover is None


def test_turnover_is_not_defined_for_one_person(csr_history):
    person = User.objects.get(username="a")

    result = m.measures_for(start=MARCH[0], end=MARCH[1], scope=m.Scope(person=person))

    assert result.turnover is None


def test_measures_of_days_never_rolled_up_take_five_queries_whatever_the_data(
    march_interactions, csr_history, django_assert_num_queries
):
    # the current days (none: never built), the contacts, the status intervals inside the period
    # and those crossing its edges, turnover (test_rollups pins the reads from the rollups)
    with django_assert_num_queries(5):
        m.measures_for(start=MARCH[0], end=MARCH[1])


def test_status_time_is_summed_exactly_and_rounded_down_once(agent):
    # Two half seconds make a second, however the intervals fall.
    half = timedelta(microseconds=500_000)
    StatusIntervalFactory(
        staff=agent, status="break", started_at=at(2, 9), ended_at=at(2, 9) + half
    )
    StatusIntervalFactory(
        staff=agent, status="break", started_at=at(3, 9), ended_at=at(3, 9) + half
    )

    result = m.measures_for(start=MARCH[0], end=MARCH[1])

    assert result.status_seconds == {"break": 1}


def test_drilldown_lists_the_interactions_behind_empowerment(march_interactions):
    rows = m.drilldown_interactions(
        measure="empowerment", start=MARCH[0], end=MARCH[1], scope=m.Scope()
    )

    assert [i.started_at for i in rows] == [at(2)]


def test_drilldown_by_channel_and_direction(march_interactions):
    rows = m.drilldown_interactions(
        measure="channel",
        start=MARCH[0],
        end=MARCH[1],
        scope=m.Scope(),
        channel="wechat",
        direction="outbound",
    )

    assert [i.started_at for i in rows] == [at(5)]


def test_month_bounds_are_local_calendar_months():
    start, end = m.month_bounds(date(2026, 2, 14))

    assert timezone.localtime(start).date() == date(2026, 2, 1)
    assert timezone.localtime(end).date() == date(2026, 3, 1)
