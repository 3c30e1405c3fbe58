"""Binding a customer's WeChat to their file with a QR code or link made for them (微信绑定).

A representative opens the customer's page and shows (or sends) the account's code; whoever
scans it and follows (WeChat Official Account) or opens the chat (WeCom customer service) is
bound to that customer, so their messages land on the right timeline from the first one.

- WeChat: a temporary parametric QR code (`POST /cgi-bin/qrcode/create`, `QR_STR_SCENE`, scene
  "bind:<code>", ≤ 64 characters, at most 30 days). The follow or scan event carries the scene
  in EventKey ("qrscene_bind:<code>" on a follow, "bind:<code>" on a scan by a follower).
- WeCom customer service: the account's contact link (`POST /cgi-bin/kf/add_contact_way`, made
  once and kept in the account's settings) with `scene_param=bind:<code>` appended; the
  enter_session event carries the scene_param back.

The code is random and stored (not derived from the customer's id), works once and expires.
"""

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from rapport.channels.models import ChannelAccount, ChatBindingInvite, ChatSession
from rapport.channels.wechat import http
from rapport.channels.wechat.client import ApiError, api_call, chat_settings
from rapport.core.errors import DomainError
from rapport.customers.models import Customer
from rapport.staff.models import User

PREFIX = "bind:"
CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 12
LIFETIME = timedelta(days=30)  # WeChat's longest temporary QR code
REUSE_IF_LEFT = timedelta(days=3)  # an invitation with less left is made anew
CONTACT_SCENE = "rapport_bind"  # the WeCom contact link's own scene (≤ 32 of [0-9A-Za-z_-])
CHAT_KINDS = (ChannelAccount.Kind.WECHAT, ChannelAccount.Kind.WECOM)


@dataclass(frozen=True)
class Redeemed:
    customer: Customer | None
    note: str


def binding_accounts() -> list[ChannelAccount]:
    """The active chat accounts a customer can be bound on."""
    return list(
        ChannelAccount.objects.filter(kind__in=CHAT_KINDS, is_active=True).order_by("kind", "name")
    )


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _wechat_qr(account: ChannelAccount, code: str) -> tuple[str, str]:
    data = api_call(
        account,
        "/cgi-bin/qrcode/create",
        {
            "expire_seconds": int(LIFETIME.total_seconds()),
            "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": f"{PREFIX}{code}"}},
        },
    )
    url, ticket = str(data.get("url") or ""), str(data.get("ticket") or "")
    if not url:
        raise ApiError(-1, "no url in the answer")
    return url, ticket


def _wecom_link(account: ChannelAccount, code: str) -> str:
    base = str((account.config or {}).get("contact_way_url") or "")
    if not base:
        data = api_call(
            account,
            "/cgi-bin/kf/add_contact_way",
            {"open_kfid": chat_settings(account).open_kfid, "scene": CONTACT_SCENE},
        )
        base = str(data.get("url") or "")
        if not base:
            raise ApiError(-1, "no url in the answer")
        config = {**(account.config or {}), "contact_way_url": base}
        ChannelAccount.objects.filter(pk=account.pk).update(config=config)
        account.config = config
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}scene_param={quote(PREFIX + code, safe='')}"


def binding_invite(
    *, customer: Customer, account: ChannelAccount, by: User | None, renew: bool = False
) -> ChatBindingInvite:
    """The customer's current invitation on `account`, or a new one (`renew`, or none left with
    a few days to run). Raises DomainError with the provider's words when the API refuses;
    nothing is stored then."""
    if account.kind not in CHAT_KINDS or not account.is_active:
        raise DomainError(_("Choose an active WeChat or WeCom account."), field="account")
    if customer.merged_into_id:
        raise DomainError(_("This customer was merged into another file."), code="merged")
    if customer.is_deceased:
        raise DomainError(_("This customer is recorded as deceased."), code="deceased")
    now = timezone.now()
    if not renew:
        current = (
            ChatBindingInvite.objects.filter(
                customer=customer,
                account=account,
                used_at__isnull=True,
                expires_at__gt=now + REUSE_IF_LEFT,
            )
            .order_by("-expires_at")
            .first()
        )
        if current is not None:
            return current
    code = _new_code()
    try:
        if account.kind == ChannelAccount.Kind.WECHAT:
            url, ticket = _wechat_qr(account, code)
        else:
            url, ticket = _wecom_link(account, code), ""
    except (ApiError, http.HttpError) as exc:
        raise DomainError(
            _("%(account)s could not make a binding code: %(error)s")
            % {"account": account.name, "error": exc},
            code="provider",
        ) from exc
    return ChatBindingInvite.objects.create(
        account=account,
        customer=customer,
        code=code,
        url=url[:500],
        qr_ticket=ticket[:200],
        created_by=by,
        expires_at=now + LIFETIME,
    )


def binding_code_in(scene: str) -> str:
    """The invitation code in a scene (EventKey or scene_param), or ""."""
    scene = (scene or "").removeprefix("qrscene_")
    return scene.removeprefix(PREFIX) if scene.startswith(PREFIX) else ""


@transaction.atomic
def binding_redeem(*, account: ChannelAccount, session: ChatSession, code: str) -> Redeemed:
    """Bind the session's chat id to the invitation's customer when the code is this account's,
    unused and current; the same person scanning again changes nothing. The note says what
    happened, for the inbound record."""
    from rapport.channels.wechat.sessions import bind_to

    now = timezone.now()
    invite = (
        ChatBindingInvite.objects.select_related("customer")
        .filter(account=account, code=code)
        .first()
    )
    if invite is None:
        return Redeemed(None, _(" The binding code is unknown."))
    if invite.used_at is not None and invite.used_by != session.user_id:
        return Redeemed(None, _(" The binding code was already used by someone else."))
    if invite.used_at is None:
        if invite.expires_at <= now:
            return Redeemed(None, _(" The binding code has expired."))
        claimed = ChatBindingInvite.objects.filter(pk=invite.pk, used_at__isnull=True).update(
            used_at=now, used_by=session.user_id
        )
        if not claimed:  # a concurrent scan by someone else took it
            return Redeemed(None, _(" The binding code was already used by someone else."))
    target = invite.customer
    while target.merged_into_id:
        target = target.merged_into
    bind_to(account, session, target)
    return Redeemed(target, _(" Bound to %(name)s by the binding code.") % {"name": target.name})


def qr_svg(url: str) -> SafeString:
    """The link as an inline SVG QR code, made here (no image service, works offline)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg = image.to_string(encoding="unicode")
    # Sized by the page (CSS), not in millimetres; labelled for screen readers.
    svg = svg.split(">", 1)[1] if svg.startswith("<?xml") else svg
    body = svg.split(">", 1)[1]
    view_box = svg.split('viewBox="', 1)[1].split('"', 1)[0]
    return format_html(
        '<svg class="qr" viewBox="{}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        "{}",
        view_box,
        _("QR code"),
        SafeString(body),
    )
