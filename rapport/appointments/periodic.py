"""Background sweeps for appointments, run by every `rapport worker` (rapport.core.periodic)."""

from datetime import timedelta

from rapport.appointments.daybefore import appointments_call_unconfirmed
from rapport.core.periodic import register


@register("appointments.call_unconfirmed", every=timedelta(minutes=10))
def call_unconfirmed():
    """Tomorrow's appointments still unconfirmed at the call hour become advisor call tasks."""
    return appointments_call_unconfirmed()
