"""Kill -9 drills (issue 15): a worker killed in the middle of every periodic sweep and of a
sending task, then started again, loses nothing and duplicates nothing — on SQLite and on
PostgreSQL (run the suite with DATABASE_URL for the second).

Each drill prepares rows here, hands the database to a child process
(rapport/testing/crashdrill.py; SQLite: a copy of the test database in a file, PostgreSQL: the
test database itself), kills the child once it has done part of the work, checks that the kill
landed mid-way, runs a fresh child to the end and counts. The web-process drill is in
test_kill_web.py.

Sweeps without a drill, and why none is needed: `interactions.idempotency_purge` is one DELETE
(all or nothing); `sla.resend_unsent` and `core.tasks_requeue_stale` only queue tasks or flip a
row with a conditional UPDATE, and run in the reruns below (sla_notify).
"""

import json
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from rapport.customers.models import Identity
from rapport.customers.tests.factories import CustomerFactory
from rapport.tickets.models import Ticket, TicketEvent
from rapport.tickets.tests.factories import open_ticket

pytestmark = [pytest.mark.crash, pytest.mark.django_db(transaction=True)]

N = 8  # items per drill
KILL_AFTER = 4
PACE = "0.15"
CHILD_TIMEOUT = 60  # a bound, not a budget: a drill takes a few seconds on an idle machine


class Database:
    """The test database as a child process sees it."""

    def __init__(self, tmp_path: Path):
        self.vendor = connection.vendor
        self.file = tmp_path / "drill.sqlite3"

    def env(self, **extra) -> dict:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rapport.settings", **extra}
        if self.vendor == "sqlite":
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(self.file)
        else:
            s = connection.settings_dict
            env["DATABASE_URL"] = (
                f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:"
                f"{s['PORT'] or 5432}/{s['NAME']}"
            )
        return env

    def hand_over(self) -> None:
        """Give the child what this process wrote (SQLite: the in-memory test database)."""
        if self.vendor == "sqlite":
            self.file.unlink(missing_ok=True)
            connection.ensure_connection()
            with sqlite3.connect(self.file) as target:
                connection.connection.backup(target)

    def take_back(self) -> None:
        """See what the child wrote."""
        if self.vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(self.file) as source:
                source.backup(connection.connection)


@pytest.fixture
def database(tmp_path):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("SQLite and PostgreSQL only")
    return Database(tmp_path)


def run_child(database, job, *args, kill_after=None, sig=signal.SIGKILL, env=None) -> int:
    """Run the drill child; with `kill_after`, send `sig` once it reported that many items.
    Returns the items it reported."""
    command = [sys.executable, "-m", "rapport.testing.crashdrill", job, *args]
    child = subprocess.Popen(
        command,
        env=database.env(**(env or {})),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    items, done = 0, False
    deadline = time.monotonic() + CHILD_TIMEOUT
    with selectors.DefaultSelector() as waiting:
        waiting.register(child.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not waiting.select(timeout=1):
                continue
            line = child.stdout.readline()
            if not line:
                break
            items += line == "item\n"
            done = done or line == "done\n"
            if kill_after is not None and items >= kill_after:
                child.send_signal(sig)
                break
    try:
        child.wait(timeout=30)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGUSR1)  # each thread's stack, on stderr
        time.sleep(1)
        child.kill()
        child.wait()
        pytest.fail(f"{job} did not stop: {child.stderr.read()[-6000:]}")
    if kill_after is None:
        assert done, f"{job} did not finish: {child.stderr.read()[-3000:]}"
    else:
        assert items >= kill_after, f"{job} died early: {child.stderr.read()[-3000:]}"
        assert sig != signal.SIGKILL or child.returncode == -signal.SIGKILL
    return items


def mailbox(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _invitations() -> list[str]:
    from rapport.channels.models import OutboxMessage

    rows = OutboxMessage.objects.filter(source="survey_invitation")
    return sorted(rows.values_list("idempotency_key", flat=True))


def _customer(i: int):
    customer = CustomerFactory(name=f"演练客户{i}")
    Identity.objects.create(customer=customer, kind="email", value=f"drill{i}@example.cn")
    return customer


# --- the closed-ticket survey sweep ------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_a_survey_sweep_killed_midway_sends_every_survey_once(agent, database, tmp_path, sig):
    from rapport.surveys.models import SurveySend

    tickets = [open_ticket(agent, _customer(i)) for i in range(N)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        status="closed", is_open=False, closed_at=timezone.now() - timedelta(minutes=5)
    )
    database.hand_over()
    box = tmp_path / "mail.jsonl"
    mail = ["--mail", str(box)]
    immediate = {"TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    if sig == signal.SIGTERM:
        # What a deploy sends to `rapport worker`: the sweep runs in its scheduler thread, the
        # deliveries in its task loop.
        # A stopped worker finishes the task in hand before it exits, and the sweep thread
        # runs meanwhile: slower items keep the stop in the middle of the sweep.
        run_child(database, "surveys", "--pace", "1.5", *mail, "--via-worker",
                  kill_after=2, sig=sig)  # fmt: skip
    else:
        run_child(database, "surveys", "--pace", PACE, *mail, kill_after=KILL_AFTER, env=immediate)

    database.take_back()
    assert 0 < SurveySend.objects.count() < N  # killed mid-way, with work left
    run_child(database, "surveys", "--rerun", *mail, env=immediate)

    database.take_back()
    sends = SurveySend.objects.all()
    assert sorted(sends.values_list("ticket_id", flat=True)) == sorted(t.pk for t in tickets)
    assert set(sends.values_list("status", flat=True)) == {"sent"}
    # Each link queued in the outbox once, in the transaction that marked its send sent (the
    # outbox then sends with its own leases).
    assert _invitations() == sorted(f"survey_invitation:{s.pk}" for s in sends)


def test_a_delivery_retry_killed_midway_delivers_each_survey_once(
    agent, database, tmp_path, monkeypatch
):
    from rapport.surveys import hooks
    from rapport.surveys import services as survey_services
    from rapport.surveys.models import SurveySend

    tickets = [open_ticket(agent, _customer(i)) for i in range(N)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        status="closed", is_open=False, closed_at=timezone.now() - timedelta(minutes=5)
    )
    with monkeypatch.context() as patched:
        patched.setattr(survey_services, "_enqueue_delivery", lambda send_id: None)  # lost
        for ticket in tickets:
            hooks.survey_send_for_ticket_closed(ticket_id=ticket.pk)
    SurveySend.objects.update(created_at=timezone.now() - timedelta(minutes=15))
    assert SurveySend.objects.filter(status="pending").count() == N
    database.hand_over()
    box = tmp_path / "mail.jsonl"
    immediate = {"TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    run_child(
        database, "retry_deliveries", "--pace", PACE, "--mail", str(box),
        kill_after=KILL_AFTER, env=immediate,
    )  # fmt: skip

    database.take_back()
    assert 0 < SurveySend.objects.filter(status="sent").count() < N
    run_child(database, "retry_deliveries", "--mail", str(box), env=immediate)

    database.take_back()
    assert set(SurveySend.objects.values_list("status", flat=True)) == {"sent"}
    assert _invitations() == sorted(f"survey_invitation:{s.pk}" for s in SurveySend.objects.all())


# --- auto-closing resolved tickets --------------------------------------------------------------


def test_auto_close_killed_midway_closes_each_ticket_once_with_one_event(agent, database):
    from rapport.interactions.models import FollowUpTask

    tickets = [open_ticket(agent) for _i in range(N)]
    ids = [t.pk for t in tickets]
    Ticket.objects.filter(pk__in=ids).update(
        status="resolved", resolved_at=timezone.now() - timedelta(days=30)
    )
    tasks_before = FollowUpTask.objects.count()
    database.hand_over()
    run_child(database, "auto_close", "--pace", PACE, kill_after=KILL_AFTER)

    database.take_back()
    assert 0 < Ticket.objects.filter(pk__in=ids, status="closed").count() < N
    run_child(database, "auto_close")

    database.take_back()
    assert set(Ticket.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"closed"}
    events = TicketEvent.objects.filter(ticket_id__in=ids, action="auto_close")
    assert sorted(events.values_list("ticket_id", flat=True)) == sorted(ids)
    assert FollowUpTask.objects.count() - tasks_before == N  # one revisit each


# --- the service-level sweep --------------------------------------------------------------------


def _overdue_clocks(agent) -> list[int]:
    from rapport.sla.models import ServiceClock

    tickets = [open_ticket(agent) for _i in range(N)]
    now = timezone.now()
    clocks = ServiceClock.objects.filter(ticket__in=tickets, kind="resolution")
    clocks.update(
        warn_at=now - timedelta(hours=2),
        due_at=now - timedelta(hours=1),
        next_check_at=now - timedelta(hours=2),
    )
    return list(clocks.values_list("pk", flat=True))


def test_the_sla_sweep_killed_midway_raises_each_warning_and_breach_once(agent, database):
    from rapport.sla.models import SlaAlert

    clock_ids = _overdue_clocks(agent)
    database.hand_over()
    run_child(database, "sla_sweep", "--pace", PACE, kill_after=KILL_AFTER)

    database.take_back()
    assert 0 < SlaAlert.objects.filter(clock_id__in=clock_ids).count() < 2 * N
    run_child(database, "sla_sweep")

    database.take_back()
    alerts = SlaAlert.objects.filter(clock_id__in=clock_ids, level=0)
    assert sorted(alerts.values_list("clock_id", "kind")) == sorted(
        (c, k) for c in clock_ids for k in ("at_risk", "breached")
    )


# --- the task worker sending alert e-mails ------------------------------------------------------


def test_a_worker_killed_while_sending_alert_emails_loses_none(agent, database, tmp_path, settings):
    from django_tasks_db.models import DBTaskResult

    from rapport.sla.models import SlaAlert
    from rapport.sla.sweep import sla_sweep
    from rapport.sla.tasks import alert_message_id

    agent.email = "agent@rapport.example"
    agent.save(update_fields=["email"])
    clock_ids = _overdue_clocks(agent)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sla_sweep()  # each alert queues its e-mail task
    alerts = list(SlaAlert.objects.filter(clock_id__in=clock_ids))
    assert len(alerts) == 2 * N and DBTaskResult.objects.filter(status="READY").count() == 2 * N
    database.hand_over()
    box = tmp_path / "mail.jsonl"
    lease = {"RAPPORT_TASK_LEASE_SECONDS": "1"}
    run_child(
        database,
        "sla_notify",
        "--pace",
        PACE,
        "--mail",
        str(box),
        kill_after=KILL_AFTER,
        env=lease,
    )

    database.take_back()
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 1  # lost with its worker
    assert 0 < len(mailbox(box)) < 2 * N
    run_child(database, "sla_notify", "--rerun", "--mail", str(box), env=lease)

    database.take_back()
    sent = mailbox(box)
    assert {m["id"] for m in sent} == {alert_message_id(a) for a in alerts}  # none lost
    assert len(sent) <= 2 * N + 1  # the one in flight at the kill at most twice, same Message-ID
    assert not SlaAlert.objects.filter(clock_id__in=clock_ids, emailed_at=None).exists()
    assert not DBTaskResult.objects.filter(status__in=["RUNNING", "READY"]).exists()


# --- clocks following a calendar change ---------------------------------------------------------


def test_a_recompute_killed_midway_moves_each_clock_once_with_one_timeline_entry(agent, database):
    from rapport.core.calendar.services import calendar_exception_add
    from rapport.core.models import BusinessCalendar
    from rapport.sla.models import ServiceClock, SlaPolicy

    office = BusinessCalendar.objects.get(is_default=True)
    SlaPolicy.objects.create(
        name="演练 16 工时",
        calendar=office,
        ticket_kind="complaint",
        resolution_seconds=16 * 3600,
        precedence=1,
    )
    tickets = [open_ticket(agent) for _i in range(N)]
    ids = [t.pk for t in tickets]
    clocks = ServiceClock.objects.filter(ticket_id__in=ids, kind="resolution")
    due_days = {timezone.localtime(d).date() for d in clocks.values_list("due_at", flat=True)}
    for day in due_days:
        calendar_exception_add(calendar=office, date=day, kind="holiday", name="演练假日")
    database.hand_over()
    run_child(database, "recompute", "--pace", PACE, kill_after=KILL_AFTER)

    database.take_back()
    moved = TicketEvent.objects.filter(ticket_id__in=ids, action="due_moved")
    assert 0 < moved.count() < N
    run_child(database, "recompute")

    database.take_back()
    office.refresh_from_db()
    assert sorted(moved.values_list("ticket_id", flat=True)) == sorted(ids)
    assert set(clocks.values_list("calendar_version", flat=True)) == {office.updated_at}
    assert not any(
        timezone.localtime(d).date() in due_days for d in clocks.values_list("due_at", flat=True)
    )
