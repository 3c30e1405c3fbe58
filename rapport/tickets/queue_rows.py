"""The ticket queue's rows, rendered in Python.

A queue page shows 25 tickets in up to eight columns the staff member chose; written as a
template, every cell walked a chain of eight column tests and two includes, and the rows were
more than half of the page's CPU (about 12 ms of 24). As Django's admin renders its change list
rows (`format_html`, every value escaped), each row here is one pass over the chosen columns. The
markup is what `tickets/badges.html` and `tickets/clock_badge.html` show on the other pages.
"""

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from rapport.core.html import fmt
from rapport.core.times import reltime, ymd_hm
from rapport.tickets.models import Ticket

_SENTINEL = 987_654_321_987


class _Url:
    """reverse(name, args=[pk]) for many pks: reversed once, the id put in its place."""

    def __init__(self, name: str) -> None:
        self.pattern = reverse(name, args=[_SENTINEL])

    def __call__(self, pk: int) -> str:
        return self.pattern.replace(str(_SENTINEL), str(int(pk)), 1)


def status_badges(t: Ticket) -> SafeString:
    """tickets/badges.html."""
    html = fmt(
        '<span class="badge tk-status tk-{}">{}</span> '
        '<span class="badge tk-prio tk-p{}">{}</span>',
        t.status,
        t.get_status_display(),
        t.priority,
        t.get_priority_display(),
    )
    if t.impact and t.impact != "normal":
        html += fmt(' <span class="flag">{}</span>', t.get_impact_display())
    if t.is_repeat:
        html += fmt(' <span class="badge badge-warn">{}</span>', _("Repeat"))
    return html


def clock_badge(*, state, due, warned, breached, now) -> SafeString:
    """tickets/clock_badge.html."""
    if state == "paused":
        return fmt(
            '<span class="badge" title="{}">⏸ {}</span>',
            _("Waiting: the clock is paused"),
            pgettext("clock", "Paused"),
        )
    if state == "stopped":
        if breached:
            return fmt('<span class="badge badge-danger">{}</span>', _("Met late"))
        return fmt('<span class="badge badge-ok">{}</span>', pgettext("clock", "Met"))
    if breached:
        return fmt(
            '<span class="badge badge-danger" title="{}">{}</span>',
            ymd_hm(due),
            pgettext("clock", "Breached"),
        )
    if warned:
        return fmt(
            '<span class="badge badge-warn" title="{}">{} · {}</span>',
            ymd_hm(due),
            pgettext("clock", "At risk"),
            reltime(due, now),
        )
    if due:
        return fmt('<span class="badge" title="{}">{}</span>', ymd_hm(due), reltime(due, now))
    return mark_safe('<span class="faint">—</span>')


class QueueRows:
    """Renders the rows of one queue page (`rows(page)` for the template)."""

    def __init__(self, *, request, columns: list[str], can_claim: bool) -> None:
        self.request, self.columns, self.can_claim = request, columns, can_claim
        self.detail = _Url("tickets:detail")
        self.customer = _Url("customers:detail")
        self.claim = _Url("tickets:claim") if can_claim else None
        self.now = timezone.now()
        self._claim_parts = None

    def rows(self, tickets) -> list[SafeString]:
        return [self.row(t) for t in tickets]

    def row(self, t: Ticket) -> SafeString:
        row_class = ""
        if t.resolution_state == "running":
            if t.resolution_breached:
                row_class = ' class="row-breached"'
            elif t.resolution_warned:
                row_class = ' class="row-at-risk"'
        url = self.detail(t.pk)
        head = fmt(
            '<tr{}>\n        <td class="select-col"><input type="checkbox" name="ids" value="{}" '
            'form="bulk-form" aria-label="{}"></td>\n'
            '        <td class="mono"><a href="{}">{}</a></td>',
            mark_safe(row_class),
            t.pk,
            _("Select %(number)s") % {"number": t.number},
            url,
            t.number,
        )
        cells = mark_safe("".join(self.cell(c, t, url) for c in self.columns))
        return head + cells + mark_safe("\n      </tr>")

    def cell(self, column: str, t: Ticket, url: str) -> SafeString:
        if column == "subject":
            return fmt(
                '<td class="wrap"><a href="{}"><strong>{}</strong></a> '
                '<span class="faint">{}</span></td>',
                url,
                t.subject,
                t.get_kind_display(),
            )
        if column == "status":
            waiting = (
                fmt(' <span class="faint">{}</span>', t.get_waiting_on_display())
                if t.status == "waiting"
                else ""
            )
            return fmt("<td>{}{}</td>", status_badges(t), waiting)
        if column == "customer":
            return fmt(
                '<td><a href="{}">{}</a></td>', self.customer(t.customer_id), t.customer.name
            )
        if column == "type":
            return fmt("<td>{}</td>", t.ticket_type or "—")
        if column == "priority":
            return fmt("<td>{}</td>", t.get_priority_display())
        if column == "assignee":
            if t.assignee_id:
                return fmt("<td>{}</td>", t.assignee)
            if t.is_open and self.can_claim:
                return fmt("<td>{}</td>", self.claim_button(t))
            return mark_safe("<td>—</td>")
        if column == "received":
            return fmt("<td>{}</td>", reltime(t.created_at, self.now))
        if column == "due":
            return fmt(
                "<td>{}</td>",
                clock_badge(
                    state=t.resolution_state,
                    due=t.resolution_due,
                    warned=t.resolution_warned,
                    breached=t.resolution_breached,
                    now=self.now,
                ),
            )
        return mark_safe("")

    def claim_button(self, t: Ticket) -> SafeString:
        """tickets/claim_button.html."""
        if self._claim_parts is None:
            self._claim_parts = (get_token(self.request), self.request.get_full_path())
        token, back = self._claim_parts
        return fmt(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
            'value="{}"><input type="hidden" name="back" value="{}">'
            '<button class="btn btn-sm btn-primary" aria-label="{}">{}</button></form>',
            self.claim(t.pk),
            token,
            back,
            _("Claim %(number)s") % {"number": t.number},
            _("Claim"),
        )
