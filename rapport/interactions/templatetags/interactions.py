"""Display helpers for the interaction pages and the agent status in the header."""

from django import template
from django.middleware.csrf import get_token
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from rapport.core.html import fmt
from rapport.core.urls import reverse_kept
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


@register.simple_tag(takes_context=True)
def agent_status_menu(context):
    """The header's status menu (web/agent_status_slot.html): drawn here, since every page
    shows it and its template's loop over the statuses was the largest part of the layout."""
    current = current_agent_status(context)
    request = context.get("request")
    state = current.status if current else None
    url = reverse_kept("interactions:agent-status")
    buttons = "".join(
        fmt(
            '\n      <button type="submit" name="status" value="{}" class="btn-link{}"{}>'
            '<span class="status-dot status-{}" aria-hidden="true"></span>{}</button>',
            value,
            " current" if state == value else "",
            mark_safe(' aria-current="true"') if state == value else "",
            value,
            label,
        )
        for value, label in AgentStatusInterval.Status.choices
    )
    return fmt(
        '<details class="agent-status" id="agent-status">\n'
        '  <summary title="{}"><span class="status-dot status-{}" aria-hidden="true"></span>{}'
        "</summary>\n"
        '  <form class="menu" method="post" action="{}" hx-post="{}" hx-target="#agent-status" '
        'hx-swap="outerHTML">\n'
        '    <input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">{}\n  </form>\n</details>',
        _("Your status"),
        state or "offline",
        current.get_status_display() if current else _("Offline"),
        url,
        url,
        get_token(request) if request is not None else "",
        request.get_full_path() if request is not None else "",
        mark_safe(buttons),
    )
