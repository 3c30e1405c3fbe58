"""Kill -9 of the web processes in the middle of ticket transitions (issue 15): no status change
without its timeline event, no event without its status change, no clock out of step — on
SQLite and on PostgreSQL (run the suite with DATABASE_URL for the second).

The test database is handed to gunicorn (see test_kill_drills.Database); threads post
wait/resume transitions through the API as fast as it answers; once some have been answered the
whole process group is killed with SIGKILL, and every ticket is checked.
"""

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from rapport.sla.models import ServiceClock
from rapport.staff.services import api_token_create
from rapport.tickets.models import Ticket, TicketEvent
from rapport.tickets.tests.factories import in_progress
from rapport.web.tests.test_kill_drills import Database

pytestmark = [pytest.mark.crash, pytest.mark.django_db(transaction=True)]

TICKETS = 6
ANSWERED_BEFORE_KILL = 25
START_TIMEOUT = 60
WORKERS = ["--workers", "2", "--threads", "4", "--timeout", "30"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _start_server(database: Database, port: int) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "rapport.wsgi:application", "--bind", f"127.0.0.1:{port}", *WORKERS],
        env=database.env(ALLOWED_HOSTS="127.0.0.1,localhost", DEBUG="false"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill takes master and workers
    )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:  # until a worker answers (the master listens first)
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=5):
                return server
        except urllib.error.HTTPError:
            return server
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"gunicorn did not start: {server.stderr.read()[-3000:]}")
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    pytest.fail("gunicorn did not start in time")


def test_a_web_process_killed_mid_transition_leaves_every_ticket_consistent(agent, tmp_path):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip("SQLite and PostgreSQL only")
    database = Database(tmp_path)
    tickets = [in_progress(agent) for _i in range(TICKETS)]
    _token, raw = api_token_create(user=agent, name="drill")
    database.hand_over()
    port = _free_port()
    server = _start_server(database, port)
    answered: dict[int, int] = dict.fromkeys((t.pk for t in tickets), 0)
    lock, stop = threading.Lock(), threading.Event()

    def hammer(ticket_id: int) -> None:
        url = f"http://127.0.0.1:{port}/api/v1/tickets/{ticket_id}/transitions"
        wait = {"action": "wait", "waiting_on": "customer", "reason": "等客户回电"}
        actions = [wait, {"action": "resume"}]
        i = 0
        while not stop.is_set():
            status = _post(url, raw, actions[i % 2])
            if status == 0:  # timed out or refused: the server is busy or gone
                time.sleep(0.1)
                continue
            if status == 200:
                with lock:
                    answered[ticket_id] += 1
                i += 1

    threads = [threading.Thread(target=hammer, args=(t.pk,)) for t in tickets]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while sum(answered.values()) < ANSWERED_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    assert sum(answered.values()) >= ANSWERED_BEFORE_KILL, "too few transitions answered"

    database.take_back()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchone()[0] == "ok"
    for ticket in Ticket.objects.filter(pk__in=answered):
        events = list(
            TicketEvent.objects.filter(ticket=ticket, kind="transition").order_by("at", "id")
        )
        chain = [(e.from_status, e.to_status) for e in events]
        for (_before, reached), (left, _after) in itertools.pairwise(chain):
            assert reached == left, f"ticket {ticket.pk}: a status change without its event"
        assert chain[-1][1] == ticket.status, f"ticket {ticket.pk}: event without its change"
        # every answered transition is there (one more may have committed unanswered)
        drilled = [e for e in events if e.action in ("wait", "resume")]
        assert answered[ticket.pk] <= len(drilled) <= answered[ticket.pk] + 1
        resolution = ServiceClock.objects.get(ticket=ticket, kind="resolution")
        expected = {"waiting": "paused", "in_progress": "running"}[ticket.status]
        assert resolution.state == expected, f"ticket {ticket.pk}: clock out of step"
        assert resolution.pauses.filter(ended_at=None).count() == (ticket.status == "waiting")
