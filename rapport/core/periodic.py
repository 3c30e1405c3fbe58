"""Periodic sweeps run by every `rapport worker`.

Modules register a function with an interval. Each worker runs a small scheduler thread; the
claim on a run is a conditional UPDATE on PeriodicRun, so with many workers on many machines each
sweep still runs once per interval.
"""

import importlib
import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    func: Callable[[], object]


_registry: dict[str, PeriodicJob] = {}


def register(name: str, every: timedelta) -> Callable:
    def decorator(func: Callable[[], object]) -> Callable[[], object]:
        _registry[name] = PeriodicJob(name=name, every=every, func=func)
        return func

    return decorator


def registered_jobs() -> dict[str, PeriodicJob]:
    return dict(_registry)


def claim(job: PeriodicJob, now=None) -> bool:
    """True if this process won the right to run `job` now (exactly one process does)."""
    from rapport.core.models import PeriodicRun

    now = now or timezone.now()
    PeriodicRun.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    won = PeriodicRun.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + job.every, last_started_at=now
    )
    return won == 1


def run_due_jobs(now=None) -> list[str]:
    ran = []
    for job in registered_jobs().values():
        if claim(job, now):
            try:
                job.func()
                ran.append(job.name)
            except Exception:
                logger.exception("Periodic job %s failed", job.name)
    return ran


def _loop(tick: float) -> None:
    from django.apps import apps

    for config in apps.get_app_configs():  # modules register their jobs in their periodic.py
        if importlib.util.find_spec(f"{config.name}.periodic") is not None:
            importlib.import_module(f"{config.name}.periodic")
    while True:
        try:
            run_due_jobs()
        except Exception:
            logger.exception("Periodic scheduler tick failed")
        finally:
            close_old_connections()
        time.sleep(tick)


def start_scheduler(tick: float = 5.0) -> threading.Thread:
    thread = threading.Thread(target=_loop, args=(tick,), name="rapport-periodic", daemon=True)
    thread.start()
    return thread


@register("core.tasks_requeue_stale", every=timedelta(minutes=1))
def requeue_stale_tasks() -> int:
    """Tasks whose worker was lost run again (rapport.core.task_leases)."""
    from rapport.core.task_leases import tasks_requeue_stale

    return tasks_requeue_stale()


@register("core.db_statistics", every=timedelta(hours=6))
def refresh_db_statistics() -> bool:
    """Planner statistics kept present and current (rapport.core.dbstats)."""
    from rapport.core.dbstats import refresh_statistics

    return refresh_statistics()
