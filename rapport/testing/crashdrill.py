"""The child side of the kill -9 drills (rapport/web/tests/test_kill_drills.py).

    python -m rapport.testing.crashdrill JOB [--pace SECONDS] [--mail PATH] [--rerun]

runs one periodic sweep or the task worker against the database named by DATABASE_URL (or
SQLITE_PATH) and prints `item` after each unit of work, so the test can kill it mid-way. `--pace`
slows each item down so a kill lands inside the sweep. E-mail "delivered" is appended, one JSON
line per message with its Message-ID, to the file `--mail` (fsync'd: what a mail server accepted
stays accepted). `--rerun` is the next worker after the kill: it also runs the sweeps that pick
up what a dead worker left (task leases, unsent alerts, waiting deliveries).
"""

import argparse
import contextlib
import faulthandler
import json
import os
import signal
import sys
import time
from datetime import timedelta


def _progress() -> None:
    sys.stdout.write("item\n")
    sys.stdout.flush()


def _paced(func, pace: float):
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        _progress()
        if pace:
            time.sleep(pace)
        return result

    return wrapper


class _PacedTransactions:
    """Stands in for django.db.transaction in a sweep module whose loop opens one transaction
    per item: reports each item after its commit, then waits, so the wait holds no lock."""

    def __init__(self, pace: float):
        self.pace = pace

    @contextlib.contextmanager
    def atomic(self, *args, **kwargs):
        from django.db import transaction

        with transaction.atomic(*args, **kwargs):
            yield
        _progress()
        if self.pace:
            time.sleep(self.pace)


def _mailbox(path: str, pace: float):
    def send_mail(subject, body, sender, recipients, headers=None, **kwargs):
        line = {"to": list(recipients), "subject": subject, "id": (headers or {}).get("Message-ID")}
        with open(path, "a", encoding="utf-8") as box:
            box.write(json.dumps(line, ensure_ascii=False) + "\n")
            box.flush()
            os.fsync(box.fileno())
        _progress()
        if pace:
            time.sleep(pace)
        return 1

    return send_mail


def _worker_batch() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"drill-{os.getpid()}",
        excluded_queue_names=[],
    ).run()


def surveys(args) -> None:
    """The closed-ticket sweep; deliveries (into the outbox) run inline (immediate tasks)."""
    from django.utils import timezone

    from rapport.surveys import periodic

    periodic.transaction = _PacedTransactions(args.pace)
    if args.via_worker:  # the real `rapport worker`: scheduler thread plus task loop
        from django.core.management import call_command

        call_command("worker", interval=0.2)
        return
    periodic.surveys_sweep_closed_tickets()
    if args.rerun:
        periodic.surveys_retry_deliveries(now=timezone.now() + timedelta(minutes=11))


def retry_deliveries(args) -> None:
    """Deliveries left waiting, queued again and run inline (immediate task backend)."""
    from rapport.surveys import periodic, tasks

    tasks.survey_deliver = _paced(tasks.survey_deliver, args.pace)
    periodic.surveys_retry_deliveries()


def auto_close(args) -> None:
    from rapport.tickets import services as ticket_services

    ticket_services._revisit_task = _paced(ticket_services._revisit_task, args.pace)
    while ticket_services.tickets_auto_close_due():
        pass


def sla_sweep(args) -> None:
    from rapport.sla import sweep

    sweep._announce = _paced(sweep._announce, args.pace)
    sweep.sla_sweep()


def sla_notify(args) -> None:
    """The task worker sending alert e-mails (django-tasks-db)."""
    from django.utils import timezone

    from rapport.sla import tasks

    tasks.send_mail = _mailbox(args.mail, args.pace)
    if args.rerun:
        from rapport.core.task_leases import task_lease, tasks_requeue_stale
        from rapport.sla.sweep import sla_alerts_resend_unsent

        time.sleep(task_lease().total_seconds() + 0.2)
        tasks_requeue_stale()
        sla_alerts_resend_unsent(now=timezone.now() + timedelta(minutes=10))
    _worker_batch()


def recompute(args) -> None:
    from rapport.sla import recompute as module

    module._recompute = _paced(module._recompute, args.pace)
    module.sla_recompute_for_calendars()


def care_execute(args) -> None:
    """The care actions due, each claimed, checked by the guard and performed in one transaction
    (rapport.care.engine); `--rerun` looks past the leases a killed worker left."""
    from django.utils import timezone

    from rapport.care import engine

    engine.action_perform = _paced(engine.action_perform, args.pace)
    now = timezone.now() + (engine.LEASE + timedelta(minutes=1) if args.rerun else timedelta(0))
    while engine.care_execute_due(now=now, limit=50):
        pass


def care_evaluate(args) -> None:
    """The daily evaluation of every active program, one transaction per program."""
    from rapport.care import engine

    engine.evaluate_program = _paced(engine.evaluate_program, args.pace)
    if args.rerun:
        from rapport.care.models import Program

        Program.objects.update(evaluating_until=None)  # the killed worker's claim
    engine.care_evaluate()


JOBS = {
    f.__name__: f
    for f in (
        surveys,
        retry_deliveries,
        auto_close,
        sla_sweep,
        sla_notify,
        recompute,
        care_execute,
        care_evaluate,
    )
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--pace", type=float, default=0.0)
    parser.add_argument("--mail", default=os.devnull)
    parser.add_argument("--rerun", action="store_true")
    parser.add_argument("--via-worker", action="store_true")
    args = parser.parse_args(argv)
    # A drill that does not stop shows where each thread is (the test sends SIGUSR1 first).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    import django

    django.setup()
    JOBS[args.job](args)
    sys.stdout.write("done\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
