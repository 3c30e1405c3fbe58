"""How higher layers hear of interactions without `interactions` importing them (no signals).

`register_interaction_logged(func)`: `func(interaction)` is called for every interaction
recorded by `interaction_log`, in the same transaction, after it is saved (tickets register the
upset assessment of a logged contact's summary).

`register_interaction_corrected(func)`: `func(interaction, changed)` is called for every
correction by `interaction_correct`, in the same transaction, after it is saved, with the names
of the fields it changed (tickets regroup the service-level clocks of a corrected channel)."""

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


InteractionCorrected = Callable[[Any, set[str]], None]
_corrected: list[InteractionCorrected] = []


def register_interaction_corrected(func: InteractionCorrected) -> InteractionCorrected:
    if func not in _corrected:
        _corrected.append(func)
    return func


def interaction_corrected_listeners() -> list[InteractionCorrected]:
    return list(_corrected)
