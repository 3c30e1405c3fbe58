"""How higher layers hear of changes to customers without `customers` importing them (no signals).

`register_customers_changed(func)`: `func(customer_ids)` is called in the writing transaction,
after the write, when something higher layers keep figures on may have changed for these
customers: their tier, lifecycle stage or churn reason (STANDING), their assets (one added or
removed), or a merge that moved rows between them (surveys register the satisfaction rollup's
hook). Every write path calls `customers_changed`: the services and the admin. Rows written
around them (bulk seeding) are announced to no one."""

from collections.abc import Callable, Iterable

CustomersChanged = Callable[[list[int]], None]
_listeners: list[CustomersChanged] = []

STANDING = ("tier", "lifecycle_stage", "churn_reason")


def register_customers_changed(func: CustomersChanged) -> CustomersChanged:
    if func not in _listeners:
        _listeners.append(func)
    return func


def customers_changed(customer_ids: Iterable[int]) -> None:
    ids = sorted(set(customer_ids))
    for listener in list(_listeners):
        listener(ids)
