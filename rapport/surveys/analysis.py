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
    F,
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


@dataclass(frozen=True)
class Scope:
    """Which sends an analysis counts, as lookups on SurveySend. `q(prefix)` applies them from
    any table that reaches the send (responses, answers, credits) as a plain join, which the
    planner answers far faster than `send_id IN (SELECT …)` on large tables."""

    lookups: tuple[tuple[str, object], ...] = ()
    own_work_of: int | None = None  # a supervisor: their teams' sends and their own
    team_ids: tuple[int, ...] = ()
    nothing: bool = False

    def q(self, prefix: str = "") -> Q:
        if self.nothing:
            return Q(pk__in=[])
        q = Q(**{prefix + name: value for name, value in self.lookups})
        if self.own_work_of is not None:
            q &= Q(**{prefix + "team_id__in": self.team_ids}) | Q(
                **{prefix + "owner_id": self.own_work_of}
            )
        return q

    def sends(self) -> QuerySet[SurveySend]:
        return SurveySend.objects.filter(self.q())


def sends_in_scope(*, staff: User, filters: Filters) -> Scope:
    """Sends created in the period (responses are counted with the send they answer), limited
    to the staff member's teams unless they may analyse everyone's."""
    if not staff.can("surveys.analyse"):
        return Scope(nothing=True)
    f = filters
    lookups = {
        "created_at__gte": _start(f.date_from) if f.date_from else None,
        "created_at__lt": _start(f.date_to + timedelta(days=1)) if f.date_to else None,
        "team_id": f.team_id,
        "owner_id": f.agent_id,
        "channel": f.channel,
        "ticket_type": f.ticket_type,
        "customer__tier": f.tier,
        "template__code": f.template,
    }
    scope = Scope(lookups=tuple((k, v) for k, v in lookups.items() if v))
    if staff.can("surveys.analyse_all"):
        return scope
    team_ids = tuple(staff.teams.values_list("pk", flat=True))
    return Scope(lookups=scope.lookups, own_work_of=staff.pk, team_ids=team_ids)


def _responses(scope: Scope) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(scope.q("send__"))


def csat(*, scope: Scope) -> dict:
    """The full 1–5 distribution and the mean (one query)."""
    rows = (
        _responses(scope)
        .filter(csat__isnull=False)
        .values("csat")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {r["csat"]: r["n"] for r in rows}
    return maths.csat_distribution(s for s, n in counts.items() for _ in range(n))


def nps(*, scope: Scope) -> dict:
    rows = (
        _responses(scope).filter(nps__isnull=False).values("nps").annotate(n=Count("id")).order_by()
    )
    result = maths.nps(s for r in rows for s in repeat(r["nps"], r["n"]))
    result["counts"] = {s: 0 for s in range(11)} | {r["nps"]: r["n"] for r in rows}
    return result


def response_rates(*, scope: Scope) -> list[dict]:
    """Per questionnaire: sent (delivered links), answered, undeliverable and the rate."""
    rows = (
        scope.sends()
        .values("template__code", "template__name_zh", "template__name_en")
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


def _servqual_answers(scope: Scope) -> QuerySet[Answer]:
    return Answer.objects.filter(
        scope.q("response__send__"),
        question__kind=Question.Kind.SERVQUAL,
        value__isnull=False,
        value_b__isnull=False,
    )


def servqual(*, scope: Scope) -> dict:
    """Per dimension mean expectation, perception, gap P − E and its verdict; the weakest named."""
    rows = (
        _servqual_answers(scope)
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


def servqual_trend(*, scope: Scope, quarters: int = 8) -> dict:
    """The gap per dimension for each of the last `quarters` quarters with answers.

    One grouped query with a filtered average per quarter: comparing the answer time with the
    quarter's bounds uses the index, where truncating each row's time to a quarter would not."""
    answers = _servqual_answers(scope)
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
        # mean(P) − mean(E) over the same answers is the mean of P − E: one average a quarter
        aggregates[f"gap{i}"] = Avg(F("value_b") - F("value"), filter=within)
    rows = (
        answers.filter(response__submitted_at__gte=_start(starts[0]))
        .values("question__dimension")
        .annotate(**aggregates)
        .order_by()
    )
    gaps: dict[str, dict[str, float]] = {}
    for r in rows:
        for i, start in enumerate(starts):
            if r[f"gap{i}"] is not None:
                label = maths.quarter_of(start)
                gaps.setdefault(label, {})[r["question__dimension"]] = r[f"gap{i}"]
    labels = [maths.quarter_of(start) for start in starts if maths.quarter_of(start) in gaps]
    return {"quarters": labels, "gaps": gaps}


def kano(*, scope: Scope) -> list[dict]:
    """Each feature's category counts and shares, its class and Better/Worse (one query)."""
    rows = (
        Answer.objects.filter(
            scope.q("response__send__"),
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


def loyalty(*, scope: Scope) -> dict:
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
        _responses(scope)
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


def credit(*, scope: Scope) -> list[dict]:
    """Per staff member: answered surveys credited as owner (first responder) and, separately,
    as a transfer handler, with mean CSAT and NPS of each."""
    rows = (
        SurveyCredit.objects.filter(scope.q("send__"), send__response__isnull=False)
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


PARTS = {
    "csat": csat,
    "nps": nps,
    "rates": response_rates,
    "servqual": servqual,
    "trend": servqual_trend,
    "kano": kano,
    "loyalty": loyalty,
    "credit": credit,
}
# Loyalty probes every answering customer's later contacts: the page loads it after the rest.
PAGE_PARTS = tuple(name for name in PARTS if name != "loyalty")


def analysis_summary(*, staff: User, filters: Filters, parts=tuple(PARTS)) -> dict:
    """The named parts of the analysis for the staff member's scope; parts not asked for are
    absent from the result."""
    scope = sends_in_scope(staff=staff, filters=filters)
    return {name: PARTS[name](scope=scope) for name in parts}
