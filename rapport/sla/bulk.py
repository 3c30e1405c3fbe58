"""Acknowledge many service-level alerts at once, each through alert_acknowledge."""

from rapport.core.bulk import BulkResult, bulk_ids, bulk_run
from rapport.sla.models import SlaAlert
from rapport.sla.services import alert_acknowledge
from rapport.staff.models import User


def alerts_acknowledge_bulk(*, staff: User, ids) -> BulkResult:
    """Acknowledge each of `staff`'s alerts in `ids`; another's alert is refused as not found,
    one someone else acknowledged meanwhile with that reason. ValidationError on `ids`."""
    alert_ids = bulk_ids(ids)
    found = {
        a.pk: a
        for a in SlaAlert.objects.filter(pk__in=alert_ids, recipient=staff).select_related(
            "clock__ticket"
        )
    }
    return bulk_run(
        ids=alert_ids,
        found=found,
        act=lambda alert: alert_acknowledge(alert=alert, by=staff),
        label=lambda alert: f"T{alert.clock.ticket_id:06d}",
    )
