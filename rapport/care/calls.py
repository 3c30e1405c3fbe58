"""Call tasks that another process hands to care: the same CareTask a program's call makes (the
representative's call list, the script, escalation when nobody acknowledges it), for one
occasion another app found — an appointment tomorrow still unconfirmed (rapport.appointments).

The task hangs on a program of its own, kept archived so the care engine never plans it: the
caller decides who is called, and when.
"""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from rapport.care.engine import _create_task
from rapport.care.guard import Decision
from rapport.care.models import CareAction, CareRun, CareTask, Program
from rapport.staff.models import User


def _program(*, name: str, description: str, script: str, trigger: str, today: date) -> Program:
    program, _created = Program.objects.get_or_create(
        name=name,
        defaults={
            "description": description[:500],
            "trigger": trigger,
            "action": Program.Action.CALL,
            "script_text": script,
            "status": Program.Status.ARCHIVED,
            "holdout_percent": 0,
            "starts_on": today,
        },
    )
    return program


def care_call_task_open(
    *,
    program_name: str,
    program_description: str,
    script: str,
    trigger: str,
    customer_id: int,
    occurrence_key: str,
    occasion: str,
    assignee: User,
    due_on: date,
    now: datetime | None = None,
) -> CareTask:
    """Open (once) a call task for `assignee` about `occasion`; the same `occurrence_key` for
    the same customer returns the task made the first time. The assignee is notified like for
    any care call. `script` may use {customer_name}, {company}, {agent_name}, {occasion}."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        program = _program(
            name=program_name,
            description=program_description,
            script=script,
            trigger=trigger,
            today=today,
        )
        run, _created = CareRun.objects.get_or_create(
            program=program, run_on=today, defaults={"program_version": program.version}
        )
        action, created = CareAction.objects.get_or_create(
            program=program,
            customer_id=customer_id,
            occurrence_key=occurrence_key[:80],
            defaults={
                "run": run,
                "occasion": occasion[:200],
                "due_on": due_on,
                "kind": CareAction.Kind.CALL,
                "state": CareAction.State.DONE,
                "execute_after": now,
                "executed_at": now,
                "assignee": assignee,
                "call_on": today,
            },
        )
        if not created and hasattr(action, "task"):
            return action.task
        action = CareAction.objects.select_related("program", "customer").get(pk=action.pk)
        return _create_task(action, Decision(go=True), now)
