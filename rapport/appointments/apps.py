from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "rapport.appointments"
    label = "appointments"
    verbose_name = _("Appointments and work orders")

    def ready(self) -> None:
        # Answers to the reminder (1 confirm, 2 new time, 3 cancel) come up from channels'
        # inbound pipeline, and the reminder's "sent" from its outbox, through channels'
        # registry (channels never imports appointments).
        from rapport.appointments import replies

        replies.register()
