"""The production configuration the README documents passes `check --deploy` with no warnings,
and the development defaults do not (so this test can fail)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _documented_production_env() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Production settings") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    env = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def _check_deploy(extra: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "rapport.settings",
        "RAPPORT_DATA_DIR": str(tmp_path),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_documented_production_settings_pass_check_deploy(tmp_path):
    result = _check_deploy(_documented_production_env(), tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_development_defaults_do_not_pass_check_deploy(tmp_path):
    result = _check_deploy({}, tmp_path)

    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "rapport.W001"):
        assert warning in result.stderr + result.stdout


def test_every_response_has_a_content_security_policy_without_inline_scripts(client, db):
    policy = client.get("/login/")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "Content-Security-Policy" in client.get("/support/new/")
