import importlib
import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "rapport.channels"
    label = "channels"
    verbose_name = _("Channels and messages")

    def ready(self) -> None:
        from rapport.channels import providers, smtp  # noqa: F401  (built-in providers)
        from rapport.channels.models import Channel
        from rapport.channels.services import assignment
        from rapport.interactions import routing

        # Conversations held count as open items; channels are skills (rapport.interactions).
        routing.register_load_counter(assignment.claimed_conversations_per_agent)
        routing.register_skill_choices(assignment.channel_skills)

        # Each channel sub-package registers its connection check (and more) in hooks.py.
        for kind in Channel.values:
            module = f"rapport.channels.{kind}.hooks"
            try:
                found = importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:
                found = False
            if found:
                importlib.import_module(module)
