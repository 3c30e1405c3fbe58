"""What care relies on from pieces built alongside it (docs/design/wave2.md), behind one module.

Each function calls the real contract when it is installed and otherwise falls back to a rule
with the same meaning, so care works before and after those pieces land:
- consent: `rapport.customers.selectors.consent_allows`, else the customer's flags;
- the channel: `rapport.channels.services.choice.channel_choose`, else the outbox's own choice;
- notifications: `rapport.notifications.services.notify`, else nothing is sent (the pages show
  the same work);
- call agents: the team's active representatives and specialists (the spread over working days
  needs a per-day number per person, which routing's `pick_agent` does not keep);
- call scripts: `rapport.assist.models.Phrase` by code, else the code is shown as it is.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Reach:
    channel: str
    to_address: str
    reason: str


def consent_allows(*, customer, purpose: str) -> bool:
    try:
        from rapport.customers.selectors import consent_allows as real
    except ImportError:
        real = None
    if real is not None:
        return real(customer=customer, purpose=purpose)
    if customer.do_not_contact or customer.is_deceased:
        return False
    return not (purpose == "marketing" and customer.marketing_opt_out)


def channel_reach(*, customer, purpose: str) -> Reach:
    """The channel and address a message to `customer` would go out on ("" when none)."""
    try:
        from rapport.channels.services.choice import channel_choose
    except ImportError:
        channel_choose = None
    if channel_choose is not None:
        choice = channel_choose(customer=customer, purpose=purpose)
        return Reach(choice.channel, choice.to_address, str(choice.reason))
    from rapport.channels.services.outbox import outbox_choose_channel

    channel, address = outbox_choose_channel(customer=customer)
    return Reach(channel, address, "")


def _notify_module():
    try:
        from rapport.notifications import services
    except ImportError:
        return None
    return services


def register_notification_kinds() -> None:
    try:
        from rapport.notifications.registry import register_kind
    except ImportError:
        return
    register_kind("care_alert", _("Care alert"), default_channels=("app",))
    register_kind(
        "care_run_confirm", _("Care run waiting for confirmation"), default_channels=("app",)
    )


def notify(
    *, users: Iterable, kind: str, title, url: str = "", body: str = "", dedupe_key: str = ""
) -> int:
    services = _notify_module()
    users = [u for u in users if u is not None]
    if services is None or not users:
        return 0
    return services.notify(
        users=users, kind=kind, title=title, url=url, body=body, dedupe_key=dedupe_key
    )


def supervisors_of(team) -> list:
    """Supervisors and managers of `team` (or of everyone when the team has none)."""
    try:
        from rapport.notifications.services import notification_recipients_supervisors
    except ImportError:
        notification_recipients_supervisors = None
    if notification_recipients_supervisors is not None and team is not None:
        found = notification_recipients_supervisors(team=team)
        if found:
            return list(found)
    from rapport.staff.models import User

    people = User.objects.filter(
        is_active=True, role__in=[User.Role.SUPERVISOR, User.Role.MANAGER]
    ).order_by("role", "id")
    if team is not None:
        in_team = list(people.filter(teams=team))
        if in_team:
            return in_team
    return list(people)


def call_agents(*, team):
    """The people who make a team's care calls: its active representatives and specialists."""
    from rapport.staff.models import User

    people = User.objects.filter(
        is_active=True, role__in=[User.Role.REPRESENTATIVE, User.Role.SPECIALIST]
    )
    if team is not None:
        people = people.filter(teams=team)
    return people.order_by("id")


def phrase_text(code: str) -> str | None:
    """The phrase library's text for `code`, or None when there is no such phrase (or library)."""
    try:
        from rapport.assist.models import Phrase
    except ImportError:
        return None
    phrase = Phrase.objects.filter(code=code).order_by("id").first()
    return phrase.text if phrase is not None else None


def phrase_library_installed() -> bool:
    try:
        from rapport.assist.models import Phrase  # noqa: F401
    except ImportError:
        return False
    return True
