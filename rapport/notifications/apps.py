from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "rapport.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from rapport.notifications.registry import register_core_kinds

        register_core_kinds()
