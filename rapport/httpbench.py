"""The HTTP part of `make bench`: the key pages as users get them, through gunicorn.

`rapport serve` (the production configuration: gunicorn sync workers, whitenoise, every
middleware, DEBUG off) serves the benchmark database on a free 127.0.0.1 port with 2 workers.
A small threaded client (http.client, one connection per thread, re-opened when the sync worker
closes it) keeps a fixed number of requests in flight, signed in as a representative through a
session cookie, or with an API token. For each page it reports requests/s, p50/p99 wall time seen
by the client, and CPU per request: the user+system time of the gunicorn worker processes
(/proc/<pid>/stat) across the page's requests, divided by their number. CPU per request is the
figure to compare across runs on a shared machine; the ratio to the bare authenticated view
(`/bench/bare/`, RAPPORT_BENCH_BARE_VIEW) measured in the same run is the one to compare across
machines.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "HTTP through gunicorn"
USER = "bench_agent"  # a representative, as the people who live on these pages
BARE = "Bare authenticated view (the ceiling)"
# CPU per request goals of issue 16: the two pages representatives live on, and every other page.
GOALS_MS = {"Ticket detail": 10.0, "Customer 360": 10.0}
GOAL_OTHER_MS = 15.0
GOAL_RATIO = 4.0


@dataclass
class Page:
    name: str
    path: str
    api: bool = False


@dataclass
class Result:
    name: str
    path: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # worker CPU per request
    kilobytes: float
    errors: dict  # status -> count, for anything but 200

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def pages(ctx: dict) -> list[Page]:
    """The pages measured, from the ids of the seeded dataset (rapport.bench.prepare)."""
    return [
        Page(BARE, "/bench/bare/"),
        Page("Ticket detail", f"/tickets/{ctx['http_ticket_id']}/"),
        Page("Customer 360", f"/customers/{ctx['customer_id']}/"),
        Page("Team queue", "/tickets/?queue=team"),
        Page("Home (my work)", "/"),
        Page("API ticket list", "/api/v1/tickets?queue=all&limit=25", api=True),
    ]


def http_context() -> dict:
    """A ticket the representative works on (in progress, in their team), a session cookie and
    an API token for them."""
    from django.conf import settings
    from django.test import Client

    from rapport.staff.models import User
    from rapport.staff.services import api_token_create
    from rapport.tickets.models import Ticket
    from rapport.tickets.selectors import ticket_visible_qs

    user = User.objects.get(username=USER)
    visible = ticket_visible_qs(staff=user).order_by("-id")
    ticket_id = (
        visible.filter(status=Ticket.Status.IN_PROGRESS).values_list("id", flat=True).first()
        or visible.values_list("id", flat=True).first()
    )
    client = Client()
    client.force_login(user)
    _token, raw = api_token_create(user=user, name="bench-http")
    return {
        "http_ticket_id": ticket_id,
        "cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
        "token": raw,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat[stat.rfind(")") + 2 :].split()[1]) == pid:
                found.append(int(entry))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes, in seconds (clock-tick resolution)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text()
            fields = fields[fields.rfind(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving(*, workers: int = 2):
    """Yield (host, port, worker pids) of `rapport serve` on the bench database; stop it (SIGTERM
    to its process group, SIGKILL if it lingers) however the block ends."""
    with tempfile.TemporaryDirectory(prefix="rapport-httpbench-") as tmp:
        port = _free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "STATIC_ROOT": str(Path(tmp) / "static"),
            "RAPPORT_BENCH_BARE_VIEW": "1",
        }
        log_path = Path(tmp) / "server.log"
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "rapport.cli", "serve"),
                    *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_ready(f"http://127.0.0.1:{port}/login/", server, log_path)
                deadline = time.monotonic() + 30
                while len(pids := _children(server.pid)) < workers:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"gunicorn started {len(pids)} of {workers} workers")
                    time.sleep(0.2)
                yield "127.0.0.1", port, pids
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait(timeout=10)
        tracebacks = log_path.read_text(errors="replace").count("Traceback")
        if tracebacks:
            print(f"  {tracebacks} traceback(s) in the served log", file=sys.stderr)


def _wait_ready(url: str, server: subprocess.Popen, log_path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"rapport serve exited: {log_path.read_text()[-2000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as response:
            if response.status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.3)


def drive(host: str, port: int, path: str, headers: dict, *, requests: int, concurrency: int):
    """Send `requests` GETs with `concurrency` in flight; return (seconds, latencies in ms,
    statuses, bytes received)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    received = [0]
    lock = threading.Lock()
    remaining = [requests]

    def worker() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                started = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    response = conn.getresponse()
                    body = response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    body, status = b"", 599
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
                    received[0] += len(body)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, statuses, received[0]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def http_bench(ctx: dict, *, requests: int = 200, concurrency: int = 4, log=print) -> list[Result]:
    """Serve the bench database and measure every page of `pages(ctx)`; ctx needs
    customer_id (rapport.bench.prepare) and what http_context() adds."""
    results = []
    with serving() as (host, port, workers):
        for page in pages(ctx):
            headers = {"Host": f"{host}:{port}", "Accept-Encoding": "identity"}
            if page.api:
                headers["Authorization"] = f"Bearer {ctx['token']}"
            else:
                headers["Cookie"] = ctx["cookie"]
            # Warm-up: both workers compile the templates and fill their caches first.
            drive(host, port, page.path, headers, requests=4 * concurrency, concurrency=concurrency)
            cpu_before = _cpu_seconds(workers)
            seconds, latencies, statuses, received = drive(
                host, port, page.path, headers, requests=requests, concurrency=concurrency
            )
            cpu = _cpu_seconds(workers) - cpu_before
            result = Result(
                name=page.name,
                path=page.path,
                requests=requests,
                seconds=seconds,
                p50_ms=_percentile(latencies, 0.50),
                p99_ms=_percentile(latencies, 0.99),
                cpu_ms=cpu * 1000 / requests,
                kilobytes=received / requests / 1024,
                errors={s: n for s, n in statuses.items() if s != 200},
            )
            results.append(result)
            log(
                f"  HTTP {page.name:<40} {result.per_second:6.1f} req/s  p50 {result.p50_ms:6.1f} ms"
                f"  p99 {result.p99_ms:6.1f} ms  CPU {result.cpu_ms:5.1f} ms/req"
                + (f"  non-200: {result.errors}" if result.errors else "")
            )
    return results


def ratio(result: Result, results: list[Result]) -> float:
    bare = next((r for r in results if r.name == BARE), None)
    return result.cpu_ms / bare.cpu_ms if bare and bare.cpu_ms else 0.0


def section(results: list[Result], *, size: str, engine: str, requests: int, concurrency: int):
    """The docs/performance.md section (its first line is the marker bench.py replaces)."""
    import platform
    from datetime import datetime

    lines = [
        f"## {NAME}, dataset {size} on {engine} — {datetime.now().astimezone():%Y-%m-%d %H:%M %z}",
        "",
        f"`rapport serve` (gunicorn, 2 sync workers, whitenoise, every middleware, DEBUG off) on "
        f"127.0.0.1; {requests} GET requests per row with {concurrency} in flight, after "
        f"{4 * concurrency} warm-up requests, signed in as a representative (session cookie) or "
        "with their API token. CPU is the user + system time of the two worker processes over "
        "the row's requests, divided by their number; the ratio is that CPU over the bare "
        "authenticated view's in the same run (the ceiling of this stack here). Wall times "
        f"include the client, which shares the machine. Python {platform.python_version()}, "
        f"{os.cpu_count()} cores (shared), load average {os.getloadavg()[0]:.1f} at the end of "
        "the run.",
        "",
        "| page / endpoint | request | requests/s | p50 ms | p99 ms | CPU ms / request | "
        "× bare | KB | goal CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        goal = None if r.name == BARE else GOALS_MS.get(r.name, GOAL_OTHER_MS)
        over = goal is not None and r.cpu_ms > goal
        over_ratio = r.name in GOALS_MS and ratio(r, results) > GOAL_RATIO
        errors = (
            " (" + ", ".join(f"{n}× {s}" for s, n in sorted(r.errors.items())) + ")"
            if r.errors
            else ""
        )
        lines.append(
            f"| {r.name}{errors} | `GET {r.path}` | {r.per_second:.1f} | {r.p50_ms:.1f} | "
            f"{r.p99_ms:.1f} | {r.cpu_ms:.1f}{' ⚠' if over else ''} | "
            f"{ratio(r, results):.1f}{' ⚠' if over_ratio else ''} | {r.kilobytes:.1f} | "
            f"{'—' if goal is None else f'≤ {goal:.0f} ms'} |"
        )
    return lines
