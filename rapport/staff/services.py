from datetime import date

from django.db import transaction
from django.utils import timezone

from rapport.core.audit import audit_record
from rapport.core.memo import ProcessMemo
from rapport.core.models import AuditEntry
from rapport.staff.models import ApiToken, Team, User


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    email: str = "",
    teams: list[Team] | None = None,
    hired_on: date | None = None,
    language: str = "zh-hans",
) -> User:
    """Create a staff member; administrators get Django admin access with their role."""
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        email=email,
        hired_on=hired_on,
        language=language,
        is_staff=role == User.Role.ADMIN,
        is_superuser=role == User.Role.ADMIN,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    if teams:
        user.teams.set(teams)
    return user


SYSTEM_USERNAME = "rapport-system"
SYSTEM_USER_MEMO = ProcessMemo("system user", ttl=300)


def staff_system_user() -> User:
    """The account that records what no person did: a customer's e-mail arriving, a message the
    outbox sent on its own. It cannot sign in (inactive, no usable password) and is in no team,
    so it never appears in assignment lists."""
    # Kept per process once it exists (read for every message the channels record); one
    # created just now is not kept, in case the transaction that created it rolls back.
    user = SYSTEM_USER_MEMO.get(
        SYSTEM_USERNAME, lambda: User.objects.filter(username=SYSTEM_USERNAME).first()
    )
    if user is not None:
        return user
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"display_name": "系统", "is_active": False, "password": "!"},
    )
    return user


@transaction.atomic
def staff_leave(*, user: User, left_on: date) -> User:
    """Record that a staff member left: they can no longer sign in, their history stays."""
    user.left_on = left_on
    user.is_active = False
    user.full_clean()
    user.save(update_fields=["left_on", "is_active"])
    user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    return user


def api_token_create(
    *, user: User, name: str = "", via: str = "", request=None
) -> tuple[ApiToken, str]:
    """Issue a token; returns the stored row and the raw token, which is never stored.
    `via="cli"` marks a token issued on the server's command line (no address to record)."""
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:10], digest=ApiToken.hash(raw)
    )
    audit_record(
        actor=user,
        action=AuditEntry.Action.TOKEN,
        target=user,
        detail={"name": name, **({"via": via} if via else {})},
        request=request,
    )
    return token, raw


def api_token_authenticate(*, raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.hash(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Write at most once a minute per token so the API stays read-only on the hot path.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
