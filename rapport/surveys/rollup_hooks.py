"""What other domains' writes change under the satisfaction rollup, and the days they mark
changed (rapport.surveys.rollups), registered with those domains in ready().

The rollup keeps, per day of the send, the customer's current tier and — for loyalty — their
lifecycle stage, churn reason and whether they came back after answering. None of those is a
survey write, so each write that changes them marks the days it changes, in its transaction:

- customers (registry.register_customers_changed): a tier, stage or churn reason changed
  (customer_update, the admin), an asset added or removed (asset_create, the admin's asset
  rows: a later purchase is a return), a merge that moved sends, contacts and assets between
  two customers → every day with a send of theirs.
- interactions (registry.register_interaction_logged): an inbound contact with a return purpose
  (rapport.surveys.loyalty) → the days of the answers it makes "came back" — answered before it,
  with no other return after them — and of the sends that may be being answered right now.
  Any other contact (most of them: every inbound message) changes nothing and costs nothing.
- interactions (registry.register_interaction_corrected): a correction of a contact's
  direction, purpose or start → every day with a send of the customer.

Why the open sends: on PostgreSQL an answer being saved in another transaction is not seen by
the query here, but its send is, still waiting for an answer (its status changes in the
answer's transaction); counting that send's day changed keeps the rollup exact without a lock.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from rapport.surveys import loyalty
from rapport.surveys.models import SurveySend
from rapport.surveys.rollups import rollup_touch_sends

# An answer is checked against its link's expiry when it starts; one still being saved was
# started less than this ago.
ANSWER_IN_FLIGHT = timedelta(hours=1)


def on_customers_changed(customer_ids: list[int]) -> None:
    rollup_touch_sends(SurveySend.objects.filter(customer_id__in=customer_ids))


def on_interaction_logged(interaction) -> None:
    if not loyalty.is_return_contact(interaction):
        return
    returned = loyalty.came_back(
        customer="customer_id",
        after="response__submitted_at",
        contacts=loyalty.return_contacts().exclude(pk=interaction.pk),
    )
    now = timezone.now()
    rollup_touch_sends(
        SurveySend.objects.filter(customer_id=interaction.customer_id).filter(
            Q(response__submitted_at__lt=interaction.started_at) & ~returned
            | Q(status=SurveySend.Status.SENT, expires_at__gt=now - ANSWER_IN_FLIGHT)
        )
    )


def on_interaction_corrected(interaction, before: dict) -> None:
    if before.keys() & {"direction", "purpose", "started_at"}:
        on_customers_changed([interaction.customer_id])


def register() -> None:
    from rapport.customers.registry import register_customers_changed
    from rapport.interactions.registry import (
        register_interaction_corrected,
        register_interaction_logged,
    )

    register_customers_changed(on_customers_changed)
    register_interaction_logged(on_interaction_logged)
    register_interaction_corrected(on_interaction_corrected)
