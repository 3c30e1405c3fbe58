"""Exactly once under concurrency: two workers at once, and a worker killed with SIGKILL midway
then started again — on SQLite and on PostgreSQL (run with DATABASE_URL for the second).

The child processes are `python -m rapport.testing.crashdrill care_execute|care_evaluate`
against the test database (SQLite: a copy in a file, handed over and taken back).
"""

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

from rapport.care.models import CareAction, CareRun, CareTask, Program
from rapport.channels.models import OutboxMessage

from .conftest import policy_customer

pytestmark = [pytest.mark.crash, pytest.mark.django_db(transaction=True)]
N = 8
CHILD_TIMEOUT = 90


class Database:
    def __init__(self, tmp_path: Path):
        self.vendor = connection.vendor
        self.file = tmp_path / "care-drill.sqlite3"

    def env(self) -> dict:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rapport.settings"}
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
        if self.vendor == "sqlite":
            self.file.unlink(missing_ok=True)
            connection.ensure_connection()
            with sqlite3.connect(self.file) as target:
                connection.connection.backup(target)

    def take_back(self) -> None:
        if self.vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(self.file) as source:
                source.backup(connection.connection)


@pytest.fixture
def database(tmp_path):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("SQLite and PostgreSQL only")
    return Database(tmp_path)


def start(database, job, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "rapport.testing.crashdrill", job, *args],
        env=database.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def follow(child, *, kill_after=None) -> int:
    """Read the child's progress; SIGKILL it after `kill_after` items. Returns the items."""
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
                child.send_signal(signal.SIGKILL)
                break
    child.wait(timeout=30)
    if kill_after is None:
        assert done, child.stderr.read()[-3000:]
    else:
        assert child.returncode == -signal.SIGKILL, child.stderr.read()[-3000:]
    return items


def _message_program(program, template):
    Program.objects.filter(pk=program.pk).update(action="message", template_code=template.code)


def _due(n, **fields):
    return [
        policy_customer(
            timezone.localdate() + timedelta(days=30), email=f"drill{i}@example.cn", **fields
        )
        for i in range(n)
    ]


def _assert_each_once():
    actions = CareAction.objects.exclude(state="holdout")
    assert set(actions.values_list("state", flat=True)) == {"done"}
    keys = list(
        OutboxMessage.objects.filter(source="care").values_list("idempotency_key", flat=True)
    )
    assert sorted(keys) == sorted(f"care:{a}" for a in actions.values_list("id", flat=True))


def test_two_workers_at_once_send_each_message_once(
    renewal_program, care_template, email_account, no_quiet_hours, database
):
    from rapport.care.engine import care_evaluate

    _message_program(renewal_program, care_template)
    _due(N)
    care_evaluate()
    database.hand_over()
    children = [start(database, "care_execute", "--pace", "0.05") for _ in range(2)]
    for child in children:
        follow(child)
    database.take_back()
    assert OutboxMessage.objects.filter(source="care").count() == N
    _assert_each_once()


def test_a_worker_killed_midway_loses_and_duplicates_nothing(
    renewal_program, care_template, email_account, no_quiet_hours, database
):
    from rapport.care.engine import care_evaluate

    _message_program(renewal_program, care_template)
    _due(N)
    care_evaluate()
    database.hand_over()
    follow(start(database, "care_execute", "--pace", "0.3"), kill_after=3)
    database.take_back()
    done = CareAction.objects.filter(state="done").count()
    assert 3 <= done < N  # killed with work left
    follow(start(database, "care_execute", "--rerun"))
    database.take_back()
    _assert_each_once()


def test_call_tasks_once_after_a_kill(renewal_program, database):
    from rapport.care.engine import care_evaluate

    _due(N)
    care_evaluate()
    database.hand_over()
    follow(start(database, "care_execute", "--pace", "0.3"), kill_after=2)
    follow(start(database, "care_execute", "--rerun"))
    database.take_back()
    assert CareTask.objects.count() == N
    assert set(CareAction.objects.values_list("state", flat=True)) == {"done"}


def test_an_evaluation_killed_midway_plans_each_occurrence_once(
    renewal_program, everyone, team, database
):
    for i in range(2):
        Program.objects.create(
            name=f"演练计划{i}", segment=everyone, team=team, trigger="policy_expiry",
            offset_days=-30, action="call", script_text="您好", holdout_percent=0,
            status="active", starts_on=timezone.localdate(),
        )  # fmt: skip
    _due(4)
    database.hand_over()
    follow(start(database, "care_evaluate", "--pace", "0.5"), kill_after=1)
    database.take_back()
    assert 1 <= CareRun.objects.count() < 3
    follow(start(database, "care_evaluate", "--rerun"))
    database.take_back()
    assert CareRun.objects.count() == 3
    assert CareAction.objects.count() == 3 * 4
