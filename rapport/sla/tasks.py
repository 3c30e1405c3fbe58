"""Background work for service levels: e-mail an alert to its recipient."""

from django.conf import settings
from django.core.mail import send_mail
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.sla.models import SlaAlert


@task()
def sla_alert_notify(alert_id: int) -> bool:
    """Send the alert by e-mail once: the row is claimed before sending, so a retried task does
    not send it twice (the in-app alert is the record; the e-mail is the nudge)."""
    claimed = SlaAlert.objects.filter(pk=alert_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    alert = SlaAlert.objects.select_related("clock", "clock__ticket", "recipient").get(pk=alert_id)
    recipient = alert.recipient
    if recipient is None or not recipient.email:
        return False
    with translation.override(recipient.language):
        subject = _("[%(kind)s] ticket #%(ticket)s — %(clock)s") % {
            "kind": alert.get_kind_display(),
            "ticket": alert.clock.ticket_id,
            "clock": alert.clock.get_kind_display(),
        }
        due = (
            timezone.localtime(alert.clock.due_at).strftime("%Y-%m-%d %H:%M")
            if alert.clock.due_at
            else "—"
        )
        body = _(
            "Ticket #%(ticket)s: %(subject)s\nService level: %(clock)s, due %(due)s.\n"
            "Acknowledge it in Rapport: %(url)s"
        ) % {
            "ticket": alert.clock.ticket_id,
            "subject": getattr(alert.clock.ticket, "subject", ""),
            "clock": alert.clock.get_kind_display(),
            "due": due,
            "url": f"{settings.SITE_URL}/alerts/",
        }
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
    return True
