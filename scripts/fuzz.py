"""`make fuzz`: schemathesis with every check against a served demo, with a bearer token.

Bounded by --max-examples per operation and --max-time for the whole run; exits non-zero on any
failure. Usage: python scripts/fuzz.py [--max-examples N] [--max-time SECONDS] [--seed N]
[--user USERNAME] [extra schemathesis options after --]
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from served import rapport, served


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--max-time", type=int, default=90)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--user", default="admin", help="whose token the fuzzer uses")
    parser.add_argument("extra", nargs="*", help="further schemathesis options")
    args = parser.parse_args()

    def prepare(env):
        rapport(env, "demo", "--no-serve", capture=True)

    schemathesis = shutil.which("schemathesis") or str(
        Path(sys.executable).with_name("schemathesis")
    )
    # gunicorn answers a request line over 4 KB with its own HTML 414 before Rapport sees it;
    # the fuzzer's negative query strings reach that, so this server takes any length.
    gunicorn = {"GUNICORN_CMD_ARGS": "--limit-request-line 0"}
    with served(prepare, log_name="fuzz-server.log", env_extra=gunicorn) as (base, env, _log):
        token = rapport(env, "token", "create", args.user, "--name", "fuzz", capture=True).strip()
        command = [
            schemathesis,
            "run",
            f"{base}/api/v1/openapi.json",
            "--checks",
            "all,valid_data_parsed",  # naming it fails the run if the hook did not load
            "--exclude-checks",
            "positive_data_acceptance",
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            str(args.max_examples),
            "--max-time",
            str(args.max_time),
            "--seed",
            str(args.seed),
            "--request-timeout",
            "30",
            # schemathesis's own limit is 10 s; a shared CI machine may be slower than that
            # without anything being wrong, a stalled worker (minutes) is still caught.
            "--max-response-time",
            "20",
            "--workers",
            "2",
            "--warnings",
            "off",
            *args.extra,
        ]
        print("== schemathesis against", base, flush=True)
        hooks_env = {
            **env,
            "SCHEMATHESIS_HOOKS": "fuzz_hooks",
            "PYTHONPATH": str(Path(__file__).resolve().parent) + os.pathsep + env["PYTHONPATH"],
        }
        return subprocess.call(command, env=hooks_env)


if __name__ == "__main__":
    raise SystemExit(main())
