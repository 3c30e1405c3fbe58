"""Surveys over twelve days for the rollup tests: customers of every tier and stage, sends on
two channels and three ticket types answered through the service, contacts and purchases
before and after the answers; and the comparisons of the analysis with a full recomputation."""

import random
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from rapport.customers.tests.factories import AssetFactory
from rapport.interactions.services import interaction_log
from rapport.interactions.tests.factories import purpose
from rapport.surveys import analysis, rollups
from rapport.surveys.models import (
    Question,
    SatisfactionRollupDay,
    SurveyResponse,
    SurveySend,
)
from rapport.surveys.services import AnswerInput, survey_respond
from rapport.surveys.tests.factories import SendFactory, template

CODES = ("post_ticket_csat", "relationship_nps", "servqual_22", "kano_features")
TYPES = ("", "repair_quality", "billing")
STANDINGS = [  # tier, stage, churn reason
    ("vip", "active", ""),
    ("vip", "lost", "competition"),
    ("regular", "active", ""),
    ("regular", "new", ""),
    ("regular", "at_risk", ""),
    ("regular", "lost", "attitude"),
    ("key_account", "active", ""),
    ("key_account", "lost", "moved_away"),
]


def answers(send: SurveySend, rng: random.Random) -> list[AnswerInput]:
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


def answer(send: SurveySend, rng: random.Random) -> SurveyResponse:
    """Answered through the service, dated a few hours after the send as a customer would (the
    service dates it now; set before the day is built, as any answer is)."""
    response = survey_respond(send=send, answers=answers(send, rng))
    at = min(send.created_at + timedelta(hours=rng.randint(1, 30)), timezone.now())
    SurveyResponse.objects.filter(pk=response.pk).update(submitted_at=at)
    return response


def sends(rng, *, owners, customers, days: int, n: int, now) -> list[SurveySend]:
    made = []
    for _i in range(n):
        owner, team = rng.choice(owners)
        created = now - timedelta(days=rng.randint(0, days), hours=rng.randint(0, 20))
        send = SendFactory(
            template=template(rng.choice(CODES)),
            customer=rng.choice(customers),
            owner=owner,
            team=team,
            channel=rng.choice(["phone", "wechat"]),
            ticket_type=rng.choice(TYPES),
            created_at=created,
            status=rng.choice(["sent", "sent", "sent", "undeliverable", "pending"]),
        )
        rollups.rollup_touch(created_at=created)
        if send.status == "sent" and rng.random() < 0.7:
            answer(send, rng)
        made.append(send)
    return made


def returns(rng, *, customers, by, now, n: int) -> None:
    """Contacts over the same days, through the service: returns (appointment, after-sales,
    inbound) and not (outbound, other purposes), and a few purchases."""
    for _i in range(n):
        code = rng.choice(["appointment", "after_sales", "information"])
        interaction_log(
            by=by,
            customer=rng.choice(customers),
            channel="phone",
            direction=rng.choice(["inbound", "inbound", "outbound"]),
            purpose=purpose(code),
            summary="预约保养",
            started_at=now - timedelta(days=rng.randint(0, 12), hours=rng.randint(0, 20)),
        )
    for customer in rng.sample(customers, 3):
        AssetFactory(customer=customer)


def summaries(staff, sets) -> list:
    return [
        analysis.comparable(analysis.analysis_summary(staff=staff, filters=filters))
        for filters in sets
    ]


def filter_sets(data, team):
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
        F(channel="wechat"),
        F(ticket_type="repair_quality"),
        F(tier="vip"),
        F(tier="vip", date_from=today - timedelta(days=6)),
        F(tier="regular", channel="phone", team_id=team.pk),
        F(tier="key_account", agent_id=a1.pk, ticket_type="billing"),
        F(channel="wechat", template="post_ticket_csat", date_to=today - timedelta(days=2)),
    ]


def all_live(staff, sets):
    """The summaries with no day of the rollup current: all computed from the surveys."""
    marks = list(SatisfactionRollupDay.objects.values_list("pk", "built_version"))
    SatisfactionRollupDay.objects.update(built_version=None)
    try:
        return summaries(staff, sets)
    finally:
        for pk, built in marks:
            SatisfactionRollupDay.objects.filter(pk=pk).update(built_version=built)


def stale_days() -> set:
    return set(
        SatisfactionRollupDay.objects.exclude(built_version=F("version"))
        .filter(day__lt=timezone.localdate())
        .values_list("day", flat=True)
    )


def assert_exact(data, team, *staff) -> None:
    """Every filter set gives the figures a full recomputation gives, for each of `staff`."""
    sets = filter_sets(data, team)
    for who in staff:
        assert summaries(who, sets) == all_live(who, sets)


def assert_caught_up() -> None:
    """The worker rebuilds every changed day; the rollup then equals a recomputation, row by
    row and figure by figure."""
    rollups.rollup_sweep()
    assert stale_days() == set()
    assert rollups.rollup_check() == []
    assert analysis.rollup_figures_check() == []
