"""Row locks take the row they mean, not the rows joined to it.

`select_for_update()` with `select_related` locks every joined row on PostgreSQL. Delivering a
survey locked its owner's staff row, so a concurrent insert naming that owner deadlocked: its
foreign-key check takes KEY SHARE on the row at COMMIT, against the delivery waiting on the
day's rollup row (the survey sweep's kill drill, 2026-12-07). Tests capture a service's queries
and expect no lock over a join without `OF`."""

import re

JOINED_LOCK = re.compile(r"\bJOIN\b.*\bFOR UPDATE\b(?! OF)", re.S)


def joined_locks(queries) -> list[str]:
    """The captured statements that lock joined rows too."""
    return [q["sql"] for q in queries if JOINED_LOCK.search(q["sql"])]
