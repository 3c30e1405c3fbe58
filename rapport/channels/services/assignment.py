"""Conversations reaching an agent by themselves: routing a new conversation through its
team's routing (rapport.interactions.routing), and escalating those nobody claimed in time."""

from datetime import datetime, timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rapport.channels.models import Channel, Conversation
from rapport.interactions import routing
from rapport.notifications.services import notify
from rapport.staff.models import User

State = Conversation.State


def claimed_conversations_per_agent(user_ids: list[int]) -> dict[int, int]:
    """The load counter channels register with routing: conversations each agent holds."""
    rows = (
        Conversation.objects.filter(claimed_by_id__in=user_ids, state=State.CLAIMED)
        .values("claimed_by_id")
        .annotate(n=Count("id"))
    )
    return {row["claimed_by_id"]: row["n"] for row in rows}


def channel_skills() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Channel.choices]


def conversation_route(*, conversation: Conversation) -> User | None:
    """Give a new unassigned conversation to the agent its team's routing picks (skill: the
    channel), in the caller's transaction, and tell them (conversation_assigned). None when the
    team routes by hand or nobody is available under their cap."""
    if conversation.state != State.UNASSIGNED or not routing.team_routes_work(conversation.team_id):
        return None  # asked before conversation.team is read: most teams claim by hand
    agent = routing.pick_agent(team=conversation.team, skill=conversation.account.kind)
    if agent is None:
        return None
    now = timezone.now()
    if not Conversation.objects.filter(pk=conversation.pk, state=State.UNASSIGNED).update(
        state=State.CLAIMED, claimed_by=agent, claimed_at=now
    ):
        return None
    conversation.state, conversation.claimed_by, conversation.claimed_at = (
        State.CLAIMED,
        agent,
        now,
    )
    notify(
        users=[agent],
        kind="conversation_assigned",
        title=format_lazy(
            _("A conversation with {customer} was assigned to you"),
            customer=conversation.customer.name,
        ),
        body=conversation.subject,
        url=reverse("web:conversation", args=[conversation.pk]),
        dedupe_key=f"conversation_assigned:{conversation.pk}:{agent.pk}",
    )
    return agent


def conversations_escalate_unassigned(*, now: datetime | None = None, limit: int = 500) -> int:
    """Tell the supervisors of each team that escalates about its conversations still
    unclaimed after the team's time, once per conversation. Returns how many."""
    now = now or timezone.now()
    escalated = 0
    for setting in routing.teams_escalating():
        waiting = (
            Conversation.objects.filter(
                team=setting.team,
                state=State.UNASSIGNED,
                created_at__lte=now - timedelta(minutes=setting.escalate_after_minutes),
            )
            .exclude(pk__in=routing.already_escalated("conversation"))
            .select_related("customer")
            .order_by("created_at")[:limit]
        )
        for conversation in waiting:
            escalated += routing.unassigned_escalate(
                source="conversation",
                item_id=conversation.pk,
                team=setting.team,
                title=format_lazy(
                    _("A conversation with {customer} is still unclaimed after {minutes} minutes"),
                    customer=conversation.customer.name,
                    minutes=setting.escalate_after_minutes,
                ),
                url=reverse("web:conversation", args=[conversation.pk]),
            )
    return escalated
