from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "rapport.surveys"
    label = "surveys"
    verbose_name = _("Satisfaction")

    def ready(self) -> None:
        # The invitation's timeline entry is written by the outbox when it sends; channels hands
        # the row up through its registry (channels never imports surveys).
        from rapport.channels import registry
        from rapport.surveys import services

        registry.register_outbox_listener(services.on_invitation_sent)
        # Low answers start care programs; scores feed their reached-versus-hold-out results.
        from rapport.surveys import care_hooks

        care_hooks.register()
        # The satisfaction rollup keeps the customer's tier, stage and returns: customers and
        # interactions announce their changes to it.
        from rapport.surveys import rollup_hooks

        rollup_hooks.register()
