"""Reads of the care app, with access checks ("not allowed" looks like "not found")."""

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from rapport.care.models import CareAction, CareRun, CareTask, Program, Segment
from rapport.care.segments import segment_customers
from rapport.core.errors import NotFound
from rapport.staff.models import User


def _get(qs, pk, message):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(message) from exc


def program_list() -> QuerySet[Program]:
    return Program.objects.select_related("segment", "team").order_by("status", "name")


def program_get(*, staff: User, program_id: int) -> Program:
    if not staff.can("care.work"):
        raise NotFound(_("No such care program."))
    return _get(program_list(), program_id, _("No such care program."))


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.order_by("name")


def segment_get(*, staff: User, segment_id: int) -> Segment:
    if not staff.can("care.manage"):
        raise NotFound(_("No such segment."))
    return _get(Segment.objects.all(), segment_id, _("No such segment."))


def segment_preview(*, definition: dict, sample: int = 10) -> tuple[int, list]:
    """(count, a sample) of the customers a clean definition matches."""
    customers = segment_customers(definition)
    return customers.count(), list(
        customers.order_by("-id").only("id", "name", "tier", "city")[:sample]
    )


def run_get(*, staff: User, run_id: int) -> CareRun:
    if not staff.can("care.work"):
        raise NotFound(_("No such care run."))
    return _get(
        CareRun.objects.select_related("program", "confirmed_by"), run_id, _("No such care run.")
    )


def runs_awaiting() -> QuerySet[CareRun]:
    return CareRun.objects.filter(status=CareRun.Status.AWAITING).select_related("program")


def run_sample(*, run: CareRun, size: int = 20) -> list[CareAction]:
    return list(
        run.actions.exclude(state=CareAction.State.HOLDOUT)
        .select_related("customer", "assignee")
        .order_by("id")[:size]
    )


def tasks_for(*, staff: User, open_only: bool = True) -> QuerySet[CareTask]:
    from django.db.models import Q

    qs = CareTask.objects.filter(Q(assignee=staff) | Q(escalated_to=staff))
    if open_only:
        qs = qs.filter(state=CareTask.State.OPEN)
    return qs.select_related("customer", "program", "assignee").order_by("due_on", "id")


def task_get(*, staff: User, task_id: int) -> CareTask:
    qs = CareTask.objects.select_related("customer", "program", "assignee", "action")
    task = _get(qs, task_id, _("No such call task."))
    if staff.pk not in (task.assignee_id, task.escalated_to_id) and not staff.can("care.manage"):
        raise NotFound(_("No such call task."))
    return task


def customer_care_actions(*, customer_id: int, limit: int = 10) -> list[CareAction]:
    """The customer's latest care actions, reasons included: "why did they not get it?"."""
    return list(
        CareAction.objects.filter(customer_id=customer_id)
        .select_related("program", "assignee")
        .order_by("-id")[:limit]
    )


def maintenance_interval() -> tuple[int, int]:
    """The service interval (km, days) a vehicle's next service is shown with: the shortest of the
    active maintenance programs, else the ready-made one's, else the defaults."""
    program = (
        Program.objects.filter(trigger=Program.Trigger.MAINTENANCE_DUE)
        .order_by(
            # active first, then the shortest interval
            models.Case(models.When(status=Program.Status.ACTIVE, then=0), default=1),
            "maintenance_km",
        )
        .values_list("maintenance_km", "maintenance_days")
        .first()
    )
    if program is None:
        meta = Program._meta
        return meta.get_field("maintenance_km").default, meta.get_field("maintenance_days").default
    return program
