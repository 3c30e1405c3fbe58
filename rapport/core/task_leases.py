"""Leases on background tasks (django-tasks-db), so no task is lost with its worker.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL or FAILED when it
ends; a worker killed in between (SIGKILL, out of memory, a lost machine) leaves it RUNNING for
ever. Every `rapport worker` runs `tasks_requeue_stale` (rapport.core.periodic): a task RUNNING
for longer than its lease (`RAPPORT_TASK_LEASE_SECONDS`) is made READY again, and a task that
FAILED for a passing reason (the mail server or the database away, a worker stopped twice) is
retried after a delay growing with its attempts. After `MAX_ATTEMPTS` claims it is given up.

Every task must therefore be idempotent and finish well within the lease: it re-reads its rows
by id and claims its own work with a conditional UPDATE (see rapport.sla.tasks).
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

MAX_ATTEMPTS = 5
RETRY_DELAY = timedelta(minutes=1)  # times the attempts so far
# Failures that say nothing about the task itself; anything else is a bug and stays FAILED.
PASSING_FAILURES = {
    "builtins.ConnectionError",
    "builtins.ConnectionRefusedError",
    "builtins.ConnectionResetError",
    "builtins.ConnectionAbortedError",
    "builtins.BrokenPipeError",
    "builtins.TimeoutError",
    "builtins.OSError",
    "builtins.SystemExit",  # a worker told twice to stop ends its task this way
    "builtins.KeyboardInterrupt",
    "socket.gaierror",
    "socket.timeout",
    "smtplib.SMTPException",
    "smtplib.SMTPServerDisconnected",
    "smtplib.SMTPConnectError",
    "smtplib.SMTPSenderRefused",
    "smtplib.SMTPDataError",
    "smtplib.SMTPHeloError",
    "smtplib.SMTPNotSupportedError",
    "smtplib.SMTPResponseException",
    "django.db.utils.OperationalError",
    "django.db.utils.InterfaceError",
}

RUNNING, READY, FAILED = "RUNNING", "READY", "FAILED"


def task_lease() -> timedelta:
    return timedelta(seconds=settings.RAPPORT_TASK_LEASE_SECONDS)


def tasks_requeue_stale(*, now=None, limit: int = 500) -> int:
    """Make READY again the tasks whose worker was lost and those failed for a passing reason;
    returns how many. Each is a conditional UPDATE on the row as read, so two workers running
    this at once requeue a task once."""
    now = now or timezone.now()
    requeued = 0
    stale = DBTaskResult.objects.filter(status=RUNNING, started_at__lt=now - task_lease())
    for pk, started_at, workers in stale.values_list("pk", "started_at", "worker_ids")[:limit]:
        row = DBTaskResult.objects.filter(pk=pk, status=RUNNING, started_at=started_at)
        if len(workers) >= MAX_ATTEMPTS:
            row.update(
                status=FAILED,
                finished_at=now,
                exception_class_path="rapport.core.task_leases.LeaseExpired",
                traceback=f"Its worker was lost {len(workers)} times (lease expired); given up.",
            )
        else:
            requeued += row.update(status=READY, started_at=None)
    failed = DBTaskResult.objects.filter(
        status=FAILED,
        exception_class_path__in=PASSING_FAILURES,
        finished_at__gt=now - timedelta(days=1),
    )
    for pk, finished_at, workers in failed.values_list("pk", "finished_at", "worker_ids")[:limit]:
        if len(workers) >= MAX_ATTEMPTS or finished_at > now - RETRY_DELAY * len(workers):
            continue
        requeued += DBTaskResult.objects.filter(
            pk=pk, status=FAILED, finished_at=finished_at
        ).update(status=READY, finished_at=None)
    return requeued
