"""Reads of notifications: always one person's own."""

from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from rapport.core.errors import NotFound
from rapport.notifications.models import Notification, NotificationPreference
from rapport.staff.models import User


def notification_bell_state(*, user: User) -> tuple[int, int]:
    """(unread count, newest unread id) in one aggregate over the partial unread index."""
    row = Notification.objects.filter(recipient=user, read_at__isnull=True).aggregate(
        count=Count("id"), newest=Max("id")
    )
    return row["count"] or 0, row["newest"] or 0


def notification_list_for(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user).select_related("actor")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-id")


def notification_get_for_user(*, user: User, notification_id: int) -> Notification:
    """One of `user`'s notifications; someone else's looks exactly like a missing one."""
    found = Notification.objects.filter(pk=notification_id, recipient=user).first()
    if found is None:
        raise NotFound(_("No such notification."))
    return found


def notification_preferences_of(*, user: User) -> dict[str, NotificationPreference]:
    return {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
