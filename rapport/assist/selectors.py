"""Reads of the assistance app: phrases for the picker, and the coach's record for supervisors."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from rapport.assist.models import CoachRecord, Phrase

MAX_PHRASES = 50


def phrase_search(*, q: str = "", language: str = "", situation: str = "") -> QuerySet[Phrase]:
    """Enabled phrases whose code, title or text contains `q` (any case), best first by code."""
    phrases = Phrase.objects.filter(enabled=True)
    if language:
        phrases = phrases.filter(language=language)
    if situation:
        phrases = phrases.filter(situation=situation)
    q = (q or "").strip()[:100]
    if q:
        phrases = phrases.filter(
            Q(code__icontains=q) | Q(title__icontains=q) | Q(text__icontains=q)
        )
    return phrases.order_by("situation", "code", "language")[:MAX_PHRASES]


_TITLES = {"zh-hans": {"female": "女士", "male": "先生"}, "en": {"female": "Ms", "male": "Mr"}}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def phrase_render(*, phrase: Phrase, agent=None, customer=None) -> str:
    """The phrase with its variables filled; an unknown {name} is left as written, a missing
    value (no customer yet) becomes empty, and braces in the text never raise."""
    gender = getattr(customer, "gender", "") or ""
    values = _Blank(
        customer_name=getattr(customer, "name", "") or "",
        customer_title=_TITLES.get(phrase.language, {}).get(gender, ""),
        agent_name=(agent.name if agent is not None else ""),
        company=settings.COMPANY_NAME,
    )
    try:
        return phrase.text.format_map(values)
    except (ValueError, IndexError, AttributeError, KeyError):
        return phrase.text


@dataclass(frozen=True)
class CoachRow:
    key: str  # an agent's name or a rule code
    label: str
    shown: int
    fixed: int
    weeks: list[int]  # flags shown per week, oldest first

    @property
    def fix_rate(self) -> float:
        return self.fixed / self.shown if self.shown else 0.0


def coach_period(days: int) -> tuple[datetime, list[date]]:
    now = timezone.localtime()
    start = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    first_monday = start.date() - timedelta(days=start.weekday())
    weeks = []
    week = first_monday
    while week <= now.date():
        weeks.append(week)
        week += timedelta(days=7)
    return start, weeks


def coach_summary(
    *, by: str, since: datetime, weeks: list[date], agents: QuerySet | None = None
) -> list[CoachRow]:
    """Per agent (`by="agent"`) or per rule (`by="rule"`): flags shown, fixed before sending,
    and flags shown per week. Two queries whatever the number of rows."""
    from rapport.assist.rules import LABELS
    from rapport.staff.models import User

    records = CoachRecord.objects.filter(at__gte=since)
    if agents is not None:
        records = records.filter(agent__in=agents)
    field = "agent_id" if by == "agent" else "rule"
    totals = records.values(field).annotate(
        flags=Count("id"), fixed_flags=Count("id", filter=Q(fixed=True))
    )
    per_week: dict = {}
    for row in records.annotate(week=TruncWeek("at")).values(field, "week").annotate(n=Count("id")):
        week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        per_week[(row[field], week)] = row["n"]
    names = {}
    if by == "agent":
        ids = [row["agent_id"] for row in totals]
        names = {user.pk: str(user) for user in User.objects.filter(pk__in=ids)}
    rows = [
        CoachRow(
            key=str(row[field]),
            label=names.get(row[field], "")
            if by == "agent"
            else str(LABELS.get(row[field], row[field])),
            shown=row["flags"],
            fixed=row["fixed_flags"],
            weeks=[per_week.get((row[field], week), 0) for week in weeks],
        )
        for row in totals
    ]
    rows.sort(key=lambda row: (-row.shown, row.label))
    return rows


def coach_agents_for(staff):
    """Whose coach records a lead may read: everyone for managers, their teams' members for
    supervisors."""
    from rapport.staff.models import User

    if staff.can("assist.review_all"):
        return None
    return User.objects.filter(teams__in=staff.teams.all()).distinct()
