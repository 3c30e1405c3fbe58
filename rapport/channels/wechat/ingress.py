"""The WeChat and WeCom message callbacks, answered in front of Django (WSGI).

`POST /api/v1/channels/{wechat|wecom}/{account_id}` is the one request the providers time (5 s,
retrying three times) and can send in bursts: a campaign, a menu click by thousands of
followers. Its answer needs none of what Django's request cycle does for a page — sessions,
authentication, CSRF, locale, messages, htmx, URL resolution — which was a third of its CPU. This
WSGI wrapper answers exactly that request with the same code as the API view
(`callback.answer`: signature, timestamp, decryption, storing the raw message, queueing its
processing) and passes every other request, including the GET verification, to Django
unchanged. It does what Django's handler does around a request that touches the database:
connections unusable or too old are closed before and after (`close_old_connections`).

On SQLite, the writes of the threads of one process wait on a lock here rather than on the
database: SQLite has one writer, and a connection that finds it busy sleeps 1–100 ms between
tries (its busy handler), which made the slowest answers of a burst hundreds of milliseconds
while the mean was a few. The lock hands itself to the threads in the order they asked (a plain
lock lets whichever thread the scheduler wakes take it, and a few threads lost round after
round: 50 in flight gave p50 45 ms and p99 217 ms). Processes still meet at SQLite's own lock,
as before.

Refusals are the view's (plain text, the code first, 4xx); a database failure is a 503 with
`busy:` (the provider retries), never a 500.
"""

import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import DatabaseError, close_old_connections, connection
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

CALLBACK_PATH = re.compile(r"^/api/v1/channels/(wechat|wecom)/([0-9]{1,18})/?$")


class FairLock:
    """A lock taken in the order it was asked for: the holder hands it to the longest waiter."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def __enter__(self) -> None:
        with self._guard:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        turn.acquire()  # released by the holder that hands the lock on: held from here

    def __exit__(self, *exc) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False


_SQLITE_WRITES = FairLock()


def _secure(environ: dict) -> bool:
    """Whether Django would see this request as HTTPS (SECURE_PROXY_SSL_HEADER)."""
    if environ.get("wsgi.url_scheme") == "https":
        return True
    header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    return bool(header) and environ.get(header[0]) == header[1]


class CallbackIngress:
    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = (
            CALLBACK_PATH.match(environ.get("PATH_INFO", ""))
            if environ.get("REQUEST_METHOD") == "POST"
            else None
        )
        if match is None or (settings.SECURE_SSL_REDIRECT and not _secure(environ)):
            return self.app(environ, start_response)  # Django answers (or redirects) it
        status, text = self.answer(environ, kind=match[1], account_id=int(match[2]))
        body = text.encode("utf-8")
        start_response(
            f"{status} {'OK' if status == 200 else 'Refused'}",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    def answer(self, environ: dict, *, kind: str, account_id: int) -> tuple[int, str]:
        from rapport.channels.wechat.callback import answer

        declared = environ.get("CONTENT_LENGTH") or ""
        # As Django reads it: no further than the declared length (no length, no body).
        stream = LimitedStream(environ["wsgi.input"], int(declared) if declared.isdigit() else 0)
        close_old_connections()
        try:
            lock = _SQLITE_WRITES if connection.vendor == "sqlite" else nullcontext()
            with lock:
                return answer(
                    account_id=account_id,
                    kind=kind,
                    query=dict(parse_qsl(environ.get("QUERY_STRING", ""))),
                    content_length=declared,
                    read=stream.read,
                )
        except DatabaseError as exc:
            logger.warning("Callback for account %s not stored: %s", account_id, exc)
            return 503, "busy: " + _("The message could not be stored now; please send it again.")
        finally:
            close_old_connections()
