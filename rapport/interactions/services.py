"""Writes for interactions, follow-up tasks, transfers and agent status.

Every function is one transaction, takes keyword arguments, validates before it saves and raises
ValidationError (keyed by field) or a DomainError; on a refusal nothing is saved.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.bounds import DUE_AHEAD, datetime_message
from rapport.core.errors import Conflict, DomainError, Forbidden
from rapport.core.rawsql import insert_row
from rapport.customers.models import Asset, Contact, Customer
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    Interaction,
    InteractionRevision,
    Purpose,
    Transfer,
)
from rapport.interactions.registry import correction_listeners, interaction_listeners
from rapport.interactions.rollups import rollup_touch
from rapport.staff.models import Team, User
from rapport.staff.services import staff_system_user

# A client clock may run a little ahead of ours; beyond this a start time is a mistake.
CLOCK_SKEW = timedelta(minutes=5)
# After a hand-off the first responder checks back with the customer within this time.
CHECK_BACK_AFTER = timedelta(days=1)

# What the measures' rollups count an interaction by (besides its staff member, never changed).
ROLLED_UP_FIELDS = {"channel", "direction", "started_at"}

CORRECTABLE_FIELDS = (
    "channel",
    "direction",
    "purpose",
    "started_at",
    "duration_seconds",
    "summary",
    "outcome",
    "contact",
    "asset",
)


@dataclass
class FollowUpInput:
    title: str
    due_at: datetime
    assignee: User | None = None
    assignee_team: Team | None = None


def _require(user: User, capability: str, message: str) -> None:
    if not user.can(capability):
        raise Forbidden(message)


def _check_interaction_fields(
    *,
    customer: Customer,
    started_at: datetime | None,
    duration_seconds: int | None,
    contact: Contact | None,
    asset: Asset | None,
    now: datetime,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if customer.merged_into_id is not None:
        errors["customer"] = [_("This customer was merged into another file.")]
    if duration_seconds is not None and duration_seconds < 0:
        errors["duration_seconds"] = [_("The duration cannot be negative.")]
    if started_at is not None and started_at > now + CLOCK_SKEW:
        errors["started_at"] = [_("The start time cannot be in the future.")]
    elif started_at is not None and (message := datetime_message(started_at)):
        errors["started_at"] = [message]  # every way in, not only forms and the API
    if contact is not None and contact.organisation_id != customer.pk:
        errors["contact"] = [_("That contact belongs to another customer.")]
    if asset is not None and asset.customer_id != customer.pk:
        errors["asset"] = [_("That asset belongs to another customer.")]
    return errors


def _validate_task(task: FollowUpTask, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if not (task.title or "").strip():
        errors["title"] = [_("Say what needs to be done.")]
    if task.due_at is None:
        errors["due_at"] = [_("A task needs a due date.")]
    elif task.due_at < now:
        errors["due_at"] = [_("The due date cannot be before the task is created.")]
    elif message := datetime_message(task.due_at, latest=now + DUE_AHEAD):
        errors["due_at"] = [message]
    if task.assignee is None and task.assignee_team is None:
        errors["assignee"] = [_("A task needs a person or a team to do it.")]
    if task.assignee is not None and not task.assignee.is_active:
        errors["assignee"] = [_("This staff member is no longer active.")]
    if errors:
        raise ValidationError(errors)
    task.full_clean()


@transaction.atomic
def interaction_log(
    *,
    by: User | None,
    customer: Customer,
    channel: str,
    direction: str,
    purpose: Purpose,
    summary: str,
    outcome: str = "",
    started_at: datetime | None = None,
    duration_seconds: int = 0,
    contact: Contact | None = None,
    asset: Asset | None = None,
    follow_up: FollowUpInput | None = None,
) -> Interaction:
    """Record a contact taken by `by`, who becomes its first responder (首问负责制).

    Raises Forbidden without `interactions.log`; ValidationError naming the field for a merged
    customer, negative duration, a start in the future beyond CLOCK_SKEW, a contact or asset of
    another customer, or an invalid follow-up task.

    `by=None` records a contact no person took (a customer's e-mail arriving, a message the
    outbox sent on its own): it is recorded for the system user, without a capability check.
    """
    if by is None:
        by = staff_system_user()
    else:
        _require(by, "interactions.log", _("You may not record interactions."))
    now = timezone.now()
    errors = _check_interaction_fields(
        customer=customer,
        started_at=started_at,
        duration_seconds=duration_seconds,
        contact=contact,
        asset=asset,
        now=now,
    )
    if errors:
        raise ValidationError(errors)
    interaction = Interaction(
        customer=customer,
        contact=contact,
        asset=asset,
        channel=channel,
        direction=direction,
        purpose=purpose,
        summary=(summary or "").strip(),
        outcome=(outcome or "").strip(),
        started_at=started_at or now,
        duration_seconds=duration_seconds or 0,
        staff=by,
        first_responder=by,
        handler=by,
        created_at=now,
    )
    # The related rows were passed in as saved objects (and checked above); validating them
    # again would cost a query each on every message the channels record.
    interaction.full_clean(
        exclude=["customer", "contact", "asset", "staff", "first_responder", "handler", "purpose"],
        validate_constraints=False,  # the one constraint (duration ≥ 0) is checked above
    )
    # Written once (rapport.core.rawsql): every message the channels receive or send records one.
    insert_row(connections[Interaction.objects.db], interaction)
    rollup_touch(days=[timezone.localdate(interaction.started_at)])
    if follow_up is not None:
        follow_up_task_create(
            by=by,
            customer=customer,
            interaction=interaction,
            title=follow_up.title,
            due_at=follow_up.due_at,
            assignee=follow_up.assignee,
            assignee_team=follow_up.assignee_team,
        )
    for listener in interaction_listeners():
        listener(interaction)
    return interaction


def interaction_can_correct(*, staff: User, interaction: Interaction) -> bool:
    """The one who recorded a contact may correct it; leads may correct any."""
    return staff.can("interactions.correct_any") or (
        staff.can("interactions.log") and interaction.staff_id == staff.pk
    )


def interaction_can_transfer(*, staff: User, interaction: Interaction) -> bool:
    """A contact is handed on by the people working it (who recorded it, its first responder,
    its current handler) or a colleague in one of their teams; leads may hand on any."""
    if not staff.can("interactions.transfer"):
        return False
    if staff.can("interactions.correct_any"):
        return True
    people = {interaction.staff_id, interaction.first_responder_id, interaction.handler_id}
    people.discard(None)
    if staff.pk in people:
        return True
    return User.teams.through.objects.filter(
        user_id__in=people, team__in=staff.teams.all()
    ).exists()


# Which kind of hand-off a transfer to a colleague is follows from the colleague's role, so the
# empowerment and generalist measures (DOMAIN.md §9) count what happened, not a label. A
# key-account manager takes a contact as the specialist for that account.
TRANSFER_KIND_BY_ROLE = {
    User.Role.REPRESENTATIVE: Transfer.Kind.TO_REPRESENTATIVE,
    User.Role.SPECIALIST: Transfer.Kind.TO_SPECIALIST,
    User.Role.KEY_ACCOUNT_MANAGER: Transfer.Kind.TO_SPECIALIST,
    User.Role.SUPERVISOR: Transfer.Kind.TO_SENIOR,
    User.Role.MANAGER: Transfer.Kind.TO_SENIOR,
    User.Role.ADMIN: Transfer.Kind.TO_SENIOR,
}


def transfer_kind_for(receiver: User) -> str:
    return TRANSFER_KIND_BY_ROLE[receiver.role]


def _snapshot_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def interaction_correct(
    *, interaction: Interaction, by: User, reason: str, **fields
) -> Interaction:
    """Change recorded values, keeping the old ones in an InteractionRevision.

    A correction that changes nothing records nothing. Raises Forbidden when `by` may not correct
    this interaction, ValidationError for a missing reason or invalid values.
    """
    if not interaction_can_correct(staff=by, interaction=interaction):
        raise Forbidden(_("You may not correct this interaction."))
    unknown = set(fields) - set(CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not correctable: {sorted(unknown)}")
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    changed = {
        name: value
        for name, value in fields.items()
        if _snapshot_value(getattr(interaction, name)) != _snapshot_value(value)
    }
    if not changed:
        return interaction
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the record is corrected.")]})
    errors = _check_interaction_fields(
        customer=interaction.customer,
        started_at=changed.get("started_at"),
        duration_seconds=changed.get("duration_seconds"),
        contact=changed.get("contact"),
        asset=changed.get("asset"),
        now=timezone.now(),
    )
    if errors:
        raise ValidationError(errors)
    before = {name: _snapshot_value(getattr(interaction, name)) for name in changed}
    if changed.keys() & ROLLED_UP_FIELDS:  # the measures' figures of its day (or both) change
        days = {timezone.localdate(interaction.started_at)}
        if "started_at" in changed:
            days.add(timezone.localdate(changed["started_at"]))
        rollup_touch(days=days)
    for name, value in changed.items():
        setattr(interaction, name, value)
    interaction.revision_count += 1
    interaction.full_clean()
    interaction.save(update_fields=[*changed, "revision_count"])
    InteractionRevision.objects.create(
        interaction=interaction,
        number=interaction.revision_count,
        changed_by=by,
        reason=reason.strip()[:300],
        before=before,
        after={name: _snapshot_value(value) for name, value in changed.items()},
    )
    for listener in correction_listeners():
        listener(interaction, before)
    return interaction


@transaction.atomic
def follow_up_task_create(
    *,
    by: User | None,
    customer: Customer,
    title: str,
    due_at: datetime,
    interaction: Interaction | None = None,
    assignee: User | None = None,
    assignee_team: Team | None = None,
) -> FollowUpTask:
    """A follow-up task (交办事项) for a person or a team. Raises ValidationError when it is due
    before now, has no title or no one to do it, or the assignee has left.

    `by=None` is a task no person created (a call-back for a missed call): it is created by the
    system user, without a capability check."""
    if by is None:
        by = staff_system_user()
    else:
        _require(by, "interactions.log", _("You may not create tasks."))
    if interaction is not None and interaction.customer_id != customer.pk:
        raise ValidationError({"interaction": [_("That interaction is another customer's.")]})
    task = FollowUpTask(
        interaction=interaction,
        customer=customer,
        title=(title or "").strip(),
        due_at=due_at,
        assignee=assignee,
        assignee_team=assignee_team,
        created_by=by,
        created_at=timezone.now(),
    )
    _validate_task(task, task.created_at)
    task.save()
    return task


def follow_up_task_can_close(*, staff: User, task: FollowUpTask) -> bool:
    if staff.can("tasks.manage_any"):
        return True
    if task.assignee_id == staff.pk or task.created_by_id == staff.pk:
        return True
    return task.assignee_team_id is not None and any(
        t.pk == task.assignee_team_id for t in staff.teams.all()
    )


def _task_close(*, task: FollowUpTask, by: User, status: str) -> FollowUpTask:
    if not follow_up_task_can_close(staff=by, task=task):
        raise Forbidden(_("You may not change this task."))
    now = timezone.now()
    # Conditional update: two people closing the same task at once cannot both win.
    updated = FollowUpTask.objects.filter(pk=task.pk, status=FollowUpTask.Status.OPEN).update(
        status=status, completed_by=by, completed_at=now
    )
    if not updated:
        raise Conflict(_("This task is already closed."), code="task_closed")
    task.status, task.completed_by, task.completed_at = status, by, now
    return task


@transaction.atomic
def follow_up_task_complete(*, task: FollowUpTask, by: User) -> FollowUpTask:
    """Mark done, recording who and when. Raises Conflict if it was already closed."""
    return _task_close(task=task, by=by, status=FollowUpTask.Status.DONE)


@transaction.atomic
def follow_up_task_cancel(*, task: FollowUpTask, by: User) -> FollowUpTask:
    return _task_close(task=task, by=by, status=FollowUpTask.Status.CANCELLED)


@transaction.atomic
def transfer_create(
    *, interaction: Interaction, by: User, to_staff: User, reason: str, kind: str | None = None
) -> Transfer:
    """Hand a contact to a colleague. The first responder stays the owner (首问负责制) and gets a
    task to check back with the customer once the colleague has dealt with it. The kind of
    hand-off follows from the colleague's role; a `kind` given must agree with it.

    Raises Forbidden when `by` may not hand this contact on (interaction_can_transfer);
    ValidationError naming `to_staff` for a transfer to oneself or to an inactive user, `kind`
    for a kind that is unknown or does not match the colleague's role, and `reason` when no
    reason is given.
    """
    _require(by, "interactions.transfer", _("You may not transfer contacts."))
    # Locked and re-read: who may hand it on depends on its current handler.
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    if not interaction_can_transfer(staff=by, interaction=interaction):
        raise Forbidden(_("You may not transfer this contact."))
    errors: dict[str, list[str]] = {}
    if to_staff.pk == by.pk:
        errors["to_staff"] = [_("You cannot transfer a contact to yourself.")]
    elif not to_staff.is_active:
        errors["to_staff"] = [_("This staff member is no longer active.")]
    expected = transfer_kind_for(to_staff)
    if kind and kind not in Transfer.Kind.values:
        errors["kind"] = [_("Choose how the contact is transferred.")]
    elif kind and kind != expected:
        errors["kind"] = [
            _("%(name)s is a %(role)s: this is a transfer “%(kind)s”.")
            % {
                "name": to_staff.name,
                "role": to_staff.get_role_display(),
                "kind": Transfer.Kind(expected).label,
            }
        ]
    kind = expected
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the contact is transferred.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    transfer = Transfer(
        interaction=interaction,
        customer_id=interaction.customer_id,
        from_staff=by,
        to_staff=to_staff,
        kind=kind,
        reason=reason.strip()[:300],
        at=now,
    )
    transfer.full_clean()
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as exc:
        raise DomainError(_("The transfer could not be saved."), field="to_staff") from exc
    flags = (interaction.passed_on, interaction.escalated)
    interaction.handler = to_staff
    if kind == Transfer.Kind.TO_REPRESENTATIVE:
        interaction.passed_on = True
    else:
        interaction.escalated = True
    interaction.save(update_fields=["handler", "passed_on", "escalated"])
    if (interaction.passed_on, interaction.escalated) != flags:  # the measures count the flags
        rollup_touch(days=[timezone.localdate(interaction.started_at)])
    if interaction.first_responder_id != to_staff.pk:
        FollowUpTask.objects.create(
            interaction=interaction,
            customer_id=interaction.customer_id,
            title=_("Check back with the customer after the hand-off to %(name)s")
            % {"name": to_staff.name},
            assignee_id=interaction.first_responder_id,
            due_at=now + CHECK_BACK_AFTER,
            created_by=by,
            created_at=now,
        )
    return transfer


@transaction.atomic
def agent_status_set(*, staff: User, status: str) -> AgentStatusInterval:
    """Close the current status interval and open one in `status`; the same status again is a
    no-op. Raises ValidationError for an unknown status."""
    if status not in AgentStatusInterval.Status.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    now = timezone.now()
    current = (
        AgentStatusInterval.objects.select_for_update()
        .filter(staff=staff, ended_at__isnull=True)
        .first()
    )
    if current is not None:
        if current.status == status:
            return current
        current.ended_at = max(now, current.started_at)
        current.seconds = int((current.ended_at - current.started_at).total_seconds())
        current.save(update_fields=["ended_at", "seconds"])
    # Closing at now changes today's figures only (a past day holds an open interval to its
    # midnight already); the new interval starts today.
    days = {timezone.localdate(now)}
    if current is not None:
        days.add(timezone.localdate(current.ended_at))
    rollup_touch(days=days)
    return AgentStatusInterval.objects.create(staff=staff, status=status, started_at=now)
