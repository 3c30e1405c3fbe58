"""Rows read on every message, kept per process for a short time.

The messaging pipeline reads the same few rows for every message it handles — the messaging
settings, the system user, an interaction purpose by code. Read each time, they cost more than
the message's own SQL (Django's query compilation, not the database). A `ProcessMemo` keeps the
value for `ttl` seconds in this process; saving the row in this process forgets it at once, and
other processes (the workers) see the change within `ttl`. Callers get a copy, so a caller that
edits the object it got can never change what others read.

Tests clear every memo before each test (`clear_all`), since a rolled-back or flushed test
database takes its rows away without a save.
"""

import copy
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

_ALL: list["ProcessMemo"] = []


class ProcessMemo:
    def __init__(self, name: str, *, ttl: float) -> None:
        self.name, self.ttl = name, ttl
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _ALL.append(self)

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The value for `key`, loaded with `load()` when missing or older than the ttl; None
        is not kept (a row that does not exist yet is looked up again next time)."""
        now = time.monotonic()
        entry = self._values.get(key)
        if entry is None or now - entry[0] > self.ttl:
            value = load()
            if value is None:
                return None
            with self._lock:
                self._values[key] = (now, value)
            entry = (now, value)
        return copy.copy(entry[1])

    def forget(self, key: Hashable | None = None) -> None:
        with self._lock:
            if key is None:
                self._values.clear()
            else:
                self._values.pop(key, None)


def clear_all() -> None:
    for memo in _ALL:
        memo.forget()
