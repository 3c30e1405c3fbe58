"""Times as pages show them: exact (2026-12-07 21:30) and relative (3 天前) with the exact time on
hover. The template library registers these (`ymd_hm`, `reltime`); rows rendered in Python (the
ticket queue) call them directly."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _


def ymd_hm(value) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.strftime("%Y-%m-%d")


def reltime(value, now: datetime | None = None):
    """A relative time with the exact time on hover, in a <time> element."""
    if not value:
        return ""
    exact = ymd_hm(value)
    if isinstance(value, datetime):
        now = now or timezone.now()
        if abs((now - value).total_seconds()) < 60:
            text = _("just now")
        elif value <= now:
            text = _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
        else:
            text = _("in %(time)s") % {"time": timesince(now, value, depth=1)}
        iso = value.isoformat()
    elif isinstance(value, date):
        text, iso = exact, value.isoformat()
    else:
        return value
    return format_html('<time datetime="{}" title="{}">{}</time>', iso, exact, text)
