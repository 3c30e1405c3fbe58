from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "rapport.assist"
    label = "assist"
    verbose_name = _("Assistance")

    def ready(self) -> None:
        from rapport.notifications.registry import register_kind

        register_kind("upset_risk", _("Regulator or media risk"), default_channels=("app", "email"))
