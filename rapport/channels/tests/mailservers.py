"""Real mail servers for the transport tests: Debian's dovecot (IMAP) and aiosmtpd (SMTP).

Both listen on 127.0.0.1 on a free port, live in a temporary directory and are stopped by the
fixture that started them. Dovecot runs in the foreground (`dovecot -F`) as our child with its
own configuration file, so no system configuration or service is touched.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT_CANDIDATES = ("dovecot", "/usr/sbin/dovecot")
# One password for every test mailbox: a passwd file would need reloading for each new user,
# which dovecot does at most once a second.
PASSWORD = "s3cretAuthCode"


def dovecot_binary() -> str | None:
    for candidate in DOVECOT_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, *, process: subprocess.Popen, log: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on 127.0.0.1:{port} in {seconds}s: {_tail(log)}")


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


@dataclass
class Dovecot:
    """A running dovecot; `user()` names a new, empty mailbox."""

    root: Path
    port: int
    process: subprocess.Popen
    mail_uid: int
    mail_gid: int
    users: dict[str, str] = field(default_factory=dict)

    host = "127.0.0.1"

    def user(self) -> str:
        """A fresh mailbox: every user name logs in with PASSWORD (a static passdb)."""
        name = f"desk-{uuid.uuid4().hex[:10]}@example.test"
        self.users[name] = PASSWORD
        return name

    def imap(self, user: str):
        """An IMAPClient logged in as `user` (for appending and rearranging test mail)."""
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def append(self, user: str, raw: bytes, *, folder: str = "INBOX") -> None:
        client = self.imap(user)
        try:
            if folder != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)
        finally:
            client.logout()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _config(root: Path, port: int, *, internal_user: str, login_user: str, uid: int, gid: int):
    return f"""\
# Written by rapport/channels/tests/mailservers.py for one test run.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = rapport-test-{port}
log_path = {root}/dovecot.log
default_internal_user = {internal_user}
default_login_user = {login_user}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
imap_id_log = *
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def start_dovecot(binary: str) -> Dovecot:
    root = Path(tempfile.mkdtemp(prefix="rapport-dovecot-"))
    # Dovecot's mail and login processes run as other users when we are root; they must be able
    # to walk into the directory.
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    if os.geteuid() == 0:
        import pwd

        internal_user, login_user = "dovecot", "dovenull"
        try:
            pwd.getpwnam(internal_user)
            pwd.getpwnam(login_user)
        except KeyError:
            internal_user = login_user = "nobody"
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
        os.chown(root / "mail", uid, gid)
    else:
        import getpass

        internal_user = login_user = getpass.getuser()
        uid, gid = os.getuid(), os.getgid()
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(
        _config(root, port, internal_user=internal_user, login_user=login_user, uid=uid, gid=gid),
        encoding="utf-8",
    )
    with open(root / "stderr.log", "wb") as stderr:  # the child keeps its own copy
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        wait_for_port(port, process=process, log=root / "dovecot.log")
    except RuntimeError:
        process.kill()
        process.wait(timeout=10)
        detail = _tail(root / "stderr.log")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(detail) from None
    return Dovecot(root=root, port=port, process=process, mail_uid=uid, mail_gid=gid)


def dovecot_or_skip() -> str:
    binary = dovecot_binary()
    if binary is None:
        reason = (
            "dovecot is not installed (Debian: apt-get install dovecot-imapd); the real-IMAP "
            "tests need it"
        )
        if os.environ.get("CI"):
            pytest.fail(reason + " — and CI must run them (.ci/run installs it)")
        pytest.skip(reason)
    return binary


@dataclass
class SmtpSink:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it accepts.

    Set `refuse_rcpt` to an SMTP reply ("550 5.1.1 No such user") to refuse recipients.
    """

    host: str
    port: int
    messages: list = field(default_factory=list)
    refuse_rcpt: str = ""


def start_smtp_sink(*, users: dict[str, str] | None = None):
    """Start the sink; with `users`, AUTH PLAIN/LOGIN is offered (without TLS) and checked."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    sink = SmtpSink(host="127.0.0.1", port=free_port())

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if sink.refuse_rcpt:
                return sink.refuse_rcpt
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            sink.messages.append(envelope)
            return "250 2.0.0 Ok: queued"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and (users or {}).get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False)

    options = {"auth_require_tls": False, "authenticator": authenticator} if users else {}
    controller = Controller(Handler(), hostname=sink.host, port=sink.port, **options)
    controller.start()
    return sink, controller
