from datetime import timedelta

from rapport.core.periodic import register
from rapport.sla.sweep import sla_sweep


@register("sla.sweep", every=timedelta(seconds=20))
def run_sla_sweep():
    return sla_sweep()
