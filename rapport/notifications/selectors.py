"""Reads of notifications: always one person's own."""

from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from rapport.core.errors import NotFound
from rapport.notifications.models import Notification, NotificationPreference
from rapport.notifications.registry import APP, EMAIL, WECOM, kind_get
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


def notification_wanted(*, user: User, kind: str, channel: str) -> bool:
    """Whether `user` wants `kind` by `channel` (APP, EMAIL or WECOM): their own choice, or the
    kind's default when they never chose. For raisers that deliver a kind themselves (service-level
    alerts are e-mailed by rapport.sla). Raises KeyError for an unregistered kind."""
    default = channel in kind_get(kind).default_channels
    pref = NotificationPreference.objects.filter(user=user, kind=kind).first()
    if pref is None:
        return default
    return {APP: pref.in_app, EMAIL: pref.by_email, WECOM: pref.by_wecom}[channel]
