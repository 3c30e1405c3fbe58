"""The phone channel's hooks into the channels app (imported by ChannelsConfig.ready())."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from rapport.channels.models import ChannelAccount
from rapport.channels.phone.dialers import dialer_for
from rapport.channels.providers import register_connection_check
from rapport.notifications.registry import register_kind


@register_connection_check("phone")
def phone_connection_check(account: ChannelAccount) -> str | None:
    """A phone account works when events can be verified and, for click-to-call, dialled."""
    problems = []
    try:
        secrets = account.get_secrets()
    except Exception as exc:  # SecretsUnreadable: its message says what to do
        return str(exc)
    if not secrets.get("webhook_secret") and not secrets.get("push_username"):
        problems.append(_("Set a webhook secret (or a TCCC push user name and password)."))
    if dialer_for(account) is None:
        problems.append(_("Click-to-call is not available through this provider."))
    return "\n".join(problems) or None


# What a representative is told (rapport.notifications): in app by default.
register_kind("incoming_call", _lazy("An incoming call rings at me"))
register_kind("call_missed", _lazy("A call that rang at me was missed"))
