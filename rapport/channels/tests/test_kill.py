"""A worker killed with SIGKILL in the middle of sending loses and duplicates nothing."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

import rapport

ROOT = Path(rapport.__file__).resolve().parents[1]
N = 30


def _env(tmp_path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "rapport.settings"}
    env["TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"  # the worker is the sweep
    if connection.vendor == "sqlite":
        # The test database lives in memory: copy it (migrated, with the shipped rows) to a file
        # the worker processes can open.
        path = tmp_path / "kill.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(path)
    else:
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return env


def _run(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "rapport.channels.tests.outbox_worker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_loses_and_duplicates_nothing(tmp_path):
    env = _env(tmp_path)
    _run(env, "setup", str(N))
    worker = subprocess.Popen(
        [sys.executable, "-m", "rapport.channels.tests.outbox_worker", "send"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for _ in range(10):
            assert worker.stdout.readline().startswith("sent"), "the worker stopped early"
        os.kill(worker.pid, signal.SIGKILL)  # just after the provider took the 10th message
    finally:
        worker.kill()
        worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    at_kill = json.loads(_run(env, "count"))
    assert at_kill["states"].get("sending") == 1, at_kill  # died holding one message
    assert at_kill["states"].get("sent", 0) == 9 and at_kill["fake_rows"] == 10

    _run(env, "sweep")
    final = json.loads(_run(env, "count"))
    assert final["states"] == {"sent": N}, final  # 0 lost
    assert final["fake_rows"] == final["fake_keys"] == N  # 0 duplicated at the provider
    assert final["fake_calls"] == N + 1  # the one in flight was offered again, same key
    assert final["messages"] == final["interactions"] == N  # one record each on the timeline
