"""GroupCommit: concurrent callers written together by one of them, each getting its own
outcome, the lead passed on in arrival order."""

import threading
import time

import pytest

from rapport.core.groupcommit import GroupCommit


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def _run_queued(group, threads, entered, release) -> None:
    """Start the first thread (its write holds the lead until `release`), then the others one
    by one, each queued before the next starts; release the first write; wait for all."""
    threads[0].start()
    assert entered.wait(5)
    for n, thread in enumerate(threads[1:], start=1):
        thread.start()
        _wait_for(lambda n=n: len(group._queue) == n)
    release.set()
    for thread in threads:
        thread.join(5)


def test_alone_a_caller_writes_its_own_item_at_once():
    groups = []
    group = GroupCommit(lambda items: (groups.append(list(items)), [i * 2 for i in items])[1])
    assert group.submit(3) == 6
    assert group.submit(4) == 8
    assert groups == [[3], [4]]
    assert not group._leading and not group._queue


def test_callers_arriving_while_one_writes_are_written_together_in_order():
    groups, entered, release = [], threading.Event(), threading.Event()

    def write(items):
        groups.append(list(items))
        if len(groups) == 1:
            entered.set()
            assert release.wait(5)
        return [f"stored {i}" for i in items]

    group = GroupCommit(write)
    results = {}

    def submit(n):
        results[n] = group.submit(n)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    _run_queued(group, threads, entered, release)  # queued in this order
    assert groups == [[0], list(range(1, 8))]
    assert results == {n: f"stored {n}" for n in range(8)}
    assert not group._leading and not group._queue


def test_a_group_is_capped_and_the_rest_is_led_by_the_longest_waiter():
    groups, entered, release = [], threading.Event(), threading.Event()
    leaders = []

    def write(items):
        groups.append(list(items))
        leaders.append(threading.current_thread().name)
        if len(groups) == 1:
            entered.set()
            assert release.wait(5)
        return list(items)

    group = GroupCommit(write, max_group=3)
    threads = [threading.Thread(target=group.submit, args=(n,), name=f"t{n}") for n in range(8)]
    _run_queued(group, threads, entered, release)
    assert groups == [[0], [1, 2, 3], [4, 5, 6], [7]]
    assert leaders == ["t0", "t1", "t4", "t7"]  # each group is written by its first caller


def test_outcomes_that_are_exceptions_are_raised_to_their_own_caller_only():
    group = GroupCommit(lambda items: [ValueError(i) if i < 0 else i for i in items])
    assert group.submit(1) == 1
    with pytest.raises(ValueError):
        group.submit(-1)
    assert group.submit(2) == 2


def test_a_failed_write_is_raised_to_every_caller_of_its_group_and_the_next_group_goes_on():
    entered, release, calls = threading.Event(), threading.Event(), []

    def write(items):
        calls.append(list(items))
        if len(calls) == 1:
            entered.set()
            assert release.wait(5)
            return list(items)
        if len(calls) == 2:
            raise RuntimeError("database is locked")
        return list(items)

    group = GroupCommit(write)
    outcomes = {}

    def submit(n):
        try:
            outcomes[n] = group.submit(n)
        except RuntimeError as exc:
            outcomes[n] = str(exc)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(3)]
    _run_queued(group, threads, entered, release)
    assert outcomes == {0: 0, 1: "database is locked", 2: "database is locked"}
    assert group.submit(5) == 5  # the lead was given back


def test_a_write_returning_the_wrong_number_of_outcomes_fails_its_callers():
    group = GroupCommit(lambda items: [])
    with pytest.raises(RuntimeError, match="0 outcomes for 1"):
        group.submit(1)


def test_many_threads_each_get_their_own_outcome():
    group = GroupCommit(lambda items: [i * i for i in items])
    results = {}

    def submit(n):
        results[n] = group.submit(n)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {n: n * n for n in range(200)}
