from datetime import timedelta

from rapport.care.engine import care_escalate_due, care_evaluate, care_execute_due
from rapport.core.periodic import register


@register("care.evaluate", every=timedelta(minutes=5))
def evaluate_programs():
    """Plan today's actions of every active program not yet evaluated today."""
    return care_evaluate()


@register("care.execute", every=timedelta(seconds=30))
def execute_actions():
    """Perform the due actions under the outreach guard."""
    return care_execute_due()


@register("care.escalate", every=timedelta(minutes=1))
def escalate_tasks():
    """Unacknowledged care calls go up: assignee → supervisor → service manager."""
    return care_escalate_due()
