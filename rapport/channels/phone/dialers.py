"""Click-to-call through the call centre: ring the representative's extension, then connect it
to the customer's number. One function per provider, chosen by the account's `provider`."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from rapport.channels.models import ChannelAccount


@dataclass(frozen=True)
class DialResult:
    ok: bool
    call_id: str = ""
    reason: str = ""


Dialer = Callable[..., DialResult]


def fake_dial(*, account: ChannelAccount, extension: str, number: str) -> DialResult:
    """The demo's and the tests' call centre: accepts every call, unless the account's settings
    say `"fake_down": true` (to show what a representative sees when the provider is down)."""
    if isinstance(account.config, dict) and account.config.get("fake_down"):
        return DialResult(False, reason=_("the call centre cannot be reached (timeout)."))
    return DialResult(True, call_id=f"fake-{uuid.uuid4().hex}")


DIALERS: dict[str, Dialer] = {ChannelAccount.Provider.FAKE: fake_dial}


def dialer_for(account: ChannelAccount) -> Dialer | None:
    return DIALERS.get(account.provider)
