"""Background work for service levels: e-mail an alert to its recipient."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.core.task_leases import task_lease
from rapport.notifications.registry import EMAIL
from rapport.notifications.selectors import notification_wanted
from rapport.sla.models import SlaAlert


def send_lease() -> timedelta:
    """How long a worker may take to send one alert before another may try: half the task
    lease (rapport.core.task_leases), so a task run again after its worker died finds it
    expired."""
    return task_lease() / 2


def alert_message_id(alert: SlaAlert) -> str:
    """One Message-ID per alert: in the rare case a worker dies between the mail server taking
    the message and the row saying so, the second copy is the same message to mail clients."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "rapport.invalid"
    return f"<sla-alert-{alert.pk}-{alert.created_at:%Y%m%d%H%M%S}@{domain}>"


def send_mail(subject, body, sender, to, headers=None) -> int:
    return EmailMessage(subject, body, sender, to, headers=headers).send()


@task()
def sla_alert_notify(alert_id: int) -> bool:
    """Send the alert by e-mail once. The row is claimed for `send_lease()` before sending and
    marked sent after: a task retried while the claim holds sends nothing; one retried after a
    worker died mid-send (the claim expired) sends it. A failed send releases the claim.
    Nothing goes to a deactivated recipient, one without an address, or one who turned e-mail
    off for the alert's kind (sla_warning, sla_breach); the alert is then marked done."""
    now = timezone.now()
    claimed = (
        SlaAlert.objects.filter(pk=alert_id, emailed_at__isnull=True)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=now - send_lease()))
        .update(email_claimed_at=now)
    )
    if not claimed:
        return False
    alert = SlaAlert.objects.select_related("clock", "clock__ticket", "recipient").get(pk=alert_id)
    recipient = alert.recipient
    kind = "sla_breach" if alert.kind == SlaAlert.Kind.BREACHED else "sla_warning"
    if (
        recipient is None
        or not recipient.is_active
        or not recipient.email
        or not notification_wanted(user=recipient, kind=kind, channel=EMAIL)
    ):
        SlaAlert.objects.filter(pk=alert_id).update(emailed_at=now)  # nothing to send, ever
        return False
    number = f"T{alert.clock.ticket_id:06d}"
    with translation.override(recipient.language):
        subject = _("[%(kind)s] ticket %(number)s — %(clock)s") % {
            "kind": alert.get_kind_display(),
            "number": number,
            "clock": alert.clock.get_kind_display(),
        }
        due = (
            timezone.localtime(alert.clock.due_at).strftime("%Y-%m-%d %H:%M")
            if alert.clock.due_at
            else "—"
        )
        body = _(
            "Ticket %(number)s: %(subject)s\nService level: %(clock)s, due %(due)s.\n"
            "Acknowledge it in Rapport: %(url)s"
        ) % {
            "number": number,
            "subject": getattr(alert.clock.ticket, "subject", ""),
            "clock": alert.clock.get_kind_display(),
            "due": due,
            "url": f"{settings.SITE_URL}/alerts/",
        }
    try:
        send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [recipient.email],
            headers={"Message-ID": alert_message_id(alert)},
        )
    except Exception:
        SlaAlert.objects.filter(pk=alert_id, email_claimed_at=now).update(email_claimed_at=None)
        raise
    SlaAlert.objects.filter(pk=alert_id).update(emailed_at=timezone.now())
    return True
