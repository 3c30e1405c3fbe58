"""Display helpers for the interaction pages and the agent status in the header."""

from django import template

from rapport.interactions.models import AgentStatusInterval
from rapport.interactions.selectors import agent_status_current

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.8571 -> 85.7%; None (nothing to divide by) -> —"""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def hours(seconds) -> str:
    """Seconds as hours with one decimal: 5400 -> 1.5 h"""
    if seconds is None:
        return "—"
    return f"{seconds / 3600:,.1f} h"


@register.filter
def decimal1(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}"


@register.simple_tag(takes_context=True)
def current_agent_status(context):
    """The signed-in staff member's current status interval (one query), or None."""
    if "agent_status" in context:
        return context["agent_status"]
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return agent_status_current(staff=user)


@register.simple_tag
def agent_statuses():
    return AgentStatusInterval.Status.choices
