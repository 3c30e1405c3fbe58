"""Writes of the care app: segments, programs and their states, run confirmation, call outcomes.

Every service takes keyword arguments, runs in one transaction and raises ValidationError keyed
by field for bad input (nothing is written then).
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.care import deps
from rapport.care.models import CareAction, CareRun, CareTask, Program, Segment
from rapport.care.segments import segment_clean
from rapport.care.triggers import schedule_date
from rapport.core.errors import Conflict, Forbidden
from rapport.staff.models import User

# What a care message or call script may use; anything else is refused at save time.
TEMPLATE_VARIABLES = {"customer_name", "company", "occasion", "program", "due_on", "agent_name"}
_VARIABLE = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)[^}]*\}\}|\{([a-zA-Z_][a-zA-Z0-9_]*)\}")

PROGRAM_FIELDS = (
    "name",
    "description",
    "purpose",
    "owner",
    "team",
    "segment",
    "trigger",
    "offset_days",
    "schedule_on",
    "maintenance_days",
    "maintenance_km",
    "action",
    "template_code",
    "script_code",
    "script_text",
    "followup_days",
    "quiet_days",
    "holdout_percent",
    "max_per_run",
    "starts_on",
    "ends_on",
)


def _require(by: User, capability: str) -> None:
    if not by.can(capability):
        raise Forbidden(_("You may not change care programs."))


# --- segments ---------------------------------------------------------------------------------


def _segment_save(segment: Segment, *, definition, confirm_everyone: bool) -> Segment:
    errors = {}
    try:
        segment.definition = segment_clean(definition)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not errors and not segment.definition and not confirm_everyone:
        errors["confirm_everyone"] = [
            _("This segment has no condition and matches every customer; confirm that you mean it.")
        ]
    segment.everyone_confirmed = not segment.definition and confirm_everyone
    try:
        segment.full_clean(exclude=["definition", "created_by"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    segment.save()
    return segment


@transaction.atomic
def segment_create(
    *, by: User, name: str, definition, description: str = "", confirm_everyone: bool = False
) -> Segment:
    _require(by, "care.manage")
    segment = Segment(name=(name or "").strip(), description=description, created_by=by)
    return _segment_save(segment, definition=definition, confirm_everyone=confirm_everyone)


@transaction.atomic
def segment_update(
    *,
    segment: Segment,
    by: User,
    name: str,
    definition,
    description: str = "",
    confirm_everyone: bool = False,
) -> Segment:
    _require(by, "care.manage")
    segment.name, segment.description = (name or "").strip(), description
    return _segment_save(segment, definition=definition, confirm_everyone=confirm_everyone)


# --- programs ---------------------------------------------------------------------------------


def _unknown_variables(text: str) -> list[str]:
    names = {a or b for a, b in _VARIABLE.findall(text or "")}
    return sorted(names - TEMPLATE_VARIABLES)


def program_problems(program: Program, *, today: date | None = None) -> dict[str, list[str]]:
    """What keeps `program` from running, by field (empty when it may be activated)."""
    from rapport.channels.models import MessageTemplate

    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if program.segment_id is None:
        errors["segment"] = [_("Choose the customers: a segment.")]
    if program.sends_message:
        template = MessageTemplate.objects.filter(
            code=program.template_code, is_active=True
        ).first()
        if not program.template_code:
            errors["template_code"] = [_("Choose the message template.")]
        elif template is None:
            errors["template_code"] = [
                _("No active message template “%(code)s”.") % {"code": program.template_code}
            ]
        else:
            unknown = _unknown_variables(
                " ".join(
                    [template.subject_zh, template.subject_en, template.body_zh, template.body_en]
                )
            )
            if unknown:
                errors["template_code"] = [
                    _("The template uses variables a care program does not know: %(names)s.")
                    % {"names": ", ".join(unknown)}
                ]
            if template.purpose == "marketing" and program.purpose == "service":
                errors["template_code"] = [
                    _("This is a marketing template; a service-care program cannot send it.")
                ]
    if program.makes_calls:
        if not (program.script_code or program.script_text.strip()):
            errors["script_text"] = [_("Give the call script: a phrase code or the text.")]
        elif (
            program.script_code
            and deps.phrase_library_installed()
            and deps.phrase_text(program.script_code) is None
        ):
            errors["script_code"] = [
                _("No phrase “%(code)s” in the phrase library.") % {"code": program.script_code}
            ]
        unknown = _unknown_variables(program.script_text)
        if unknown:
            errors["script_text"] = [
                _("The script uses variables a care program does not know: %(names)s.")
                % {"names": ", ".join(unknown)}
            ]
    if (
        program.trigger in (Program.Trigger.ONCE, Program.Trigger.YEARLY)
        and not program.schedule_on
    ):
        errors["schedule_on"] = [_("Give the date of the schedule.")]
    if program.trigger == Program.Trigger.ONCE and program.schedule_on and program.starts_on:
        when = date.fromordinal(program.schedule_on.toordinal() + program.offset_days)
        if when < program.starts_on:
            errors["offset_days"] = [
                _("With this offset the action falls on %(day)s, before the program starts.")
                % {"day": when.isoformat()}
            ]
        elif program.ends_on and when > program.ends_on:
            errors["offset_days"] = [
                _("With this offset the action falls on %(day)s, after the program ends.")
                % {"day": when.isoformat()}
            ]
    if (
        program.trigger
        in (Program.Trigger.SPRING_FESTIVAL, Program.Trigger.MID_AUTUMN, Program.Trigger.YEARLY)
        and program.ends_on
        and program.starts_on
    ):
        hits = [
            d
            for y in range(program.starts_on.year, program.ends_on.year + 1)
            if (d := schedule_date(program, y)) is not None
            and program.starts_on
            <= date.fromordinal(d.toordinal() + program.offset_days)
            <= program.ends_on
        ]
        if not hits:
            errors["offset_days"] = [
                _("No occasion of this schedule falls between the program's start and end.")
            ]
    if program.trigger == Program.Trigger.APPOINTMENT:
        from rapport.care.registry import occasion_source

        if occasion_source("appointment") is None:
            errors["trigger"] = [_("Appointments are not installed yet; this trigger cannot run.")]
    if program.trigger == Program.Trigger.SURVEY_LOW:
        from rapport.care.registry import occasion_source

        if occasion_source("survey_low") is None:
            errors["trigger"] = [
                _("Surveys do not report low answers yet; this trigger cannot run.")
            ]
    if program.trigger_kind == "event" and program.offset_days < 0:
        errors["offset_days"] = [_("An event trigger can only act on or after the event.")]
    if program.makes_calls and program.team_id is None:
        errors["team"] = [_("Choose the team that makes the calls.")]
    if program.ends_on and program.ends_on < today and program.status != Program.Status.ARCHIVED:
        errors["ends_on"] = [_("The program has already ended.")]
    return errors


def _program_save(program: Program, fields: dict, *, check: bool) -> Program:
    unknown = set(fields) - set(PROGRAM_FIELDS)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    for name, value in fields.items():
        setattr(program, name, value)
    if isinstance(program.script_text, str):
        program.script_text = program.script_text.strip()
    program.name = (program.name or "").strip()
    try:
        program.full_clean(exclude=["created_by", "owner"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc
    if check:
        problems = program_problems(program)
        if problems:
            raise ValidationError(problems)
    try:
        with transaction.atomic():
            program.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [_("Another program has this name.")]}) from exc
    return program


@transaction.atomic
def program_create(*, by: User, **fields) -> Program:
    """A new program, as a draft."""
    _require(by, "care.manage")
    fields.setdefault("starts_on", timezone.localdate())
    program = Program(created_by=by, owner=fields.pop("owner", None) or by)
    return _program_save(program, fields, check=False)


@transaction.atomic
def program_update(*, program: Program, by: User, **fields) -> Program:
    """Edit a program. While it runs the change applies to the next run: actions already planned
    keep their occurrence (no customer is contacted twice), and the version goes up."""
    _require(by, "care.manage")
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status == Program.Status.ARCHIVED:
        raise Conflict(_("An archived program cannot be changed."), code="archived")
    running = program.status == Program.Status.ACTIVE
    program.version += 1  # the row is locked: no lost update
    program = _program_save(program, fields, check=running)
    program.refresh_from_db()
    return program


@transaction.atomic
def program_activate(*, program: Program, by: User) -> Program:
    _require(by, "care.manage")
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status not in (Program.Status.DRAFT, Program.Status.PAUSED):
        raise Conflict(_("Only a draft or paused program can be activated."), code="bad_state")
    problems = program_problems(program)
    if problems:
        raise ValidationError(problems)
    program.status = Program.Status.ACTIVE
    program.save(update_fields=["status", "updated_at"])
    return program


@transaction.atomic
def program_pause(*, program: Program, by: User) -> Program:
    """Stops new runs and holds planned actions until the program is activated again."""
    _require(by, "care.manage")
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status != Program.Status.ACTIVE:
        raise Conflict(_("Only an active program can be paused."), code="bad_state")
    program.status = Program.Status.PAUSED
    program.save(update_fields=["status", "updated_at"])
    return program


@transaction.atomic
def program_archive(*, program: Program, by: User) -> Program:
    """Ends the program; actions still planned are skipped with the reason "program ended"."""
    _require(by, "care.manage")
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.status == Program.Status.ARCHIVED:
        return program
    program.status = Program.Status.ARCHIVED
    program.save(update_fields=["status", "updated_at"])
    CareAction.objects.filter(
        program=program, state__in=[CareAction.State.PLANNED, CareAction.State.WAITING]
    ).update(
        state=CareAction.State.SKIPPED,
        reason=CareAction.Reason.PROGRAM_ENDED,
        executed_at=timezone.now(),
    )
    return program


# --- runs -------------------------------------------------------------------------------------


@transaction.atomic
def run_confirm(*, run: CareRun, by: User) -> CareRun:
    """A supervisor lets a large run go out."""
    if not by.can("care.confirm"):
        raise Forbidden(_("Only a supervisor may confirm a care run."))
    won = CareRun.objects.filter(pk=run.pk, status=CareRun.Status.AWAITING).update(
        status=CareRun.Status.CONFIRMED, confirmed_by=by, confirmed_at=timezone.now()
    )
    if not won:
        raise Conflict(_("This run is not waiting for confirmation."), code="bad_state")
    run.refresh_from_db()
    return run


@transaction.atomic
def run_cancel(*, run: CareRun, by: User) -> CareRun:
    """A supervisor stops a large run: its planned actions are skipped."""
    if not by.can("care.confirm"):
        raise Forbidden(_("Only a supervisor may cancel a care run."))
    won = CareRun.objects.filter(pk=run.pk, status=CareRun.Status.AWAITING).update(
        status=CareRun.Status.CANCELLED, confirmed_by=by, confirmed_at=timezone.now()
    )
    if not won:
        raise Conflict(_("This run is not waiting for confirmation."), code="bad_state")
    CareAction.objects.filter(run=run, state=CareAction.State.PLANNED).update(
        state=CareAction.State.SKIPPED,
        reason=CareAction.Reason.PROGRAM_ENDED,
        note=_("Run cancelled."),
    )
    run.refresh_from_db()
    return run


# --- call tasks -------------------------------------------------------------------------------


def _may_work(task: CareTask, by: User) -> None:
    if by.pk not in (task.assignee_id, task.escalated_to_id) and not by.can("care.manage"):
        raise Forbidden(_("This call is someone else's."))


@transaction.atomic
def task_acknowledge(*, task: CareTask, by: User) -> CareTask:
    """Stops the escalation: someone has seen the call."""
    _may_work(task, by)
    CareTask.objects.filter(pk=task.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), escalate_at=None
    )
    task.refresh_from_db()
    return task


@transaction.atomic
def task_record(
    *,
    task: CareTask,
    by: User,
    reached: bool,
    interested: bool | None = None,
    booked: bool | None = None,
    declined: bool | None = None,
    reason: str = "",
) -> CareTask:
    """Record the call's outcome and close the task."""
    _may_work(task, by)
    task = CareTask.objects.select_for_update().get(pk=task.pk)
    if task.state == CareTask.State.DONE:
        raise Conflict(_("This call was already recorded."), code="done")
    errors = {}
    if reason and len(reason) > 300:
        errors["reason"] = [_("At most 300 characters.")]
    if booked and declined:
        errors["declined"] = [_("A customer who booked did not decline.")]
    if not reached and (interested or booked):
        errors["reached"] = [_("Only a customer who was reached can be interested or book.")]
    if declined and not (reason or "").strip():
        errors["reason"] = [_("Say why the customer declined.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    task.reached, task.interested, task.booked, task.declined = (
        reached,
        interested,
        booked,
        declined,
    )
    task.outcome_reason = (reason or "").strip()
    task.state = CareTask.State.DONE
    task.completed_at = now
    task.acknowledged_at = task.acknowledged_at or now
    task.escalate_at = None
    task.save()
    return task
