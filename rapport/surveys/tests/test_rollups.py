"""The satisfaction rollups: the analysis reads them for the days they hold current and gives
exactly what a full recomputation gives, before, during and after the worker's rebuilds."""

import random
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.staff.tests.factories import StaffFactory
from rapport.surveys import analysis, rollups
from rapport.surveys.models import (
    Question,
    SatisfactionRollup,
    SatisfactionRollupDay,
    SurveySend,
)
from rapport.surveys.services import AnswerInput, survey_respond
from rapport.surveys.tests.factories import SendFactory, template

pytestmark = pytest.mark.django_db

CODES = ("post_ticket_csat", "relationship_nps", "servqual_22", "kano_features")


def _answers(send: SurveySend, rng: random.Random) -> list[AnswerInput]:
    out = []
    for q in send.template.questions.all():
        k = Question.Kind
        if q.kind == k.CSAT:
            out.append(AnswerInput(question=q, value=rng.randint(1, 5)))
        elif q.kind == k.NPS:
            out.append(AnswerInput(question=q, value=rng.randint(0, 10)))
        elif q.kind == k.SERVQUAL:
            out.append(AnswerInput(question=q, value=rng.randint(1, 7), value_b=rng.randint(1, 7)))
        elif q.kind == k.KANO:
            out.append(AnswerInput(question=q, value=rng.randint(1, 5), value_b=rng.randint(1, 5)))
        elif q.kind == k.SOLVED:
            out.append(AnswerInput(question=q, value=rng.randint(0, 1)))
        elif q.kind in (k.SINGLE, k.MULTIPLE, k.TOUCHPOINT) and q.options:
            out.append(AnswerInput(question=q, choices=[str(q.options[0]["value"])]))
        elif q.required:
            out.append(AnswerInput(question=q, text="还行"))
    return out


def _sends(rng, *, owners, days: int, n: int, now) -> list[SurveySend]:
    sends = []
    for _i in range(n):
        owner, team = rng.choice(owners)
        created = now - timedelta(days=rng.randint(0, days), hours=rng.randint(0, 20))
        send = SendFactory(
            template=template(rng.choice(CODES)),
            owner=owner,
            team=team,
            channel=rng.choice(["phone", "wechat"]),
            created_at=created,
            status=rng.choice(["sent", "sent", "sent", "undeliverable", "pending"]),
        )
        rollups.rollup_touch(created_at=created)
        if send.status == "sent" and rng.random() < 0.7:
            survey_respond(send=send, answers=_answers(send, rng))
        sends.append(send)
    return sends


@pytest.fixture
def data(team, other_team, supervisor, manager):
    rng = random.Random(7)
    owners = [
        (supervisor, team),
        (StaffFactory(username="a1", teams=[team]), team),
        (StaffFactory(username="a2", teams=[other_team]), other_team),
        (StaffFactory(username="a3", teams=[other_team]), None),
    ]
    now = timezone.now()
    _sends(rng, owners=owners, days=12, n=70, now=now)
    return {"owners": owners, "rng": rng, "now": now}


def _summaries(staff, filter_sets) -> list:
    out = []
    for filters in filter_sets:
        summary = analysis.analysis_summary(
            staff=staff, filters=filters, parts=tuple(p for p in analysis.PARTS if p != "loyalty")
        )
        out.append(_comparable(summary))
    return out


def _comparable(value):
    """The summary with floats rounded (sums divided in Python or in SQL may differ in the last
    bit) and model objects by id."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_comparable(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    if hasattr(value, "pk"):
        return ("pk", value.pk)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return _comparable(vars(value))
    return value


def _filter_sets(data, team):
    today = timezone.localdate()
    a1 = data["owners"][1][0]
    F = analysis.Filters
    return [
        F(),
        F(team_id=team.pk),
        F(agent_id=a1.pk),
        F(template="servqual_22"),
        F(date_from=today - timedelta(days=8), date_to=today - timedelta(days=3)),
        F(date_from=today - timedelta(days=5)),
        F(channel="wechat"),  # not kept by the rollup: live
    ]


def _all_live(staff, filter_sets):
    marks = list(SatisfactionRollupDay.objects.values_list("pk", "built_version"))
    SatisfactionRollupDay.objects.update(built_version=None)
    try:
        return _summaries(staff, filter_sets)
    finally:
        for pk, built in marks:
            SatisfactionRollupDay.objects.filter(pk=pk).update(built_version=built)


def test_it_gives_the_live_figures_from_the_rollup_for_every_scope(data, team, manager, supervisor):
    sets = _filter_sets(data, team)
    live = {who.pk: _summaries(who, sets) for who in (manager, supervisor)}

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
        assert _summaries(who, sets) == live[who.pk]


def test_a_change_to_a_built_day_is_counted_before_the_worker_rebuilds_it(
    data, team, manager, supervisor
):
    rollups.rollup_sweep()
    rng, now = data["rng"], data["now"]
    # An answer comes in for a send of a day the rollup holds, and a new send for another.
    waiting = SurveySend.objects.filter(
        status="sent", created_at__lt=now - timedelta(days=2)
    ).first()
    survey_respond(send=waiting, answers=_answers(waiting, rng))
    _sends(rng, owners=data["owners"], days=6, n=5, now=now - timedelta(days=1))
    sets = _filter_sets(data, team)

    stale = SatisfactionRollupDay.objects.exclude(built_version=F_version()).count()
    for who in (manager, supervisor):
        assert _summaries(who, sets) == _all_live(who, sets)
    assert stale >= 1

    rollups.rollup_sweep()

    assert (
        not SatisfactionRollupDay.objects.exclude(built_version=F_version())
        .filter(day__lt=timezone.localdate())
        .exists()
    )
    for who in (manager, supervisor):
        assert _summaries(who, sets) == _all_live(who, sets)
    assert rollups.rollup_check() == []


def F_version():
    from django.db.models import F

    return F("version")


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
    data, manager, django_assert_num_queries
):
    rollups.rollup_sweep()
    scope = analysis.sends_in_scope(staff=manager, filters=analysis.Filters())

    # the current days and the sends outside them (before the first, after the last: two index
    # ranges), then per measure the rollup's sums and the live rest (today's sends)
    with django_assert_num_queries(5):
        analysis.csat(scope=scope)
    with django_assert_num_queries(2):
        analysis.nps(scope=scope)
