"""Delivery beyond the app: e-mail after the commit, and the daily digest.

Staff e-mail is not a customer message, so it goes through Django's mailer, not the outbox.
Each row is claimed with a conditional UPDATE before sending (a task run twice sends once) and
released if the send fails, so the task's retry (rapport.core.task_leases) sends it then.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.notifications.models import DigestState, Notification, NotificationPreference
from rapport.staff.models import User

DIGEST_HOUR = 8  # site time: the digest of the day before goes out with the morning


def _link(url: str) -> str:
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url


@task()
def notifications_email(dedupe_key: str, recipient_ids: list[int]) -> int:
    """E-mail the notifications of one event to those who want them by e-mail; returns how
    many were sent. Deactivated people are skipped even if they were active at the event."""
    now = timezone.now()
    claim = Notification.objects.filter(
        dedupe_key=dedupe_key,
        recipient_id__in=recipient_ids,
        email_wanted=True,
        emailed_at__isnull=True,
        recipient__is_active=True,
    )
    ids = list(claim.values_list("id", flat=True))
    sent = 0
    for pk in ids:
        if not Notification.objects.filter(pk=pk, emailed_at__isnull=True).update(emailed_at=now):
            continue  # another run took it
        notification = Notification.objects.select_related("recipient").get(pk=pk)
        recipient = notification.recipient
        with translation.override(recipient.language):
            subject = notification.title
            body = "\n\n".join(
                p
                for p in (
                    notification.body,
                    _("Open it in Rapport: %(url)s") % {"url": _link(notification.url)}
                    if notification.url
                    else "",
                )
                if p
            )
        try:
            send_mail(
                subject[:200], body or subject, settings.DEFAULT_FROM_EMAIL, [recipient.email]
            )
        except Exception:
            Notification.objects.filter(pk=pk, emailed_at=now).update(emailed_at=None)
            raise
        sent += 1
    return sent


def digest_send_due(*, now: datetime | None = None) -> int:
    """Send each person who asked for it the day's digest of their digest kinds, once a day
    after DIGEST_HOUR site time; returns how many digests went out. The day is claimed per
    person with a conditional UPDATE, so workers running this at once send each digest once."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < DIGEST_HOUR:
        return 0
    today = local.date()
    since_default = now - timedelta(days=1)
    user_ids = (
        NotificationPreference.objects.filter(in_digest=True, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in list(user_ids):
        state, _created = DigestState.objects.get_or_create(user_id=user_id)
        since = state.sent_at or since_default
        won = (
            DigestState.objects.filter(pk=state.pk)
            .filter(Q(sent_on__isnull=True) | Q(sent_on__lt=today))
            .update(sent_on=today, sent_at=now)
        )
        if not won:
            continue
        if _digest_send(user_id, since, now):
            sent += 1
    return sent


def _digest_send(user_id: int, since: datetime, now: datetime) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    kinds = list(
        NotificationPreference.objects.filter(user=user, in_digest=True).values_list(
            "kind", flat=True
        )
    )
    items = list(
        Notification.objects.filter(
            recipient=user, kind__in=kinds, created_at__gt=since, created_at__lte=now
        ).order_by("id")[:200]
    )
    if not items:
        return False
    with translation.override(user.language):
        subject = _("Your Rapport digest: %(count)s notifications") % {"count": len(items)}
        lines = [
            f"{timezone.localtime(n.created_at):%m-%d %H:%M}  {n.title}"
            + (f"\n    {_link(n.url)}" if n.url else "")
            for n in items
        ]
    send_mail(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email])
    return True
