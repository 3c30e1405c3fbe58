"""`make load`: locust with simulated agents against a freshly seeded, served Rapport.

Seeds the S dataset (`rapport seed --size S`) into a fresh SQLite data directory, or into the
(empty) database of DATABASE_URL, serves it with gunicorn on 127.0.0.1, runs locust headless for
a bounded time and reports, from the server's own access log, requests, 5xx and p50/p95/p99 per
request type. Exits non-zero on any 5xx.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from load_types import classify
from served import rapport, served

HERE = Path(__file__).resolve().parent
LINE = re.compile(r"^(GET|POST|PATCH|PUT|DELETE|HEAD) (\S+) (\d{3}) (\d+)$")


def _percentile(values: list[float], share: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def report(log: Path) -> tuple[str, int]:
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for line in log.read_text(errors="replace").splitlines():
        found = LINE.match(line.strip())
        if not found:
            continue
        method, path, status, micros = found.groups()
        name = classify(method, path)
        times[name].append(int(micros) / 1000)
        statuses[name][int(status)] += 1
        if int(status) >= 500:
            errors[name] += 1
    rows = [
        "| request | n | 5xx | p50 ms | p95 ms | p99 ms | other statuses |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in sorted(times, key=lambda n: -len(times[n])):
        values = times[name]
        others = ", ".join(
            f"{status}×{count}"
            for status, count in sorted(statuses[name].items())
            if status not in (200, 201, 302)
        )
        rows.append(
            f"| {name} | {len(values)} | {errors[name]} | {_percentile(values, 0.5):.0f} | "
            f"{_percentile(values, 0.95):.0f} | {_percentile(values, 0.99):.0f} | {others} |"
        )
    total = sum(len(v) for v in times.values())
    rows.append(f"| **all** | {total} | {sum(errors.values())} | | | | |")
    return "\n".join(rows), sum(errors.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--run-time", type=int, default=90, help="seconds of load")
    parser.add_argument("--size", default="S")
    parser.add_argument("--report", help="also write the table to this file")
    args = parser.parse_args()

    def prepare(env):
        rapport(env, "seed", "--size", args.size, capture=True)

    users = [f"seed{i}" for i in range(8)]
    access = {"GUNICORN_CMD_ARGS": '--access-logformat "%(m)s %(U)s %(s)s %(D)s"'}
    with served(prepare, log_name="load-server.log", env_extra=access) as (base, env, log):
        tokens = [rapport(env, "token", "create", u, capture=True).strip() for u in users]
        locust = shutil.which("locust") or str(Path(sys.executable).with_name("locust"))
        load_env = {
            **env,
            "LOAD_USERS": ",".join(users),
            "LOAD_TOKENS": ",".join(tokens),
            "LOAD_PASSWORD": "rapport-seed",
        }
        database = env.get("DATABASE_URL") or "SQLite"
        print(f"== locust: {args.users} agents for {args.run_time}s against {base} ({database})")
        locust_code = subprocess.call(
            [
                locust,
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                f"{args.run_time}s",
                "--host",
                base,
                "--only-summary",
                "--stop-timeout",
                "10",
            ],
            env=load_env,
            cwd=HERE,
        )
        table, server_errors = report(log)
        text = log.read_text(errors="replace")
        tracebacks = text.count("Traceback")
        timeouts = text.count("WORKER TIMEOUT")
    summary = (
        f"5xx: {server_errors}; tracebacks in the server log: {tracebacks}; worker timeouts "
        f"(requests cut off, not in the access log): {timeouts}; locust "
        f"{'saw failed requests' if locust_code else 'saw no failed request'}"
    )
    print("\n== server-side times from the access log\n")
    print(table)
    print("\n" + summary)
    if args.report:
        Path(args.report).write_text(table + "\n\n" + summary + "\n")
    return 1 if server_errors or tracebacks or timeouts or locust_code else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
