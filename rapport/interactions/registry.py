"""How higher layers hear of interactions without `interactions` importing them (no signals).

`register_interaction_logged(func)`: `func(interaction)` is called for every interaction
recorded by `interaction_log`, in the same transaction, after it is saved (tickets register the
upset assessment of a logged contact's summary)."""

from collections.abc import Callable
from typing import Any

InteractionLogged = Callable[[Any], None]
_listeners: list[InteractionLogged] = []


def register_interaction_logged(func: InteractionLogged) -> InteractionLogged:
    if func not in _listeners:
        _listeners.append(func)
    return func


def interaction_listeners() -> list[InteractionLogged]:
    return list(_listeners)
