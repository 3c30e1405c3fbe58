"""Times as pages show them: exact (2026-12-07 21:30) and relative (3 天前) with the exact time on
hover. The template library registers these (`ymd_hm`, `reltime`); rows rendered in Python (the
ticket queue) call them directly.

A relative time is Django's `timesince(depth=1)` inside "… ago" / "in …": its one unit and count
are worked out here as timesince works them out (`_unit`, the same calendar arithmetic), and the
words for a language, direction, unit and count are translated once per process. Translating
them every time (three catalogue lookups and a lazy string each) was half the cost of a
timeline row; a property test compares the result with timesince's.
"""

from datetime import date, datetime

from django.utils import timezone
from django.utils.html import avoid_wrapping
from django.utils.timesince import TIME_CHUNKS, TIME_STRINGS, TIME_STRINGS_KEYS
from django.utils.timezone import is_aware
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from rapport.core.html import fmt

_WORDS: dict[tuple, str] = {}


def _unit(d: datetime, now: datetime) -> tuple[str, int]:
    """The first unit and count of `timesince(d, now, depth=1)` (d before now)."""
    if is_aware(now) and is_aware(d):
        now = now.astimezone(d.tzinfo)
    delta = now - d
    if delta.days * 24 * 60 * 60 + delta.seconds <= 0:
        return "minute", 0
    total_months = (now.year - d.year) * 12 + (now.month - d.month)
    if d.day > now.day or (d.day == now.day and d.time() > now.time()):
        total_months -= 1
    years, months = divmod(total_months, 12)
    if years:
        return "year", years
    if months:
        return "month", months
    remaining = (now - d).total_seconds()
    for name, chunk in zip(TIME_STRINGS_KEYS[2:], TIME_CHUNKS, strict=True):
        count = int(remaining // chunk)
        if count:
            return name, count
        remaining -= chunk * count
    return "minute", 0


def _words(past: bool, unit: str, count: int) -> str:
    key = (get_language(), past, unit, count)
    words = _WORDS.get(key)
    if words is None:
        amount = avoid_wrapping(TIME_STRINGS[unit] % {"num": count})
        words = (_("%(time)s ago") if past else _("in %(time)s")) % {"time": amount}
        if len(_WORDS) > 10_000:
            _WORDS.clear()
        _WORDS[key] = words
    return words


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
            text = _words(True, *_unit(value, now))
        else:
            text = _words(False, *_unit(now, value))
        iso = value.isoformat()
    elif isinstance(value, date):
        text, iso = exact, value.isoformat()
    else:
        return value
    return fmt('<time datetime="{}" title="{}">{}</time>', iso, exact, text)
