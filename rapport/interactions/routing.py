"""Routing (分配): which agent of a team new work goes to, and unassigned work escalated.

`pick_agent` chooses by the team's TeamRouting strategy among the team's representatives and
specialists who are available or in contact (AgentStatusInterval), under their cap of open
items, and with the skill asked for. The open items per agent come from the counters the
processes register (tickets, conversations), so this module never imports them:

    register_load_counter(func)   # func(user_ids: list[int]) -> {user_id: open items}
    register_skill_choices(func)  # func() -> [(code, label)]: what an agent's skills may be

Skills: an agent without skills handles everything; one with skills handles work of those
skills and work without a skill.
"""

from collections.abc import Callable, Iterable

from django.db import IntegrityError, transaction

from rapport.interactions.models import (
    SELF_ROUTING_TEAMS,
    AgentRouting,
    AgentStatusInterval,
    TeamRouting,
    UnassignedEscalation,
)
from rapport.notifications.services import notification_recipients_supervisors, notify
from rapport.staff.models import Team, User

RECEIVING = (AgentStatusInterval.Status.AVAILABLE, AgentStatusInterval.Status.IN_CONTACT)
AGENT_ROLES = (User.Role.REPRESENTATIVE, User.Role.SPECIALIST)

LoadCounter = Callable[[list[int]], dict[int, int]]
_counters: list[LoadCounter] = []
_skill_sources: list[Callable[[], list[tuple[str, str]]]] = []


def register_load_counter(func: LoadCounter) -> LoadCounter:
    """Register a counter of open items per agent; registering the same function again is a
    no-op (module reloads)."""
    if func not in _counters:
        _counters.append(func)
    return func


def register_skill_choices(func: Callable[[], list[tuple[str, str]]]) -> None:
    if func not in _skill_sources:
        _skill_sources.append(func)


def skill_choices() -> list[tuple[str, str]]:
    """Every skill an agent may be given, (code, label), from the registered sources."""
    seen: dict[str, str] = {}
    for source in _skill_sources:
        for code, label in source():
            seen.setdefault(code, str(label))
    return list(seen.items())


def agent_loads(user_ids: Iterable[int]) -> dict[int, int]:
    """Open items per agent, summed over the registered counters (one query each)."""
    ids = list(user_ids)
    loads = dict.fromkeys(ids, 0)
    if not ids:
        return loads
    for counter in _counters:
        for user_id, count in counter(ids).items():
            loads[user_id] = loads.get(user_id, 0) + count
    return loads


def team_routing(team: Team | None) -> TeamRouting | None:
    if team is None:
        return None
    return TeamRouting.objects.filter(team=team).first()


def _candidates(team: Team, skill: str, exclude_ids) -> list[tuple[User, int | None]]:
    """(agent, own cap) of the team's agents who may receive work now, by id."""
    receiving = AgentStatusInterval.objects.filter(ended_at__isnull=True, status__in=RECEIVING)
    agents = (
        User.objects.filter(
            is_active=True,
            role__in=AGENT_ROLES,
            teams=team,
            pk__in=receiving.values("staff_id"),
        )
        .exclude(pk__in=list(exclude_ids))
        .order_by("id")
    )
    settings = {r.user_id: r for r in AgentRouting.objects.filter(user__in=agents)}
    chosen = []
    for agent in agents:
        own = settings.get(agent.pk)
        skills = (own.skills if own else None) or []
        if skill and skills and skill not in skills:
            continue
        chosen.append((agent, own.cap if own else None))
    return chosen


def team_routes_work(team_id: int | None) -> bool:
    """Whether the team hands new work out by routing (round robin, least loaded) rather than
    leaving it to be claimed. Kept per process (SELF_ROUTING_TEAMS): a team switched to routing
    in another process gets its new work routed within the memo's ttl, claimed by hand before;
    one switched to manual is seen at once, as pick_agent reads the row it locks."""
    if team_id is None:
        return False
    teams = SELF_ROUTING_TEAMS.get(
        "teams",
        lambda: frozenset(
            TeamRouting.objects.exclude(strategy=TeamRouting.Strategy.MANUAL).values_list(
                "team_id", flat=True
            )
        ),
    )
    return team_id in teams


def pick_agent(
    *, team: Team | None, skill: str = "", exclude_ids: Iterable[int] = ()
) -> User | None:
    """The agent of `team` who should get one new item, or None: the team routes by hand
    (manual, or no routing set), or nobody available is under their cap with the skill.

    Least loaded: the fewest open items, then the lowest id. Round robin: the next agent after
    the one who got the last item. The team's routing row is locked while choosing, so two
    items arriving at once are handed out one after the other."""
    if team is None or not team_routes_work(team.pk):
        return None  # by hand: no row to lock, nothing to choose
    with transaction.atomic():
        routing = TeamRouting.objects.select_for_update().filter(team=team).first()
        if routing is None or routing.strategy == TeamRouting.Strategy.MANUAL:
            return None
        candidates = _candidates(team, skill, exclude_ids)
        loads = agent_loads(agent.pk for agent, _cap in candidates)
        open_to_work = [
            agent for agent, cap in candidates if loads[agent.pk] < (cap or routing.cap)
        ]
        if not open_to_work:
            return None
        if routing.strategy == TeamRouting.Strategy.ROUND_ROBIN:
            after = [a for a in open_to_work if a.pk > (routing.last_agent_id or 0)]
            agent = (after or open_to_work)[0]
        else:
            agent = min(open_to_work, key=lambda a: (loads[a.pk], a.pk))
        TeamRouting.objects.filter(pk=routing.pk).update(last_agent=agent)
        return agent


# -- Unassigned work escalated to the supervisors -------------------------------------------------


def teams_escalating() -> list[TeamRouting]:
    """The routing rows of active teams that escalate unassigned work."""
    return list(
        TeamRouting.objects.filter(escalate_after_minutes__gt=0, team__is_active=True)
        .select_related("team")
        .order_by("team_id")
    )


def already_escalated(source: str):
    """The ids of items of `source` already escalated (a subquery)."""
    return UnassignedEscalation.objects.filter(source=source).values("item_id")


def unassigned_escalate(*, source: str, item_id: int, team: Team, title, url: str) -> bool:
    """Tell `team`'s supervisors that an item is still unassigned, once per item: the row is
    inserted under a unique constraint, so a second sweep or a second worker tells nobody.
    Returns whether this call escalated it."""
    try:
        with transaction.atomic():
            UnassignedEscalation.objects.create(source=source, item_id=item_id, team=team)
            notify(
                users=notification_recipients_supervisors(team=team),
                kind="unassigned_escalated",
                title=title,
                url=url,
                dedupe_key=f"unassigned_escalated:{source}:{item_id}",
            )
    except IntegrityError:
        return False
    return True
