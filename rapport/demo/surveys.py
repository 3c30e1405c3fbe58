"""Demo and benchmark rows for satisfaction surveys: three quarters of answers that make every
chart meaningful — a CSAT and NPS spread, 反应度 (responsiveness) clearly the weakest SERVQUAL
dimension and improving slowly, tangibles a little better than expected, a service feature in
each KANO class, and lost customers who had said they were satisfied (客户满意≠客户忠诚).

History is bulk-inserted as it happened (links long expired); the last few sends go through the
services so the timeline, e-mail and the follow-up ticket are the real thing."""

import random
import secrets
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from rapport.customers.models import Customer
from rapport.staff.models import User
from rapport.surveys.models import (
    Answer,
    Question,
    SurveyCredit,
    SurveyResponse,
    SurveySend,
    SurveyTemplate,
)
from rapport.surveys.rollups import rollup_rebuild

CSAT_WEIGHTS = {5: 40, 4: 30, 3: 14, 2: 9, 1: 7}
NPS_WEIGHTS = {10: 16, 9: 18, 8: 17, 7: 13, 6: 9, 5: 7, 4: 5, 3: 4, 2: 4, 1: 3, 0: 4}
# Mean expectation and perception per dimension (1–7); responsiveness is the short stave.
SERVQUAL_PROFILE = {
    "responsiveness": (6.5, 4.5),
    "tangibles": (5.3, 5.9),
    "empathy": (6.0, 5.6),
    "assurance": (6.1, 6.1),
    "reliability": (6.6, 5.9),
}
# (functional, dysfunctional) answer pairs most respondents give for each feature.
KANO_PROFILE = {
    "online_booking": [((1, 5), 60), ((1, 3), 20), ((2, 5), 20)],  # one-dimensional
    "pickup_delivery": [((1, 3), 55), ((1, 4), 15), ((3, 3), 20), ((1, 5), 10)],  # attractive
    "courtesy_car": [((1, 5), 50), ((1, 4), 25), ((2, 5), 25)],  # one-dimensional
    "progress_photos": [((1, 3), 50), ((1, 4), 20), ((3, 3), 30)],  # attractive
    "free_wash": [((3, 3), 55), ((1, 3), 20), ((4, 4), 25)],  # indifferent
    "quote_first": [((2, 5), 60), ((3, 5), 20), ((1, 5), 20)],  # must-be
    "paper_forms": [((5, 1), 50), ((5, 3), 20), ((3, 3), 30)],  # reverse
}
CAMPAIGN_SEGMENT = "老客户关怀（活跃客户）"
SEED_COUNTS = {"XS": 40, "S": 12_000, "M": 120_000}
COMMENTS = [
    "接待很热情,维修也及时,谢谢!",
    "等待时间太长了,希望能提前告知进度。",
    "价格比较透明,满意。",
    "电话总是打不通,回复太慢。",
    "技师很专业,问题一次就解决了。",
    "休息区很舒服。",
]


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _scale(rng: random.Random, mean: float) -> int:
    return max(1, min(7, round(rng.gauss(mean, 0.8))))


def _answers(rng, template, questions, *, quarter: int, satisfied_bias: float = 0.0):
    """Answer rows (unsaved, without response) and the headline scores for one response."""
    rows, head = [], {"csat": None, "nps": None, "solved": None}
    for q in questions:
        if q.kind == Question.Kind.CSAT:
            value = _pick(rng, CSAT_WEIGHTS)
            if satisfied_bias and rng.random() < satisfied_bias:
                value = rng.choice([4, 5])
            head["csat"] = value
            rows.append(Answer(question=q, value=value))
        elif q.kind == Question.Kind.NPS:
            value = _pick(rng, NPS_WEIGHTS)
            if satisfied_bias and rng.random() < satisfied_bias:
                value = rng.choice([8, 9, 10])
            head["nps"] = value
            rows.append(Answer(question=q, value=value))
        elif q.kind == Question.Kind.SOLVED:
            solved = not (head["csat"] or 5) <= 2 or rng.random() < 0.4
            head["solved"] = solved
            rows.append(Answer(question=q, value=int(solved)))
        elif q.kind == Question.Kind.SERVQUAL:
            expectation, perception = SERVQUAL_PROFILE[q.dimension]
            if q.dimension == "responsiveness":
                perception += 0.25 * quarter  # the desk is slowly getting faster
            rows.append(
                Answer(question=q, value=_scale(rng, expectation), value_b=_scale(rng, perception))
            )
        elif q.kind == Question.Kind.KANO:
            pairs = KANO_PROFILE.get(q.code, [((3, 3), 1)])
            functional, dysfunctional = rng.choices(
                [p for p, _w in pairs], weights=[w for _p, w in pairs]
            )[0]
            rows.append(Answer(question=q, value=functional, value_b=dysfunctional))
        elif q.kind in (Question.Kind.TOUCHPOINT, Question.Kind.MULTIPLE) and rng.random() < 0.6:
            options = [str(o["value"]) for o in q.options]
            rows.append(Answer(question=q, choices=rng.sample(options, rng.randint(1, 2))))
        elif q.kind == Question.Kind.SINGLE and rng.random() < 0.7:
            rows.append(Answer(question=q, choices=[str(rng.choice(q.options)["value"])]))
        elif q.kind == Question.Kind.TEXT and rng.random() < 0.3:
            rows.append(Answer(question=q, text=rng.choice(COMMENTS)))
    return rows, head


def _unhappy(head: dict) -> bool:
    return (
        (head["csat"] is not None and head["csat"] <= 2)
        or (head["nps"] is not None and head["nps"] <= 6)
        or head["solved"] is False
    )


PLAN = [  # template code, sends, answered share
    ("post_ticket_csat", 320, 0.7),
    ("relationship_nps", 200, 0.55),
    ("servqual_22", 130, 0.6),
    ("kano_features", 110, 0.65),
]


def build_surveys(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    """About 760 surveys over the last nine months, two thirds answered, plus three live sends."""
    now = timezone.now()
    owners = [users["chenxm"], users["liuyang"], users["zhoujing"], users["lizg"]]
    handlers = [users["sunqiang"], users["zhaozg"], users["wangjl"]]
    teams = {u.pk: u.teams.order_by("id").first() for u in owners}
    try:
        from rapport.tickets.models import TicketType

        ticket_types = list(
            TicketType.objects.filter(parent__isnull=True).values_list("code", flat=True)
        )
    except Exception:  # the demo also runs before tickets has its types
        ticket_types = []
    templates = {t.code: t for t in SurveyTemplate.objects.all()}
    questions = {
        code: list(t.questions.order_by("position", "id")) for code, t in templates.items()
    }
    pool = [c for c in customers if c.may_receive_outreach and not c.marketing_opt_out]
    channels = ["phone"] * 5 + ["wechat"] * 3 + ["face_to_face"] * 2 + ["email", "chat"]
    sends, plans = [], []
    for code, count, answered_share in PLAN:
        for n in range(count):
            customer = rng.choice(pool)
            days_ago = rng.randint(3, 270)
            created = now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
            owner = rng.choice(owners)
            ticket_based = code == "post_ticket_csat"
            sends.append(
                SurveySend(
                    template=templates[code],
                    customer=customer,
                    trigger=SurveySend.Trigger.TICKET_CLOSED
                    if ticket_based
                    else SurveySend.Trigger.CAMPAIGN,
                    trigger_key=f"demo:{code}:{n}",
                    subject="" if ticket_based else CAMPAIGN_SEGMENT,
                    owner=owner if ticket_based else None,
                    team=teams[owner.pk] if ticket_based else None,
                    channel=rng.choice(channels) if ticket_based else "",
                    ticket_type=rng.choice(ticket_types) if ticket_based and ticket_types else "",
                    language=customer.language,
                    status=SurveySend.Status.SENT,
                    sent_by=owner,
                    created_at=created,
                    sent_at=created,
                    expires_at=created + timedelta(days=14),
                    token_digest=SurveySend.digest(secrets.token_urlsafe(16)),
                )
            )
            plans.append((code, rng.random() < answered_share, ticket_based, days_ago))
    with transaction.atomic():
        SurveySend.objects.bulk_create(sends)
        credits, responses, answer_rows = [], [], []
        for send, (code, answered, ticket_based, days_ago) in zip(sends, plans, strict=True):
            if ticket_based:
                credits.append(SurveyCredit(send=send, staff=send.owner, role="owner"))
                if rng.random() < 0.2:
                    credits.append(
                        SurveyCredit(send=send, staff=rng.choice(handlers), role="transfer")
                    )
            if not answered:
                continue
            quarter = 3 - min(days_ago // 90, 3)
            bias = 0.7 if send.customer.lifecycle_stage == Customer.Stage.LOST else 0.0
            rows, head = _answers(rng, code, questions[code], quarter=quarter, satisfied_bias=bias)
            at = send.created_at + timedelta(hours=rng.randint(1, 72))
            responses.append(
                (
                    SurveyResponse(
                        send=send,
                        submitted_at=at,
                        updated_at=at,
                        needs_follow_up=_unhappy(head),
                        **head,
                    ),
                    rows,
                )
            )
            send.status = SurveySend.Status.ANSWERED
        SurveyCredit.objects.bulk_create(credits)
        SurveySend.objects.bulk_update([s for s in sends if s.status == "answered"], ["status"])
        SurveyResponse.objects.bulk_create([r for r, _rows in responses])
        for response, rows in responses:
            for row in rows:
                row.response = response
                answer_rows.append(row)
        Answer.objects.bulk_create(answer_rows, batch_size=2000)
    _build_live(rng=rng, users=users, pool=pool)
    # The rows above went in around the services: roll their days up as the worker would.
    rollup_rebuild()


def _build_live(*, rng: random.Random, users: dict[str, User], pool: list) -> None:
    """Three sends through the services: one answered badly (its follow-up ticket is open for
    陈晓敏), one answered well, one still waiting for the customer."""
    from rapport.customers.models import Identity
    from rapport.surveys.services import (
        AnswerInput,
        SurveyRefused,
        survey_deliver,
        survey_respond,
        survey_send,
    )

    with_email = [c for c in pool if Identity.objects.filter(customer=c, kind="email").exists()][
        :12
    ]
    template = SurveyTemplate.objects.get(code="post_ticket_csat")
    q = {x.code: x for x in template.questions.all()}
    outcomes = [
        (1, 0, "修了两次还是异响,等了一个多小时也没人告诉我进度。"),
        (5, 1, "很满意,谢谢!"),
        None,
    ]
    done = 0
    for customer in with_email:
        if done == len(outcomes):
            break
        try:
            send = survey_send(
                template=template,
                customer=customer,
                trigger=SurveySend.Trigger.SERVICE_COMPLETED,
                trigger_key=f"service_completed:demo-live-{customer.pk}",
                by=users["chenxm"],
                subject="保养及异响检查",
                owner=users["chenxm"],
                team=users["chenxm"].teams.first(),
                channel="phone",
            )
        except SurveyRefused:
            continue
        survey_deliver(send_id=send.pk)
        outcome = outcomes[done]
        if outcome:
            csat, solved, comment = outcome
            survey_respond(
                send=send,
                answers=[
                    AnswerInput(question=q["csat"], value=csat),
                    AnswerInput(question=q["solved"], value=solved),
                    AnswerInput(question=q["touchpoint"], choices=["people", "information"]),
                    AnswerInput(question=q["comment"], text=comment),
                ],
            )
        done += 1


def seed_surveys(*, size: str, rng: random.Random, customer_ids: list[int], log=print) -> None:
    """Bulk-insert surveys (12k at S, 120k at M) over the last year: mostly CSAT and NPS, a tenth
    SERVQUAL and a twentieth KANO, about 60% answered."""
    count = SEED_COUNTS.get(size, 0)
    if not count or not customer_ids:
        return
    staff = list(User.objects.filter(is_active=True).exclude(role=User.Role.ADMIN).order_by("id"))
    if not staff:
        return
    teams = {u.pk: u.teams.order_by("id").values_list("id", flat=True).first() for u in staff}
    templates = {t.code: t for t in SurveyTemplate.objects.all()}
    questions = {c: list(t.questions.order_by("position", "id")) for c, t in templates.items()}
    mix = {"post_ticket_csat": 60, "relationship_nps": 25, "servqual_22": 10, "kano_features": 5}
    now = timezone.now()
    start = SurveySend.objects.count()
    t0 = time.monotonic()
    batch = 5000
    for offset in range(0, count, batch):
        sends, plans = [], []
        for n in range(offset, min(offset + batch, count)):
            code = _pick(rng, mix)
            owner = rng.choice(staff)
            days_ago = rng.randint(1, 365)
            created = now - timedelta(days=days_ago, minutes=rng.randint(0, 1440))
            sends.append(
                SurveySend(
                    template=templates[code],
                    customer_id=rng.choice(customer_ids),
                    trigger=SurveySend.Trigger.TICKET_CLOSED,
                    trigger_key=f"seed:{start + n}",
                    owner=owner,
                    team_id=teams[owner.pk],
                    channel=rng.choice(["phone", "wechat", "email", "face_to_face"]),
                    status=SurveySend.Status.SENT,
                    sent_by=owner,
                    created_at=created,
                    sent_at=created,
                    expires_at=created + timedelta(days=14),
                )
            )
            plans.append((code, rng.random() < 0.6, days_ago))
        with transaction.atomic():
            SurveySend.objects.bulk_create(sends)
            SurveyCredit.objects.bulk_create(
                [SurveyCredit(send=s, staff_id=s.owner_id, role="owner") for s in sends]
            )
            responses, rows_by = [], []
            for send, (code, answered, days_ago) in zip(sends, plans, strict=True):
                if not answered:
                    continue
                rows, head = _answers(
                    rng, code, questions[code], quarter=3 - min(days_ago // 90, 3)
                )
                at = send.created_at + timedelta(hours=rng.randint(1, 72))
                responses.append(
                    SurveyResponse(
                        send=send,
                        submitted_at=at,
                        updated_at=at,
                        needs_follow_up=_unhappy(head),
                        **head,
                    )
                )
                rows_by.append(rows)
                send.status = SurveySend.Status.ANSWERED
            SurveySend.objects.bulk_update(
                [s for s in sends if s.status == "answered"], ["status"], batch_size=2000
            )
            SurveyResponse.objects.bulk_create(responses)
            answers = []
            for response, rows in zip(responses, rows_by, strict=True):
                for row in rows:
                    row.response = response
                    answers.append(row)
            Answer.objects.bulk_create(answers, batch_size=5000)
        log(f"  surveys {min(offset + batch, count):>7}/{count}  ({time.monotonic() - t0:.1f}s)")
    rollup_rebuild(log=log)


def bench_context(ctx: dict) -> dict:
    """A live survey link for the public-answer benchmark (a send made for the bench)."""
    from rapport.surveys.selectors import link_signer

    token = link_signer().sign(secrets.token_urlsafe(24))
    owner = (
        User.objects.filter(username="bench_manager").first() or User.objects.order_by("id").first()
    )
    customer_id = ctx.get("customer_id") or Customer.objects.values_list("id", flat=True).first()
    now = timezone.now()
    SurveySend.objects.create(
        template=SurveyTemplate.objects.get(code="post_ticket_csat"),
        customer_id=customer_id,
        trigger=SurveySend.Trigger.MANUAL,
        trigger_key=f"bench:{secrets.token_hex(8)}",
        owner=owner,
        sent_by=owner,
        status=SurveySend.Status.SENT,
        sent_at=now,
        expires_at=now + timedelta(days=1),
        token_digest=SurveySend.digest(token),
    )
    return {"survey_token": token}


def _bench_answer(ctx: dict, i: int) -> dict:
    return {"csat": str(3 + i % 3), "solved": "1", "touchpoint": ["people"], "comment": "很好"}


def benchmarks() -> list:
    from rapport.demo.benchmarks import Scenario

    return [
        Scenario("Satisfaction analysis page", "GET", lambda c: "/satisfaction/", target_ms=150),
        Scenario(
            "Satisfaction analysis, VIP tier this quarter",
            "GET",
            lambda c: (
                f"/satisfaction/?tier=vip&date_from={timezone.localdate() - timedelta(days=90)}"
            ),
            target_ms=150,
        ),
        Scenario(
            "Satisfaction beside loyalty (htmx part)",
            "GET",
            lambda c: "/satisfaction/?part=loyalty",
            htmx=True,
            target_ms=300,
        ),
        Scenario(
            "API SERVQUAL gaps",
            "GET",
            lambda c: "/api/v1/surveys/analysis/servqual",
            api=True,
            target_ms=150,
        ),
        Scenario(
            "Public survey answer (POST)",
            "POST",
            lambda c: f"/s/{c['survey_token']}/",
            body=_bench_answer,
        ),
    ]
