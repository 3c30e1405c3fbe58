from datetime import timedelta

from rapport.core.periodic import register
from rapport.sla.recompute import sla_recompute_for_calendars
from rapport.sla.sweep import sla_alerts_resend_unsent, sla_sweep


@register("sla.sweep", every=timedelta(seconds=20))
def run_sla_sweep():
    return sla_sweep()


@register("sla.resend_unsent", every=timedelta(minutes=5))
def resend_unsent_alerts():
    return sla_alerts_resend_unsent()


@register("sla.recompute_for_calendars", every=timedelta(minutes=1))
def recompute_for_calendars():
    """Running clocks follow a calendar's new holidays and hours (rapport.sla.recompute)."""
    return sla_recompute_for_calendars()


@register("sla.calendar_gaps", every=timedelta(hours=6))
def warn_of_calendar_gaps():
    """Administrators are told, once per calendar and year, when the coming year's holidays are
    missing (from 30 days before 1 January)."""
    from rapport.sla.calendar_gaps import calendar_gaps_notify

    return calendar_gaps_notify()


@register("sla.rollups", every=timedelta(minutes=5))
def build_compliance_rollups() -> int:
    """Rebuild the compliance rollup of each day changed since its last build (before today),
    and the monthly carried snapshots they made stale (rapport.sla.rollups)."""
    from rapport.sla.rollups import rollup_sweep

    return rollup_sweep()
