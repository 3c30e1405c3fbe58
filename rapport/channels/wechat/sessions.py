"""The customer behind a chat user id, and their 48-hour window (shared by WeChat and WeCom)."""

import re

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.channels.models import ChannelAccount, ChatSession, Conversation
from rapport.channels.models.chat import WINDOW, WINDOW_QUOTA
from rapport.core.phones import normalize_phone
from rapport.customers.models import Customer, Identity
from rapport.customers.services import customer_get_or_create_from_contact

IDENTITY_KIND = {ChannelAccount.Kind.WECHAT: "wxopenid", ChannelAccount.Kind.WECOM: "wecom"}
# A mainland mobile number somewhere in the text (full-width digits are folded first).
PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?!\d)")
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋", "0123456789+")


def session_for(account: ChannelAccount, user_id: str) -> ChatSession:
    session, _created = ChatSession.objects.get_or_create(account=account, user_id=user_id)
    return session


def customer_for(
    account: ChannelAccount, user_id: str, *, name: str = "", unionid: str = "", text: str = ""
):
    """(customer, session): the customer the id belongs to (a potential customer when new);
    the unionid, when given and known, finds the customer first; a new id whose first message
    carries the phone number of a known customer belongs to that customer straight away."""
    session = session_for(account, user_id)
    kind = IDENTITY_KIND[account.kind]
    customer = None
    phone = phone_in_text(text) if text else ""
    if phone and not Identity.objects.filter(kind=kind, value=user_id).exists():
        found = Identity.objects.filter(kind="phone", value=phone).select_related("customer")
        found = found.first()
        if found is not None:
            customer = found.customer
            Identity.objects.get_or_create(
                kind=kind, value=user_id, defaults={"customer": customer}
            )
    if unionid and customer is None:
        found = Identity.objects.filter(kind="wxunion", value=unionid).select_related("customer")
        found = found.first()
        if found is not None:
            customer = found.customer
            Identity.objects.get_or_create(
                kind=kind, value=user_id, defaults={"customer": customer}
            )
    if customer is None:
        label = name or _("WeChat user %(id)s") % {"id": user_id[-6:]}
        customer, _created = customer_get_or_create_from_contact(
            kind=kind, value=user_id, name=label
        )
        if unionid:
            Identity.objects.get_or_create(
                kind="wxunion", value=unionid, defaults={"customer": customer}
            )
    while customer.merged_into_id:
        customer = customer.merged_into
    changed = []
    if session.customer_id != customer.pk:
        session.customer = customer
        changed.append("customer")
    if unionid and session.unionid != unionid:
        session.unionid = unionid
        changed.append("unionid")
    if changed:
        session.save(update_fields=[*changed, "updated_at"])
    return customer, session


def window_opened(session: ChatSession, at=None) -> None:
    """A customer's message opens a new 48-hour window with its full quota."""
    at = at or timezone.now()
    ChatSession.objects.filter(pk=session.pk).update(
        last_inbound_at=at, window_sent=0, followed=True, unfollowed_at=None, updated_at=at
    )
    session.last_inbound_at, session.window_sent = at, 0


def window_take(session: ChatSession, now=None) -> bool:
    """Take one message of the window's quota (a conditional UPDATE, so concurrent sends never
    exceed it); False when the window is closed or its quota used up."""
    now = now or timezone.now()
    return bool(
        ChatSession.objects.filter(
            pk=session.pk, last_inbound_at__gt=now - WINDOW, window_sent__lt=WINDOW_QUOTA
        ).update(window_sent=F("window_sent") + 1)
    )


def window_give_back(session: ChatSession) -> None:
    ChatSession.objects.filter(pk=session.pk, window_sent__gt=0).update(
        window_sent=F("window_sent") - 1
    )


def window_close(session: ChatSession) -> None:
    """The provider says the window is closed (45015): believe it."""
    ChatSession.objects.filter(pk=session.pk).update(last_inbound_at=None)


# --- Binding a chat id to a known customer ---------------------------------------------------


def phone_in_text(text: str) -> str:
    match = PHONE_IN_TEXT.search((text or "").translate(FULL_WIDTH_DIGITS))
    if match is None:
        return ""
    try:
        return normalize_phone(re.sub(r"[- ]", "", match.group(1)))
    except Exception:
        return ""


def bind_to(account: ChannelAccount, session: ChatSession, customer: Customer) -> bool:
    """Move the chat ids of `session` to `customer` (it was a potential customer made from the
    id alone); open conversations on the account follow. False when already theirs."""
    kind = IDENTITY_KIND[account.kind]
    kinds = [kind, "wxunion"] if session.unionid else [kind]
    values = [session.user_id, session.unionid] if session.unionid else [session.user_id]
    previous = session.customer_id
    if previous == customer.pk:
        return False
    Identity.objects.filter(kind__in=kinds, value__in=values).update(customer=customer)
    ChatSession.objects.filter(pk=session.pk).update(customer=customer)
    session.customer = customer
    if previous:
        Conversation.objects.filter(
            account=account, customer_id=previous, state__in=Conversation.OPEN_STATES
        ).update(customer=customer)
    return True


def bind_by_phone(account: ChannelAccount, session: ChatSession, text: str) -> Customer | None:
    """When the text carries a phone number of an existing customer and the chat id belongs to
    a potential customer made from it alone, bind the id to the existing customer."""
    phone = phone_in_text(text)
    if not phone:
        return None
    found = Identity.objects.filter(kind="phone", value=phone).select_related("customer").first()
    if found is None or found.customer_id == session.customer_id:
        return None
    current = session.customer
    if current is not None and (
        current.tier != Customer.Tier.POTENTIAL
        or current.identities.exclude(kind__in=["wxopenid", "wxunion", "wecom"]).exists()
    ):
        return None  # the id already belongs to a real customer file: no silent move
    target = found.customer
    while target.merged_into_id:
        target = target.merged_into
    return target if bind_to(account, session, target) else None
