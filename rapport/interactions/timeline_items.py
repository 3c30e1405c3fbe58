"""The 360 timeline's entries, rendered in Python.

The customer page shows 20 timeline entries; as template code each walked a chain of tests and
tags and the entries were a third of the page's CPU. Each entry here is one `format_html`, every
value escaped as the template escaped it (None shows as the template showed it).
"""

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from rapport.core.html import esc, fmt
from rapport.core.times import reltime, ymd_hm

_SENTINEL = 987_654_321_987


def timeline_items(entries) -> list[SafeString]:
    now = timezone.now()
    detail = reverse("interactions:detail", args=[_SENTINEL])
    words = {
        "with": _("with"),
        "corrected": _("corrected"),
        "outcome": _("Outcome"),
        "overdue": _("Overdue"),
        "task": _("Task"),
        "for": _("for"),
        "due": _("due"),
    }

    def url(pk) -> str:
        return detail.replace(str(_SENTINEL), str(int(pk)), 1)

    items = []
    for e in entries:
        if e.kind == "interaction":
            items.append(_interaction(e.obj, url, now, words))
        elif e.kind == "transfer":
            items.append(_transfer(e.obj, url, now))
        else:
            items.append(_task(e.obj, now, words))
    return items


def _interaction(i, url, now, words) -> SafeString:
    outbound = i.direction == "outbound"
    meta = [
        fmt('<span class="badge">{}</span>', i.get_channel_display()),
        fmt(
            '<span class="badge {}">{}</span>',
            "badge-ok" if outbound else "badge-new",
            i.get_direction_display(),
        ),
        fmt(
            "<span>{}</span><span>{}</span><span>{}</span>",
            i.purpose,
            i.staff,
            reltime(i.started_at, now),
        ),
    ]
    if i.duration_seconds:
        meta.append(fmt("<span>{}</span>", i.duration_display))
    if i.contact:
        meta.append(fmt("<span>{} {}</span>", words["with"], i.contact.name))
    if i.asset:
        meta.append(fmt('<span class="mono">{}</span>', i.asset))
    if i.revision_count:
        meta.append(fmt('<span class="faint">{}</span>', words["corrected"]))
    meta.append(fmt('<a href="{}" class="tl-link">#{}</a>', url(i.pk), i.pk))
    outcome = (
        fmt('<div class="muted">{}: {}</div>', words["outcome"], i.outcome) if i.outcome else ""
    )
    return fmt(
        '<li class="tl-interaction"><span class="dot{}" aria-hidden="true"></span>\n'
        '          <div>\n            <div class="meta">{}</div>\n'
        '            <div class="tl-text">{}</div>\n            {}\n          </div></li>',
        " out" if outbound else "",
        mark_safe("\n              ".join(meta)),
        linebreaksbr(i.summary, autoescape=True),
        outcome,
    )


def _transfer(t, url, now) -> SafeString:
    moved = _("%(a)s transferred the contact to %(b)s") % {
        "a": esc(t.from_staff),
        "b": esc(t.to_staff),
    }
    return fmt(
        '<li class="tl-transfer"><span class="dot transfer" aria-hidden="true"></span>\n'
        '          <div>\n            <div class="meta"><span class="badge badge-potential">{}'
        "</span><span>{}</span>\n"
        '              <a href="{}" class="tl-link">#{}</a></div>\n'
        '            <div>{}</div>\n            <div class="muted">{}</div>\n          </div></li>',
        t.get_kind_display(),
        reltime(t.at, now),
        url(t.interaction_id),
        t.interaction_id,
        mark_safe(moved),
        t.reason,
    )


def _task(task, now, words) -> SafeString:
    overdue = task.status == task.Status.OPEN and task.due_at < now
    if task.status == "done":
        badge = "badge-ok"
    elif overdue:
        badge = "badge-danger"
    elif task.status == "cancelled":
        badge = ""
    else:
        badge = "badge-warn"
    label = (
        words["overdue"] if overdue else fmt("{} · {}", words["task"], task.get_status_display())
    )
    done = (
        fmt(
            '<div class="muted">{} · {} · {}</div>',
            task.get_status_display(),
            task.completed_by,
            ymd_hm(task.completed_at),
        )
        if task.completed_at
        else ""
    )
    return fmt(
        '<li class="tl-task"><span class="dot task" aria-hidden="true"></span>\n'
        '          <div>\n            <div class="meta"><span class="badge {}">{}</span>\n'
        "              <span>{} {}</span>\n"
        '              <span>{} <time datetime="{}">{}</time></span></div>\n'
        "            <div>{}</div>\n            {}\n          </div></li>",
        badge,
        label,
        words["for"],
        task.assignee or task.assignee_team,
        words["due"],
        task.due_at.isoformat(),
        ymd_hm(task.due_at),
        task.title,
        done,
    )
