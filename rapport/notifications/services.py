"""Telling staff: `notify` creates the rows in the caller's transaction and sends what goes
beyond the app (e-mail) after it commits; reading and preferences are the person's own."""

import uuid
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.notifications.models import Notification, NotificationPreference
from rapport.notifications.registry import APP, EMAIL, kind_get, kinds
from rapport.notifications.text import title_encode, title_key_of
from rapport.staff.models import Team, User

BODY_MAX = 1000


def _channels(users: list[User], kind: str) -> dict[int, tuple[bool, bool]]:
    """(in app, by e-mail) per user id, from their preferences or the kind's defaults. A kind
    only in the digest still makes the row (the digest reads it), marked read."""
    defaults = kind_get(kind).default_channels
    wanted = {u.pk: (APP in defaults, EMAIL in defaults, False) for u in users}
    for pref in NotificationPreference.objects.filter(user_id__in=list(wanted), kind=kind).only(
        "user_id", "in_app", "by_email", "in_digest"
    ):
        wanted[pref.user_id] = (pref.in_app, pref.by_email, pref.in_digest)
    return {
        pk: (app, email) for pk, (app, email, digest) in wanted.items() if app or email or digest
    }


def notify(
    *,
    users: Iterable[User],
    kind: str,
    title,
    url: str = "",
    body: str = "",
    actor: User | None = None,
    dedupe_key: str = "",
    email: bool = True,
) -> int:
    """Tell each of `users` about one event; returns the number of notifications created.

    Runs in the caller's transaction: the rows commit or roll back with the caller's work, and
    e-mail goes out after the commit. Inactive (deactivated) users and the actor are skipped; a
    person who turned the kind off everywhere gets nothing. With a `dedupe_key` each person gets
    at most one row for it ever, so a retried call or a sweep run twice creates none. `title` may
    be lazy (`gettext_lazy`, `format_lazy`): it is stored as message id and parameters and read in
    each reader's language. `email=False` when the raiser e-mails the event itself (service-level
    alerts): the rows are made, no e-mail. Raises KeyError for an unregistered kind.
    """
    kind_get(kind)
    people = {
        u.pk: u
        for u in users
        if u is not None and u.is_active and (actor is None or u.pk != actor.pk)
    }
    if not people:
        return 0
    wanted = _channels(list(people.values()), kind)
    if not wanted:
        return 0
    key = (dedupe_key or f"{kind}:{uuid.uuid4().hex}")[:200]
    if dedupe_key:
        already = set(
            Notification.objects.filter(recipient_id__in=list(wanted), dedupe_key=key).values_list(
                "recipient_id", flat=True
            )
        )
        wanted = {pk: w for pk, w in wanted.items() if pk not in already}
        if not wanted:
            return 0
    spec = title_encode(title)
    now = timezone.now()
    rows = [
        Notification(
            recipient_id=pk,
            kind=kind,
            title_key=title_key_of(spec)[:300],
            title_params={"spec": spec} if isinstance(spec, dict) else {},
            body=str(body or "")[:BODY_MAX],
            url=(url or "")[:300],
            actor=actor,
            dedupe_key=key,
            created_at=now,
            read_at=None if app else now,
            email_wanted=email and by_email and bool(people[pk].email),
        )
        for pk, (app, by_email) in wanted.items()
    ]
    # A concurrent call with the same key may have inserted some since we looked: skipped.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    mailed = [r.recipient_id for r in rows if r.email_wanted]
    if mailed:
        from rapport.notifications.tasks import notifications_email

        transaction.on_commit(lambda: notifications_email.enqueue(key, mailed))
    return len(rows)


def notification_recipients_supervisors(*, team: Team | None) -> list[User]:
    """Who may decide for a team: its active supervisors and managers; with no team, or a team
    without any, every active manager."""
    leads = User.objects.filter(is_active=True, role__in=[User.Role.SUPERVISOR, User.Role.MANAGER])
    if team is not None:
        in_team = list(leads.filter(teams=team).order_by("id"))
        if in_team:
            return in_team
    return list(leads.filter(role=User.Role.MANAGER).order_by("id"))


def notification_team_members(*, team: Team | None, roles: Iterable[str] | None = None) -> list:
    """The active members of a team (optionally of some roles only)."""
    if team is None:
        return []
    qs = User.objects.filter(is_active=True, teams=team)
    if roles is not None:
        qs = qs.filter(role__in=list(roles))
    return list(qs.order_by("id"))


def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    """Mark one of `by`'s own notifications read (again is a no-op)."""
    if notification.recipient_id != by.pk:
        raise ValidationError({"notification": [_("This notification is not yours.")]})
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, by: User, up_to_id: int | None = None) -> int:
    """Mark all of `by`'s unread notifications read — up to the newest one they saw, so one
    arriving meanwhile stays unread. Returns how many."""
    qs = Notification.objects.filter(recipient=by, read_at__isnull=True)
    if up_to_id is not None:
        qs = qs.filter(id__lte=up_to_id)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_save(*, user: User, choices: dict[str, dict[str, bool]]) -> int:
    """Store `user`'s choices per kind ({kind: {"app", "email", "wecom", "digest"}}). Unknown
    kinds are refused by name; WeCom stays off until a WeCom app channel exists."""
    known = {k.code for k in kinds()}
    unknown = sorted(set(choices) - known)
    if unknown:
        raise ValidationError(
            {"kind": [_("Unknown notification kind: %(kinds)s.") % {"kinds": ", ".join(unknown)}]}
        )
    saved = 0
    for code, choice in choices.items():
        NotificationPreference.objects.update_or_create(
            user=user,
            kind=code,
            defaults={
                "in_app": bool(choice.get("app")),
                "by_email": bool(choice.get("email")),
                "by_wecom": False,
                "in_digest": bool(choice.get("digest")),
            },
        )
        saved += 1
    return saved


def notification_text(notification: Notification, language: str) -> tuple[str, str]:
    """(title, body) in `language`, for e-mail."""
    with translation.override(language):
        return notification.title, notification.body


def digest_kinds_for(user: User) -> list[str]:
    return list(
        NotificationPreference.objects.filter(user=user, in_digest=True).values_list(
            "kind", flat=True
        )
    )


def digest_candidates(*, since: datetime) -> list[int]:
    """Users with a digest kind and something of it since `since`."""
    prefs = NotificationPreference.objects.filter(in_digest=True, user__is_active=True)
    return list(
        Notification.objects.filter(
            Q(created_at__gt=since),
            recipient_id__in=prefs.values("user_id"),
        )
        .values_list("recipient_id", flat=True)
        .distinct()
    )
