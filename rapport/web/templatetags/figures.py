"""Filters for figures: how long overdue, how long left (dashboard, home, compliance)."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


def span_text(seconds: float) -> str:
    """A span of time in the largest two units: 50 min; 3 h 20 min; 2 d 4 h."""
    minutes = max(int(seconds // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return (
            _("%(d)s d %(h)s h") % {"d": days, "h": hours} if hours else _("%(d)s d") % {"d": days}
        )
    if hours:
        return (
            _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
            if minutes
            else _("%(h)s h") % {"h": hours}
        )
    return _("%(m)s min") % {"m": minutes}


@register.filter
def overdue_text(since: datetime | None, now: datetime | None = None) -> str:
    """How long past `since` (a due instant) it is now, e.g. 2 d 4 h."""
    if not since:
        return ""
    return span_text(((now or timezone.now()) - since).total_seconds())


@register.filter
def time_left(due: datetime | None, now: datetime | None = None) -> str:
    """How long until `due`, or '' when it has passed."""
    if not due:
        return ""
    seconds = (due - (now or timezone.now())).total_seconds()
    return span_text(seconds) if seconds > 0 else ""


@register.filter
def agent_status_label(value: str) -> str:
    from rapport.interactions.models import AgentStatusInterval

    try:
        return str(AgentStatusInterval.Status(value).label)
    except ValueError:
        return value


@register.simple_tag
def overdue_between(due: datetime | None, until: datetime | None) -> str:
    """How long after `due` `until` came (a clock stopped late, or now), or '' if not after."""
    if not due or not until or until <= due:
        return ""
    return span_text((until - due).total_seconds())


@register.filter
def lookup(mapping, key):
    """{{ counts|lookup:key }}: a dict value by a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None
