"""The satisfaction rollups: the analysis reads them for the days they hold current and gives
exactly what a full recomputation gives, under every filter and for loyalty too, before,
during and after the worker's rebuilds."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.customers.services import customer_update
from rapport.surveys import analysis, rollups
from rapport.surveys.models import SatisfactionRollup, SatisfactionRollupDay, SurveySend
from rapport.surveys.services import survey_respond
from rapport.surveys.tests.rollup_data import (
    answers,
    assert_caught_up,
    assert_exact,
    filter_sets,
    sends,
    stale_days,
    summaries,
)

pytestmark = pytest.mark.django_db


def test_it_gives_the_live_figures_from_the_rollup_for_every_scope(data, team, manager, supervisor):
    sets = filter_sets(data, team)
    live = {who.pk: summaries(who, sets) for who in (manager, supervisor)}

    today = timezone.localdate()
    days_with_sends = {
        timezone.localdate(created)
        for created in SurveySend.objects.values_list("created_at", flat=True)
        if timezone.localdate(created) < today
    }  # up to 12 or 13 days, by the time of day the test runs at (sends go back 0-20 hours)

    built = rollups.rollup_sweep()

    assert built == len(days_with_sends) >= 11  # every day before today with sends
    assert SatisfactionRollup.objects.exists()
    for who in (manager, supervisor):
        assert summaries(who, sets) == live[who.pk]
    # and the figures compared are not empty ones: loyalty has returns and losses, each filter
    # keeps some answers and leaves out others
    bands = analysis.analysis_summary(staff=manager, filters=analysis.Filters())["loyalty"]
    assert 0 < sum(b["came_back"] for b in bands["bands"]) < sum(b["n"] for b in bands["bands"])
    assert bands["lost_total"] > 0
    delivered = [sum(r["delivered"] for r in s["rates"]) for s in live[manager.pk]]
    assert all(0 < n < delivered[0] for n in delivered[1:]), delivered


def test_a_change_to_a_built_day_is_counted_before_the_worker_rebuilds_it(
    data, team, manager, supervisor
):
    rollups.rollup_sweep()
    rng, now = data["rng"], data["now"]
    # An answer comes in for a send of a day the rollup holds, and a new send for another.
    waiting = SurveySend.objects.filter(
        status="sent", created_at__lt=now - timedelta(days=2)
    ).first()
    survey_respond(send=waiting, answers=answers(waiting, rng))
    sends(
        rng,
        owners=data["owners"],
        customers=data["customers"],
        days=6,
        n=5,
        now=now - timedelta(days=1),
    )

    assert stale_days()
    assert_exact(data, team, manager, supervisor)
    assert_caught_up()
    assert_exact(data, team, manager, supervisor)


def test_the_worker_catches_up_a_few_days_a_round_and_the_figures_stay_exact(data, team, manager):
    rollups.rollup_sweep()
    for customer in data["customers"]:  # every day with a send changes
        customer_update(customer=customer, by=manager, tier="regular", lifecycle_stage="at_risk")
    behind = stale_days()
    rounds = 0

    while stale_days():
        assert_exact(data, team, manager)
        rounds += 1
        assert rollups.rollup_sweep(limit=4) == min(4, len(behind) - 4 * (rounds - 1))

    assert rounds == -(-len(behind) // 4) >= 3
    assert_exact(data, team, manager)
    assert_caught_up()


def test_a_write_during_a_rebuild_leaves_the_day_to_rebuild_again(data, monkeypatch):
    day = timezone.localdate() - timedelta(days=3)
    original = rollups.day_rows

    def rows_then_a_write(d):
        rows = original(d)
        rollups.rollup_touch(created_at=rollups._start(d) + timedelta(hours=1))
        return rows

    monkeypatch.setattr(rollups, "day_rows", rows_then_a_write)

    assert rollups.rollup_build_day(day) is False
    marker = SatisfactionRollupDay.objects.get(day=day)
    assert marker.built_version != marker.version


def test_the_rebuild_command_equals_a_full_recomputation_and_check_finds_a_tampered_row(data):
    call_command("satisfaction_rollups", "--rebuild", "--check")
    row = SatisfactionRollup.objects.filter(measure="csat").first()
    row.n += 1
    row.save()

    with pytest.raises(Exception, match="differ"):
        call_command("satisfaction_rollups", "--check")
    assert any(str(row.day) in line for line in rollups.rollup_check())


def test_reading_the_rollup_takes_a_fixed_number_of_queries(
    data, manager, django_assert_num_queries, django_assert_max_num_queries
):
    rollups.rollup_sweep()
    scope = analysis.sends_in_scope(staff=manager, filters=analysis.Filters())

    # the current days and the sends outside them (before the first, after the last: two index
    # ranges), then per measure the rollup's sums and the live rest (today's sends, none just
    # after local midnight: no query then)
    today = SurveySend.objects.filter(created_at__gte=rollups._start(timezone.localdate()))
    with django_assert_num_queries(4 + today.exists()):
        analysis.csat(scope=scope)
    with django_assert_num_queries(1 + today.exists()):
        analysis.nps(scope=scope)
    with django_assert_num_queries(1 + today.exists()):
        analysis.loyalty(scope=scope)
    # the same with filters only the full grain keeps (no live query when no send of today
    # matches them)
    tiered = analysis.sends_in_scope(
        staff=manager, filters=analysis.Filters(tier="vip", channel="wechat", ticket_type="billing")
    )
    with django_assert_max_num_queries(5):
        analysis.loyalty(scope=tiered)


def test_the_analysis_reads_the_coarsest_grain_that_keeps_its_filters(
    data, team, manager, supervisor
):
    F = analysis.Filters
    since = timezone.localdate() - timedelta(days=5)
    cases = [
        (manager, F(), "total"),
        (manager, F(date_from=since), "total"),
        (manager, F(team_id=team.pk), "staff"),
        (manager, F(template="servqual_22", date_from=since), "staff"),
        (supervisor, F(), "staff"),  # their teams' sends and their own
        (manager, F(tier="vip"), "full"),
        (manager, F(channel="wechat", agent_id=supervisor.pk), "full"),
        (supervisor, F(ticket_type="billing"), "full"),
    ]
    for who, filters, grain in cases:
        assert analysis.sends_in_scope(staff=who, filters=filters).rollup_q()[0] == grain
