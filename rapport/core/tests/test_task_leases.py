"""Issue 15 #3: a task whose worker died (SIGKILL, out of memory, a lost machine) runs again once
its lease has expired; one that failed for a passing reason (the mail server down) is retried
with a growing delay; neither forever."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rapport.core.task_leases import MAX_ATTEMPTS, tasks_requeue_stale

pytestmark = pytest.mark.django_db


def _task(status, *, started_ago=None, finished_ago=None, attempts=1, exception=""):
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="rapport.sla.tasks.sla_alert_notify",
        backend_name="default",
        run_after=now,
        started_at=now - started_ago if started_ago is not None else None,
        finished_at=now - finished_ago if finished_ago is not None else None,
        worker_ids=[f"w{i}" for i in range(attempts)],
        exception_class_path=exception,
    )


def test_a_task_whose_worker_died_runs_again_after_its_lease(settings):
    settings.RAPPORT_TASK_LEASE_SECONDS = 300
    lost = _task("RUNNING", started_ago=timedelta(minutes=6))
    running = _task("RUNNING", started_ago=timedelta(minutes=1))
    done = _task("SUCCESSFUL", started_ago=timedelta(hours=1), finished_ago=timedelta(hours=1))

    assert tasks_requeue_stale() == 1

    lost.refresh_from_db()
    assert lost.status == "READY" and lost.started_at is None
    assert DBTaskResult.objects.get(pk=running.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=done.pk).status == "SUCCESSFUL"
    assert tasks_requeue_stale() == 0


def test_a_task_that_failed_for_a_passing_reason_is_retried_later(settings):
    settings.RAPPORT_TASK_LEASE_SECONDS = 300
    smtp = _task(
        "FAILED", finished_ago=timedelta(minutes=3), exception="smtplib.SMTPServerDisconnected"
    )
    fresh = _task("FAILED", finished_ago=timedelta(seconds=5), exception="ConnectionRefusedError")
    bug = _task("FAILED", finished_ago=timedelta(hours=1), exception="builtins.KeyError")

    assert tasks_requeue_stale() == 1

    assert DBTaskResult.objects.get(pk=smtp.pk).status == "READY"
    assert DBTaskResult.objects.get(pk=fresh.pk).status == "FAILED"  # waits a little first
    assert DBTaskResult.objects.get(pk=bug.pk).status == "FAILED"  # a bug does not heal itself


def test_a_task_that_keeps_killing_its_worker_is_given_up(settings):
    settings.RAPPORT_TASK_LEASE_SECONDS = 300
    poison = _task("RUNNING", started_ago=timedelta(minutes=6), attempts=MAX_ATTEMPTS)

    assert tasks_requeue_stale() == 0

    poison.refresh_from_db()
    assert poison.status == "FAILED" and "lease" in poison.traceback
