"""The per-process memo of rows read on every message."""

from rapport.core import memo as memo_module
from rapport.core.memo import ProcessMemo, clear_all


class Row:
    def __init__(self, value):
        self.value = value


def test_a_value_is_loaded_once_and_handed_out_as_a_copy():
    memo = ProcessMemo("test", ttl=60)
    loads = []

    def load():
        loads.append(1)
        return Row("a")

    first = memo.get("k", load)
    first.value = "changed by a caller"
    second = memo.get("k", load)
    assert len(loads) == 1
    assert second.value == "a"  # the caller's change did not reach the memo
    assert first is not second


def test_forget_and_clear_all_load_again(monkeypatch):
    memo = ProcessMemo("test", ttl=60)
    values = iter(["a", "b", "c"])
    assert memo.get("k", lambda: Row(next(values))).value == "a"
    memo.forget("k")
    assert memo.get("k", lambda: Row(next(values))).value == "b"
    clear_all()
    assert memo.get("k", lambda: Row(next(values))).value == "c"


def test_an_old_value_is_loaded_again_after_the_ttl(monkeypatch):
    memo = ProcessMemo("test", ttl=30)
    clock = [1000.0]
    monkeypatch.setattr(memo_module.time, "monotonic", lambda: clock[0])
    values = iter(["a", "b"])
    assert memo.get("k", lambda: Row(next(values))).value == "a"
    clock[0] += 29
    assert memo.get("k", lambda: Row(next(values))).value == "a"
    clock[0] += 2
    assert memo.get("k", lambda: Row(next(values))).value == "b"


def test_none_is_not_kept():
    memo = ProcessMemo("test", ttl=60)
    assert memo.get("k", lambda: None) is None
    assert memo.get("k", lambda: Row("now there")).value == "now there"
