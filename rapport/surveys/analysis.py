"""Selectors for the satisfaction analysis. Each part is a few grouped queries; the arithmetic
is in rapport.surveys.maths. Scope: managers and administrators see all sends, supervisors the
sends of their teams and their own."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import repeat

from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from rapport.customers.models import Asset, Customer
from rapport.interactions.models import Interaction, Purpose
from rapport.staff.models import User
from rapport.surveys import maths
from rapport.surveys.models import (
    Answer,
    Dimension,
    Question,
    SurveyCredit,
    SurveyResponse,
    SurveySend,
)


@dataclass(frozen=True)
class Filters:
    """Any period, team, agent (the owner), channel, ticket type and customer tier."""

    date_from: date | None = None
    date_to: date | None = None
    team_id: int | None = None
    agent_id: int | None = None
    channel: str = ""
    ticket_type: str = ""
    tier: str = ""
    template: str = ""


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sends_in_scope(*, staff: User, filters: Filters) -> QuerySet[SurveySend]:
    """Sends created in the period (responses are counted with the send they answer)."""
    if not staff.can("surveys.analyse"):
        return SurveySend.objects.none()
    qs = SurveySend.objects.all()
    if not staff.can("surveys.analyse_all"):
        team_ids = list(staff.teams.values_list("pk", flat=True))
        qs = qs.filter(Q(team_id__in=team_ids) | Q(owner=staff))
    f = filters
    if f.date_from:
        qs = qs.filter(created_at__gte=_start(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_start(f.date_to + timedelta(days=1)))
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.agent_id:
        qs = qs.filter(owner_id=f.agent_id)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.ticket_type:
        qs = qs.filter(ticket_type=f.ticket_type)
    if f.tier:
        qs = qs.filter(customer__tier=f.tier)
    if f.template:
        qs = qs.filter(template__code=f.template)
    return qs


def _responses(sends: QuerySet[SurveySend]) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(send__in=sends.values("pk"))


def csat(*, sends: QuerySet[SurveySend]) -> dict:
    """The full 1–5 distribution and the mean (one query)."""
    rows = (
        _responses(sends)
        .filter(csat__isnull=False)
        .values("csat")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {r["csat"]: r["n"] for r in rows}
    return maths.csat_distribution(s for s, n in counts.items() for _ in range(n))


def nps(*, sends: QuerySet[SurveySend]) -> dict:
    rows = (
        _responses(sends).filter(nps__isnull=False).values("nps").annotate(n=Count("id")).order_by()
    )
    result = maths.nps(s for r in rows for s in repeat(r["nps"], r["n"]))
    result["counts"] = {s: 0 for s in range(11)} | {r["nps"]: r["n"] for r in rows}
    return result


def response_rates(*, sends: QuerySet[SurveySend]) -> list[dict]:
    """Per questionnaire: sent (delivered links), answered, undeliverable and the rate."""
    rows = (
        sends.values("template__code", "template__name_zh", "template__name_en")
        .annotate(
            delivered=Count("id", filter=Q(status__in=["sent", "answered"])),
            answered=Count("id", filter=Q(status="answered")),
            undeliverable=Count("id", filter=Q(status="undeliverable")),
        )
        .order_by("template__code")
    )
    return [
        {
            "template": r["template__code"],
            "name_zh": r["template__name_zh"],
            "name_en": r["template__name_en"],
            "delivered": r["delivered"],
            "answered": r["answered"],
            "undeliverable": r["undeliverable"],
            "rate": maths.response_rate(answered=r["answered"], delivered=r["delivered"]),
        }
        for r in rows
    ]


def _servqual_answers(sends: QuerySet[SurveySend]) -> QuerySet[Answer]:
    return Answer.objects.filter(
        response__send__in=sends.values("pk"),
        question__kind=Question.Kind.SERVQUAL,
        value__isnull=False,
        value_b__isnull=False,
    )


def servqual(*, sends: QuerySet[SurveySend]) -> dict:
    """Per dimension mean expectation, perception, gap P − E and its verdict; the weakest named."""
    rows = (
        _servqual_answers(sends)
        .values("question__dimension")
        .annotate(e=Avg("value"), p=Avg("value_b"), n=Count("id"))
        .order_by()
    )
    by_dim = {r["question__dimension"]: r for r in rows}
    gaps = [
        maths.DimensionGap(
            dimension=d,
            expectation=by_dim[d]["e"] if d in by_dim else None,
            perception=by_dim[d]["p"] if d in by_dim else None,
            n=by_dim[d]["n"] if d in by_dim else 0,
        )
        for d in maths.DIMENSIONS
    ]
    return {"dimensions": gaps, "weakest": maths.weakest_dimension(gaps)}


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _next_quarter(start: date) -> date:
    """The first day of the quarter after the one starting on `start`."""
    month = start.month + 3
    return date(start.year + (month > 12), month - 12 if month > 12 else month, 1)


def servqual_trend(*, sends: QuerySet[SurveySend], quarters: int = 8) -> dict:
    """The gap per dimension for each of the last `quarters` quarters with answers.

    One grouped query with a filtered average per quarter: comparing the answer time with the
    quarter's bounds uses the index, where truncating each row's time to a quarter would not."""
    answers = _servqual_answers(sends)
    last = answers.aggregate(last=Max("response__submitted_at"))["last"]
    if last is None:
        return {"quarters": [], "gaps": {}}
    starts = [_quarter_start(timezone.localdate(last))]
    while len(starts) < quarters:
        previous = starts[-1]
        starts.append(_quarter_start(previous - timedelta(days=1)))
    starts.reverse()
    aggregates = {}
    for i, start in enumerate(starts):
        within = Q(
            response__submitted_at__gte=_start(start),
            response__submitted_at__lt=_start(_next_quarter(start)),
        )
        aggregates[f"e{i}"] = Avg("value", filter=within)
        aggregates[f"p{i}"] = Avg("value_b", filter=within)
    rows = answers.values("question__dimension").annotate(**aggregates).order_by()
    gaps: dict[str, dict[str, float]] = {}
    for r in rows:
        for i, start in enumerate(starts):
            if r[f"e{i}"] is not None:
                label = maths.quarter_of(start)
                gaps.setdefault(label, {})[r["question__dimension"]] = r[f"p{i}"] - r[f"e{i}"]
    labels = [maths.quarter_of(start) for start in starts if maths.quarter_of(start) in gaps]
    return {"quarters": labels, "gaps": gaps}


def kano(*, sends: QuerySet[SurveySend]) -> list[dict]:
    """Each feature's category counts and shares, its class and Better/Worse (one query)."""
    rows = (
        Answer.objects.filter(
            response__send__in=sends.values("pk"),
            question__kind=Question.Kind.KANO,
            value__isnull=False,
            value_b__isnull=False,
        )
        .values("question__code", "value", "value_b")
        .annotate(n=Count("id"))
        .order_by()
    )
    combos: dict[str, list] = {}
    for r in rows:
        combos.setdefault(r["question__code"], []).extend(
            repeat((r["value"], r["value_b"]), r["n"])
        )
    questions = {
        q.code: q
        for q in Question.objects.filter(code__in=combos, kind=Question.Kind.KANO).order_by("id")
    }
    out = []
    for code, q in questions.items():
        result = maths.kano_feature(combos[code])
        result["code"] = code
        result["question"] = q
        out.append(result)
    return out


SATISFIED, NEUTRAL, DISSATISFIED = "satisfied", "neutral", "dissatisfied"
RETURN_PURPOSES = ("appointment", "after_sales")


def loyalty(*, sends: QuerySet[SurveySend]) -> dict:
    """Satisfaction beside loyalty: for answering customers, grouped by what they said (CSAT 4–5,
    3, 1–2; NPS promoters, passives, detractors where no CSAT), what they did afterwards —
    came back (a later inbound contact or a later purchase), still active, or lost (with churn
    reasons). Satisfaction is never used to infer loyalty; the two are shown side by side.

    Until appointments and sales exist, "came back" is read from what is recorded: a later
    inbound contact to book or get service (RETURN_PURPOSES), or a later asset (a purchase)."""
    band = Case(
        When(csat__gte=4, then=Value(SATISFIED)),
        When(csat=3, then=Value(NEUTRAL)),
        When(csat__lte=2, then=Value(DISSATISFIED)),
        When(nps__gte=9, then=Value(SATISFIED)),
        When(nps__gte=7, then=Value(NEUTRAL)),
        When(nps__isnull=False, then=Value(DISSATISFIED)),
        default=Value(""),
    )
    later_contact = Interaction.objects.filter(
        customer_id=OuterRef("send__customer_id"),
        direction=Interaction.Direction.INBOUND,
        # a non-correlated subquery: evaluated once, not joined on every probe
        purpose_id__in=Purpose.objects.filter(code__in=RETURN_PURPOSES).values("pk"),
        started_at__gt=OuterRef("submitted_at"),
    )
    later_purchase = Asset.objects.filter(
        customer_id=OuterRef("send__customer_id"), created_at__gt=OuterRef("submitted_at")
    )
    rows = (
        _responses(sends)
        .annotate(band=band, came_back=Exists(later_contact) | Exists(later_purchase))
        .values("band", "send__customer__lifecycle_stage", "send__customer__churn_reason")
        .annotate(n=Count("id"), back=Count("id", filter=Q(came_back=True)))
        .order_by()
    )
    bands = {
        b: {"band": b, "n": 0, "came_back": 0, "active": 0, "lost": 0, "churn": {}}
        for b in (SATISFIED, NEUTRAL, DISSATISFIED)
    }
    active_stages = {Customer.Stage.ACTIVE, Customer.Stage.NEW}
    for r in rows:
        if r["band"] not in bands:
            continue
        b = bands[r["band"]]
        b["n"] += r["n"]
        b["came_back"] += r["back"]
        stage = r["send__customer__lifecycle_stage"]
        if stage in active_stages:
            b["active"] += r["n"]
        if stage == Customer.Stage.LOST:
            b["lost"] += r["n"]
            reason = r["send__customer__churn_reason"] or "other"
            b["churn"][reason] = b["churn"].get(reason, 0) + r["n"]
    for b in bands.values():
        for key in ("came_back", "active", "lost"):
            b[f"{key}_share"] = b[key] / b["n"] if b["n"] else None
        b["churn"] = sorted(b["churn"].items(), key=lambda kv: -kv[1])
    result = list(bands.values())
    lost_total = sum(b["lost"] for b in result)
    lost_satisfied = bands[SATISFIED]["lost"]
    return {
        "bands": result,
        "lost_total": lost_total,
        "lost_said_satisfied_share": lost_satisfied / lost_total if lost_total else None,
    }


def credit(*, sends: QuerySet[SurveySend]) -> list[dict]:
    """Per staff member: answered surveys credited as owner (first responder) and, separately,
    as a transfer handler, with mean CSAT and NPS of each."""
    rows = (
        SurveyCredit.objects.filter(send__in=sends.values("pk"), send__response__isnull=False)
        .values("staff_id", "staff__display_name", "staff__username", "role")
        .annotate(
            n=Count("id"),
            csat=Avg("send__response__csat"),
            nps_promoters=Count("id", filter=Q(send__response__nps__gte=9)),
            nps_detractors=Count("id", filter=Q(send__response__nps__lte=6)),
            nps_n=Count("send__response__nps"),
        )
        .order_by("staff__display_name", "staff_id")
    )
    people: dict[int, dict] = {}
    for r in rows:
        person = people.setdefault(
            r["staff_id"],
            {
                "staff_id": r["staff_id"],
                "name": r["staff__display_name"] or r["staff__username"],
                "owner": None,
                "transfer": None,
            },
        )
        nps_score = (
            100 * (r["nps_promoters"] - r["nps_detractors"]) / r["nps_n"] if r["nps_n"] else None
        )
        person[r["role"]] = {"n": r["n"], "csat": r["csat"], "nps": nps_score}
    return sorted(people.values(), key=lambda p: -((p["owner"] or {}).get("n") or 0))


def analysis_summary(*, staff: User, filters: Filters) -> dict:
    sends = sends_in_scope(staff=staff, filters=filters)
    return {
        "csat": csat(sends=sends),
        "nps": nps(sends=sends),
        "rates": response_rates(sends=sends),
        "servqual": servqual(sends=sends),
        "trend": servqual_trend(sends=sends),
        "kano": kano(sends=sends),
        "loyalty": loyalty(sends=sends),
        "credit": credit(sends=sends),
        "dimension_labels": dict(Dimension.choices),
    }
