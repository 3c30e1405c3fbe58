"""Sweeps of notifications, run by every `rapport worker` (rapport.core.periodic claims each
run once across workers)."""

from datetime import timedelta

from rapport.core.periodic import register


@register("notifications.digest", every=timedelta(minutes=30))
def send_digests() -> int:
    from rapport.notifications.tasks import digest_send_due

    return digest_send_due()
