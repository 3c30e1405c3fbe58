from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "rapport.care"
    label = "care"
    verbose_name = _("Customer care")

    def ready(self) -> None:
        from rapport.care import deps

        deps.register_notification_kinds()
