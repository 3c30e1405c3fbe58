"""The kinds of notification, registered by the app that raises them (in its AppConfig.ready()).

A kind has a code, a label the preferences page shows, and the channels it goes out on for
someone who never chose (in app, e-mail). The core kinds of tickets, service levels and tasks are
registered here by rapport.notifications itself, because their raisers sit in several apps.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

APP, EMAIL, WECOM = "app", "email", "wecom"
CHANNELS = (APP, EMAIL, WECOM)


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: str | Promise
    default_channels: tuple[str, ...] = (APP,)


_kinds: dict[str, NotificationKind] = {}


def register_kind(
    code: str, label: str | Promise, default_channels: tuple[str, ...] = (APP,)
) -> NotificationKind:
    """Register a kind; registering the same code again replaces it (module reloads in tests)."""
    unknown = set(default_channels) - set(CHANNELS)
    if unknown:
        raise ValueError(f"Unknown notification channels {sorted(unknown)!r}")
    kind = NotificationKind(code=code, label=label, default_channels=tuple(default_channels))
    _kinds[code] = kind
    return kind


def kind_get(code: str) -> NotificationKind:
    """The registered kind; KeyError for an unregistered one (a programming error)."""
    try:
        return _kinds[code]
    except KeyError as exc:
        raise KeyError(f"Unregistered notification kind {code!r}") from exc


def kinds() -> list[NotificationKind]:
    return list(_kinds.values())


CORE_KINDS = [
    ("ticket_assigned", _("A ticket assigned to me"), (APP, EMAIL)),
    ("conversation_assigned", _("A conversation assigned to me"), (APP,)),
    ("investigation_requested", _("My department asked to investigate"), (APP, EMAIL)),
    ("investigation_answered", _("An investigation answered"), (APP,)),
    ("approval_requested", _("A remedy waiting for my approval"), (APP, EMAIL)),
    ("approval_decided", _("A remedy approved or rejected"), (APP,)),
    ("customer_replied", _("A customer replied"), (APP,)),
    ("customer_confirmed", _("A customer confirmed the resolution"), (APP,)),
    ("public_ticket", _("A ticket from the public form"), (APP,)),
    # Service-level alerts are e-mailed by rapport.sla itself (one message per alert, with its
    # escalation), by default and unless the person turns the e-mail off here.
    ("sla_warning", _("A service level at risk"), (APP, EMAIL)),
    ("sla_breach", _("A service level breached"), (APP, EMAIL)),
    ("task_due", _("A follow-up task due"), (APP,)),
    ("mention", _("Someone mentioned me in a note"), (APP, EMAIL)),
    ("unassigned_escalated", _("Work left unassigned too long"), (APP, EMAIL)),
]


def register_core_kinds() -> None:
    for code, label, channels in CORE_KINDS:
        register_kind(code, label, default_channels=channels)
