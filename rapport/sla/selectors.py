"""Reads for service levels: compliance (达标率), a staff member's alerts, a ticket's clocks."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from rapport.core.errors import NotFound
from rapport.sla.models import ServiceClock, SlaAlert
from rapport.staff.models import User

# Grouping keys; the ticket's fields are reached by name (sla never imports tickets).
GROUPS = {
    "team": ("ticket__team_id", "ticket__team__name", _("Team")),
    "person": ("ticket__assignee_id", "ticket__assignee__display_name", _("Person")),
    "type": ("ticket__ticket_type_id", "ticket__ticket_type__name_zh", _("Type")),
    "channel": ("ticket__interaction__channel", "ticket__interaction__channel", _("Channel")),
    "priority": ("ticket__priority", "ticket__priority", _("Priority")),
    "kind": ("ticket__kind", "ticket__kind", _("Ticket kind")),
}


@dataclass
class ComplianceRow:
    key: object
    label: str
    total: int
    met: int

    @property
    def breached(self) -> int:
        return self.total - self.met

    @property
    def rate(self) -> float | None:
        return self.met / self.total if self.total else None


def compliance_population(*, kind: str, start: datetime, end: datetime) -> QuerySet[ServiceClock]:
    """The clocks judged in [start, end): those stopped in the period (met unless breached) and
    those still running that breached in it. A clock is met when it stopped without breaching."""
    return ServiceClock.objects.filter(kind=kind).filter(
        Q(state=ServiceClock.State.STOPPED, stopped_at__gte=start, stopped_at__lt=end)
        | Q(breached_at__gte=start, breached_at__lt=end) & ~Q(state=ServiceClock.State.STOPPED)
    )


def sla_compliance(
    *, kind: str, start: datetime, end: datetime, by: str | None = None
) -> list[ComplianceRow]:
    """Compliance rate for one clock kind, overall (by=None) or grouped; one query."""
    met = Count("id", filter=Q(breached_at__isnull=True, state=ServiceClock.State.STOPPED))
    qs = compliance_population(kind=kind, start=start, end=end)
    if by is None:
        totals = qs.aggregate(total=Count("id"), met=met)
        return [
            ComplianceRow(key=None, label=str(_("All")), total=totals["total"], met=totals["met"])
        ]
    key, label, _title = GROUPS[by]
    rows = qs.values(k=F(key), name=F(label)).annotate(total=Count("id"), met=met).order_by("name")
    return [
        ComplianceRow(key=r["k"], label=str(r["name"] or "—"), total=r["total"], met=r["met"])
        for r in rows
    ]


def compliance_breaches(*, kind: str, start: datetime, end: datetime) -> QuerySet[ServiceClock]:
    """The drill-down: the breached clocks behind a compliance figure."""
    return (
        compliance_population(kind=kind, start=start, end=end)
        .filter(breached_at__isnull=False)
        .select_related("ticket", "policy", "assignee")
        .order_by("-breached_at")
    )


def alerts_for(*, staff: User, open_only: bool = True) -> QuerySet[SlaAlert]:
    qs = SlaAlert.objects.filter(recipient=staff).select_related("clock", "clock__ticket")
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def alert_get_for_staff(*, staff: User, alert_id: int) -> SlaAlert:
    try:
        return SlaAlert.objects.get(pk=alert_id, recipient=staff)
    except (SlaAlert.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such alert.")) from exc


def clocks_for_ticket(*, ticket_id: int) -> list[ServiceClock]:
    return list(
        ServiceClock.objects.filter(ticket_id=ticket_id)
        .select_related("policy", "policy__calendar")
        .prefetch_related("pauses")
        .order_by("kind")
    )
