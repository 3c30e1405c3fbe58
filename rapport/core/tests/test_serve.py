"""`rapport serve` is gunicorn itself: SIGTERM stops it and frees the port."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.crash


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    """Any HTTP answer counts (the database is not even migrated): gunicorn is listening."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def test_sigterm_stops_gunicorn_and_frees_the_port(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "SQLITE_PATH": str(tmp_path / "serve.sqlite3"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    manage = Path(__file__).resolve().parents[3] / "manage.py"
    server = subprocess.Popen(
        [
            sys.executable,
            str(manage),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-collectstatic",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/robots.txt"
        deadline = time.monotonic() + 60
        while not _answers(url):
            assert server.poll() is None, "serve exited before answering"
            assert time.monotonic() < deadline, "serve never answered"
            time.sleep(0.3)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        with socket.socket() as s:  # no listener is left holding the port (as gunicorn binds)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    finally:
        if server.poll() is None:
            server.kill()
