"""Formatting for the interface: amounts, phones, masked data, dates, relative times."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from rapport.core import times
from rapport.core.html import esc
from rapport.core.masking import mask_id_number, mask_phone
from rapport.core.phones import display_phone

register = template.Library()


@register.filter
def yuan(value) -> str:
    """1280 -> ¥1,280.00"""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"


@register.filter
def grouped(value) -> str:
    """45000 -> 45,000 (kilometres, counts)."""
    if value in (None, ""):
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def phone(value: str) -> str:
    return display_phone(value) if value else ""


@register.filter
def masked_phone(value: str) -> str:
    return mask_phone(value) if value else ""


@register.filter
def masked_id(value: str) -> str:
    return mask_id_number(value) if value else ""


@register.filter
def identity_display(identity) -> str:
    """Phones are masked on the server; other identities are shown as stored."""
    if identity.kind == "phone":
        return mask_phone(identity.value)
    return identity.value


ymd_hm = register.filter("ymd_hm", times.ymd_hm)
reltime = register.simple_tag(times.reltime, name="reltime")


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters changed; '' removes one."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in ("", None):
            params.pop(key, None)
        else:
            params[key] = value
    if "page" not in changes:
        params.pop("page", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def can(user, capability: str) -> bool:
    """{% if request.user|can:"customers.merge" %} — the same check the server applies."""
    return bool(getattr(user, "is_authenticated", False) and user.can(capability))


@register.filter
def duration_text(seconds) -> str:
    """30 -> 30 秒; 5400 -> 1 小时 30 分; 172800 -> 48 小时 (service-level targets)."""
    if seconds in (None, ""):
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return _("%(n)s s") % {"n": seconds}
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours and minutes:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": minutes}


@register.simple_tag
def options(choices, selected=None) -> SafeString:
    """The <option>s of (value, label) pairs, the one equal to `selected` marked: what
    `{% for value, label in choices %}<option value="{{ value }}"{% if selected == value %}
    selected{% endif %}>{{ label }}</option>{% endfor %}` writes, in one call instead of a
    dozen nodes per option."""
    return SafeString(
        "".join(
            f'<option value="{esc(value)}"{" selected" if selected == value else ""}>'
            f"{esc(label)}</option>"
            for value, label in choices
        )
    )


@register.simple_tag
def object_options(objects, selected=None) -> SafeString:
    """<option>s of rows by primary key, labelled by their text; the one whose key reads as
    `selected` marked (as comparing both with stringformat:"s")."""
    chosen = str(selected)
    return SafeString(
        "".join(
            f'<option value="{esc(obj.pk)}"{" selected" if chosen == str(obj.pk) else ""}>'
            f"{esc(obj)}</option>"
            for obj in objects
        )
    )
