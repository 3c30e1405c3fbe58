"""Group commit: the writes that threads of one process ask for at the same time, made by one of
them in one transaction.

A caller hands its item to `GroupCommit.submit` and gets its own outcome back once the item is
written (committed), as if it had written it alone. While one thread writes (the leader), items
submitted by others wait in a queue; when the leader is done it hands the lead to the longest
waiter, which writes everything that queued meanwhile in one call of `write`. So a burst of N
concurrent writes costs a few commits instead of N, and no thread waits longer than the groups
ahead of it (the lead passes in arrival order; a leader writes only its own group, so it is not
kept writing for others while more keep arriving).

`write(items)` returns one outcome per item, in order: a value, or an exception instance that is
raised to that item's caller. An exception raised by `write` itself (the transaction failed) is
raised to every caller of the group. What a group holds is capped at `max_group`.
"""

import threading
from collections import deque
from collections.abc import Callable
from typing import Any


class _Ticket:
    __slots__ = ("done", "item", "outcome", "wake")

    def __init__(self, item: Any) -> None:
        self.item = item
        self.done = False
        self.outcome: Any = None
        self.wake = threading.Lock()
        self.wake.acquire()  # released by the leader: written, or "lead the next group"


class GroupCommit:
    def __init__(self, write: Callable[[list], list], *, max_group: int = 256) -> None:
        self._write = write
        self._max_group = max_group
        self._guard = threading.Lock()
        self._queue: deque[_Ticket] = deque()
        self._leading = False

    def submit(self, item: Any) -> Any:
        """Write `item` (with whatever else is waiting) and return its outcome, or raise it."""
        ticket = _Ticket(item)
        with self._guard:
            self._queue.append(ticket)
            lead = not self._leading
            self._leading = True
        if not lead:
            ticket.wake.acquire()
        if not ticket.done:  # the lead is ours: our ticket is first in the queue
            self._lead()
        if isinstance(ticket.outcome, BaseException):
            raise ticket.outcome
        return ticket.outcome

    def _lead(self) -> None:
        with self._guard:
            group = [self._queue.popleft() for _n in range(min(self._max_group, len(self._queue)))]
        try:
            outcomes = self._write([ticket.item for ticket in group])
            if len(outcomes) != len(group):
                raise RuntimeError(f"write returned {len(outcomes)} outcomes for {len(group)}")
        except BaseException as exc:  # handed to every caller of the group
            outcomes = [exc] * len(group)
        for ticket, outcome in zip(group, outcomes, strict=True):
            ticket.outcome, ticket.done = outcome, True
        with self._guard:
            successor = self._queue[0] if self._queue else None
            self._leading = successor is not None
        for ticket in group[1:]:  # the first is the leader's own
            ticket.wake.release()
        if successor is not None:
            successor.wake.release()  # not done: it leads the next group
