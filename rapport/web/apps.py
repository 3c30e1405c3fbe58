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
