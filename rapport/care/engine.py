"""The care worker: plan the day's actions, perform them under the guard, escalate silent tasks.

Planning (`care_evaluate`) reads only the customers whose occasion falls due (rapport.care
.triggers) and writes one CareAction per (program, customer, occurrence) — a unique constraint, so
two workers, or a worker killed and started again, plan each occurrence once. Performing
(`care_execute_due`) claims each action with a conditional UPDATE on its lease, checks the guard
and performs it in one transaction: the outbox row's idempotency key and the task's one-to-one
link to the action make a retry after a kill the same message and the same task.
"""

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.template import Context, Template
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.care import deps, triggers
from rapport.care.guard import guard_check
from rapport.care.models import CareAction, CareRun, CareSettings, CareTask, Program
from rapport.care.segments import segment_q
from rapport.customers.models import Customer
from rapport.interactions.models import Interaction
from rapport.staff.models import User

logger = logging.getLogger(__name__)
State = CareAction.State
LEASE = timedelta(minutes=2)
PLAN_LEASE = timedelta(minutes=10)
CHUNK = 500
SPREAD_HORIZON = 60  # working days a run's calls may be spread over


def holdout(program_id: int, customer_id: int, percent: int) -> bool:
    """Deterministic: the same customer is held out of the same program every time."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"care-holdout:{program_id}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < percent * 100


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def _working_days(start: date, count: int) -> list[date]:
    """The next `count` working days from `start` on the default business calendar (every day
    when there is no calendar)."""
    from rapport.core.calendar.compute import CalendarError
    from rapport.core.calendar.selectors import calendar_snapshot_get

    try:
        snapshot = calendar_snapshot_get()
    except (CalendarError, Exception):  # no calendar at all: every day works
        return [start + timedelta(days=i) for i in range(count)]
    days, day = [], start
    limit = start + timedelta(days=count * 3 + 30)
    while len(days) < count:
        found = snapshot.next_day_with_work(day, limit=limit)
        if found is None:
            break
        days.append(found)
        day = found + timedelta(days=1)
    return days or [start]


def spread_calls(*, program: Program, count: int, start: date) -> list[tuple[int | None, date]]:
    """`count` (representative id, day) slots over the team's working days from `start`, never
    more than the daily number per representative, fewest-loaded first. Locks the people so two
    programs planned at once do not both fill the same day."""
    if count <= 0:
        return []
    cap = CareSettings.current().calls_per_agent_per_day
    agents = list(deps.call_agents(team=program.team).values_list("id", flat=True))
    if not agents:
        owner = program.owner_id
        return [(owner, start)] * count
    list(User.objects.select_for_update().filter(pk__in=agents).values_list("id", flat=True))
    load: dict[tuple[int, date], int] = defaultdict(int)
    for row in (
        CareAction.objects.filter(assignee_id__in=agents, call_on__gte=start)
        .values("assignee_id", "call_on")
        .annotate(n=Count("id"))
    ):
        load[(row["assignee_id"], row["call_on"])] = row["n"]
    slots: list[tuple[int | None, date]] = []
    for day in _working_days(start, SPREAD_HORIZON):
        while len(slots) < count:
            free = [a for a in agents if load[(a, day)] < cap]
            if not free:
                break
            agent = min(free, key=lambda a: (load[(a, day)], a))
            load[(agent, day)] += 1
            slots.append((agent, day))
        if len(slots) >= count:
            break
    while len(slots) < count:  # beyond the horizon: the last day, over the cap, said in the log
        logger.warning(
            "Care program %s: more calls than the team can make in %s days",
            program.pk,
            SPREAD_HORIZON,
        )
        slots.append((agents[0], start + timedelta(days=SPREAD_HORIZON)))
    return slots


@dataclass
class EvaluateResult:
    programs: int = 0
    planned: int = 0
    held_out: int = 0
    awaiting: list[int] = field(default_factory=list)


def _claim_program(program_id: int, now: datetime) -> bool:
    return bool(
        Program.objects.filter(pk=program_id, status=Program.Status.ACTIVE)
        .filter(Q(evaluating_until__isnull=True) | Q(evaluating_until__lt=now))
        .update(evaluating_until=now + PLAN_LEASE)
    )


def _candidates(program: Program, due: date) -> list[tuple[int, str, str]]:
    """The segment's customers among the occasions due on `due`."""
    definition = program.segment.definition if program.segment_id else {}
    found: list[tuple[int, str, str]] = []
    pending: dict[int, tuple[str, str]] = {}

    def flush() -> None:
        if not pending:
            return
        live = Customer.objects.filter(pk__in=list(pending), merged_into__isnull=True)
        if definition:
            live = live.filter(segment_q(definition))
        # Merged files are kept so the guard records why they were not contacted.
        ids = set(live.values_list("id", flat=True)) | set(
            Customer.objects.filter(pk__in=list(pending), merged_into__isnull=False).values_list(
                "id", flat=True
            )
        )
        found.extend((cid, *pending[cid]) for cid in pending if cid in ids)
        pending.clear()

    for customer_id, key, occasion in triggers.occasions(program, due):
        if customer_id == 0:  # a schedule: the whole segment
            everyone = Customer.objects.filter(merged_into__isnull=True)
            if definition:
                everyone = everyone.filter(segment_q(definition))
            for cid in everyone.values_list("id", flat=True).iterator(chunk_size=2000):
                found.append((cid, key, occasion))
            continue
        pending.setdefault(customer_id, (key, occasion))
        if len(pending) >= CHUNK:
            flush()
    flush()
    return found


def evaluate_program(*, program: Program, today: date, now: datetime) -> CareRun | None:
    """Plan `program`'s actions for the days from its last evaluation up to `today`."""
    rules = CareSettings.current()
    first = max(
        program.starts_on,
        (program.evaluated_through + timedelta(days=1)) if program.evaluated_through else today,
        today - timedelta(days=rules.catch_up_days),
    )
    last = min(today, program.ends_on) if program.ends_on else today
    if first > last:
        Program.objects.filter(pk=program.pk).update(evaluated_through=today, evaluating_until=None)
        return None
    with transaction.atomic():
        run, _created = CareRun.objects.get_or_create(
            program=program, run_on=today, defaults={"program_version": program.version}
        )
        rows: list[CareAction] = []
        kind = CareAction.Kind.MESSAGE if program.sends_message else CareAction.Kind.CALL
        day = first
        while day <= last:
            for customer_id, key, occasion in _candidates(program, day):
                held = holdout(program.pk, customer_id, program.holdout_percent)
                rows.append(
                    CareAction(
                        program=program,
                        run=run,
                        customer_id=customer_id,
                        occurrence_key=key[:80],
                        occasion=occasion[:200],
                        due_on=day,
                        kind=kind,
                        state=State.HOLDOUT if held else State.PLANNED,
                        execute_after=_start_of(max(day, today)),
                    )
                )
            day += timedelta(days=1)
        # Already planned occurrences (another worker, an earlier run) are left as they are.
        keys = {(r.customer_id, r.occurrence_key) for r in rows}
        existing = set()
        if keys:
            customer_ids = list({c for c, _k in keys})
            for i in range(0, len(customer_ids), CHUNK):
                existing |= set(
                    CareAction.objects.filter(
                        program=program, customer_id__in=customer_ids[i : i + CHUNK]
                    ).values_list("customer_id", "occurrence_key")
                )
        seen: set[tuple[int, str]] = set()
        fresh = []
        for r in rows:
            k = (r.customer_id, r.occurrence_key)
            if k in existing or k in seen:
                continue
            seen.add(k)
            fresh.append(r)
        calls = [r for r in fresh if r.state == State.PLANNED and kind == CareAction.Kind.CALL]
        for r, (agent, call_day) in zip(
            calls, spread_calls(program=program, count=len(calls), start=today), strict=True
        ):
            r.assignee_id, r.call_on = agent, call_day
            r.execute_after = _start_of(call_day)
        CareAction.objects.bulk_create(fresh, batch_size=CHUNK, ignore_conflicts=True)
        counts = dict(
            CareAction.objects.filter(run=run)
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        held_out = counts.get(State.HOLDOUT, 0)
        planned = sum(n for s, n in counts.items() if s != State.HOLDOUT)
        threshold = program.max_per_run if program.max_per_run is not None else rules.confirm_above
        status = run.status
        if status == CareRun.Status.RELEASED and planned > threshold:
            status = CareRun.Status.AWAITING
        CareRun.objects.filter(pk=run.pk).update(planned=planned, held_out=held_out, status=status)
        Program.objects.filter(pk=program.pk).update(evaluated_through=last, evaluating_until=None)
        if status == CareRun.Status.AWAITING and run.status != status:
            _ask_confirmation(run=run, program=program, planned=planned)
        run.refresh_from_db()
    return run


def _ask_confirmation(*, run: CareRun, program: Program, planned: int) -> None:
    from django.urls import reverse
    from django.utils.text import format_lazy
    from django.utils.translation import gettext_lazy

    deps.notify(
        users=deps.supervisors_of(program.team),
        kind="care_run_confirm",
        title=format_lazy(
            gettext_lazy("Care run of “{program}” would reach {count} customers: confirm it"),
            program=program.name,
            count=planned,
        ),
        url=reverse("care:run", args=[run.pk]),
        dedupe_key=f"care_run_confirm:{run.pk}",
    )


def care_evaluate(*, today: date | None = None, now: datetime | None = None) -> EvaluateResult:
    """Plan every active program for today; each program is claimed by one worker at a time."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    result = EvaluateResult()
    due = Program.objects.filter(status=Program.Status.ACTIVE, starts_on__lte=today).filter(
        Q(evaluated_through__isnull=True) | Q(evaluated_through__lt=today)
    )
    for program_id in list(due.values_list("id", flat=True)):
        if not _claim_program(program_id, now):
            continue
        program = Program.objects.select_related("segment", "team").get(pk=program_id)
        try:
            run = evaluate_program(program=program, today=today, now=now)
        except Exception:
            Program.objects.filter(pk=program_id).update(evaluating_until=None)
            raise
        result.programs += 1
        if run is not None:
            result.planned += run.planned
            result.held_out += run.held_out
            if run.status == CareRun.Status.AWAITING:
                result.awaiting.append(run.pk)
    return result


# --- performing -------------------------------------------------------------------------------


def due_actions(*, now: datetime, limit: int) -> list[int]:
    return list(
        CareAction.objects.filter(
            state__in=[State.PLANNED, State.WAITING],
            execute_after__lte=now,
            run__status__in=[CareRun.Status.RELEASED, CareRun.Status.CONFIRMED],
            program__status__in=[Program.Status.ACTIVE, Program.Status.ARCHIVED],
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("execute_after", "id")
        .values_list("id", flat=True)[:limit]
    )


def care_execute_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Perform the actions that are due; returns how many this worker handled."""
    now = now or timezone.now()
    done = 0
    for action_id in due_actions(now=now, limit=limit):
        if action_perform(action_id=action_id, now=now) is not None:
            done += 1
    return done


def _claim(action_id: int, now: datetime) -> bool:
    return bool(
        CareAction.objects.filter(
            pk=action_id, state__in=[State.PLANNED, State.WAITING], execute_after__lte=now
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE, attempts=F("attempts") + 1)
    )


def _finish(action: CareAction, **fields) -> None:
    fields.setdefault("lease_until", None)
    for name, value in fields.items():
        setattr(action, name, value)
    CareAction.objects.filter(pk=action.pk).update(**fields)


def action_perform(*, action_id: int, now: datetime | None = None) -> CareAction | None:
    """Claim one action, check the guard now, perform it; None when not due or held by another."""
    now = now or timezone.now()
    if not _claim(action_id, now):
        return None
    with transaction.atomic():
        action = CareAction.objects.select_related("program", "customer", "run").get(pk=action_id)
        if action.state == State.WAITING:
            _follow_up(action, now)
        else:
            _perform_first(action, now)
    return action


def _perform_first(action: CareAction, now: datetime) -> None:
    program = action.program
    kind = action.kind  # as planned: an edit of the program applies from its next run
    decision = guard_check(action=action, kind=kind, now=now)
    if (
        decision.reason == CareAction.Reason.UNREACHABLE
        and program.action == Program.Action.MESSAGE_THEN_CALL
    ):
        kind = CareAction.Kind.CALL  # no channel reaches them: straight to the call
        decision = guard_check(action=action, kind=kind, now=now)
    if decision.defer_until is not None:
        _finish(action, execute_after=decision.defer_until, reason=decision.reason)
        return
    if not decision.go:
        _finish(action, state=State.SKIPPED, reason=decision.reason, executed_at=now)
        return
    if kind == CareAction.Kind.MESSAGE:
        outbox = _queue_message(action, decision)
        if program.action == Program.Action.MESSAGE_THEN_CALL:
            _finish(
                action,
                state=State.WAITING,
                reason="",
                outbox_id=outbox.pk,
                executed_at=now,
                execute_after=now + timedelta(days=program.followup_days),
            )
        else:
            _finish(action, state=State.DONE, reason="", outbox_id=outbox.pk, executed_at=now)
        return
    _create_task(action, decision, now)
    _finish(
        action, state=State.DONE, kind=CareAction.Kind.CALL, reason=decision.reason, executed_at=now
    )


def _follow_up(action: CareAction, now: datetime) -> None:
    """A message went out `followup_days` ago: no answer since → the call, under the guard."""
    answered = Interaction.objects.filter(
        customer_id=action.customer_id, direction="inbound", started_at__gte=action.executed_at
    ).exists()
    if answered:
        _finish(action, state=State.DONE, reason=CareAction.Reason.ANSWERED)
        return
    decision = guard_check(action=action, kind=CareAction.Kind.CALL, now=now)
    if decision.defer_until is not None:
        _finish(action, execute_after=decision.defer_until, reason=decision.reason)
        return
    if not decision.go:
        _finish(action, state=State.DONE, reason=decision.reason)
        return
    _create_task(action, decision, now)
    _finish(action, state=State.DONE, reason=decision.reason)


def _variables(action: CareAction, agent: User | None = None) -> dict:
    return {
        "customer_name": action.customer.name,
        "company": settings.COMPANY_NAME,
        "occasion": action.occasion,
        "program": action.program.name,
        "due_on": action.due_on.isoformat(),
        "agent_name": agent.name if agent is not None else "",
    }


def _queue_message(action: CareAction, decision):
    from rapport.channels.services.outbox import outbox_queue

    program = action.program
    variables = _variables(action)
    return outbox_queue(
        customer=action.customer,
        purpose=program.purpose,
        source="care",
        template_code=program.template_code,
        context={k: v for k, v in variables.items() if k not in ("customer_name", "company")},
        channel=decision.channel or None,
        to_address=decision.to_address or None,
        idempotency_key=f"care:{action.pk}",
        summary=_("Care program “%(program)s”: %(occasion)s")
        % {"program": program.name, "occasion": action.occasion},
    )


def render_script(action: CareAction, agent: User | None) -> str:
    program = action.program
    text = program.script_text
    if program.script_code:
        text = deps.phrase_text(program.script_code) or text or program.script_code
    variables = _variables(action, agent)
    try:
        # The phrase library writes {customer_name}; message templates write {{ customer_name }}.
        text = text.format_map(defaultdict(str, variables)) if "{{" not in text else text
        return Template(text).render(Context(variables, autoescape=False))
    except Exception:  # a script is shown as written rather than lost
        return text


def _create_task(action: CareAction, decision, now: datetime) -> CareTask:
    assignee_id = action.assignee_id
    note = ""
    if decision.ticket is not None:
        ticket = decision.ticket
        owner = ticket.assignee or next(iter(deps.supervisors_of(ticket.team)), None)
        if owner is not None:
            assignee_id = owner.pk
        note = _("Open complaint %(number)s: call by its owner.") % {"number": ticket.number}
    if assignee_id is None:  # a message that could not go out became a call: give it a slot
        ((assignee_id, call_on),) = spread_calls(
            program=action.program, count=1, start=timezone.localdate(now)
        )
        action.assignee_id, action.call_on = assignee_id, call_on
        CareAction.objects.filter(pk=action.pk).update(assignee_id=assignee_id, call_on=call_on)
    if assignee_id is None:
        raise ValueError(f"Care program {action.program_id} has no one to call")
    agent = User.objects.get(pk=assignee_id)
    from rapport.sla.sweep import escalation_delay

    delay = escalation_delay(0)
    due_on = action.call_on or timezone.localdate(now)
    task, created = CareTask.objects.get_or_create(
        action=action,
        defaults={
            "program": action.program,
            "customer": action.customer,
            "assignee": agent,
            "due_on": due_on,
            "script": render_script(action, agent),
            "escalate_at": (_start_of(due_on) + timedelta(hours=9) + delay) if delay else None,
        },
    )
    if note:
        CareAction.objects.filter(pk=action.pk).update(assignee=agent, note=note[:300])
    if created:
        from django.urls import reverse

        deps.notify(
            users=[agent],
            kind="care_alert",
            title=_("Care call: %(customer)s (%(program)s)")
            % {"customer": action.customer.name, "program": action.program.name},
            url=reverse("care:task", args=[task.pk]),
            dedupe_key=f"care_task:{task.pk}:0",
        )
    return task


# --- escalation -------------------------------------------------------------------------------


def _escalation_target(task: CareTask, level: int) -> User | None:
    role = User.Role.SUPERVISOR if level == 1 else User.Role.MANAGER
    people = User.objects.filter(is_active=True, role=role).order_by("id")
    team = task.program.team_id
    if team:
        in_team = people.filter(teams=team).first()
        if in_team:
            return in_team
    return people.first()


def care_escalate_due(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Tasks nobody acknowledged in time go up: assignee → supervisor → service manager, the
    delays of the service-level alerts (RAPPORT_SLA_ESCALATION_MINUTES). Each step is a
    conditional UPDATE on the level read, so two workers raise it once."""
    from rapport.sla.sweep import escalation_delay

    now = now or timezone.now()
    raised = []
    rows = CareTask.objects.filter(
        state=CareTask.State.OPEN, acknowledged_at__isnull=True, escalate_at__lte=now
    ).values_list("id", "escalation_level")[:limit]
    for task_id, level in list(rows):
        with transaction.atomic():
            task = CareTask.objects.select_related("program", "customer").get(pk=task_id)
            target = _escalation_target(task, level + 1)
            delay = escalation_delay(level + 1)
            won = CareTask.objects.filter(
                pk=task_id, escalation_level=level, acknowledged_at__isnull=True, state="open"
            ).update(
                escalation_level=level + 1,
                escalated_to=target,
                escalate_at=now + delay if (delay is not None and level + 1 < 2) else None,
            )
            if not won:
                continue
            raised.append(task_id)
            from django.urls import reverse

            deps.notify(
                users=[target],
                kind="care_alert",
                title=_("Unacknowledged care call for %(customer)s went up to you")
                % {"customer": task.customer.name},
                url=reverse("care:task", args=[task.pk]),
                dedupe_key=f"care_task:{task.pk}:{level + 1}",
            )
    return raised
