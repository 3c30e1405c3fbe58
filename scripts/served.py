"""Serve a throw-away Rapport on 127.0.0.1 for the fuzz and load suites (no internet, bounded time).

`served(prepare=...)` makes a fresh data directory (SQLite unless DATABASE_URL is set), runs the
preparation commands, starts gunicorn through `rapport serve` on a free port, waits for it, and
stops exactly that process group afterwards.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rapport(env: dict, *args: str, capture: bool = False) -> str:
    """Run a `rapport` management command with `env`; return its stdout when captured."""
    result = subprocess.run(
        [sys.executable, "-m", "rapport.cli", *args],
        env=env,
        cwd=ROOT,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.5)


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def served(
    prepare, *, workers: int = 2, threads: int = 4, log_name: str = "server.log", env_extra=None
):
    """Yield (base_url, env, server_log) of a freshly prepared server; `prepare(env)` fills the
    database."""
    # A SIGTERM (`timeout`, CI cancelling) unwinds like Ctrl+C, so the server is stopped too.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="rapport-served-") as data_dir:
        env = {
            **os.environ,
            "RAPPORT_DATA_DIR": data_dir,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "DEBUG": "0",
            **(env_extra or {}),
        }
        env.pop("SQLITE_PATH", None)
        prepare(env)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = Path(os.environ.get("RAPPORT_SERVED_LOG_DIR", data_dir)) / log_name
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "rapport.cli",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                wait_for(f"{base}/api/v1/openapi.json")
                yield base, env, log_path
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait(timeout=10)
