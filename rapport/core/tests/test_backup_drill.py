"""The backup-and-restore drill of the README, end to end on SQLite: `rapport backup` while
another connection keeps writing, restore into a fresh data directory, `migrate --check`, and
every table's row count equal to the counts taken at the backup point."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
        reason="the SQLite drill; PostgreSQL is backed up with pg_dump",
    ),
]

ROOT = Path(__file__).resolve().parents[3]


def _rapport(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DATABASE_URL": "", "PYTHONPATH": str(ROOT), **env}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "rapport.cli", *args],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


class Writer(threading.Thread):
    """Commits, until stopped, transactions that each add one group and one session: a copy
    that holds one without the other has caught a transaction half-way."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.commits = 0
        self.error: Exception | None = None

    def run(self):
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=20)
            conn.execute("PRAGMA journal_mode=WAL")
            expires = datetime(2100, 1, 1, tzinfo=UTC).isoformat()
            while not self.stop.is_set():
                n = self.commits
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO auth_group (name) VALUES (?)", (f"drill-{n}",))
                conn.execute(
                    "INSERT INTO django_session (session_key, session_data, expire_date) "
                    "VALUES (?, '', ?)",
                    (f"drill{n:032d}", expires),
                )
                conn.execute("COMMIT")
                self.commits += 1
                time.sleep(0.002)
            conn.close()
        except Exception as exc:  # reported by the test
            self.error = exc


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def test_backup_while_writing_restores_every_table_with_its_counts(tmp_path, transactional_db):
    # The live database: a file copy of the migrated test database, taken outside a test
    # transaction (an online backup waits for ever on its own connection's open transaction).
    live_dir = tmp_path / "live"
    live_dir.mkdir()
    live = live_dir / "rapport.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(live)
    connection.connection.backup(target)
    target.close()

    writer = Writer(live)
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while writer.commits < 20 and time.monotonic() < deadline and writer.error is None:
            time.sleep(0.05)
        assert writer.commits >= 20, writer.error

        backup = tmp_path / "backups" / "rapport-backup.sqlite3"
        result = _rapport("backup", str(backup), SQLITE_PATH=str(live))
        assert result.returncode == 0, result.stderr
        at_backup = json.loads(result.stdout.strip().splitlines()[-1])

        commits_at_backup = writer.commits
        deadline = time.monotonic() + 30
        while writer.commits < commits_at_backup + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error

    # Restore: the copy becomes the database of a fresh data directory.
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copyfile(backup, fresh / "rapport.sqlite3")
    check = _rapport("migrate", "--check", RAPPORT_DATA_DIR=str(fresh))
    assert check.returncode == 0, check.stdout + check.stderr

    restored = _counts(fresh / "rapport.sqlite3")
    assert restored == at_backup
    assert len(restored) > 50  # every table, not a handful
    # Whole transactions only: each drill group came with its session.
    restored_drill = _drill_rows(fresh / "rapport.sqlite3")
    assert restored_drill[0] == restored_drill[1] >= 20
    # Writes went on after the backup point, and none of them is in the copy.
    live_drill = _drill_rows(live)
    assert live_drill[0] == live_drill[1] == writer.commits > restored_drill[0]


def _drill_rows(path: Path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        groups = conn.execute("SELECT COUNT(*) FROM auth_group WHERE name LIKE 'drill-%'")
        sessions = conn.execute(
            "SELECT COUNT(*) FROM django_session WHERE session_key LIKE 'drill%'"
        )
        return groups.fetchone()[0], sessions.fetchone()[0]
    finally:
        conn.close()
