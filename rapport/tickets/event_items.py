"""The ticket page's timeline entries, rendered in Python.

A ticket worked for a while has dozens of events; as a template each entry walked a dozen tests
(badge colour, channel, delivery, transition, visibility) and the entries were the largest part
of the page (a ticket with 56 events: 8.5 of 19.7 ms). Each entry here is one `format_html`,
every value escaped. A reply's delivery badge is drawn here too (`delivery_badge`), as
tickets/delivery_badge.html draws it for the inbox; a test compares the two.
"""

from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.core.html import fmt
from rapport.core.times import reltime, ymd_hm

_BADGE = {
    "note": " badge-warn",
    "reply": " badge-ok",
    "transition": " badge-new",
    "customer_message": " badge-potential",
    "delivery": " badge-danger",
}


def _channel_label(channel: str) -> str:
    labels = {
        "email": _("by e-mail"),
        "phone": _("by phone"),
        "face_to_face": _("face to face"),
        "sms": _("by SMS"),
        "wechat": _("by WeChat"),
        "letter": _("by letter"),
    }
    return labels.get(channel, channel)


def event_items(events, deliveries: dict) -> list[SafeString]:
    now = timezone.now()
    visible = _("visible to the customer")
    system = _("System")
    return [_item(e, deliveries, now, visible, system) for e in events]


def _item(e, deliveries: dict, now, visible: str, system: str) -> SafeString:
    data = e.data if isinstance(e.data, dict) else {}
    meta = [fmt('<span class="badge{}">{}</span>', _BADGE.get(e.kind, ""), e.get_kind_display())]
    if e.kind == "reply" and data.get("channel"):
        meta.append(fmt('<span class="faint">{}</span>', _channel_label(data["channel"])))
    outbox_id = data.get("outbox_id")
    if outbox_id:
        o = deliveries.get(outbox_id)
        if o:
            meta.append(mark_safe(delivery_badge(o) + "\n"))  # as the template ended
    if e.kind == "customer_message" and data.get("automatic"):
        meta.append(fmt('<span class="badge">{}</span>', _("Automatic mail")))
    if e.kind == "transition":
        meta.append(
            fmt("<span>{} → <strong>{}</strong></span>", e.from_status_label, e.to_status_label)
        )
    meta.append(fmt("<span>{}</span><span>{}</span>", e.actor or system, reltime(e.at, now)))
    if e.is_public:
        meta.append(fmt('<span class="faint">{}</span>', visible))
    body = (
        fmt('<div class="tk-text">{}</div>', linebreaksbr(e.text, autoescape=True))
        if e.body
        else ""
    )
    return fmt(
        '<li class="tk-ev tk-ev-{}"><span class="dot" aria-hidden="true"></span>\n'
        '          <div><div class="meta">{}</div>\n            {}</div></li>',
        e.kind,
        mark_safe("\n            ".join(meta)),
        body,
    )


def delivery_badge(o) -> SafeString:
    """tickets/delivery_badge.html for one outbox message, character for character."""
    if o.state in ("sent", "delivered"):
        colour = " badge-ok"
    elif o.state in ("failed", "refused"):
        colour = " badge-danger"
    else:
        colour = " badge-warn"
    title = fmt("{}{}", o.to_address, fmt(" · {}", ymd_hm(o.sent_at)) if o.sent_at else "")
    badge = fmt('<span class="badge{}" title="{}">{}</span>', colour, title, o.get_state_display())
    if o.state in ("failed", "refused"):
        extra = fmt(' <span class="field-error">{}</span>', o.get_reason_display() or o.error)
    elif o.state == "queued" and o.attempts:
        words = ngettext("%(n)s attempt, retrying", "%(n)s attempts, retrying", o.attempts) % {
            "n": o.attempts
        }
        extra = fmt(' <span class="faint">{}</span>', words)
    else:
        extra = ""
    channel = fmt(
        ' <span class="faint" title="{}">{}{}</span>',
        o.channel_reason,
        o.get_channel_display(),
        fmt(" · {}", o.channel_reason) if o.channel_reason else "",
    )
    return SafeString(badge + extra + channel)
