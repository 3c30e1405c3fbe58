from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "rapport.web"
    label = "web"
    verbose_name = _("Web interface")

    def ready(self) -> None:
        # A conversation's text for the knowledge suggestions panel.
        from rapport.web.inbox import knowledge

        knowledge.register()
        # The appointment reminder: care's "appointment" trigger reads the appointments.
        from rapport.appointments.reminders import appointment_occasions, delivered_occasions
        from rapport.care.registry import register_occasion_source

        register_occasion_source("appointment", appointment_occasions)
        # The revisit after a visit: care's "service delivered" trigger reads the work orders.
        register_occasion_source("service_delivered", delivered_occasions)
