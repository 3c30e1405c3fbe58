from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "rapport.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from rapport.notifications.registry import register_kind

        register_kind(
            "calendar_gap",
            _("A calendar lacks the coming year's holidays"),
            default_channels=("app", "email"),
        )
