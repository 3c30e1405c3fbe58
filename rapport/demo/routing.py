"""The demo's routing: 客服一组 hands new work to its least-loaded available representative, so
a mail or WeChat message arriving in the live demo reaches someone by itself (and rings their
bell); 客服二组 claims by hand, and both tell their supervisor of work left waiting."""

from django.utils import timezone

from rapport.interactions import routing
from rapport.interactions.models import TeamRouting
from rapport.interactions.services import agent_status_set
from rapport.notifications.models import Notification
from rapport.notifications.registry import CORE_KINDS
from rapport.staff.models import Team, User

ROUTED_TEAM = "客服一组"
MANUAL_TEAM = "客服二组"
HEADROOM = 15  # new items each representative may still receive on top of the demo's backlog


def build_routing(*, rng, users: dict[str, User], customers) -> None:
    routed = Team.objects.get(name=ROUTED_TEAM)
    agents = list(
        routed.members.filter(is_active=True, role__in=routing.AGENT_ROLES).order_by("id")
    )
    # The demo's history leaves each representative a backlog of open tickets; the cap sits
    # above it so the live messages still find someone, as a team lead would set it.
    backlog = max(routing.agent_loads(a.pk for a in agents).values(), default=0)
    TeamRouting.objects.create(
        team=routed,
        strategy=TeamRouting.Strategy.LEAST_LOADED,
        cap=min(500, backlog + HEADROOM),
        escalate_after_minutes=30,
    )
    TeamRouting.objects.create(
        team=Team.objects.get(name=MANUAL_TEAM),
        strategy=TeamRouting.Strategy.MANUAL,
        escalate_after_minutes=60,
    )
    # Whatever hour the demo is built, 客服一组 is on shift.
    for agent in agents:
        agent_status_set(staff=agent, status="available")
    # Replaying a year of tickets told everyone of every step as it was replayed, all "just
    # now": that history is read; the bell rings for what arrives while the demo runs.
    Notification.objects.filter(
        kind__in=[code for code, _label, _channels in CORE_KINDS], read_at__isnull=True
    ).update(read_at=timezone.now())
