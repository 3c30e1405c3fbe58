"""Sweeps the worker runs for interactions."""

from datetime import timedelta

from django.utils import timezone

from rapport.core.periodic import register
from rapport.interactions.idempotency import idempotency_purge

IDEMPOTENCY_KEEP = timedelta(days=2)


@register("interactions.idempotency_purge", every=timedelta(hours=6))
def purge_idempotency_records() -> int:
    """Retries come within minutes; keys older than two days are forgotten."""
    return idempotency_purge(older_than=timezone.now() - IDEMPOTENCY_KEEP)


@register("interactions.tasks_due", every=timedelta(minutes=1))
def announce_due_tasks() -> int:
    """Each follow-up task that fell due is told to its assignee once."""
    from rapport.interactions.notices import follow_up_tasks_announce_due

    return follow_up_tasks_announce_due()


@register("interactions.rollups", every=timedelta(minutes=5))
def build_interaction_rollups() -> int:
    """Rebuild the measures' rollup of each day changed since its last build (before today)."""
    from rapport.interactions.rollups import rollup_sweep

    return rollup_sweep()
