"""Queue a task for a row the caller is writing, so the task never runs before the row exists.

With the database task backend (django-tasks-db, the default) the task row is written in the
caller's transaction: the worker sees both at commit or neither, and a rollback takes the task
with it — one commit instead of two, for every message received and queued. The task row is
the one the backend's own `enqueue` writes (`DBTaskResult`: the backend's id, the arguments
normalised as it normalises them, `run_after` "whenever" as its pre_save handler sets it), but
written by a statement made once (rapport.core.rawsql) rather than through the ORM: the ORM
insert was a third of the CPU of answering a WeChat callback. A test compares the two rows, so
an upgrade of the backend that changes what it writes fails there. Any other backend (the
immediate backend of the tests runs the task at once) is called after the commit, as
`transaction.on_commit` does. A failure to queue is passed to `on_error` (to log), not raised:
the caller's rows are kept and a sweep finds them.
"""

import logging
from collections.abc import Callable

from django.db import connections, router, transaction

from rapport.core.rawsql import insert_row, insert_rows

logger = logging.getLogger(__name__)

_VALIDATED: set[str] = set()


def _database_backend(task, using: str):
    """The task's backend when it keeps its tasks in `using`, else None."""
    try:
        from django_tasks_db import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the backend is a dependency
        return None
    backend = task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return None
    return backend if router.db_for_write(DBTaskResult) == using else None


def task_row(task, backend, kwargs: dict):
    """The DBTaskResult `backend.enqueue(task, (), kwargs)` would write (not saved)."""
    from django_tasks_db.backend import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    if task.module_path not in _VALIDATED:
        backend.validate_task(task)
        _VALIDATED.add(task.module_path)
    return DBTaskResult(
        id=backend._get_id(),
        args_kwargs=normalize_json({"args": [], "kwargs": kwargs}),
        priority=task.priority,
        task_path=task.module_path,
        queue_name=task.queue_name,
        run_after=task.run_after or get_date_max(),
        backend_name=backend.alias,
    )


def enqueue_for_row(task, *, using: str = "default", on_error: Callable[[], None], **kwargs):
    """Queue `task(**kwargs)` for rows the caller writes in `using`'s current transaction (or
    right away outside one). `on_error` is called (in an `except` block, to log) when queueing
    fails; the caller's rows are kept, so a sweep must find them."""
    enqueue_for_rows(task, [kwargs], using=using, on_error=on_error)


def enqueue_for_rows(
    task, calls: list[dict], *, using: str = "default", on_error: Callable[[], None]
) -> None:
    """`enqueue_for_row` for several calls of one task (their keyword arguments): the task rows
    are written together, in one savepoint; `on_error` is called once if that fails."""
    if not calls:
        return
    connection = connections[using]
    backend = _database_backend(task, using) if connection.in_atomic_block else None
    if backend is not None:
        # In a savepoint, so a failed INSERT leaves the caller's transaction usable.
        try:
            with transaction.atomic(using=using):
                rows = [task_row(task, backend, kwargs) for kwargs in calls]
                if len(rows) == 1:
                    insert_row(connection, rows[0])
                else:
                    insert_rows(connection, rows)
            logger.debug("%d task(s) %s enqueued with their rows", len(rows), task.module_path)
        except Exception:
            on_error()
        return

    def enqueue() -> None:
        for kwargs in calls:
            try:
                task.enqueue(**kwargs)
            except Exception:
                on_error()

    transaction.on_commit(enqueue, using=using)
