"""What other domains' writes change under the satisfaction rollup, and the days they mark
changed (rapport.surveys.rollups), registered with those domains in ready().

The rollup keeps, per day of the send, the customer's current tier. That is no survey write, so
each write that changes it marks the days it changes, in its transaction:

- customers (registry.register_customers_changed): a tier changed (customer_update, the admin),
  or a merge moved sends between two customers → every day with a send of theirs.
"""

from rapport.surveys.models import SurveySend
from rapport.surveys.rollups import rollup_touch_sends


def on_customers_changed(customer_ids: list[int]) -> None:
    rollup_touch_sends(SurveySend.objects.filter(customer_id__in=customer_ids))


def register() -> None:
    from rapport.customers.registry import register_customers_changed

    register_customers_changed(on_customers_changed)
