from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "rapport.tickets"
    label = "tickets"
    verbose_name = _("Complaints and requests")

    def ready(self) -> None:
        # Inbound mail that belongs to a ticket, and delivery failures of ticket replies, are
        # handed up from rapport.channels through its registry (channels never imports tickets).
        from rapport.channels import registry
        from rapport.tickets import messaging

        registry.register_inbound_threader(messaging.thread_inbound)
        registry.register_outbox_listener(messaging.on_outbox_change)
        # Registers the timeline handler for due instants a calendar change moved (rapport.sla).
        from rapport.tickets import clocks

        # Archived cases and a ticket's text for the knowledge base (rapport.knowledge.registry).
        from rapport.tickets.knowledge import register as register_knowledge

        register_knowledge()

        # Every inbound message and every logged interaction is assessed for an upset customer.
        from rapport.interactions.registry import register_interaction_logged
        from rapport.tickets import upset

        registry.register_inbound_recorded("*", upset.on_inbound_message)
        register_interaction_logged(upset.on_interaction_logged)
        # A corrected channel regroups the clocks of the tickets opened from the interaction.
        from rapport.interactions.registry import register_interaction_corrected

        register_interaction_corrected(clocks.on_interaction_corrected)
        # Open tickets count as an agent's load; ticket types are skills (routing).
        from rapport.interactions import routing
        from rapport.tickets.services import assignment

        routing.register_load_counter(assignment.open_tickets_per_agent)
        # The queue's bulk bar lists the staff: a change of a staff member shows at once here.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from rapport.tickets.views_bulk import WORK_STAFF_OPTIONS

        def forget_staff_options(**_kwargs) -> None:
            WORK_STAFF_OPTIONS.forget()

        for signal in (post_save, post_delete):
            signal.connect(
                forget_staff_options,
                sender=get_user_model(),
                weak=False,
                dispatch_uid=f"bulk-staff-{signal}",
            )
        routing.register_skill_choices(assignment.ticket_type_skills)
