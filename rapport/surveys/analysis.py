"""Selectors for the satisfaction analysis. Each part is a few grouped queries; the arithmetic
is in rapport.surveys.maths. Scope: managers and administrators see all sends, supervisors the
sends of their teams and their own."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import repeat

from django.db.models import Q, QuerySet
from django.utils import timezone

from rapport.customers.models import Customer
from rapport.staff.models import User
from rapport.surveys import maths, rollups
from rapport.surveys.loyalty import DISSATISFIED, NEUTRAL, SATISFIED
from rapport.surveys.models import (
    Question,
    SurveySend,
    SurveyTemplate,
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
    first_day: date | None = None  # the period's days (also in lookups, as instants)
    last_day: date | None = None
    live: bool = False  # from the surveys alone, never the rollup: what `--check` compares with
    # What one summary reads once for all its parts: the current rollup days, each measure.
    memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

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

    def rollup_q(self) -> tuple[str, Q] | None:
        """The rollup grain that keeps every filter of the scope and the scope as lookups on
        its rows, or None when it is to be computed live (asked for, or a filter the rollup does
        not keep)."""
        names = {name for name, _v in self.lookups}
        if self.nothing or self.live or not names <= ROLLUP_FILTERS:
            return None
        q, fields = Q(), set()
        for name, value in self.lookups:
            if name in ROLLUP_FIELDS:
                q &= Q(**{ROLLUP_FIELDS[name]: value})
                fields.add(ROLLUP_FIELDS[name])
            elif name == "template__code":
                ids = SurveyTemplate.objects.filter(code=value).values("pk")
                q &= Q(template_id__in=ids)
                fields.add("template_id")
        if self.own_work_of is not None:
            q &= Q(team_id__in=self.team_ids) | Q(owner_id=self.own_work_of)
            fields |= {"team_id", "owner_id"}
        return rollups.grain_keeping(fields), q


# Send lookups and the rollup field each is kept in (rollups.DIMENSIONS); the period is its days.
ROLLUP_FIELDS = {lookup: name for name, lookup in rollups.DIMENSIONS.items()}
ROLLUP_FILTERS = {"created_at__gte", "created_at__lt", "template__code", *ROLLUP_FIELDS}


def _figures(scope: Scope, measure: str) -> rollups.Figures:
    """One measure's sums for the scope: from the rollup for the days it holds current, live
    for the rest (today, days changed since their build, days never built)."""
    if measure in scope.memo:
        return scope.memo[measure]
    rolled = scope.rollup_q()
    if rolled is None:
        figures = rollups.live_figures(measure, scope.q())
    else:
        if "built" not in scope.memo:
            days = rollups.current_days(
                first=scope.first_day, last=scope.last_day, today=timezone.localdate()
            )
            built = scope.memo["built"] = rollups.runs(days)
            scope.memo["rest"] = rollups.rest_q(
                scope.q(), built, first=scope.first_day, last=scope.last_day
            )
        built = scope.memo["built"]
        figures = rollups.rolled_figures(measure, built, *rolled)
        rest = rollups.live_figures(measure, scope.memo["rest"])
        for key, sums in rest.sums.items():
            figures.add(key, sums)
    scope.memo[measure] = figures
    return figures


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
    scope = Scope(
        lookups=tuple((k, v) for k, v in lookups.items() if v),
        first_day=f.date_from,
        last_day=f.date_to,
    )
    if staff.can("surveys.analyse_all"):
        return scope
    team_ids = tuple(staff.teams.values_list("pk", flat=True))
    return replace(scope, own_work_of=staff.pk, team_ids=team_ids)


def _counts(scope: Scope, measure: str) -> dict[int, int]:
    return {int(k): sums[0] for (k, _k2), sums in _figures(scope, measure).sums.items()}


def csat(*, scope: Scope) -> dict:
    """The full 1–5 distribution and the mean."""
    counts = _counts(scope, rollups.Measure.CSAT)
    return maths.csat_distribution(s for s, n in sorted(counts.items()) for _ in range(n))


def nps(*, scope: Scope) -> dict:
    counts = _counts(scope, rollups.Measure.NPS)
    result = maths.nps(s for s, n in sorted(counts.items()) for s in repeat(s, n))
    result["counts"] = {s: 0 for s in range(11)} | counts
    return result


def response_rates(*, scope: Scope) -> list[dict]:
    """Per questionnaire: sent (delivered links), answered, undeliverable and the rate."""
    by_template: dict[int, dict[str, int]] = {}
    for (status, template_id), sums in _figures(scope, rollups.Measure.STATUS).sums.items():
        by_template.setdefault(int(template_id), {})[status] = sums[0]
    templates = SurveyTemplate.objects.filter(pk__in=by_template).order_by("code")
    out = []
    for t in templates:
        counts = by_template[t.pk]
        delivered = counts.get("sent", 0) + counts.get("answered", 0)
        answered = counts.get("answered", 0)
        out.append(
            {
                "template": t.code,
                "name_zh": t.name_zh,
                "name_en": t.name_en,
                "delivered": delivered,
                "answered": answered,
                "undeliverable": counts.get("undeliverable", 0),
                "rate": maths.response_rate(answered=answered, delivered=delivered),
            }
        )
    return out


def _servqual_sums(scope: Scope) -> dict[tuple[str, str], list[int]]:
    """(dimension, quarter answered) → [n, Σ expectation, Σ perception, …]."""
    return _figures(scope, rollups.Measure.SERVQUAL).sums


def servqual(*, scope: Scope) -> dict:
    """Per dimension mean expectation, perception, gap P − E and its verdict; the weakest named."""
    by_dim: dict[str, list[int]] = {}
    for (dimension, _quarter), sums in _servqual_sums(scope).items():
        total = by_dim.setdefault(dimension, [0, 0, 0])
        for i in range(3):
            total[i] += sums[i]
    gaps = [
        maths.DimensionGap(
            dimension=d,
            expectation=by_dim[d][1] / by_dim[d][0] if by_dim.get(d, [0])[0] else None,
            perception=by_dim[d][2] / by_dim[d][0] if by_dim.get(d, [0])[0] else None,
            n=by_dim[d][0] if d in by_dim else 0,
        )
        for d in maths.DIMENSIONS
    ]
    return {"dimensions": gaps, "weakest": maths.weakest_dimension(gaps)}


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def servqual_trend(*, scope: Scope, quarters: int = 8) -> dict:
    """The gap per dimension (mean of P − E) for each of the last `quarters` quarters with
    answers, by the quarter the answers came in."""
    sums = {key: value for key, value in _servqual_sums(scope).items() if value[0]}
    if not sums:
        return {"quarters": [], "gaps": {}}
    starts = [date.fromisoformat(max(quarter for _d, quarter in sums))]
    while len(starts) < quarters:
        starts.append(_quarter_start(starts[-1] - timedelta(days=1)))
    starts.reverse()
    gaps: dict[str, dict[str, float]] = {}
    for start in starts:
        for (dimension, quarter), (n, e, p, *_rest) in sums.items():
            if quarter == start.isoformat():
                gaps.setdefault(maths.quarter_of(start), {})[dimension] = (p - e) / n
    labels = [maths.quarter_of(start) for start in starts if maths.quarter_of(start) in gaps]
    return {"quarters": labels, "gaps": gaps}


def kano(*, scope: Scope) -> list[dict]:
    """Each feature's category counts and shares, its class and Better/Worse."""
    by_question: dict[int, list] = {}
    for (question_id, pair), sums in _figures(scope, rollups.Measure.KANO).sums.items():
        functional, dysfunctional = (int(v) for v in pair.split(":"))
        by_question.setdefault(int(question_id), []).extend(
            repeat((functional, dysfunctional), sums[0])
        )
    combos: dict[str, list] = {}
    questions: dict[str, Question] = {}
    for q in Question.objects.filter(pk__in=by_question).order_by("id"):
        combos.setdefault(q.code, []).extend(by_question[q.pk])
        questions[q.code] = q
    out = []
    for code, q in questions.items():
        result = maths.kano_feature(sorted(combos[code]))
        result["code"] = code
        result["question"] = q
        out.append(result)
    return out


def loyalty(*, scope: Scope) -> dict:
    """Satisfaction beside loyalty: for answering customers, grouped by what they said (CSAT 4–5,
    3, 1–2; NPS promoters, passives, detractors where no CSAT), what they did afterwards —
    came back (a later inbound contact or a later purchase: rapport.surveys.loyalty), still
    active, or lost (with churn reasons). Satisfaction is never used to infer loyalty; the two
    are shown side by side. Counted per day in the rollup like every other measure."""
    bands = {
        b: {"band": b, "n": 0, "came_back": 0, "active": 0, "lost": 0, "churn": {}}
        for b in (SATISFIED, NEUTRAL, DISSATISFIED)
    }
    active_stages = {Customer.Stage.ACTIVE, Customer.Stage.NEW}
    counts = _figures(scope, rollups.Measure.LOYALTY).sums
    for (band, stage_churn), (n, back, *_rest) in counts.items():
        if band not in bands or not n:
            continue
        stage, churn_reason = stage_churn.split(":", 1)
        b = bands[band]
        b["n"] += n
        b["came_back"] += back
        if stage in active_stages:
            b["active"] += n
        if stage == Customer.Stage.LOST:
            b["lost"] += n
            reason = churn_reason or "other"
            b["churn"][reason] = b["churn"].get(reason, 0) + n
    for b in bands.values():
        for key in ("came_back", "active", "lost"):
            b[f"{key}_share"] = b[key] / b["n"] if b["n"] else None
        b["churn"] = sorted(b["churn"].items(), key=lambda kv: (-kv[1], kv[0]))
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
    rows = _figures(scope, rollups.Measure.CREDIT).sums
    staff = {
        u.pk: u
        for u in User.objects.filter(pk__in={int(k) for k, _r in rows}).only(
            "display_name", "username"
        )
    }
    people: dict[int, dict] = {}
    ordered = sorted(
        rows.items(), key=lambda kv: (staff[int(kv[0][0])].display_name, int(kv[0][0]))
    )
    for (staff_id, role), (n, csat_sum, csat_n, promoters, detractors, nps_n) in ordered:
        user = staff[int(staff_id)]
        person = people.setdefault(
            user.pk,
            {
                "staff_id": user.pk,
                "name": user.display_name or user.username,
                "owner": None,
                "transfer": None,
            },
        )
        nps_score = 100 * (promoters - detractors) / nps_n if nps_n else None
        person[role] = {"n": n, "csat": csat_sum / csat_n if csat_n else None, "nps": nps_score}
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
# The page loads loyalty after the rest (`?part=loyalty`), from when it was computed live.
PAGE_PARTS = tuple(name for name in PARTS if name != "loyalty")


def analysis_summary(*, staff: User, filters: Filters, parts=tuple(PARTS)) -> dict:
    """The named parts of the analysis for the staff member's scope; parts not asked for are
    absent from the result."""
    scope = sends_in_scope(staff=staff, filters=filters)
    return {name: PARTS[name](scope=scope) for name in parts}


def comparable(value):
    """A summary with floats rounded (sums divided in Python or in SQL may differ in the last
    bit) and model objects by id, to compare two computations of it."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [comparable(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    if hasattr(value, "pk"):
        return ("pk", value.pk)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return comparable(vars(value))
    return value


def check_scopes() -> list[tuple[str, Scope]]:
    """Every send, and those of each tier, channel, ticket type and questionnaire there is."""
    scopes = [("all", Scope())]
    sends = SurveySend.objects.order_by()
    for lookup in ("channel", "ticket_type", "customer__tier", "template__code"):
        for value in sends.values_list(lookup, flat=True).distinct():
            scopes.append((f"{lookup}={value}", Scope(lookups=((lookup, value),))))
    return scopes


def rollup_figures_check() -> list[str]:
    """Every part of the analysis as the page reads it (the rollup's current days, the rest
    live) beside the same part computed from the surveys alone, for each of check_scopes():
    the parts that differ, as lines (empty when the two agree)."""
    differences = []
    for name, scope in check_scopes():
        rolled, computed = replace(scope, memo={}), replace(scope, live=True, memo={})
        for part, compute in PARTS.items():
            read, live = comparable(compute(scope=rolled)), comparable(compute(scope=computed))
            if read != live:
                differences.append(f"{name} {part}: from the rollup {read}, live {live}")
    return differences
