"""Which channel reaches a customer, and why, in words (wave2.md "Consent and the channel choice").

WeChat when the customer follows us (a deliverable WeChat identity), an active WeChat account
sends and consent allows; else WeCom the same way; else SMS to a mobile number; else e-mail. The
customer's preferred channel goes first when it is reachable. Whether the 48-hour window is open
is the WeChat provider's question: it refuses outside it and names the next channel.
"""

from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from rapport.channels.models import Channel, ChannelAccount
from rapport.customers.models import Customer, Identity
from rapport.customers.selectors import consent_allows

# The order channels are tried in when the customer prefers none.
CHOICE_ORDER = ("wechat", "wecom", "sms", "email")


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    to_address: str  # "" when nothing reaches the customer (the outbox then refuses)
    reason: str  # in words, in the site's language, for the timeline


def _labels() -> dict[str, str]:
    return {
        "wechat": _("WeChat"),
        "wecom": _("WeCom"),
        "sms": _("SMS"),
        "email": _("e-mail"),
    }


def _is_mobile(e164: str) -> bool:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _addresses(customer: Customer) -> dict[str, str]:
    """The first deliverable address per channel (primary first), in one query."""
    from rapport.channels.services.outbox import IDENTITY_KIND

    found: dict[str, str] = {}
    rows = (
        Identity.objects.filter(
            customer=customer, kind__in=set(IDENTITY_KIND.values()), undeliverable_at__isnull=True
        )
        .order_by("-is_primary", "id")
        .values_list("kind", "value")
    )
    for kind, value in rows:
        for channel, channel_kind in IDENTITY_KIND.items():
            if channel_kind != kind or channel in found:
                continue
            if channel == "sms" and not _is_mobile(value):
                continue
            found[channel] = value
    return found


def channel_addresses(*, customer: Customer) -> dict[str, str]:
    """The customer's deliverable address per channel (whether or not an account sends there)."""
    return _addresses(customer)


def channel_choose(*, customer: Customer, purpose: str) -> ChannelChoice:
    """The channel and address a message for `purpose` ("service"/"marketing") goes to, with
    the reason in words. Never raises; when nothing reaches the customer the address is "" and
    the reason says why (the outbox refuses the message when it sends)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _choose(customer, purpose)


def _choose(customer: Customer, purpose: str) -> ChannelChoice:
    labels = _labels()
    addresses = _addresses(customer)
    active = set(ChannelAccount.objects.filter(is_active=True).values_list("kind", flat=True))
    order = list(CHOICE_ORDER)
    preferred = customer.preferred_channel
    if preferred in order:
        order.remove(preferred)
        order.insert(0, preferred)
    skipped: list[str] = []
    blocked_by_consent: tuple[str, str] | None = None
    for channel in order:
        label = labels[channel]
        address = addresses.get(channel, "")
        if not address:
            if channel == "wechat":
                skipped.append(_("WeChat not bound"))
            elif channel == "sms":
                skipped.append(_("no mobile number"))
            elif channel == "email":
                skipped.append(_("no e-mail address"))
            elif channel == preferred:
                skipped.append(_("%(channel)s not bound") % {"channel": label})
            continue
        if channel not in active:
            skipped.append(_("no active %(channel)s account") % {"channel": label})
            continue
        if not consent_allows(customer=customer, purpose=purpose, channel=channel):
            skipped.append(_("%(channel)s not allowed by consent") % {"channel": label})
            blocked_by_consent = blocked_by_consent or (channel, address)
            continue
        if channel == preferred:
            ok = _("the customer prefers %(channel)s") % {"channel": label}
        elif channel == "wechat":
            ok = _("WeChat bound and allowed")
        else:
            ok = _("using %(channel)s") % {"channel": label}
        if skipped and channel != preferred:
            ok = _("%(skipped)s, %(chosen)s") % {"skipped": _("; ").join(skipped), "chosen": ok}
        return ChannelChoice(channel=channel, to_address=address, reason=_cap(ok))
    reason = _("No channel reaches the customer: %(skipped)s") % {"skipped": _("; ").join(skipped)}
    if blocked_by_consent is not None:
        # Queue it on the channel consent blocked, so the refusal names consent as the reason.
        return ChannelChoice(
            channel=blocked_by_consent[0], to_address=blocked_by_consent[1], reason=reason
        )
    return ChannelChoice(channel=Channel.EMAIL, to_address="", reason=reason)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
